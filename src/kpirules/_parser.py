"""Rule text → syntax tree. The only module that knows Lark exists.

Lark (LALR, contextual lexer) turns the text into a parse tree; :class:`_Builder` turns that into
:mod:`kpirules.nodes` without recursion, so deeply nested input cannot exhaust the Python stack; and
:func:`_syntax_error` turns Lark's exceptions into a :class:`ParseError` that says, in words, what was
expected, at the line and column of the offending token.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from kpirules import nodes
from kpirules._keywords import BY_SPELLING, NAME_END, THAI
from kpirules._resources import grammar_text
from kpirules._scoring import THAI_DIGITS
from kpirules.errors import ParseError

if TYPE_CHECKING:
    from lark import Lark, Token
    from lark.exceptions import UnexpectedInput

__all__ = ["KEYWORDS", "MAX_DEPTH", "parse_tree", "source_line", "thai_digits_to_ascii"]

KEYWORDS = frozenset(BY_SPELLING)

# Keywords whose spelling the tree keeps (the kind of a measure, the policy, `interpolate`); the
# others only mark where a statement or operator is and are dropped from the parse tree.
_VALUED = {"KIND": ("number", "count", "flag"), "POLICY_KIND": ("ordered", "highest"),
           "INTERPOLATE": ("interpolate",)}

# Later stages walk expressions recursively; a bound far above anything a person writes keeps them
# clear of Python's recursion limit.
MAX_DEPTH = 150


_lock = threading.Lock()
_lark: Lark | None = None
_plain_lark: Lark | None = None
# The builder of the parse under way in this thread: the inline callbacks (_Inline) hand it the
# children of each rule as the parser reduces it.
_current = threading.local()


def thai_digits_to_ascii(text: str) -> str:
    """``text`` with Thai digits ๐–๙ replaced by 0–9."""
    return text.translate(THAI_DIGITS)


def _parser() -> Lark:
    """The parser that builds nodes as it goes: no parse tree is made, and since an LALR parser
    reduces with its own stack, deep nesting needs no recursion."""
    global _lark
    if _lark is None:
        with _lock:
            if _lark is None:
                _lark = _make_lark(_Inline())
    return _lark


def _plain_parser() -> Lark:
    """The same grammar without callbacks, to replay a failed parse token by token."""
    global _plain_lark
    if _plain_lark is None:
        with _lock:
            if _plain_lark is None:
                _plain_lark = _make_lark(None)
    return _plain_lark


def _make_lark(transformer: Any) -> Lark:
    from lark import Lark

    return Lark(
        grammar_text() + _keyword_terminals(),
        parser="lalr",
        lexer="contextual",
        # Positions come from the tokens (see _Builder.reduce): cheaper than Lark's
        # propagate_positions, which costs a third of the parse.
        propagate_positions=False,
        maybe_placeholders=True,
        transformer=transformer,
    )


def _keyword_terminals() -> str:
    """The Lark definitions of the keyword terminals, from the keyword table.

    Priority 2 puts a keyword before NAME where both could match, and the look-ahead makes a keyword
    end where a name could not go on, so that `integer` is a name and not `in` + `teger`.
    """

    def terminal(name: str, words: tuple[str, ...]) -> str:
        spellings = sorted({w for word in words for w in (word, THAI[word])}, key=len, reverse=True)
        alternatives = "|".join(spellings)
        return f"{name}.2: /(?:{alternatives})(?![^{NAME_END}])/\n"

    valued = {word for words in _VALUED.values() for word in words}
    lines = [terminal(name, words) for name, words in _VALUED.items()]
    lines += [terminal(f"KW_{word.upper()}", (word,)) for word in THAI if word not in valued]
    return "\n" + "".join(lines)


def source_line(text: str, line: int) -> str | None:
    """Line ``line`` (1-based) of ``text``, or None past its end."""
    if line < 1:
        return None
    start = 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return None
    end = text.find("\n", start)
    return text[start:] if end < 0 else text[start:end]


def keyword_language(text: str) -> str:
    """"th" when the first keyword of ``text`` is spelt in Thai, else "en" (comments, strings and a
    byte-order mark are skipped)."""
    for line in text.split("\n"):
        code = line.split("#", 1)[0].strip().lstrip("\ufeff")
        if code:
            word = code.split(maxsplit=1)[0]
            return "th" if word in BY_SPELLING and word not in THAI else "en"
    return "en"


def parse_tree(text: str, source: str) -> nodes.RuleFile:
    """Parse ``text`` into a :class:`nodes.RuleFile` (not yet checked for meaning)."""
    from lark.exceptions import UnexpectedInput

    _current.builder = _Builder(text, source)
    try:
        result: nodes.RuleFile = _parser().parse(text)  # type: ignore[assignment]
    except UnexpectedInput as error:
        raise _syntax_error(text, source, error) from None
    finally:
        _current.builder = None
    return result


class _Inline:
    """Lark's inline transformer: one method per rule, each passing the children to the current
    thread's :class:`_Builder`."""

    def __getattr__(self, rule: str) -> Callable[[list[Any]], Any]:
        if rule not in _RULES:
            raise AttributeError(rule)

        def reduce(children: list[Any]) -> Any:
            return _current.builder.reduce(rule, children)

        reduce.__name__ = rule
        object.__setattr__(self, rule, reduce)
        return reduce


