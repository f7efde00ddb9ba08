"""Hypothesis strategies for rule files and records; :func:`assert_monotone`,
:func:`assert_reachable` and :func:`assert_examples`.

Install with ``pip install "kpirules[testing]"``. A test of your own rule file is three lines:

>>> import kpirules
>>> from kpirules.testing import assert_monotone
>>> assert_monotone(kpirules.parse('indicator 1 "t"\\n level 1 if x >= 5\\n level 2 if x >= 9\\n'))

Strategies:

- :func:`records` — valid records for an indicator (kinds, ranges, milestones, no division by
  zero), each aimed at a level so that every level is drawn (the documentation page "Property
  tests and examples" measures how often);
- :func:`better_pairs` — pairs ``(worse, better)`` where ``better`` differs from ``worse`` in one
  measure moved in the direction its comparisons reward (or in more milestones done);
- :func:`indicator_texts` and :func:`rule_files` — whole generated rule files, laid out at random
  (line breaks, blank lines, comments), for property tests of the parser, formatter and evaluator.

Assertions: :func:`assert_monotone` (a better record never scores a lower level),
:func:`assert_reachable` (every level is the result of some record) and :func:`assert_examples`
(the ``example`` statements of a rule file hold).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from kpirules import nodes
from kpirules._format import quote
from kpirules._numbers import show
from kpirules._scoring import evaluate as evaluate_expr
from kpirules._semantics import describe_expr, walk
from kpirules._steer import Goal, Steering
from kpirules._steer import sign as direction_of
from kpirules.errors import EvaluationError
from kpirules.model import Indicator, RuleSet
from kpirules.result import Result

__all__ = [
    "assert_examples",
    "assert_monotone",
    "assert_reachable",
    "better_pairs",
    "directions",
    "indicator_texts",
    "records",
    "rule_files",
]

_NAMES = ["x", "y", "rate", "ร้อยละ", "จำนวน_ครัวเรือน", "gvh", "debt_2564", "ค่า"]
_LET_NAMES = ["p", "share", "สัดส่วน", "diff"]
_DEFAULT_SPAN = Decimal(1000)


# --- records ----------------------------------------------------------------------------------------


def _constants(indicator: Indicator) -> list[Decimal]:
    found = {Decimal(0)}
    for level in indicator.levels:
        if level.condition is not None:
            found.update(n.value for n in walk(level.condition) if isinstance(n, nodes.Number))
    return sorted(found)


def _values(measure: nodes.Measure, constants: list[Decimal]) -> st.SearchStrategy[Any]:
    if measure.kind == "flag":
        return st.booleans()
    low = measure.low if measure.low is not None else (
        Decimal(0) if measure.kind == "count" else -_DEFAULT_SPAN)
    high = measure.high if measure.high is not None else max(low, Decimal(0)) + _DEFAULT_SPAN
    if measure.kind == "count":
        low = max(low, Decimal(0))
        ints = st.integers(int(-(-low // 1)), int(high // 1))
        near = [int(c) + d for c in constants for d in (-1, 0, 1)]
        near = [n for n in near if low <= n <= high]
        return st.one_of(ints, st.sampled_from(near)) if near else ints
    places = st.decimals(low, high, places=2, allow_nan=False, allow_infinity=False)
    near_dec = [c + d for c in constants for d in (Decimal("-0.01"), Decimal(0), Decimal("0.01"))]
    near_dec = [n for n in near_dec if low <= n <= high]
    return st.one_of(places, st.sampled_from(near_dec)) if near_dec else places


def _scores(indicator: Indicator, record: dict[str, Any]) -> bool:
    """True unless the record trips a division by zero (the only way a generated record fails)."""
    try:
        indicator.evaluate(record)
    except EvaluationError:
        return False
    return True


def _random_records(indicator: Indicator) -> st.SearchStrategy[dict[str, Any]]:
    constants = _constants(indicator)
    fields = {m.name: _values(m, constants) for m in indicator.measures}
    milestones = sorted(level.number for level in indicator.levels if level.is_milestone)
    if milestones:
        fields["milestones"] = st.lists(st.sampled_from(milestones), unique=True)
    return st.fixed_dictionaries(fields)


def _steering(indicator: Indicator) -> Steering:
    return Steering(indicator.node)


@st.composite
def _aimed(draw: Callable[[st.SearchStrategy[Any]], Any], indicator: Indicator,
           steering: Steering, missed: dict[int, list[Goal]] | None = None) -> dict[str, Any]:
    # The level first, by sampled_from: drawn after the record, or by integers(), level 0 (the
    # simplest value) comes out in a third of Hypothesis's draws instead of one in N + 1.
    level = draw(st.sampled_from(range(steering.top + 1)))
    record: dict[str, Any] = draw(_random_records(indicator))

    def choose(options: Any) -> Any:
        return draw(st.sampled_from(options))

    failed = steering.steer(record, level, choose)
    if failed is not None and missed is not None:
        missed.setdefault(level, []).append(failed)
    return record


def records(indicator: Indicator) -> st.SearchStrategy[dict[str, Any]]:
    """Valid records for ``indicator`` that reach every level: each draw aims at a level (0 to N,
    evenly) and moves the measures so that every comparison on the way lands at, just below or
    just above its threshold, ``let`` ratios and differences included; milestones are reported
    done or not as the level needs. No record divides by zero. (How often each level comes out
    is measured in the documentation's testing page.)

    >>> import kpirules
    >>> rules = kpirules.parse('indicator 1 "t"\\n measure n count in 0..10\\n level 1 if n >= 5\\n')
    >>> from hypothesis import given
    >>> @given(records(rules["1"]))
    ... def test(record): assert record["n"] in range(11)
    >>> test()
    """
    steering = _steering(indicator)
    return _aimed(indicator, steering).filter(lambda record: _scores(indicator, record))


# --- directions ---------------------------------------------------------------------------------------

def _rewards(expr: nodes.Expr, flip: bool, out: list[tuple[nodes.Expr, int]]) -> None:
    if isinstance(expr, nodes.Not):
        _rewards(expr.operand, not flip, out)
    elif isinstance(expr, nodes.BoolOp):
        for operand in expr.operands:
            _rewards(operand, flip, out)
    elif isinstance(expr, nodes.Name):
        out.append((expr, -1 if flip else 1))
    elif isinstance(expr, nodes.Compare):
        for left, op, right in zip(expr.operands, expr.ops, expr.operands[1:]):
            if op in (">=", ">", "<=", "<"):
                up = 1 if op in (">=", ">") else -1
                up = -up if flip else up
                out += [(left, up), (right, -up)]
            else:
                out += [(left, 0), (right, 0)]


def directions(indicator: Indicator) -> dict[str, int]:
    """Each measure's better direction: +1 when the comparisons reward a higher value, -1 lower;
    measures compared both ways, with ``==``, or through products of measures are left out.

    >>> import kpirules
    >>> rules = kpirules.parse('indicator 1 "t"\\n measure a count\\n measure b count\\n'
    ...                        ' let p = a / b * 100\\n level 1 if p >= 25\\n')
    >>> directions(rules["1"])
    {'a': 1, 'b': -1}
    """
    return {name: sign for name, sign in _signs(indicator).items() if sign in (1, -1)}


def _signs(indicator: Indicator) -> dict[str, int | None]:
    """Each measure compared in a level: +1 / -1 for its better direction, 0 when it is compared
    both ways (or with ``==`` / ``!=``) so that neither direction is better, None when its effect
    cannot be told (a product of measures, say)."""
    lets = {let.name: let.expr for let in indicator.lets}
    measures = {measure.name: measure for measure in indicator.measures}
    rewarded: list[tuple[nodes.Expr, int]] = []
    for level in indicator.levels:
        if level.condition is not None:
            _rewards(level.condition, False, rewarded)
    result: dict[str, int | None] = {}
    for measure in indicator.measures:
        seen: set[int] = set()
        unknown = False
        for expr, up in rewarded:
            sign = direction_of(expr, measure.name, measures, lets)
            if sign == 0:
                continue
            if sign is None:
                unknown = True
            elif up == 0:
                seen |= {1, -1}
            else:
                seen.add(sign * up)
        if len(seen) == 2:
            result[measure.name] = 0
        elif unknown:
            result[measure.name] = None
        elif seen:
            result[measure.name] = seen.pop()
    return result


def _moved(measure: nodes.Measure, value: Any, up: int) -> st.SearchStrategy[Any]:
    if measure.kind == "flag":
        return st.just(up > 0)
    bound = measure.high if up > 0 else measure.low
    if measure.kind == "count" and up < 0:
        bound = max(bound, Decimal(0)) if bound is not None else Decimal(0)
    current = Decimal(value)
    room = _DEFAULT_SPAN if bound is None else abs(bound - current)
    if measure.kind == "count":
        return st.integers(0, int(room)).map(lambda step: int(current) + up * step)
    steps = st.decimals(0, room, places=2, allow_nan=False, allow_infinity=False)
    return steps.map(lambda step: current + up * step)


def better_pairs(indicator: Indicator) -> st.SearchStrategy[tuple[dict[str, Any], dict[str, Any]]]:
    """Pairs ``(worse, better)`` of valid records where ``better`` is at least as good: one measure
    moved in its better direction (see :func:`directions`), or more milestones reported done. A
    measure compared both ways has no better direction, so either move counts as at least as good;
    measures whose effect cannot be told are left alone."""
    signs = _signs(indicator)
    return _pairs(indicator, {name: sign for name, sign in signs.items() if sign is not None},
                  milestones=True)


def _pairs(indicator: Indicator, moves: dict[str, int], milestones: bool
           ) -> st.SearchStrategy[tuple[dict[str, Any], dict[str, Any]]]:
    """Pairs of records one move apart: a measure of ``moves`` moved its way (either way for 0),
    or, with ``milestones``, more milestones done."""
    by_name = {m.name: m for m in indicator.measures}
    done = sorted(level.number for level in indicator.levels if level.is_milestone)

    @st.composite
    def pair(draw: Callable[[st.SearchStrategy[Any]], Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        worse = draw(records(indicator))
        better = dict(worse)
        choices = sorted(moves) + (["milestones"] if milestones and done else [])
        if choices:
            which = draw(st.sampled_from(choices))
            if which == "milestones":
                extra = draw(st.lists(st.sampled_from(done), unique=True))
                better["milestones"] = sorted(set(worse.get("milestones", [])) | set(extra))
            else:
                up = moves[which] or draw(st.sampled_from([1, -1]))
                better[which] = draw(_moved(by_name[which], worse[which], up))
        return worse, better

    return pair().filter(lambda p: _scores(indicator, p[1]))


def assert_monotone(target: Indicator | RuleSet, max_examples: int = 200) -> None:
    """Search for a better record that scores a lower level; raise ``AssertionError`` if one is
    found. ``target`` is an indicator or a whole rule set.

    A measure compared both ways (``p >= 40 and p < 55``) has no better direction: as for the
    checker's ``non-monotone``, it fails only when the level drops somewhere as it rises *and*
    somewhere as it falls, and the message shows both drops. Each drop names what moved, the two
    levels, the level whose condition held before and fails after, the comparison inside it that
    turned, and every computed value before and after; Hypothesis shrinks the records to the
    simplest numbers that still show it.

    >>> import kpirules
    >>> rules = kpirules.parse('indicator 1 "t"\\n measure p in 0..100\\n level 1 if p >= 25\\n'
    ...                        ' level 2 if p >= 40 and p < 55\\n')
    >>> try:
    ...     assert_monotone(rules)
    ... except AssertionError as error:
    ...     print(str(error).splitlines()[1])
    level 2 (`p >= 40 and p < 55`) held before and fails after, at `p < 55`
    """
    indicators = list(target) if isinstance(target, RuleSet) else [target]
    for indicator in indicators:
        _search(indicator, max_examples)


def _search(indicator: Indicator, max_examples: int) -> None:
    signs = _signs(indicator)
    one_way = {name: sign for name, sign in signs.items() if sign in (1, -1)}
    found = _drop(indicator, _pairs(indicator, one_way, milestones=True), max_examples)
    if found is not None:
        raise AssertionError(found)
    for name in sorted(name for name, sign in signs.items() if sign == 0):
        rising = _drop(indicator, _pairs(indicator, {name: 1}, milestones=False), max_examples)
        if rising is None:
            continue
        falling = _drop(indicator, _pairs(indicator, {name: -1}, milestones=False), max_examples)
        if falling is None:
            continue
        prefix = f"indicator {indicator.id} is not monotone: "
        raise AssertionError(f"{rising}\nand the other way: {falling.removeprefix(prefix)}")


def _drop(indicator: Indicator, pairs: st.SearchStrategy[tuple[dict[str, Any], dict[str, Any]]],
          max_examples: int) -> str | None:
    """The description of the simplest pair of ``pairs`` whose better record scores lower, or
    None when Hypothesis finds none."""

    @settings(max_examples=max_examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(pairs)
    def check(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
        worse, better = pair
        before, after = indicator.evaluate(worse), indicator.evaluate(better)
        if after.level < before.level:
            raise AssertionError(_drop_text(indicator, worse, better, before, after))

    try:
        check()
    except AssertionError as error:
        return str(error)
    return None


def _drop_text(indicator: Indicator, worse: dict[str, Any], better: dict[str, Any],
               before: Result, after: Result) -> str:
    moved = [name for name in better if better[name] != worse.get(name)]
    changes = ", ".join(f"{name} from {_shown(worse.get(name))} to {_shown(better[name])}"
                        for name in moved) or "nothing"
    lines = [f"indicator {indicator.id} is not monotone: moving {changes} gives a record at least "
             f"as good that scores level {after.level}, below level {before.level}"]
    ladder = Steering(indicator.node).ladder
    # The level at fault: under `ordered` the first level the better record misses, under
    # `highest` the level the worse record had.
    fault = after.level + 1 if ladder.cumulative else before.level
    condition = ladder.conditions[fault - 1]
    done_before = frozenset(worse.get("milestones", ()))
    done_after = frozenset(better.get("milestones", ()))
    turned = [part for part in walk(condition)
              if isinstance(part, (nodes.Compare, nodes.Done))
              or (isinstance(part, nodes.Name) and isinstance(before.values.get(part.name), bool))]
    turned = [part for part in turned
              if _truth(part, before.values, done_before) and not _truth(part, after.values,
                                                                         done_after)]
    at = f", at `{describe_expr(turned[-1])}`" if turned else ""
    lines.append(f"level {fault} (`{describe_expr(condition)}`) held before and fails after{at}")
    computed = [f"{name} = {_shown(before.values[name])} → {_shown(after.values[name])}"
                if before.values[name] != after.values[name] else
                f"{name} = {_shown(before.values[name])}" for name in before.values]
    if computed:
        lines.append("values: " + ", ".join(computed))
    lines.append(f"records: {worse!r} → {better!r}")
    return "\n".join(lines)


def _truth(expr: nodes.Expr, values: dict[str, Any], done: frozenset[int]) -> bool:
    try:
        return bool(evaluate_expr(expr, values, done))
    except (ArithmeticError, KeyError):
        return False


def _shown(value: Any) -> str:
    if isinstance(value, (bool, Decimal)):
        return show(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(str(item) for item in value) + "]"
    return str(value)


def assert_reachable(target: Indicator | RuleSet, max_examples: int = 300) -> None:
    """Score records aimed at every level (see :func:`records`) and raise ``AssertionError`` for a
    level that none of them gets: thresholds out of order, a condition that contradicts another,
    a level shadowed by the next. The message names the level, its condition, and the condition
    that stood in the way.

    >>> import kpirules
    >>> rules = kpirules.parse('indicator 1 "t"\\n measure rate\\n level 1 if rate <= 30\\n'
    ...                        ' level 2 if rate <= 24\\n level 3 if rate <= 26\\n')
    >>> try:
    ...     assert_reachable(rules)
    ... except AssertionError as error:
    ...     print(error)
    indicator 1: level 2 (`rate <= 24`) is never the result of 300 records aimed at every level: whenever level 2's condition holds, level 3's `rate <= 26` holds too
    """  # noqa: E501 - a doctest's expected line cannot be wrapped
    indicators = list(target) if isinstance(target, RuleSet) else [target]
    problems = []
    for indicator in indicators:
        problems += _unreached(indicator, max_examples)
    if problems:
        raise AssertionError("\n".join(problems))


def _unreached(indicator: Indicator, max_examples: int) -> list[str]:
    steering = Steering(indicator.node)
    missed: dict[int, list[Goal]] = {}
    seen: set[int] = set()

    @settings(max_examples=max_examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    @given(_aimed(indicator, steering, missed))
    def score(record: dict[str, Any]) -> None:
        try:
            seen.add(indicator.evaluate(record).level)
        except EvaluationError:
            pass

    score()
    problems = []
    for number in range(steering.top + 1):
        if number in seen:
            continue
        condition = (f" (`{describe_expr(steering.ladder.conditions[number - 1])}`)"
                     if number else "")
        text = (f"indicator {indicator.id}: level {number}{condition} is never the result of "
                f"{max_examples} records aimed at every level")
        goals = missed.get(number, [])
        if goals:
            goal = max(set(goals), key=goals.count)  # the goal that most often stood in the way
            wanted = describe_expr(goal.condition)
            if goal.truth:
                text += f": level {goal.level}'s `{wanted}` never held with the levels below it"
            elif number == 0:
                text += f": level {goal.level}'s `{wanted}` always holds"
            else:
                text += (f": whenever level {number}'s condition holds, level {goal.level}'s "
                         f"`{wanted}` holds too")
        problems.append(text)
    return problems


def assert_examples(rules: RuleSet | Indicator) -> None:
    """Score every ``example`` written in ``rules`` and raise ``AssertionError`` listing each one
    that does not give what it expects (its line, what it expected, what it got and why).

    >>> import kpirules
    >>> rules = kpirules.parse('indicator 1 "t"\\n level 1 if x >= 5\\n example level 1: x = 4\\n')
    >>> try:
    ...     assert_examples(rules)
    ... except AssertionError as error:
    ...     print(str(error).splitlines()[1].split(" (")[0])
    <string>:3:2: indicator 1: this example expects level 1 but gets level 0, score 0
    """
    from kpirules._example_runs import failures

    found = list(failures(rules))
    if not found:
        return
    source = rules.source if isinstance(rules, RuleSet) else "<indicator>"
    lines = [f"{len(found)} example{'' if len(found) == 1 else 's'} failed:"]
    for failure in found:
        span = failure.example.span
        lines.append(f"{source}:{span.line}:{span.column}: indicator {failure.indicator.id}: "
                     f"{failure.describe(failure.indicator.language)}")
    raise AssertionError("\n".join(lines))


# --- rule files -------------------------------------------------------------------------------------


def _number_text(draw: Callable[[st.SearchStrategy[Any]], Any]) -> str:
    value = draw(st.decimals(-100, 200, places=draw(st.integers(0, 2)), allow_nan=False,
                             allow_infinity=False))
    return f"{value:f}"


@st.composite
def _term(draw: Callable[[st.SearchStrategy[Any]], Any], numeric: list[str]) -> str:
    if not numeric or draw(st.integers(0, 4)) == 0:
        text = _number_text(draw)
        return text if not text.startswith("-") else f"({text})"
    name: str = draw(st.sampled_from(numeric))
    if draw(st.integers(0, 3)) == 0:
        op = draw(st.sampled_from(["+", "-", "*", "/"]))
        other = draw(st.sampled_from(numeric)) if draw(st.booleans()) else _number_text(draw)
        if op == "/" and other not in numeric and Decimal(other) == 0:
            other = "1"  # a constant zero divisor would make every record fail
        other = other if not other.startswith("-") else f"({other})"
        return f"({name} {op} {other})" if draw(st.booleans()) else f"{name} {op} {other}"
    return name


@st.composite
def _condition(draw: Callable[[st.SearchStrategy[Any]], Any], numeric: list[str],
               flags: list[str], depth: int = 0) -> str:
    choice = draw(st.integers(0, 9 if depth < 2 else 5))
    if choice <= 4 or (not numeric and not flags):
        left = draw(_term(numeric))
        op = draw(st.sampled_from([">=", ">", "<=", "<", "==", "!="]))
        right = _number_text(draw)
        if draw(st.integers(0, 5)) == 0:
            low = _number_text(draw)
            return f"{low} <= {left} < {right}"
        return f"{left} {op} {right}"
    if choice == 5 and flags:
        flag: str = draw(st.sampled_from(flags))
        return flag
    if choice in (6, 7):
        op = draw(st.sampled_from(["and", "or"]))
        left = draw(_condition(numeric, flags, depth + 1))
        right = draw(_condition(numeric, flags, depth + 1))
        return f"({left} {op} {right})" if draw(st.booleans()) else f"{left} {op} {right}"
    if choice == 8:
        return f"not ({draw(_condition(numeric, flags, depth + 1))})"
    last: str = draw(_term(numeric))
    return f"{last} >= {_number_text(draw)}"


@st.composite
def indicator_texts(draw: Callable[[st.SearchStrategy[Any]], Any], ident: str = "1") -> str:
    """One generated, valid ``indicator`` block (text), with measures of every kind, lets, levels
    (conditions and milestones), a policy and sometimes ``score interpolate``."""
    names = draw(st.lists(st.sampled_from(_NAMES), min_size=1, max_size=3, unique=True))
    lines = [f"indicator {ident} {quote(f'ตัวชี้วัด {ident}')}"]
    if draw(st.booleans()):
        lines.append(f"weight {draw(st.integers(0, 40))}")
    numeric: list[str] = []
    flags: list[str] = []
    for name in names:
        kind = draw(st.sampled_from(["number", "count", "flag", None]))
        parts = [f"measure {name}"]
        if draw(st.booleans()):
            parts.append(quote(f"คำอธิบาย {name}"))
        if kind is not None:
            parts.append(kind)
        if kind != "flag" and draw(st.integers(0, 2)) == 0:
            parts.append(draw(st.sampled_from(["in 0..100", "in 0..", "in ..500", "in -50..50"])))
        (flags if kind == "flag" else numeric).append(name)
        lines.append(" ".join(parts))
    lets = draw(st.lists(st.sampled_from(_LET_NAMES), max_size=2, unique=True)) if numeric else []
    for let in lets:
        lines.append(f"let {let} = {draw(_term(numeric))}")
        numeric.append(let)
    count = draw(st.integers(1, 5))
    ladder = bool(numeric) and draw(st.integers(0, 3)) == 0
    if ladder:
        target = draw(st.sampled_from(numeric))
        start = draw(st.integers(-20, 60))
        steps = draw(st.lists(st.integers(1, 30), min_size=count, max_size=count))
        thresholds = [start + sum(steps[:k]) for k in range(count)]
        if draw(st.booleans()):
            lines.append("score interpolate")
        for number, threshold in enumerate(thresholds, start=1):
            op = draw(st.sampled_from([">=", ">"]))
            lines.append(f"level {number} if {target} {op} {threshold}")
    else:
        for number in range(1, count + 1):
            if draw(st.integers(0, 3)) == 0:
                lines.append(f"level {number} milestone {quote(f'ขั้นที่ {number}')}")
            else:
                description = f" {quote(f'ระดับ {number}')}" if draw(st.booleans()) else ""
                lines.append(f"level {number} if {draw(_condition(numeric, flags))}{description}")
    if draw(st.booleans()):
        lines.insert(1, f"policy {draw(st.sampled_from(['ordered', 'highest']))}")
    return _layout(draw, lines)


def _layout(draw: Callable[[st.SearchStrategy[Any]], Any], lines: list[str]) -> str:
    out = [lines[0]]
    for line in lines[1:]:
        separator = draw(st.sampled_from(["\n  ", "\n", " ", "\n\n  ", "  # หมายเหตุ\n  ",
                                          "\n# comment\n  "]))
        out.append(separator + line)
    return "".join(out) + "\n"


@st.composite
def rule_files(draw: Callable[[st.SearchStrategy[Any]], Any], max_indicators: int = 3) -> str:
    """A whole generated rule file: an optional header and 1 to ``max_indicators`` indicators."""
    header = []
    if draw(st.booleans()):
        header += ['catalogue "generated"', f"year {draw(st.integers(2560, 2570))}",
                   f"round {draw(st.integers(1, 2))}"]
    count = draw(st.integers(1, max_indicators))
    ids = draw(st.lists(st.sampled_from(["1", "2", "3.1", "kpi_07", '"ก"']), min_size=count,
                        max_size=count, unique=True))
    blocks = [draw(indicator_texts(ident)) for ident in ids]
    text = "\n".join(header) + ("\n" if header else "") + "".join(blocks)
    return text
