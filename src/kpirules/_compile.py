"""An indicator → one generated Python function that scores a record.

The function is written once per indicator as straight-line code (every sub-expression assigned to
a local, shared sub-expressions computed once, constants bound as globals) and ``compile()``d, so
scoring a record walks no tree. The common inputs (``int`` and finite ``Decimal``) are checked
inline; everything else goes to :func:`kpirules._values.to_number`, which owns the rules for odd input.
"""

from __future__ import annotations

import decimal
import itertools
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from types import CodeType
from typing import Any, TypeVar

from kpirules import nodes
from kpirules._messages import Message, message
from kpirules._numbers import CONTEXT, tidy
from kpirules._scoring import (
    ARITHMETIC,
    MILESTONES,
    interpolated_score,
    interpolation,
    ladder,
    measure_problem,
    milestone_levels,
)
from kpirules._semantics import describe_expr
from kpirules._values import describe_value, is_missing, plain, to_number
from kpirules.errors import EvaluationError
from kpirules.limits import MAX_MILESTONES_REPORTED

__all__ = ["CONTEXT", "Evaluator", "compile_indicator", "tidy"]

R = TypeVar("R")

# How the generated function hands back its outcome: make(owner, level, score, values, done).
Maker = Callable[[Any, int, Decimal, tuple[Any, ...], frozenset[int]], R]
# The generated function: (record, strict) -> what the maker made.
Evaluator = Callable[[Any, bool], R]

# Indicators of the same shape (a ladder of five `>=` thresholds over one ratio, say) generate the
# same source, their constants living in each function's own globals; compiling it once serves all.
_CODE: dict[str, CodeType] = {}

_OPS = {"+": "_add", "-": "_subtract", "*": "_multiply", "/": "_divide"}
assert _OPS.keys() == ARITHMETIC.keys()


class _Writer:
    def __init__(self, indicator: nodes.IndicatorNode, language: str) -> None:
        self.indicator = indicator
        self.language = language
        self.lines: list[str] = []
        self.names: dict[str, str] = {}
        self.constants: dict[str, Any] = {}
        self.known: dict[tuple[type, str], str] = {}
        self.memo: dict[nodes.Expr, str] = {}
        self.counter = 0

    def constant(self, value: Any) -> str:
        # Keyed by type and text, so 5 and 5.0 stay apart (a value shows as written).
        key = (type(value), repr(value))
        name = self.known.get(key)
        if name is None:
            name = self.known[key] = f"_k{len(self.constants)}"
            self.constants[name] = value
        return name

    def fresh(self) -> str:
        self.counter += 1
        return f"t{self.counter}"

    def emit(self, line: str, indent: int = 2) -> None:
        self.lines.append("    " * indent + line)

    def expr(self, expr: nodes.Expr) -> str:
        """Emit the code for ``expr`` and return the local holding its value."""
        known = self.memo.get(expr)
        if known is not None:
            return known
        if isinstance(expr, nodes.Number):
            result = self.constant(expr.value)
        elif isinstance(expr, nodes.Name):
            result = self.names[expr.name]
        else:
            result = self.fresh()
            self.emit(f"{result} = {self.operation(expr)}")
        self.memo[expr] = result
        return result

    def operation(self, expr: nodes.Expr) -> str:
        if isinstance(expr, nodes.Negate):
            return f"_minus({self.expr(expr.operand)})"
        if isinstance(expr, nodes.BinaryOp):
            left, right = self.expr(expr.left), self.expr(expr.right)
            if expr.op == "/":
                message = self.constant(self.division_message(expr))
                self.emit(f"if not {right}: _divide_by_zero({message}, {right})")
            return f"{_OPS[expr.op]}({left}, {right})"
        if isinstance(expr, nodes.Compare):
            parts = [self.expr(expr.operands[0])]
            for op, operand in zip(expr.ops, expr.operands[1:]):
                parts += [op, self.expr(operand)]
            return " ".join(parts)
        if isinstance(expr, nodes.Not):
            return f"not {self.expr(expr.operand)}"
        if isinstance(expr, nodes.Done):
            return f"{expr.level} in done"
        if isinstance(expr, nodes.BoolOp):
            # Every operand is computed before the and/or, so an error in one (a division by zero)
            # is raised whatever the others hold.
            operands = [self.expr(operand) for operand in expr.operands]
            return f" {expr.op} ".join(operands)
        raise AssertionError(f"unknown expression {expr!r}")  # pragma: no cover

    def division_message(self, expr: nodes.BinaryOp) -> Message:
        return message("division-by-zero", indicator=self.indicator.id,
                       expression=describe_expr(expr), divisor=describe_expr(expr.right))