# --- parse tree → nodes ---------------------------------------------------------------------------

# Every rule of the grammar that builds a node (the `?` rules pass their one child through).
_RULES = frozenset(
    """start catalogue_stmt title_stmt position_stmt year_stmt round_stmt indicator indicator_id
    strategy_stmt team_stmt weight_stmt policy_stmt score_stmt measure_stmt measure_range
    measure_unit let_stmt level_if level_milestone signed_number or_expr and_expr not_expr
    comparison sum product negate number name""".split()
)

_Item = tuple[Any, int]  # a converted child and its expression depth


class _Builder:
    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.handlers: dict[str, Callable[[Any, list[_Item]], _Item]] = {
            "number": self._number,
            "name": self._name,
            "negate": self._negate,
            "product": self._binary,
            "sum": self._binary,
            "comparison": self._comparison,
            "and_expr": self._bool_op("and"),
            "or_expr": self._bool_op("or"),
            "not_expr": self._not,
            "signed_number": self._signed_number,
            "indicator_id": self._indicator_id,
            "measure_range": self._keep,
            "measure_unit": self._keep,
            "measure_stmt": self._measure,
            "let_stmt": self._let,
            "level_if": self._level_if,
            "level_milestone": self._level_milestone,
            "indicator": self._indicator,
        }
        for keyword in ("catalogue", "title", "position", "strategy", "team"):
            self.handlers[f"{keyword}_stmt"] = self._text_field(keyword)
        for keyword in ("year", "round", "weight"):
            self.handlers[f"{keyword}_stmt"] = self._number_field(keyword)
        self.handlers["policy_stmt"] = self._token_field("policy")
        self.handlers["score_stmt"] = self._token_field("score")

    def error(self, message: str, line: int, column: int) -> ParseError:
        return ParseError(message, self.source, line, column, source_line(self.text, line))

    def reduce(self, rule: str, children: list[Any]) -> Any:
        """The node for ``rule`` from its children (tokens, None for an absent optional part,
        or what earlier reductions gave). Every result is (value, depth, first, last): first and
        last are the tokens or spans its text starts and ends with. Keyword tokens (KW_…) are kept
        by the grammar only to mark where a statement starts, and dropped here."""
        from lark import Token

        items = [(c, 0, c, c) if type(c) is Token else (c, 0, None, None) if c is None else c
                 for c in children]
        first = next((item[2] for item in items if item[2] is not None), None)
        last = next((item[3] for item in reversed(items) if item[3] is not None), None)
        span_class = nodes.Span
        if first is None or last is None:
            whole = nodes.NOWHERE
        else:
            whole = span_class(first.line or 0, first.column or 0, last.end_line or 0,
                               last.end_column or 0)
        kept = [(item[0], item[1]) for item in items
                if not (type(item[0]) is Token and item[0].type.startswith("KW_"))]
        if rule == "start":
            return self._file([value for value, _ in kept])
        value, depth = self.handlers[rule](whole, kept)
        return value, depth, whole, whole

    # positions

    @staticmethod
    def _token_span(token: Token) -> nodes.Span:
        return nodes.Span(token.line or 0, token.column or 0, token.end_line or 0,
                          token.end_column or 0)

    def _expr(self, node: Any, depth: int, span: nodes.Span) -> _Item:
        if depth > MAX_DEPTH:
            raise self.error(
                f"this expression is nested more than {MAX_DEPTH} levels deep; "
                "split it into `let` steps",
                span.line,
                span.column,
            )
        return node, depth

    # tokens

    def _string(self, token: Token) -> str:
        raw = str(token)[1:-1]
        if "\\" not in raw:
            return raw
        out: list[str] = []
        chars = iter(enumerate(raw))
        for index, char in chars:
            if char != "\\":
                out.append(char)
                continue
            _, escaped = next(chars)
            replacement = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}.get(escaped)
            if replacement is None:
                raise self.error(
                    f"`\\{escaped}` is not an escape in a text; write `\\\\` for a backslash "
                    '(the escapes are \\" \\\\ \\n \\t)',
                    token.line or 0,
                    (token.column or 0) + 1 + index,
                )
            out.append(replacement)
        return "".join(out)

    def _name_token(self, token: Token) -> str:
        name = str(token)
        line, column = token.line or 0, token.column or 0
        if name in KEYWORDS:
            raise self.error(
                f"`{name}` is a keyword and cannot be used as a name; choose another name, "
                f"such as `{name}_value`",
                line,
                column,
            )
        if not name.isidentifier():
            bad = next(
                (c for i, c in enumerate(name) if not ("a" + name[: i + 1]).isidentifier()), name[0]
            )
            raise self.error(
                f"`{name}` is not a valid name (`{bad}` cannot be part of a name); names are "
                "letters, digits and `_` (Thai letters are letters), and text goes in double "
                "quotes",
                line,
                column,
            )
        return name

    @staticmethod
    def _decimal(token: Token) -> tuple[Decimal, str]:
        text = str(token)
        return Decimal(thai_digits_to_ascii(text).replace("_", "")), text

    # expressions

    def _number(self, span: nodes.Span, children: list[_Item]) -> _Item:
        token = children[0][0]
        value, text = self._decimal(token)
        return nodes.Number(value, text, self._token_span(token)), 1

    def _name(self, span: nodes.Span, children: list[_Item]) -> _Item:
        token = children[0][0]
        return nodes.Name(self._name_token(token), self._token_span(token)), 1

    def _negate(self, span: nodes.Span, children: list[_Item]) -> _Item:
        operand, depth = children[1]
        return self._expr(nodes.Negate(operand, span), depth + 1, span)

    def _binary(self, span: nodes.Span, children: list[_Item]) -> _Item:
        left, depth = children[0]
        start = span
        for index in range(1, len(children), 2):
            op = str(children[index][0])
            right, right_depth = children[index + 1]
            end = _end_of(right) or start
            span = nodes.Span(start.line, start.column, end.end_line, end.end_column)
            depth = max(depth, right_depth) + 1
            left, depth = self._expr(nodes.BinaryOp(op, left, right, span), depth, span)  # type: ignore[arg-type]
        return left, depth

    def _comparison(self, span: nodes.Span, children: list[_Item]) -> _Item:
        operands = tuple(child for child, _ in children[0::2])
        ops = cast("tuple[nodes.CompareOp, ...]", tuple(str(op) for op, _ in children[1::2]))
        depth = max(d for _, d in children[0::2]) + 1
        return self._expr(nodes.Compare(operands, ops, span), depth, span)

    def _bool_op(self, op: str) -> Callable[[nodes.Span, list[_Item]], _Item]:
        def build(span: nodes.Span, children: list[_Item]) -> _Item:
            operands = tuple(child for child, _ in children)
            depth = max(d for _, d in children) + 1
            return self._expr(nodes.BoolOp(op, operands, span), depth, span)  # type: ignore[arg-type]

        return build

    def _not(self, span: nodes.Span, children: list[_Item]) -> _Item:
        operand, depth = children[0]
        return self._expr(nodes.Not(operand, span), depth + 1, span)

    # statements

    @staticmethod
    def _keep(span: nodes.Span, children: list[_Item]) -> _Item:
        return [child for child, _ in children], 0

    def _signed_number(self, span: nodes.Span, children: list[_Item]) -> _Item:
        minus, token = children[0][0], children[1][0]
        value, text = self._decimal(token)
        if minus is not None:
            value, text = -value, "-" + text
        return (value, text, span), 0

    def _indicator_id(self, span: nodes.Span, children: list[_Item]) -> _Item:
        token = children[0][0]
        if token.type == "STRING":
            value = self._string(token)
            if not value.strip():
                raise self.error("an indicator id cannot be empty", token.line, token.column)
            return (value, str(token)), 0
        if token.type == "NAME":
            return (self._name_token(token), str(token)), 0
        return (thai_digits_to_ascii(str(token)), str(token)), 0

    def _text_field(self, keyword: str) -> Callable[[nodes.Span, list[_Item]], _Item]:
        def build(span: nodes.Span, children: list[_Item]) -> _Item:
            value = self._string(children[0][0])
            return nodes.Field(keyword, value, span), 0

        return build

    def _number_field(self, keyword: str) -> Callable[[nodes.Span, list[_Item]], _Item]:
        def build(span: nodes.Span, children: list[_Item]) -> _Item:
            value, text, at = children[0][0]
            if keyword != "weight" and value != value.to_integral_value():
                raise self.error(f"`{keyword}` needs a whole number, not `{text}`",
                                 at.line, at.column)
            if keyword == "weight" and value < 0:
                raise self.error(f"a weight cannot be negative (`{text}`)", at.line, at.column)
            return nodes.Field(keyword, text, span), 0

        return build

    def _token_field(self, keyword: str) -> Callable[[nodes.Span, list[_Item]], _Item]:
        def build(span: nodes.Span, children: list[_Item]) -> _Item:
            value = BY_SPELLING[str(children[0][0])]
            return nodes.Field(keyword, value, span), 0

        return build

    def _measure(self, span: nodes.Span, children: list[_Item]) -> _Item:
        name_token, description, kind, bounds, unit = (child for child, _ in children)
        low = high = low_text = high_text = None
        if bounds is not None:
            if bounds[0] is not None:
                low, low_text, _ = bounds[0]
            if bounds[2] is not None:
                high, high_text, _ = bounds[2]
            if low is not None and high is not None and low > high:
                dots = bounds[1]
                raise self.error(
                    f"the range {low_text}..{high_text} is empty: write the lower bound first",
                    dots.line, dots.column,
                )
        measure = nodes.Measure(
            name=self._name_token(name_token),
            description=None if description is None else self._string(description),
            kind=BY_SPELLING[str(kind)] if kind is not None else "number",  # type: ignore[arg-type]
            low=low,
            high=high,
            unit=None if unit is None else self._string(unit[0]),
            kind_written=kind is not None,
            low_text=low_text,
            high_text=high_text,
            has_range=bounds is not None,
            span=span,
        )
        return measure, 0

    def _let(self, span: nodes.Span, children: list[_Item]) -> _Item:
        name = self._name_token(children[0][0])
        return nodes.Let(name, children[1][0], span), 0

    def _level_number(self, token: Token) -> int:
        value, text = self._decimal(token)
        if value != value.to_integral_value() or value < 1:
            raise self.error(
                f"a level number is a whole number from 1 up, not `{text}`",
                token.line or 0, token.column or 0,
            )
        return int(value)

    def _level_if(self, span: nodes.Span, children: list[_Item]) -> _Item:
        number_token, condition, description = (child for child, _ in children)
        on_next_line = description is not None and description.line != _last_line(condition)
        level = nodes.Level(
            number=self._level_number(number_token),
            condition=condition,
            description=None if description is None else self._string(description),
            description_on_next_line=on_next_line,
            span=span,
        )
        return level, 0

    def _level_milestone(self, span: nodes.Span, children: list[_Item]) -> _Item:
        number_token, description = (child for child, _ in children)
        level = nodes.Level(
            number=self._level_number(number_token),
            description=self._string(description),
            is_milestone=True,
            description_on_next_line=description.line != number_token.line,
            span=span,
        )
        return level, 0

    def _indicator(self, span: nodes.Span, children: list[_Item]) -> _Item:
        (id_value, id_text), title_token = children[0][0], children[1][0]
        statements = tuple(child for child, _ in children[2:])
        indicator = nodes.IndicatorNode(
            id=id_value,
            title=self._string(title_token),
            id_text=id_text,
            statements=statements,
            span=span,
        )
        return indicator, 0

    def _file(self, items: list[Any]) -> nodes.RuleFile:
        header = tuple(item for item in items if isinstance(item, nodes.Field))
        indicators = tuple(item for item in items if isinstance(item, nodes.IndicatorNode))
        return nodes.RuleFile(source=self.source, indicators=indicators, header=header)


def _end_of(node: Any) -> nodes.Span | None:
    span = getattr(node, "span", None)
    return span if isinstance(span, nodes.Span) and span.line else None


def _last_line(node: Any) -> int:
    span = _end_of(node)
    return span.end_line if span else 0


# --- Lark's exceptions → messages for people --------------------------------------------------------

_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": 'a text in double quotes ("…")',
    "COMPARE": "a comparison such as `>= 55`",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "MINUS": "`-`",
    "PLUS": "`+`",
    "TIMES": "`*`",
    "DIVIDE": "`/`",
    "EQUAL": "`=`",
    "RANGE": "`..`",
    "KIND": "`number`, `count` or `flag`",
    "POLICY_KIND": "`ordered` or `highest`",
    "INTERPOLATE": "`interpolate`",
    "$END": "the end of the file",
}

_STATEMENTS = {f"KW_{word.upper()}" for word in (
    "indicator", "level", "measure", "let", "weight", "strategy", "team", "policy", "score",
    "catalogue", "title", "position", "year", "round")}
_HEADER_ONLY = {"KW_CATALOGUE", "KW_TITLE", "KW_POSITION"}
_INDICATOR_ONLY = {"KW_LEVEL", "KW_MEASURE", "KW_LET", "KW_WEIGHT", "KW_STRATEGY", "KW_TEAM",
                   "KW_POLICY", "KW_SCORE"}