def compile_indicator(
    indicator: nodes.IndicatorNode, make: Maker[R], owner: Any = None, language: str = "en"
) -> Evaluator[R]:
    """The scoring function of ``indicator`` (which must have passed the load-time checks): it
    returns ``make(owner, level, score, values, milestones_done)``, built in the generated code so
    that the hot path makes one call and no intermediate tuple. Its errors speak ``language``."""
    writer = _Writer(indicator, language)
    measures = indicator.measures
    milestones = frozenset(milestone_levels(indicator))
    expected = len(measures) + (1 if milestones else 0)
    writer.emit("def evaluate(record, strict=True):", 0)
    writer.emit("if type(record) is not dict:", 1)
    writer.emit("if not isinstance(record, _Mapping): _not_a_mapping(record)", 2)
    # A copy as a plain dict, so that a Counter or a defaultdict does not read a missing measure
    # as 0: only the keys it holds are kept.
    writer.emit("record = dict(record)", 2)
    # All measures are looked up below, so a record of the expected size has no unknown keys:
    # the full check runs only when the size is off.
    size_off = f"len(record) != {expected}"
    if milestones:
        size_off = f"({size_off} or {MILESTONES!r} not in record)"
    writer.emit(f"if strict and {size_off}: _check_keys(record)", 1)
    writer.emit("try:", 1)
    for index, measure in enumerate(measures):
        local = f"m{index}"
        writer.names[measure.name] = local
        _emit_measure(writer, measure, local, index)
    if milestones:
        writer.emit(f"done = _milestones(record.get({MILESTONES!r}, ()))")
    else:
        writer.emit("done = _NONE_DONE")
        writer.emit(f"if {MILESTONES!r} in record: done = _milestones(record[{MILESTONES!r}])")
    for let in indicator.lets:
        writer.names[let.name] = writer.expr(let.expr)
    rules = ladder(indicator)
    _emit_level(writer, rules.cumulative, [writer.expr(condition) for condition in rules.conditions])
    _emit_score(writer, indicator)
    values = [writer.names[m.name] for m in measures] + [writer.names[let.name] for let in indicator.lets]
    writer.emit(f"return _make(_owner, level, score, ({', '.join(values)}{',' if values else ''}), done)")
    writer.emit("except ArithmeticError as error:", 1)
    writer.emit("_arithmetic(error)", 2)
    source = "\n".join(writer.lines) + "\n"
    namespace = _namespace(indicator, milestones, writer.constants, language)
    namespace.update(_make=make, _owner=owner)
    code = _CODE.get(source)
    if code is None:
        code = compile(source, "<kpirules indicator>", "exec")
        if len(_CODE) < 4096:
            _CODE[source] = code
    exec(code, namespace)
    evaluate: Evaluator[R] = namespace["evaluate"]
    evaluate.__doc__ = source  # the generated code, for anyone debugging a result
    return evaluate


def _emit_measure(writer: _Writer, measure: nodes.Measure, local: str, index: int) -> None:
    key = writer.constant(measure.name)
    writer.emit(f"try: {local} = record[{key}]")
    writer.emit(f"except KeyError: {local} = _MISSING")
    slow = f"_slow[{index}]"
    if measure.kind == "flag":
        writer.emit(f"if {local} is not True and {local} is not False: {slow}({local}, record)")
        return
    if measure.kind == "count":
        writer.emit(f"if type({local}) is int and {local} >= 0: {local} = _D({local})")
        writer.emit(f"else: {local} = {slow}({local}, record)")
    else:
        writer.emit(f"if type({local}) is int: {local} = _D({local})")
        writer.emit(f"elif type({local}) is not _D or not {local}.is_finite(): "
                    f"{local} = {slow}({local}, record)")
    bounds = []
    if measure.low is not None:
        bounds.append(f"{local} < {writer.constant(measure.low)}")
    if measure.high is not None:
        bounds.append(f"{local} > {writer.constant(measure.high)}")
    if bounds:
        writer.emit(f"if {' or '.join(bounds)}: _out_of_range[{index}]({local})")


def _emit_level(writer: _Writer, cumulative: bool, conditions: list[str]) -> None:
    top = len(conditions)
    if not cumulative:
        for number in range(top, 0, -1):
            keyword = "if" if number == top else "elif"
            writer.emit(f"{keyword} {conditions[number - 1]}: level = {number}")
        writer.emit("else: level = 0")
        return
    for number, condition in enumerate(conditions):
        keyword = "if" if number == 0 else "elif"
        writer.emit(f"{keyword} not {condition}: level = {number}")
    writer.emit(f"else: level = {top}")


def _emit_score(writer: _Writer, indicator: nodes.IndicatorNode) -> None:
    shape = interpolation(indicator) if indicator.interpolate else None
    if shape is None:
        writer.emit("score = _SCORES[level]")
        return
    x = writer.expr(shape.expr)
    thresholds = writer.constant(shape.thresholds)
    writer.emit(f"score = _interpolate({x}, level, {thresholds})")