_OPERANDS = {"NUMBER", "NAME", "LPAR"}

# Characters people type for operators kpirules spells differently.
_CHARACTER_HINTS = {
    "=>": '`=>` is not an operator: write `>=` for "at least"',
    "=<": '`=<` is not an operator: write `<=` for "at most"',
    "≥": 'write `>=` for "at least" instead of `≥`',
    "≤": 'write `<=` for "at most" instead of `≤`',
    "≠": "write `!=` for \"not equal\" instead of `≠`",
    "&&": "write `and` instead of `&&`",
    "||": "write `or` instead of `||`",
    "&": "write `and` instead of `&`",
    "|": "write `or` instead of `|`",
    "×": "write `*` to multiply instead of `×`",
    "÷": "write `/` to divide instead of `÷`",
    "%": "remove the `%`: numbers are plain (write `55` for 55 percent)",
    "“": "write straight double quotes `\"` instead of `“ ”`",
    "”": "write straight double quotes `\"` instead of `“ ”`",
    "'": "text goes in double quotes `\"…\"`, not single quotes",
    "!": "write `not` instead of `!` (or `!=` for \"not equal\")",
    ",": "remove the `,`: write numbers without thousands separators (`1000` or `1_000`)",
}


def _keyword(terminal: str) -> str | None:
    word = terminal[3:].lower()
    return word if terminal.startswith("KW_") and word in THAI else None


def _describe(terminal: str) -> str:
    if terminal in _WORDS:
        return _WORDS[terminal]
    keyword = _keyword(terminal)
    return f"`{keyword}`" if keyword else terminal


def _expected_words(expected: set[str]) -> str:
    if expected & set(_STATEMENTS) and len(expected & set(_STATEMENTS)) > 3:
        others = sorted((t for t in expected if t not in _STATEMENTS), key=_sort_key)
        words = [_describe(t) for t in others] + ["a new statement such as `level`"]
    else:
        words = [_describe(t) for t in sorted(expected, key=_sort_key)]
    words = list(dict.fromkeys(words))
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _sort_key(terminal: str) -> tuple[int, bool, str]:
    order = ["COMPARE", "NUMBER", "NAME", "STRING", "LPAR", "RPAR"]
    rank = order.index(terminal) if terminal in order else len(order)
    return (rank, terminal.startswith("KW_"), terminal)


def _shown(token: Token | None) -> str:
    if token is None:
        return "the start of the file"
    if token.type == "$END":
        return "the end of the file"
    text = str(token)
    return f"`{text if len(text) <= 40 else text[:37] + '…'}`"


def _has_thai(text: str) -> bool:
    return any("\u0e00" <= char <= "\u0e7f" for char in text)


def _tokens_before(text: str, line: int, column: int) -> Token | None:
    """The last token the parser accepted before ``line:column`` (for "after `x`" in messages)."""
    from lark.exceptions import UnexpectedInput

    previous: Token | None = None
    try:
        interactive = _plain_parser().parse_interactive(text)
        for token in interactive.iter_parse():
            if (token.line or 0, token.column or 0) >= (line, column):
                break
            previous = token
    except UnexpectedInput:
        pass
    return previous