def _namespace(
    indicator: nodes.IndicatorNode,
    milestones: frozenset[int],
    constants: dict[str, Any],
    language: str,
) -> dict[str, Any]:
    ident = indicator.id
    names = [m.name for m in indicator.measures]
    known = frozenset(names) | {MILESTONES}

    def fail(code: str, about_measure: str | None = None, **parts: Any) -> EvaluationError:
        return EvaluationError(message(code, indicator=ident, **parts), ident, about_measure,
                               language)

    def not_a_mapping(record: object) -> None:
        raise fail("not-a-mapping", type=type(record).__name__)

    def check_keys(record: Mapping[Any, Any]) -> None:
        import difflib

        for key in record:
            if key in known:
                continue
            if not isinstance(key, str):
                raise fail("key-not-text", None, key=describe_value(key))
            guess = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.5)
            hint = message("hint-did-you-mean", name=guess[0]) if guess else message(
                "hint-measures-are",
                names=", ".join(f"`{n}`" for n in names) or message("word-none"))
            raise fail("unknown-key", key, key=key, hint=hint)

    def slow(measure: nodes.Measure) -> Callable[[Any, Mapping[Any, Any]], Any]:
        def convert(value: Any, record: Mapping[Any, Any]) -> Any:
            if value is _MISSING or is_missing(value):
                import difflib

                about = f" ({measure.description})" if measure.description else ""
                hint: Message | str = ""
                if value is _MISSING:
                    strays = [k for k in record if isinstance(k, str) and k not in known]
                    guess = difflib.get_close_matches(measure.name, strays, n=1, cutoff=0.6)
                    hint = message("hint-misspelling", name=guess[0]) if guess else ""
                raise fail("missing-measure", measure.name, measure=measure.name, about=about,
                           hint=hint)
            if measure.kind == "flag":
                flag = plain(value)
                if type(flag) is bool:
                    return flag  # a NumPy bool
                raise fail("flag-not-bool", measure.name, measure=measure.name,
                           value=describe_value(value))
            number = to_number(value, ident, measure, language)
            problem = measure_problem(ident, measure, number)
            if problem is not None:
                raise EvaluationError(problem, ident, measure.name, language)
            return number

        return convert

    def out_of_range(measure: nodes.Measure) -> Callable[[Decimal], None]:
        def complain(value: Decimal) -> None:
            problem = measure_problem(ident, measure, value)
            assert problem is not None
            raise EvaluationError(problem, ident, measure.name, language)

        return complain

    def milestones_done(reported: Any) -> frozenset[int]:
        # The usual record: a short list of milestone levels, taken in one step.
        if (type(reported) is list or type(reported) is tuple) and (
                len(reported) <= MAX_MILESTONES_REPORTED):
            try:
                given: frozenset[Any] | None = frozenset(reported)
            except TypeError:
                given = None  # an unhashable item: the full reading below says what is wrong
            if given is not None and given <= milestones and all(
                    type(item) is int for item in reported):
                return given
        if isinstance(reported, (str, bytes, Mapping)) or not isinstance(reported, Iterable):
            if is_missing(reported):
                return frozenset()  # no value for `milestones`: none reported done
            raise fail("milestones-not-list", MILESTONES, value=describe_value(reported))
        done = []
        # islice: an endless iterator is refused after the limit instead of read forever.
        for index, item in enumerate(itertools.islice(reported, MAX_MILESTONES_REPORTED + 1)):
            if index == MAX_MILESTONES_REPORTED:
                raise fail("limit-milestones", MILESTONES, limit=MAX_MILESTONES_REPORTED)
            if type(item) is not int:
                item = plain(item)  # a NumPy array or a pandas Series holds NumPy integers
            if type(item) is not int or item not in milestones:
                allowed = ", ".join(str(m) for m in sorted(milestones)) or message("word-none")
                raise fail("unknown-milestone", MILESTONES, item=describe_value(item),
                           allowed=allowed)
            done.append(item)
        return frozenset(done)

    def divide_by_zero(problem: Message, value: Decimal) -> None:
        raise EvaluationError(problem, ident, None, language)

    def arithmetic(error: ArithmeticError) -> None:
        code = "number-too-small" if isinstance(error, decimal.Underflow) else "number-too-large"
        raise fail(code, error=type(error).__name__) from None

    top = len(indicator.levels)
    namespace: dict[str, Any] = {
        "_D": Decimal,
        "_Mapping": Mapping,
        "_MISSING": _MISSING,
        "_NONE_DONE": frozenset(),
        "_SCORES": tuple(Decimal(k) for k in range(top + 1)),
        "_add": CONTEXT.add,
        "_subtract": CONTEXT.subtract,
        "_multiply": CONTEXT.multiply,
        "_divide": CONTEXT.divide,
        "_minus": CONTEXT.minus,
        "_interpolate": interpolated_score,
        "_not_a_mapping": not_a_mapping,
        "_check_keys": check_keys,
        "_milestones": milestones_done,
        "_divide_by_zero": divide_by_zero,
        "_arithmetic": arithmetic,
        "_slow": tuple(slow(m) for m in indicator.measures),
        "_out_of_range": tuple(out_of_range(m) for m in indicator.measures),
    }
    namespace.update(constants)
    return namespace


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()