def _syntax_error(text: str, source: str, error: UnexpectedInput) -> ParseError:
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

    line, column = error.line, error.column
    if isinstance(error, UnexpectedToken) and error.token.type == "$END":
        line, column = _end_position(text)
    message, line, column = _message(text, error, line, column)
    if isinstance(error, UnexpectedCharacters) or line < 1:
        line, column = max(line, 1), max(column, 1)
    return ParseError(message, source, line, column, source_line(text, line))


def _end_position(text: str) -> tuple[int, int]:
    stripped = text.rstrip()
    lines = stripped.split("\n")
    return len(lines), len(lines[-1]) + 1


def _message(text: str, error: UnexpectedInput, line: int, column: int) -> tuple[str, int, int]:
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

    at = source_line(text, line) or ""
    rest = at[column - 1 :]
    for mistake, hint in _CHARACTER_HINTS.items():
        if rest.startswith(mistake):
            return hint, line, column
    if isinstance(error, UnexpectedCharacters):
        if rest.startswith('"'):
            return 'this text is not closed: end it with `"` on the same line', line, column
        if rest.startswith("="):
            return _SINGLE_EQUALS, line, column
        expected = set(error.allowed or ())
        char = rest[:1] or "?"
        return f"unexpected character `{char}`: expected {_expected_words(expected)}", line, column
    assert isinstance(error, UnexpectedToken)
    token: Token = error.token
    history = getattr(error, "token_history", None)
    previous = history[-1] if history else _tokens_before(text, line, column)
    if previous is not None and previous.type == "NAME" and str(previous) in KEYWORDS:
        # Where a name may stand, the contextual lexer reads a keyword as a name, so
        # `level 1 if x >=` followed by `level 2 …` fails one token late: report the keyword.
        before = _tokens_before(text, previous.line or 0, previous.column or 0)
        message = (f"expected a number or a name after {_shown(before)}, but found the keyword "
                   f"`{previous}`")
        if before is not None and before.type == "COMPARE":
            message += " (the threshold is missing)"
        return message, previous.line or 0, previous.column or 0
    return _token_message(token, previous, set(error.expected or ())), line, column


def _terminal_of(spelling: str) -> str:
    word = BY_SPELLING[spelling]
    for terminal, words in _VALUED.items():
        if word in words:
            return terminal
    return f"KW_{word.upper()}"


_SINGLE_EQUALS = "write `==` to compare for equality (a single `=` only follows `let NAME`)"


def _token_message(token: Token, previous: Token | None, expected: set[str]) -> str:
    kind = token.type
    value = str(token)
    after = _shown(previous)
    found = "the end of the file" if kind == "$END" else f"`{value}`"
    prev_kind = previous.type if previous is not None else None
    statement_expected = bool(expected & _STATEMENTS)

    if kind == "EQUAL" and "COMPARE" in expected:
        return _SINGLE_EQUALS
    if kind == "NAME" and "NAME" not in expected:
        thai_keyword = next(
            (th for th in sorted(THAI.values(), key=len, reverse=True)
             if value.startswith(th) and _terminal_of(th) in expected),
            None,
        )
        import difflib

        guess = difflib.get_close_matches(value.lower(), sorted(KEYWORDS), n=1, cutoff=0.75)
        if thai_keyword is not None:
            return (f"`{value}` starts with the keyword `{thai_keyword}`: write a space after a "
                    f"keyword (`{thai_keyword} {value[len(thai_keyword):]}`)")
        if guess and statement_expected:
            return f"unknown statement `{value}`: did you mean `{guess[0]}`?"
        if _has_thai(value) and "STRING" in expected:
            return (f"Thai text `{value}` is outside double quotes: a description or title goes "
                    f'in double quotes, as in "{value}"')
        if "KIND" in expected:
            return (f"`{value}` is not a kind of measure: write `number`, `count` or `flag` "
                    "(a description goes in double quotes)")
        if "STRING" in expected and prev_kind in ("NUMBER", "NAME", "RPAR"):
            return (f"unexpected `{value}` after {after}: a description goes in double quotes, "
                    f'as in "{value} …"')
        if statement_expected:
            return (f"unknown statement `{value}`: a statement starts with a keyword such as "
                    "`level`, `measure` or `indicator`")
    if kind in _HEADER_ONLY and prev_kind is not None and kind not in expected:
        return f"`{value}` belongs in the catalogue header, before the first indicator"
    if kind in _INDICATOR_ONLY and "KW_INDICATOR" in expected and "KW_LEVEL" not in expected:
        return f'`{value}` must be inside an indicator: start one with `indicator 1 "title"` first'
    if prev_kind == "KW_LEVEL" and expected == {"NUMBER"}:
        return f"write the level number after `{previous}`, as in `level 3 if …`; found {found}"
    if prev_kind == "NUMBER" and expected == {"KW_IF", "KW_MILESTONE"}:
        return (f"expected `if` and a condition, or `milestone` and a description, after the "
                f"level number `{previous}`; found {found}")
    if prev_kind == "KW_INDICATOR":
        return ("expected the indicator's id after `indicator`, as in `indicator 1 \"title\"`; "
                f"found {found}")
    if expected == {"STRING"} and kind != "STRING":
        return f"expected {_WORDS['STRING']} after {after}; found {found}"
    if prev_kind == "COMPARE" and expected & _OPERANDS:
        return f"expected a number or a name after {after} (the threshold is missing); found {found}"
    if "COMPARE" in expected and prev_kind in ("NAME", "NUMBER", "RPAR"):
        return f"expected a comparison such as `>= 55` after {after}; found {found}"
    if kind == "$END":
        return ("the file ends in the middle of a statement: expected "
                f"{_expected_words(expected)} after {after}")
    return f"expected {_expected_words(expected)} after {after}; found {found}"


def iter_comments(text: str) -> Iterator[tuple[int, int, str]]:
    """Every ``#`` comment of ``text`` as (line, column, text), skipping ``#`` inside strings.

    Strings cannot span lines, so each line can be scanned on its own.
    """
    for number, line in enumerate(text.split("\n"), start=1):
        if "#" not in line:
            continue
        in_string = False
        escaped = False
        for index, char in enumerate(line):
            if in_string:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    in_string = False
            elif char == '"':
                in_string = True
            elif char == "#":
                yield number, index + 1, line[index:].rstrip("\r")
                break
