"""An indicator or a whole rule set → one SQL query that scores a table of records.

The query is generated from the same syntax tree as the Python evaluator and gives the same levels,
scores and points, or an explicit ``error`` text where the Python evaluator raises
:class:`~kpirules.EvaluationError`. It runs on DuckDB, SQLite (from the standard library) and
PostgreSQL.

>>> import sqlite3, kpirules
>>> rules = kpirules.parse('''
... indicator 1 "Poor households developed"
...   weight 20
...   measure target count
...   measure developed count
...   let percent = developed / target * 100
...   level 1 if percent >= 25
...   level 2 if percent >= 40
... ''')
>>> db = sqlite3.connect(":memory:")
>>> _ = db.execute('CREATE TABLE records (subject TEXT, "1.target" INT, "1.developed" INT)')
>>> _ = db.executemany("INSERT INTO records VALUES (?, ?, ?)",
...                    [("north", 400, 130), ("south", 400, 180), ("east", 0, 5)])
>>> for row in db.execute(rules["1"].to_sql(dialect="sqlite") + " ORDER BY 1"):
...     print(row)
('east', None, None, None, 'indicator 1: division by zero in `developed / target`: `target` is 0')
('north', 1, 1.0, 10.0, None)
('south', 2, 2.0, 20.0, None)

**Exact arithmetic without DECIMAL division.** No dialect divides decimals exactly: DuckDB's
``DECIMAL / DECIMAL`` gives a ``DOUBLE``, PostgreSQL's ``NUMERIC`` division rounds to a scale of its
choosing and SQLite has no decimal type at all. So the query never divides. Every number is an exact
fraction ``numerator / denominator`` of two integers (the denominator kept positive); ``+ - *``
combine fractions, ``a / b`` swaps ``b``'s numerator and denominator, and a comparison
cross-multiplies: ``developed / target * 100 >= 25`` becomes ``developed * 4 >= target`` (constant
factors are cancelled when the query is written). Measures are read as scaled integers: a ``count``
as an integer, a ``number`` as ``value × 10**scale`` (``scale=4`` by default, so ``12.5`` is the
integer 125000 over 10000). A value with more decimal places than ``scale`` is an error, not a
rounded number. The integers are ``HUGEINT`` (38 digits) in DuckDB, ``INTEGER`` (64 bits) in SQLite
and ``NUMERIC`` (unbounded) in PostgreSQL; where DuckDB or SQLite would overflow (DuckDB raises,
SQLite silently switches to floating point), the query says so in ``error`` instead.

This is exact rational arithmetic, which is at least as exact as the Python evaluator: Python rounds
every operation to 28 significant digits, and where that rounding decides a comparison
(``x / 3 * 3 >= x`` with ``x = 1`` is false in Python, as 0.333…3 × 3 = 0.999…9) the query gives the
mathematically exact answer. Everywhere else the two agree exactly, which the property tests in
``tests/test_sql.py`` check on generated rule sets and records.

**Input tables.** ``form="wide"``: one row per subject, a ``subject`` column (see ``subject=``),
one column per measure named ``"INDICATOR_ID.MEASURE"`` (see :func:`column_name`) and one column
per milestone level named ``"INDICATOR_ID.milestones.K"`` (see :func:`milestone_column`), holding
true when milestone K is done (NULL or false when not). ``form="long"``: the columns ``subject,
indicator, measure, value`` of the CSV records file (one row per value; a done milestone is a row
with measure ``milestones`` and the level number as value), pivoted inside the query. As the
command line reads that file, a subject with no rows for an indicator of milestones only has
none done (level 0), and one with no rows for an indicator with measures is an error; indicator
ids, measure names and values are read without the white space around them, a milestone's level
may be written ``2``, ``+2``, ``02`` or ``2.0`` (so a numeric ``value`` column does too), and a
row with no indicator or no measure, or a ``milestones`` row for an indicator without milestone
levels, is an error for its subject.

Values may be numbers of any type or text: plain decimals with an optional sign and surrounding
spaces, Thai digits allowed. Text with exponents (``1e3``), digit grouping (``1,234``) or
underscores is an error in SQL although Python reads it, as is a ``DOUBLE`` that prints with an
exponent. Flags and milestone columns accept booleans and the texts true/false, yes/no, 1/0,
ใช่/ไม่ใช่. NULL is a missing value.

**Output.** :func:`indicator_sql`: ``subject, level, score, points, error``;
:func:`ruleset_sql`: ``subject``, then ``"ID.level"``, ``"ID.score"``, ``"ID.points"``,
``"ID.error"`` per indicator, then ``total, error``. A row with an ``error`` has NULL levels,
scores and total. ``score`` is exact (interpolated scores are rounded half up to 4 places, as in
Python); ``points`` and ``total`` are rounded half up to 10 places, where Python keeps 28 significant
digits. DuckDB returns ``DECIMAL(38, 4)`` scores and ``DECIMAL(38, 10)`` points; PostgreSQL
``NUMERIC``; SQLite ``REAL``: the nearest double to the exact decimal, so that
``Decimal(repr(value))`` gives the decimal back. Rows come in no particular order.

**How the query is laid out.** A chain of stages (CTEs), each adding columns computed from the
ones before, so that a value used many times is computed once. Each indicator gets a level
column (one CASE over the levels' conditions) and a boolean column true where the record has an
error for it; the output columns are NULL where that holds, the ``total`` is NULL where any
indicator's does, and the error texts are written only in the last SELECT, each inside ``CASE
WHEN`` its error column, so a row without errors builds no text. In DuckDB every CASE branch
costs about as much as a comparison and makes what follows it run on a selection of rows, so a
text column tested ``IS NULL`` per indicator, or an error branch in front of each level, cost
more than the levels themselves; the scorecard now spends one test on all its indicators'
errors. The values of a typed column are its own scaled integers (``12.34`` in a
``DECIMAL(15,2)`` column is 1234 over 100), which keeps them small enough that most indicators
need no range guard.

**The dialects.** What differs is kept in one small class per dialect:

========================  =================  ======================  ====================
                          DuckDB (≥ 1.3)     SQLite (≥ 3.35)         PostgreSQL (≥ 12)
========================  =================  ======================  ====================
exact integers            ``HUGEINT``        ``INTEGER`` (64 bits)   ``NUMERIC``
overflow becomes          ``TRY()`` → NULL   REAL, caught by typeof  cannot happen
integer division          ``a // b``         ``a / b``               ``div(a, b)``
text checks               regexp             GLOB and substr         ``~``
Thai digits               ``translate``      ten ``replace`` calls   ``translate``
stages (CTEs)             inlined            ``MATERIALIZED``        ``MATERIALIZED``
typed columns             fast path          integers: fast path     read as text
========================  =================  ======================  ====================

DuckDB folds ``typeof(column)`` into a constant when it plans the query, so an integer, DECIMAL or
BOOLEAN column skips the text parser at no cost. In DuckDB a number must stay below
``10**(38 - 2 * scale)`` (10**30 with ``scale=4``), in SQLite below ``10**(18 - scale)``; larger ones
are reported as too large. SQLite reads a REAL by the 15 digits it prints and refuses one that needs
more (``0.1 + 0.2``). Beware that SQLite takes a double-quoted name that is not a column for a
string: a missing wide-form column gives an error about its value, not "no such column".

**Spark SQL is not a dialect yet.** Tried on Spark 4.3 (local, PySpark) with the PostgreSQL
query: it needs ``spark.sql.ansi.doubleQuotedIdentifiers=true`` (double quotes are strings
otherwise) and ``spark.sql.parser.escapedStringLiterals=true`` (otherwise ``\\.`` in a pattern
loses its backslash and plain numbers are refused), and these changes of text: no ``AS
MATERIALIZED``; ``STRING`` for ``TEXT``; ``RLIKE`` for ``~``; ``typeof()`` for ``pg_typeof()``;
a text read as ``CAST(t AS DECIMAL(38, 4))`` before it is scaled (``DECIMAL(38, 0)`` would round
``14.5`` to 15) and ``DECIMAL(38, 0)`` for ``NUMERIC`` elsewhere. With them the shipped
catalogue scores the example records exactly as Python does. What is missing is overflow:
Spark's DECIMAL has 38 digits where PostgreSQL's NUMERIC has no limit, and overflows with an
error under ANSI mode (NULL without it), so the query fails, rather than reporting one record,
on numbers near 10**30. A Spark dialect, with its own overflow handling and the property tests
run against it, is work still to do.

**Declared column types** (``types=``, DuckDB and the wide form only): a mapping from column names
to their SQL types, e.g. ``{"1.target": "INTEGER", "3.rate": "DECIMAL(18,4)", "2.milestones.1":
"BOOLEAN"}`` (``DESCRIBE table`` gives it). A measure in an integer or DECIMAL column (with at most
``scale`` places; a count may have more) is then read with a cast instead of the text parser, a
BOOLEAN flag or milestone as it is, a comparison of the measure with a constant is written on the
column as it is (``"3.rate" >= CAST(85 AS DECIMAL(18,4))``), and the arithmetic is ``BIGINT``
without ``TRY()`` where the types and the rule's constants bound every integer below 2**63.
Where the types alone do not (``developed * 4 >= target`` on BIGINT columns), the indicator gets
a range guard: the largest ``L`` from 10**18 down to 10**12 that keeps every integer within 64
bits. It is one boolean column, true when the measures' scaled values lie in ``-L..L``; the
level, the score and any arithmetic column are computed only where it holds, and a record where
it does not has the error "a number is too large for exact duckdb arithmetic" (without
``types=`` it would be scored in ``HUGEINT``). The guard costs DuckDB about a tenth of the
scorecard's time: counts in INTEGER columns need none. When no such ``L`` exists, or a
measure's column type is not declared or not one of these, the indicator is written as without
``types=``. Errors are otherwise those of the query without ``types=``: missing values, negative
or fractional counts, values outside the measure's range, division by zero. Columns of
another type than declared give wrong answers or DuckDB errors.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Literal

import attrs

from kpirules import nodes
from kpirules._messages import message
from kpirules._scoring import FLIPPED, interpolation
from kpirules._semantics import describe_expr
from kpirules.errors import KpiRulesError

if TYPE_CHECKING:
    from kpirules.model import Indicator, RuleSet

__all__ = [
    "DEFAULT_SCALE",
    "DIALECTS",
    "column_name",
    "indicator_sql",
    "milestone_column",
    "ruleset_sql",
]

Dialect = Literal["duckdb", "sqlite", "postgres"]
Form = Literal["wide", "long"]

DIALECTS: tuple[str, ...] = ("duckdb", "sqlite", "postgres")
DEFAULT_SCALE = 4
"""Decimal places a ``number`` measure may have in SQL (a count has none)."""

_SCORE_PLACES = 4
_POINT_PLACES = 10
_TRUE_WORDS = ("true", "yes", "1", "ใช่")
_FALSE_WORDS = ("false", "no", "0", "ไม่ใช่")
"""The flag words, as the command line's records reader takes them (any case)."""

_SPACES = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
"""What Python's ``str.strip()`` removes (tabs, no-break and ideographic spaces too)."""

_SPACE_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in _SPACES) + "]"
_EDGE_SPACE = f"^{_SPACE_CLASS}|{_SPACE_CLASS}$"
"""White space at either end of a text, as a regular expression (RE2's ``\\s`` is ASCII only)."""

def _without_zeros(text: str) -> str:
    """A number's text without the zeros that end its fraction (``12.50`` → ``12.5``, ``1.0``
    → ``1``), by regular expressions (DuckDB, PostgreSQL)."""
    return (f"regexp_replace(regexp_replace({text}, '(\\.[0-9]*?)0+$', '\\1'), "
            "'\\.$', '')")


_WHOLE_NUMBER = r"\+?0*[0-9]{1,9}(\.0+)?"
"""A milestone row's level: the plain forms of a whole number (no grouping or exponent)."""
_THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"


def column_name(indicator_id: str, measure: str) -> str:
    """The wide-form column of a measure: ``"INDICATOR_ID.MEASURE"``.

    >>> column_name("1", "target_households")
    '1.target_households'
    """
    return f"{indicator_id}.{measure}"


def milestone_column(indicator_id: str, level: int) -> str:
    """The wide-form column that is true when milestone ``level`` is done.

    >>> milestone_column("4", 2)
    '4.milestones.2'
    """
    return f"{indicator_id}.milestones.{level}"


def quote(name: str) -> str:
    """``name`` as a quoted SQL identifier.

    >>> quote('1.level')
    '"1.level"'
    """
    return '"' + name.replace('"', '""') + '"'


def string(text: str) -> str:
    """``text`` as an SQL string literal.

    >>> string("it's")
    "'it''s'"
    """
    return "'" + text.replace("'", "''") + "'"


# --------------------------------------------------------------------------------------------
# Dialects: what differs between the databases, and nothing else.


@attrs.frozen
class _Parsed:
    """A measure's value read from its column: conditions that the value is well written and that
    it is too large, and the value times ``10**scale`` as an integer."""

    valid: str
    too_large: str
    value: _Int


class _Dialect:
    name = "standard"
    text = "TEXT"
    integer = "BIGINT"
    max_literal: int | None = 2**63 - 1
    true = "TRUE"
    false = "FALSE"
    guards_overflow = False  # whether exact() is needed beside NULL
    # Whether arithmetic is written out where it is used rather than computed once into a column.
    # In DuckDB a column computed under TRY() has no statistics, so every comparison using it
    # checks for overflow; written out inside the comparison's own TRY(), the statistics of the
    # measures reach the comparison, which is several times faster.
    inline_arithmetic = False
    # Whether each stage must be computed once and stored. SQLite and PostgreSQL otherwise inline
    # the stages into one another, copying every column's expression into each use of it: the
    # query's size grows exponentially with the number of stages.
    materialize = False

    def refuse(self, query: str, columns: int) -> None:
        """Raise a KpiRulesError when ``query`` (of ``columns`` columns in its widest step) is
        beyond what the database can run; DuckDB and PostgreSQL take any query kpirules writes."""

    def literal(self, value: int) -> str:
        if self.max_literal is not None and abs(value) > self.max_literal:
            # Too large for the integer type: NULL turns into the "too large" error.
            return f"CAST(NULL AS {self.integer})"
        return str(value) if value >= 0 else f"({value})"

    def arithmetic(self, sql: str) -> str:
        """``sql`` made to give NULL instead of failing on overflow."""
        return sql

    def exact(self, column: str) -> str:
        """A condition that holds when ``column`` was computed without overflow (only where
        ``guards_overflow``: elsewhere an overflow gives NULL or cannot happen)."""
        return "TRUE"

    def floor_div(self, left: str, right: str) -> str:
        return f"({left} / {right})"

    def digits(self, sql: str) -> str:
        """Thai digits in ``sql`` (a text) replaced by ASCII ones."""
        return f"translate({sql}, '{_THAI_DIGITS}', '0123456789')"

    def matches(self, sql: str, pattern: str) -> str:
        raise NotImplementedError

    def value_text(self, raw: str) -> str:
        """A long-form ``value`` as text; a whole number in a float or DECIMAL column without
        its ``.0`` (``1`` as JSON's ``1.0`` is: a flag's true, milestone 1). The text as printed,
        less the zeros that end a fraction: exact for every width (no cast to a narrower
        number)."""
        text = f"CAST({raw} AS {self.text})"
        numeric = self.is_fractional(raw)
        return f"CASE WHEN {numeric} THEN {_without_zeros(text)} ELSE {text} END" \
            if numeric else text

    def is_fractional(self, raw: str) -> str | None:
        """A condition that holds when ``raw`` is a float or DECIMAL column (None: unknown)."""
        return None

    def whole_number(self, text: str) -> str:
        """The level a milestone row names, from its text as the command line reads it (``2``,
        ``+2``, ``02``, ``2.00``; a numeric column's ``2.0``): an integer, NULL for other text."""
        return (f"CASE WHEN {self.matches(text, _WHOLE_NUMBER)} THEN "
                f"CAST(CAST({text} AS DECIMAL(38, 10)) AS {self.integer}) END")

    def strip(self, text: str) -> str:
        """``text`` without the white space around it, as Python's ``str.strip()``."""
        return f"trim({text}, {string(_SPACES)})"

    def shown(self, raw: str) -> str:
        """``raw`` as text, to be read."""
        return f"CAST({raw} AS {self.text})"

    def quoted(self, raw: str) -> str:
        """``raw`` as text for a message, between backquotes."""
        return f"'`' || {self.shown(raw)} || '`'"

    # The typed fast paths: conditions on a column's type, False where the dialect cannot tell.
    def is_integer(self, raw: str) -> str:
        return self.false

    def is_decimal(self, raw: str, scale: int) -> str:
        return self.false

    def is_boolean(self, raw: str) -> str:
        return self.false

    def typed_value(self, raw: str, scale: int) -> str:
        """An integer or decimal column (with at most ``scale`` places) times ``10**scale``."""
        return "NULL"

    def text_number(self, stages: _Stages, raw: _Column, typed: str, scale: int
                    ) -> tuple[str, str, _Column]:
        """``(valid, too_large, value)`` for a column read as text: a plain decimal with an
        optional sign, at most ``scale`` places and perhaps Thai digits."""
        pattern = _number_pattern(scale)
        text = stages.add(f"CASE WHEN {typed} THEN NULL ELSE {self.strip(self.shown(raw.sql))} END",
                          raw.depth)
        ascii_valid = stages.add(self.matches(text.sql, pattern), text.depth)
        # Thai digits are rare: translate only the texts that are not already valid.
        normal = stages.add(f"CASE WHEN {typed} THEN NULL WHEN {ascii_valid.sql} THEN {text.sql} "
                            f"ELSE {self.digits(text.sql)} END", ascii_valid.depth)
        valid = stages.add(f"({ascii_valid.sql} OR {self.matches(normal.sql, pattern)})",
                           normal.depth)
        value = stages.add(self.scaled(normal.sql, scale), valid.depth, when=valid.sql)
        return valid.sql, f"({valid.sql} AND {value.sql} IS NULL)", value

    def parse_number(self, stages: _Stages, raw: _Column, scale: int) -> _Parsed:
        integer, decimal = self.is_integer(raw.sql), self.is_decimal(raw.sql, scale)
        typed = f"({integer} OR {decimal})"
        valid, too_large, text_value = self.text_number(stages, raw, typed, scale)
        value = stages.add(
            f"CASE WHEN {typed} THEN {self.typed_value(raw.sql, scale)} "
            f"ELSE {text_value.sql} END", text_value.depth)
        too_large = f"({typed} AND {raw.sql} IS NOT NULL AND {value.sql} IS NULL) OR {too_large}"
        return _Parsed(f"({typed} OR {valid})", too_large, _Int(1, value.sql, value.depth))

    def scaled(self, text: str, scale: int) -> str:
        raise NotImplementedError

    def flag(self, stages: _Stages, raw: _Column, missing: bool) -> _Column:
        """true/false from a flag column; NULL when it holds something else (or, unless
        ``missing``, when it is NULL)."""
        words = [", ".join(string(w) for w in group) for group in (_TRUE_WORDS, _FALSE_WORDS)]
        lowered = f"lower({self.strip(self.digits(self.shown(raw.sql)))})"
        null = f"{raw.sql} IS NULL OR " if missing else ""
        boolean = self.is_boolean(raw.sql)
        typed = f"CAST({raw.sql} AS BOOLEAN)"
        typed = f"COALESCE({typed}, FALSE)" if missing else typed
        return stages.add(
            f"CASE WHEN {boolean} THEN {typed} WHEN {null}{lowered} IN ({words[1]}) "
            f"THEN {self.false} WHEN {lowered} IN ({words[0]}) THEN {self.true} END", raw.depth)

    def decimal(self, scaled: str, places: int) -> str:
        """The integer ``scaled`` × 10**-places as the dialect's exact decimal."""
        raise NotImplementedError

    def whole(self, integer: str, places: int) -> str:
        """The integer ``integer`` as the same decimal type as :meth:`decimal` gives."""
        return f"CAST({integer} AS DECIMAL(38, {places}))"


_DUCKDB_INTEGERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                    "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT")


def _nesting(query: str) -> tuple[int, int]:
    """How deeply the parentheses of ``query`` nest, and the most arguments one function call
    has (outside quoted strings and names)."""
    depth = deepest = widest = 0
    calls: list[int | None] = []  # for each open parenthesis: its commas so far, None if no call
    for part in _QUOTED.split(query):
        previous = " "
        for char in part:
            if char == "(":
                depth += 1
                deepest = max(deepest, depth)
                calls.append(0 if previous.isalnum() or previous == "_" else None)
            elif char == ")" and calls:
                depth -= 1
                commas = calls.pop()
                if commas is not None:
                    widest = max(widest, commas + 1)
            elif char == "," and calls and calls[-1] is not None:
                calls[-1] = (calls[-1] or 0) + 1
            previous = char
    return deepest, widest


_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")


class _DuckDB(_Dialect):
    """DuckDB: HUGEINT (38 digits), TRY() for overflow, and the column type read with typeof(),
    which DuckDB folds into a constant when it plans the query, so the text path costs nothing
    for integer, DECIMAL and BOOLEAN columns."""

    name = "duckdb"
    text = "VARCHAR"
    integer = "HUGEINT"
    inline_arithmetic = True
    max_literal = 2**127 - 1

    def literal(self, value: int) -> str:
        if abs(value) >= 2**63 and abs(value) <= 2**127 - 1:
            return f"CAST('{value}' AS HUGEINT)"
        return super().literal(value)

    def arithmetic(self, sql: str) -> str:
        return f"TRY({sql})"

    def floor_div(self, left: str, right: str) -> str:
        return f"({left} // {right})"

    def matches(self, sql: str, pattern: str) -> str:
        return f"regexp_full_match({sql}, {string(pattern)})"

    def strip(self, text: str) -> str:
        # trim() with a set of characters beyond ASCII is slow in DuckDB (twice the time of the
        # long form's whole query): only where a regular expression finds white space at an end.
        return (f"CASE WHEN regexp_matches({text}, {string(_EDGE_SPACE)}) THEN "
                f"trim({text}, {string(_SPACES)}) ELSE {text} END")

    def is_fractional(self, raw: str) -> str:
        # typeof() is a constant once planned, so a text column pays nothing for the test.
        return f"regexp_full_match(typeof({raw}), '(DOUBLE|FLOAT|DECIMAL).*')"

    def is_integer(self, raw: str, small: bool = False) -> str:
        huge = "" if small else "|HUGE"
        return f"regexp_full_match(typeof({raw}), 'U?(TINY|SMALL|BIG{huge})?INT(EGER)?')"

    def is_decimal(self, raw: str, scale: int) -> str:
        places = "|".join(str(k) for k in range(scale + 1))
        return f"regexp_full_match(typeof({raw}), 'DECIMAL\\(\\d+,({places})\\)')"

    def is_decimal_places(self, raw: str, places: int, widest: int | None = None) -> str:
        """Whether ``raw`` is a DECIMAL with ``places`` places (and at most ``widest`` digits)."""
        width = "\\d+" if widest is None else \
            "(" + "|".join(str(w) for w in range(1, widest + 1)) + ")"
        return f"regexp_full_match(typeof({raw}), 'DECIMAL\\({width},{places}\\)')"

    def is_boolean(self, raw: str) -> str:
        return f"typeof({raw}) = 'BOOLEAN'"

    def typed_value(self, raw: str, scale: int) -> str:
        # Only the branch for the column's type survives planning. The usual types (integers up
        # to 64 bits, DECIMAL up to 18 digits) are read without TRY(), which would hide the
        # column's statistics (its minimum and maximum) from DuckDB: with them, DuckDB knows that
        # the HUGEINT arithmetic after it cannot overflow and skips the overflow checks. A
        # DECIMAL(38, s) → HUGEINT cast is 8 times slower than one from DECIMAL(18, s), so a wide
        # DECIMAL tries 18 digits first.
        def times(sql: str, factor: int) -> str:
            return sql if factor == 1 else f"{sql} * {factor}"

        small = self.is_integer(raw, small=True)
        branches = [f"WHEN {small} THEN {times(f'CAST({raw} AS HUGEINT)', 10**scale)}",
                    f"WHEN {self.is_integer(raw)} THEN "
                    f"TRY({times(f'TRY_CAST({raw} AS HUGEINT)', 10**scale)})"]
        wide = f"TRY(CAST({times(f'TRY_CAST({raw} AS DECIMAL(38, {scale}))', 10**scale)} " \
               "AS HUGEINT))"
        for places in range(scale + 1):
            if places < 17:
                # At most 17 - places digits: value × 10**places stays within DuckDB's 18-digit
                # DECIMAL product, the fast one (see _shift).
                small = times(f"CAST({raw} AS DECIMAL({17 - places}, {places}))", 10**places)
                small = times(f"CAST({small} AS HUGEINT)", 10**(scale - places))
                branches.append(f"WHEN {self.is_decimal_places(raw, places, 17 - places)} "
                                f"THEN {small}")
            # |value| < 10**18, so value × 10**places fits DECIMAL(37) and × 10**scale HUGEINT.
            within = _shift(f"CAST({raw} AS DECIMAL(18, {places}))", 18, places)
            exact = times(f"CAST({within} AS HUGEINT)", 10**(scale - places))
            branches.append(f"WHEN {self.is_decimal_places(raw, places, 18)} "
                            f"THEN {exact}")
            narrow = times(f"TRY_CAST({raw} AS DECIMAL(18, {places}))", 10**places)
            narrow = f"TRY({times(f'CAST({narrow} AS HUGEINT)', 10**(scale - places))})"
            branches.append(f"WHEN {self.is_decimal_places(raw, places)} "
                            f"THEN COALESCE({narrow}, {wide})")
        return f"CASE {' '.join(branches)} END"

    def scaled(self, text: str, scale: int) -> str:
        # A valid text has at most `scale` places, so the DECIMAL cast is exact; TRY turns a value
        # beyond 38 digits into NULL (reported as too large).
        decimal = f"TRY_CAST({text} AS DECIMAL(38, {scale}))"
        if scale == 0:
            return f"CAST({decimal} AS HUGEINT)"
        return f"TRY(CAST({decimal} * {10**scale} AS HUGEINT))"

    def decimal(self, scaled: str, places: int) -> str:
        unit = "0." + "0" * (places - 1) + "1"
        return f"CAST(CAST({scaled} AS DECIMAL(38, 0)) * {unit} AS DECIMAL(38, {places}))"


class _SQLite(_Dialect):
    """SQLite: 64-bit INTEGER, which silently turns into REAL on overflow (caught with typeof),
    no regular expressions (GLOB instead), no translate(), and booleans that are 0 and 1."""

    # SQLite's own limits as built by default: its parser stack (YYSTACKDEPTH 100) overflows
    # between 80 and 87 nested parentheses, and SQLITE_MAX_COLUMN is 2000.
    max_depth = 80
    max_columns = 2000
    max_arguments = 127  # SQLITE_MAX_FUNCTION_ARG before SQLite 3.48

    def refuse(self, query: str, columns: int) -> None:
        if columns > self.max_columns:
            raise KpiRulesError(message("sqlite-too-many-columns", columns=columns,
                                        limit=self.max_columns))
        depth, arguments = _nesting(query)
        if depth > self.max_depth:
            raise KpiRulesError(message("sqlite-too-deep", depth=depth, limit=self.max_depth))
        if arguments > self.max_arguments:
            raise KpiRulesError(message("sqlite-too-many-arguments", arguments=arguments,
                                        limit=self.max_arguments))

    name = "sqlite"
    text = "TEXT"
    integer = "INTEGER"
    max_literal = 2**63 - 1
    true = "1"
    false = "0"
    guards_overflow = True
    materialize = True

    def exact(self, column: str) -> str:
        return f"typeof({column}) = 'integer'"

    def digits(self, sql: str) -> str:
        for thai, ascii_digit in zip(_THAI_DIGITS, "0123456789"):
            sql = f"replace({sql}, '{thai}', '{ascii_digit}')"
        return sql

    def is_integer(self, raw: str) -> str:
        return f"typeof({raw}) = 'integer'"

    def quoted(self, raw: str) -> str:
        # A REAL SQLite prints with 15 digits may not be that number (0.1 + 0.2 prints 0.3):
        # such a one is shown with the 17 that tell it apart.
        return (f"'`' || CASE WHEN typeof({raw}) = 'real' AND CAST(CAST({raw} AS TEXT) AS REAL) "
                f"<> {raw} THEN printf('%!.17g', {raw}) ELSE CAST({raw} AS TEXT) END || '`'")

    def value_text(self, raw: str) -> str:
        return (f"CASE WHEN typeof({raw}) = 'real' AND abs({raw}) < 1e15 AND {raw} = "
                f"CAST({raw} AS INTEGER) THEN CAST(CAST({raw} AS INTEGER) AS TEXT) "
                f"ELSE CAST({raw} AS TEXT) END")

    def whole_number(self, text: str) -> str:
        # No regular expressions in SQLite: one `+` off, then digits, and zeros after a point.
        u = f"(CASE WHEN substr({text}, 1, 1) = '+' THEN substr({text}, 2) ELSE {text} END)"
        point = f"instr({u}, '.')"
        whole = f"(CASE WHEN {point} = 0 THEN {u} ELSE substr({u}, 1, {point} - 1) END)"
        return (f"CASE WHEN {u} GLOB '[0-9]*' AND {u} NOT GLOB '*[^0-9.]*' AND ({point} = 0 OR "
                f"rtrim(substr({u}, {point} + 1), '0') = '' AND {u} NOT GLOB '*.') "
                f"AND length(ltrim({whole}, '0')) <= 9 THEN CAST({whole} AS INTEGER) END")

    def typed_value(self, raw: str, scale: int) -> str:
        # Beyond 18 - scale digits the product would not fit 64 bits: NULL, reported as too large.
        return f"CASE WHEN abs({raw}) < {10**(18 - scale)} THEN {raw} * {10**scale} END"

    def text_number(self, stages: _Stages, raw: _Column, typed: str, scale: int
                    ) -> tuple[str, str, _Column]:
        # Split the text at the sign and the point and check each part with GLOB.
        text = stages.add(
            f"CASE WHEN {typed} THEN NULL ELSE {self.strip(self.digits(self.shown(raw.sql)))} END",
            raw.depth)
        t = text.sql
        sign = stages.add(f"(substr({t}, 1, 1) = '-')", text.depth)
        unsigned = stages.add(
            f"CASE WHEN substr({t}, 1, 1) IN ('+', '-') THEN substr({t}, 2) ELSE {t} END",
            text.depth)
        u = unsigned.sql
        point = f"instr({u}, '.')"
        whole = stages.add(f"CASE WHEN {point} = 0 THEN {u} ELSE substr({u}, 1, {point} - 1) END",
                           unsigned.depth)
        fraction = stages.add(f"CASE WHEN {point} = 0 THEN '' ELSE substr({u}, {point} + 1) END",
                              unsigned.depth)
        w, f = whole.sql, fraction.sql
        valid = stages.add(
            f"({u} NOT GLOB '*[^0-9.]*' AND {u} NOT GLOB '*.*.*' AND {u} NOT GLOB '*.' "
            f"AND {u} <> '' AND length(rtrim({f}, '0')) <= {scale}"
            # A REAL is read as the text SQLite prints, 15 digits: refuse one that needs more.
            f" AND NOT (typeof({raw.sql}) = 'real' AND CAST({t} AS REAL) <> {raw.sql}))",
            whole.depth)
        too_large = f"({valid.sql} AND length(ltrim({w}, '0')) > {18 - scale})"
        digits = f"CAST({w} AS INTEGER)"
        if scale:
            padded = f"substr({f} || '{'0' * scale}', 1, {scale})"
            digits = f"({digits} * {10**scale} + CAST({padded} AS INTEGER))"
        value = stages.add(
            f"CASE WHEN {sign.sql} THEN -{digits} ELSE {digits} END",
            max(valid.depth, sign.depth), when=f"{valid.sql} AND NOT {too_large}")
        return valid.sql, too_large, value

    def decimal(self, scaled: str, places: int) -> str:
        return f"({scaled} / {10**places}.0)"

    def whole(self, integer: str, places: int) -> str:
        return f"CAST({integer} AS REAL)"


class _Postgres(_Dialect):
    """PostgreSQL: NUMERIC integers, which do not overflow, and div() for integer division."""

    name = "postgres"
    text = "TEXT"
    integer = "NUMERIC"
    max_literal = None
    materialize = True

    def floor_div(self, left: str, right: str) -> str:
        return f"div({left}, {right})"

    def matches(self, sql: str, pattern: str) -> str:
        return f"({sql} ~ {string('^' + pattern + '$')})"

    def strip(self, text: str) -> str:
        return f"btrim({text}, {string(_SPACES)})"

    def is_fractional(self, raw: str) -> str:
        return f"pg_typeof({raw})::text IN ('numeric', 'double precision', 'real')"

    def scaled(self, text: str, scale: int) -> str:
        return f"(CAST({text} AS NUMERIC) * {10**scale})"

    def decimal(self, scaled: str, places: int) -> str:
        unit = "0." + "0" * (places - 1) + "1"
        return f"({scaled} * {unit})"

    def whole(self, integer: str, places: int) -> str:
        return f"CAST({integer} AS NUMERIC)"


_DIALECTS: dict[str, _Dialect] = {"duckdb": _DuckDB(), "sqlite": _SQLite(),
                                  "postgres": _Postgres()}


def _number_pattern(scale: int) -> str:
    places = r"\.0+" if scale == 0 else rf"\.\d{{1,{scale}}}0*"
    return rf"[+-]?(\d+({places})?|{places})"


# --------------------------------------------------------------------------------------------
# The query as a chain of stages: each stage is a CTE that adds columns computed from the columns
# of the stages before it, so that a value used many times is computed once.


@attrs.frozen
class _Column:
    sql: str
    depth: int


class _Stages:
    def __init__(self, dialect: _Dialect) -> None:
        self.dialect = dialect
        self.stages: list[list[tuple[str, str]]] = []
        self.counter = itertools.count(1)
        # The deepest stage given a column since the current writer started: an indicator's
        # level and error go right after its own columns, not after every indicator before it
        # (each stage is one more projection that DuckDB must plan over all columns so far).
        self.deepest = -1

    def add(self, sql: str, depth: int, when: str | None = None,
            arithmetic: bool = False) -> _Column:
        """A new column computing ``sql`` from columns of stage ``depth`` or earlier."""
        if arithmetic:
            sql = self.dialect.arithmetic(sql)
        if when is not None:
            sql = f"CASE WHEN {when} THEN {sql} END"
        alias = f"_c{next(self.counter)}"
        stage = depth + 1
        while len(self.stages) <= stage:
            self.stages.append([])
        self.stages[stage].append((alias, sql))
        self.deepest = max(self.deepest, stage)
        return _Column(quote(alias), stage)

    def render(self, source: str, final: Sequence[str]) -> str:
        stored = "MATERIALIZED " if self.dialect.materialize else ""
        ctes = [f'"_input" AS {stored}(\n  {source}\n)']
        previous = '"_input"'
        for number, columns in enumerate(self.stages):
            name = f'"_s{number}"'
            selected = ",\n    ".join(f"{sql} AS {quote(alias)}" for alias, sql in columns)
            selected = f"*,\n    {selected}" if columns else "*"
            ctes.append(f"{name} AS {stored}(\n  SELECT {selected}\n  FROM {previous}\n)")
            previous = name
        body = ",\n  ".join(final)
        query = "WITH " + ",\n".join(ctes) + f"\nSELECT\n  {body}\nFROM {previous}"
        # Each stage selects every column before it, so the last one holds them all.
        inputs = source.count(' AS "')
        self.dialect.refuse(query, inputs + sum(len(columns) for columns in self.stages))
        return query


_INLINE_LIMIT = 400
"""The longest arithmetic written out at each use instead of computed once into a column."""


def _is_simple(sql: str) -> bool:
    return sql.startswith('"') and sql.endswith('"') and " " not in sql


@attrs.frozen
class _Int:
    """An integer-valued expression ``coef × sql`` (just ``coef`` when ``sql`` is None).

    Keeping the constant factor apart lets a comparison cancel it: ``100 × a >= 25 × b`` is
    written ``4 * a >= b``."""

    coef: int
    sql: str | None = None
    depth: int = -1
    nonnegative: bool = False  # sql is known to be >= 0
    bound: int | None = None  # |sql| <= bound (only with typed input), None when unknown

    @property
    def static(self) -> bool:
        return self.sql is None

    @property
    def known_nonnegative(self) -> bool:
        return self.coef >= 0 if self.sql is None else (self.nonnegative and self.coef >= 0)


def _magnitude(value: _Int) -> int | None:
    """A bound on ``|value|`` and on every integer computed on the way to it, or None."""
    if value.sql is None:
        return abs(value.coef)
    if value.bound is None:
        return None
    return max(1, abs(value.coef)) * max(1, value.bound)


def _times(a: _Int, b: _Int) -> _Int:
    coef = a.coef * b.coef
    if coef == 0:
        return _Int(0)
    if a.sql is None:
        return _Int(coef, b.sql, b.depth, b.nonnegative, b.bound)
    if b.sql is None:
        return _Int(coef, a.sql, a.depth, a.nonnegative, a.bound)
    bound = None if a.bound is None or b.bound is None else max(1, a.bound) * max(1, b.bound)
    return _Int(coef, f"({a.sql} * {b.sql})", max(a.depth, b.depth),
                a.nonnegative and b.nonnegative, bound)


def _scale(a: _Int, factor: int) -> _Int:
    return _times(a, _Int(factor))


@attrs.frozen
class _Ratio:
    """An exact number ``num / den`` with ``den > 0``."""

    num: _Int
    den: _Int

    @property
    def depth(self) -> int:
        return max(self.num.depth, self.den.depth)


class _Writer:
    """Writes the columns of one indicator into the shared stages."""

    def __init__(self, node: nodes.IndicatorNode, stages: _Stages, inputs: _Inputs,
                 scale: int, typed: bool = False, limit: int | None = None) -> None:
        self.node = node
        # With declared column types (``types=``): read typed measures as BIGINT and write the
        # arithmetic without TRY() where the bounds (``_Int.bound``) show it fits 64 bits. A
        # measure whose type alone does not bound it enough is limited to ``limit`` (as a scaled
        # integer): ``ranges`` are these limits, and ``guard`` the column that holds when all
        # are met. All arithmetic is then computed only where the guard holds (a CASE branch),
        # and a record where it does not is a "too large" error. ``unfit`` records that some
        # arithmetic did not fit, so this ``limit`` cannot be used.
        self.typed = typed
        self.limit = limit
        self.ranges: list[str] = []
        self.guard: str | None = None
        self.unfit = False
        self.stages = stages
        stages.deepest = inputs.depth
        self.dialect = stages.dialect
        self.inputs = inputs
        self.scale = scale
        self.names: dict[str, _Ratio | str] = {}
        self.memo: dict[nodes.Expr, _Ratio] = {}
        self.errors: list[tuple[str, str]] = []  # (condition, message text SQL), in order
        self.atoms: list[str] = []
        self.numeric_checks: list[str] = []
        self.done: dict[int, str] = {}
        # Typed measures by their value column, for comparisons with a constant written on the
        # column as it is (see direct_compare).
        self.direct: dict[str, _Typed] = {}

    # -- rendering ---------------------------------------------------------------------------

    def render(self, value: _Int) -> str:
        literal = self.dialect.literal
        if value.sql is None:
            return literal(value.coef)
        if value.coef == 1:
            return value.sql
        if value.coef == -1:
            return f"(-{value.sql})"
        return f"({literal(value.coef)} * {value.sql})"

    def plus(self, a: _Int, b: _Int) -> _Int:
        if a.sql is None and b.sql is None:
            return _Int(a.coef + b.coef)
        if a.sql is None and a.coef == 0:
            return b
        if b.sql is None and b.coef == 0:
            return a
        if a.sql == b.sql:
            return attrs.evolve(a, coef=a.coef + b.coef) if a.coef + b.coef else _Int(0)
        if b.coef < 0:
            sql = f"({self.render(a)} - {self.render(_Int(-b.coef, b.sql, b.depth))})"
        else:
            sql = f"({self.render(a)} + {self.render(b)})"
        both = a.known_nonnegative and b.known_nonnegative
        ma, mb = _magnitude(a), _magnitude(b)
        bound = None if ma is None or mb is None else ma + mb
        return _Int(1, sql, max(a.depth, b.depth), both, bound)

    def guarded(self, sql: str) -> str:
        """``sql``, computed only where the range guard (if any) holds: NULL elsewhere."""
        return sql if self.guard is None else f"CASE WHEN {self.guard} THEN {sql} END"

    def fits(self, *values: _Int) -> bool:
        """Whether typed arithmetic on ``values`` is known to fit BIGINT (so needs no TRY())."""
        if not self.typed:
            return False
        for value in values:
            magnitude = _magnitude(value)
            if magnitude is None or magnitude >= 2**63:
                self.unfit = True
                return False
        return True

    def keep(self, value: _Int) -> _Int:
        """``value`` computed once into a column, when it is more than a column or a constant
        (in DuckDB, only when it is long: see :attr:`_Dialect.inline_arithmetic`)."""
        if value.sql is None or _is_simple(value.sql):
            return value
        if self.dialect.inline_arithmetic and len(value.sql) <= _INLINE_LIMIT:
            return value
        fits = self.fits(value)
        column = self.stages.add(value.sql, value.depth, arithmetic=not fits,
                                 when=self.guard if fits else None)
        return attrs.evolve(value, sql=column.sql, depth=column.depth)

    # -- measures and milestones -------------------------------------------------------------

    def fail(self, text: str) -> str:
        return string(f"indicator {self.node.id}: {text}")

    def measures(self) -> None:
        unknown = self.inputs.unknown_measure(self)
        if unknown is not None:
            self.errors.append(unknown)
        for measure in self.node.measures:
            self.measure(measure)
        levels = [level.number for level in self.node.levels if level.is_milestone]
        self.done, error = self.inputs.milestones(self, levels)
        if error is not None:
            self.errors.append(error)

    def measure(self, measure: nodes.Measure) -> None:
        raw, count = self.inputs.value(self.node, measure.name)
        name = measure.name
        if count is not None:
            self.errors.append((f"{count} > 1", self.fail(f"`{name}` is given more than once")))
        described = f" ({measure.description})" if measure.description else ""
        self.errors.append((f"{raw} IS NULL",
                            self.fail(f"the record has no value for measure `{name}`{described}")))
        column = _Column(raw, self.inputs.depth)
        shown = f" || {self.dialect.quoted(raw)}"
        declared = _declared(self.inputs.declared(self.node, name))
        if measure.kind == "flag" and declared == "BOOLEAN":
            self.names[name] = f"({raw} = TRUE)"  # NULL is the missing-value error above
            return
        if not isinstance(declared, str) and self.typed_measure(measure, raw, declared, shown):
            return
        if measure.kind == "flag":
            flag = self.dialect.flag(self.stages, column, missing=False)
            self.errors.append((f"{flag.sql} IS NULL", self.fail(
                f"`{name}` is a flag and must be true or false, not ") + shown))
            self.names[name] = f"({flag.sql} = {self.dialect.true})"
            return
        scale = 0 if measure.kind == "count" else self.scale
        parsed = self.dialect.parse_number(self.stages, column, scale)
        valid, too_large, value = parsed.valid, parsed.too_large, parsed.value
        if measure.kind == "count":
            wanted = "a whole number 0 or more"
        else:
            wanted = f"a number with at most {scale} decimal places, written with plain digits"
        self.errors.append((f"NOT {valid}", self.fail(f"`{name}` must be {wanted}, not ") + shown))
        self.errors.append((too_large, self.fail(
            f"`{name}` is too large for exact {self.dialect.name} arithmetic: ") + shown))
        if measure.kind == "count":
            self.errors.append((f"{value.sql} < 0", self.fail(
                f"`{name}` is a count and must be a whole number 0 or more, not ") + shown))
        nonnegative = measure.kind == "count" or (measure.low is not None and measure.low >= 0)
        ratio = _Ratio(attrs.evolve(value, nonnegative=nonnegative), _Int(10**scale))
        self.range_checks(measure, ratio, shown)
        self.names[name] = ratio

    def typed_measure(self, measure: nodes.Measure, raw: str, declared: tuple[int, int] | None,
                      shown: str) -> bool:
        """Reads a measure from an integer or DECIMAL column as a BIGINT (``types=``); False
        when it cannot be (it is then read as usual)."""
        if not self.typed or declared is None or measure.kind == "flag":
            return False
        largest, places = declared  # |raw| <= largest, with `places` decimal places
        count = measure.kind == "count"
        scale = 0 if count else self.scale
        if places > scale and not count:
            return False
        if any(len(c.as_tuple().digits) > 30 for c in (measure.low, measure.high)
               if c is not None):
            return False  # keep the range's literals exact DECIMALs
        name = measure.name
        # The value is the column's own scaled integer (value × 10**places), not value ×
        # 10**scale: smaller integers, so fewer indicators need a range guard.
        unit = 0 if count else places
        bound = largest * 10**unit
        inside = None
        read_bound = bound
        if self.limit is not None and bound > self.limit:
            # Part of the range guard: beyond `limit`, no arithmetic and a "too large" error.
            within = self.limit // 10**unit
            inside = f"{raw} BETWEEN {self.dialect.literal(-within)} AND {within}"
            self.ranges.append(inside)
            read_bound, bound = bound, within * 10**unit
        elif bound > 2**63:
            self.unfit = True
            return False
        # The value column is computed on every row: TRY_CAST where the type holds values
        # beyond BIGINT (NULL there, and outside the guard, so never used).
        cast = "CAST" if largest <= 2**63 else "TRY_CAST"
        if unit == 0:
            read = f"{cast}({raw} AS BIGINT)"
        else:
            read = f"{cast}({_shift(raw, len(str(largest)) - 1 + places, places)} AS BIGINT)"
        valid = f"(floor({raw}) = {raw})" if count and places else None
        # Outside the guard the value may be anything (it is not used there), but reading it
        # must not fail: only a read that could overflow waits for the guard.
        clamp = inside if inside is not None and unit > 0 and read_bound >= 2**63 else None
        when = " AND ".join(c for c in (clamp, valid) if c is not None) or None
        value = self.stages.add(read, self.inputs.depth, when=when)
        if count:
            wanted = "a whole number 0 or more"
        else:
            wanted = f"a number with at most {scale} decimal places, written with plain digits"
        if valid is not None:
            self.errors.append((f"NOT {valid}", self.fail(f"`{name}` must be {wanted}, not ")
                                + shown))
        if count:
            self.errors.append((f"{raw} < 0", self.fail(
                f"`{name}` is a count and must be a whole number 0 or more, not ") + shown))
        outside = []
        if measure.low is not None:
            outside.append(f"({raw} < {_decimal_literal(measure.low)})")
        if measure.high is not None:
            outside.append(f"({raw} > {_decimal_literal(measure.high)})")
        if outside:
            low = "" if measure.low is None else _show(measure.low)
            high = "" if measure.high is None else _show(measure.high)
            self.errors.append((" OR ".join(outside), self.fail(
                f"`{name}` must be in {low}..{high}, not ") + shown))
        nonnegative = count or (measure.low is not None and measure.low >= 0)
        self.names[name] = _Ratio(_Int(1, value.sql, value.depth, nonnegative, max(1, bound)),
                                  _Int(10**unit))
        kind = self.inputs.declared(self.node, name)
        assert kind is not None
        kind = " ".join(kind.upper().split())
        smallest = -1 if kind.startswith("U") else -largest
        self.direct[value.sql] = _Typed(raw, kind, smallest, largest, places, unit)
        return True

    def range_checks(self, measure: nodes.Measure, value: _Ratio, shown: str) -> None:
        outside = []
        if measure.low is not None:
            outside.append(self.compare(value, "<", self.constant(measure.low), inline=True))
        if measure.high is not None:
            outside.append(self.compare(value, ">", self.constant(measure.high), inline=True))
        if outside:
            low = "" if measure.low is None else _show(measure.low)
            high = "" if measure.high is None else _show(measure.high)
            self.errors.append((" OR ".join(outside), self.fail(
                f"`{measure.name}` must be in {low}..{high}, not ") + shown))

    # -- expressions -------------------------------------------------------------------------

    def constant(self, value: Decimal) -> _Ratio:
        fraction = Fraction(value)
        return _Ratio(_Int(fraction.numerator), _Int(fraction.denominator))

    def lets(self) -> None:
        for let in self.node.lets:
            if self.is_condition(let.expr):
                # A `let` holding a condition acts like a flag (see the language reference).
                self.names[let.name] = f"({self.condition(let.expr)})"
                continue
            ratio = self.number(let.expr)
            self.names[let.name] = _Ratio(self.keep(ratio.num), self.keep(ratio.den))

    def is_condition(self, expr: nodes.Expr) -> bool:
        if isinstance(expr, nodes.Name):
            return isinstance(self.names.get(expr.name), str)
        return isinstance(expr, (nodes.Compare, nodes.BoolOp, nodes.Not))

    def number(self, expr: nodes.Expr) -> _Ratio:
        known = self.memo.get(expr)
        if known is not None:
            return known
        result = self.operation(expr)
        self.memo[expr] = result
        return result

    def operation(self, expr: nodes.Expr) -> _Ratio:
        if isinstance(expr, nodes.Number):
            return self.constant(expr.value)
        if isinstance(expr, nodes.Name):
            named = self.names[expr.name]
            assert isinstance(named, _Ratio)
            return named
        if isinstance(expr, nodes.Negate):
            value = self.number(expr.operand)
            return _Ratio(_scale(value.num, -1), value.den)
        assert isinstance(expr, nodes.BinaryOp), expr
        left, right = self.number(expr.left), self.number(expr.right)
        if expr.op in "+-":
            if expr.op == "-":
                right = _Ratio(_scale(right.num, -1), right.den)
            if right.den.static and left.den.static:
                common = math.lcm(left.den.coef, right.den.coef)
                num = self.plus(_scale(left.num, common // left.den.coef),
                                _scale(right.num, common // right.den.coef))
                return _Ratio(num, _Int(common))
            num = self.plus(_times(left.num, right.den), _times(right.num, left.den))
            return _Ratio(num, _times(left.den, right.den))
        if expr.op == "*":
            return self.product(left.num, left.den, right.num, right.den)
        return self.divide(expr, left, right)

    def product(self, a: _Int, b: _Int, c: _Int, d: _Int) -> _Ratio:
        """``(a × c) / (b × d)`` with constant factors cancelled."""
        g = math.gcd(a.coef, d.coef)
        a, d = attrs.evolve(a, coef=a.coef // g), attrs.evolve(d, coef=d.coef // g)
        g = math.gcd(c.coef, b.coef)
        c, b = attrs.evolve(c, coef=c.coef // g), attrs.evolve(b, coef=b.coef // g)
        return _Ratio(_times(a, c), _times(b, d))

    def divide(self, expr: nodes.BinaryOp, left: _Ratio, right: _Ratio) -> _Ratio:
        message = string(f"indicator {self.node.id}: division by zero in `{describe_expr(expr)}`: "
                         f"`{describe_expr(expr.right)}` is 0")
        divisor = right.num
        if divisor.static:
            self.errors.append(("1 = 1" if divisor.coef == 0 else "1 = 0", message))
            if divisor.coef == 0:
                return _Ratio(_Int(0), _Int(1))
            sign = -1 if divisor.coef < 0 else 1
            return self.product(_scale(left.num, sign), left.den, right.den,
                                _Int(abs(divisor.coef)))
        divisor = self.keep(divisor)
        assert divisor.sql is not None
        zero = f"{divisor.sql} = 0"
        typed = self.direct.get(divisor.sql)
        if typed is not None:
            # On the column as it is, whose statistics DuckDB keeps (a cast may hide them): where
            # they show no zero, the test is planned away.
            self.errors.append((f"{typed.raw} = 0", message))
        elif _is_simple(divisor.sql):
            self.errors.append((zero, message))
        elif self.fits(divisor):
            self.errors.append((self.guarded(zero), message))
        else:
            self.errors.append((self.dialect.arithmetic(zero), message))
        sign = -1 if divisor.coef < 0 else 1
        magnitude = attrs.evolve(divisor, coef=abs(divisor.coef))
        numerator = _scale(left.num, sign)
        if not divisor.nonnegative:
            # Keep the denominator positive: move the divisor's sign to the numerator.
            numerator = self.keep(numerator)
            flipped = f"CASE WHEN {divisor.sql} < 0 THEN -{self.render(numerator)} " \
                      f"ELSE {self.render(numerator)} END"
            if numerator.static:  # constants alone would be small integers in DuckDB
                kind = "BIGINT" if self.typed else self.dialect.integer
                flipped = f"CAST({flipped} AS {kind})"
            numerator = _Int(1, flipped, max(numerator.depth, divisor.depth),
                             bound=_magnitude(numerator))
            magnitude = _Int(abs(divisor.coef), f"abs({divisor.sql})", divisor.depth, True,
                             divisor.bound)
        return self.product(numerator, left.den, right.den, magnitude)

    # -- conditions --------------------------------------------------------------------------

    def compare(self, left: _Ratio, op: str, right: _Ratio, inline: bool = False) -> str:
        """``left op right`` by cross-multiplying; a column that is NULL on overflow unless
        ``inline``."""
        lhs = _times(left.num, right.den)
        rhs = _times(right.num, left.den)
        if lhs.coef and rhs.coef:
            g = math.gcd(lhs.coef, rhs.coef)
            lhs, rhs = _scale_down(lhs, g), _scale_down(rhs, g)
        sql_op = {"==": "=", "!=": "<>"}.get(op, op)
        if lhs.static and rhs.static:
            holds = _python_compare(lhs.coef, op, rhs.coef)
            return self.dialect.true if holds else self.dialect.false
        direct = self.direct_compare(lhs, op, rhs)
        if direct is not None:
            return direct
        if inline or (_plain(lhs) and _plain(rhs)) or self.fits(lhs, rhs):
            # No arithmetic, or typed arithmetic within 64 bits: nothing can overflow.
            return f"({self.render(lhs)} {sql_op} {self.render(rhs)})"
        if self.dialect.guards_overflow:
            lhs, rhs = self.keep(lhs), self.keep(rhs)
            guards = [self.dialect.exact(side.sql) for side in (lhs, rhs) if side.sql is not None]
            sql = f"CASE WHEN {' AND '.join(guards)} THEN " \
                  f"{self.render(lhs)} {sql_op} {self.render(rhs)} END"
        else:
            sql = self.dialect.arithmetic(f"{self.render(lhs)} {sql_op} {self.render(rhs)}")
        atom = self.stages.add(sql, max(lhs.depth, rhs.depth))
        self.atoms.append(atom.sql)
        return atom.sql

    def direct_compare(self, lhs: _Int, op: str, rhs: _Int) -> str | None:
        """``a × value op constant`` for a typed measure, written on the column as it is:
        ``"3.rate" >= CAST(85 AS DECIMAL(15,2))`` instead of scaling every row's value to an
        integer first. None when the constant has more decimal places than the column or lies
        outside its type."""
        if not lhs.static and rhs.static:
            variable, constant = lhs, rhs.coef
        elif lhs.static and not rhs.static:
            variable, constant = rhs, lhs.coef
            op = FLIPPED[op]
        else:
            return None
        typed = self.direct.get(variable.sql or "")
        if typed is None or variable.coef == 0:
            return None
        if variable.coef < 0:
            op = FLIPPED[op]
        value = Fraction(constant, variable.coef * 10**typed.unit)
        places = typed.places
        if (value * 10**places).denominator != 1 or not typed.smallest < value < typed.largest:
            return None
        literal = _show(Decimal(int(value * 10**places)).scaleb(-places))
        sql_op = {"==": "=", "!=": "<>"}.get(op, op)
        return f"({typed.raw} {sql_op} CAST({literal} AS {typed.kind}))"

    def condition(self, expr: nodes.Expr, negated: bool = False) -> str:
        """``expr`` as SQL, or its negation with no ``NOT`` in it: comparisons reversed, AND
        and OR swapped, a flag compared with false. Both keep SQL's NULL (``NOT NULL`` is NULL,
        and so are ``NULL < 1`` and ``NULL = FALSE``). DuckDB turns ``NOT (a >= b)`` into
        ``a < b`` itself, but evaluates ``NOT flag`` into a vector of its own before selecting
        rows; ``flag = FALSE`` selects directly, which makes a ladder of five milestones more
        than twice as fast."""
        if isinstance(expr, nodes.Name):
            named = self.names[expr.name]
            assert isinstance(named, str)
            return self.negation(named) if negated else named
        if isinstance(expr, nodes.Not):
            return self.condition(expr.operand, not negated)
        if isinstance(expr, nodes.BoolOp):
            parts = [self.condition(operand, negated) for operand in expr.operands]
            return "(" + f" {_JOINED[expr.op, negated]} ".join(parts) + ")"
        assert isinstance(expr, nodes.Compare), expr
        values = [self.number(operand) for operand in expr.operands]
        parts = [self.compare(a, NEGATED[op] if negated else op, b)
                 for a, op, b in zip(values, expr.ops, values[1:])]
        return parts[0] if len(parts) == 1 else "(" + f" {_JOINED['and', negated]} ".join(parts) + ")"

    def negation(self, flag: str) -> str:
        """``NOT flag`` for a boolean SQL term, in the form DuckDB selects rows by fastest."""
        return f"({flag} = {self.dialect.false})"

    # -- level, score, errors ----------------------------------------------------------------

    def level_columns(self, missing: tuple[str, str] | None = None) -> _Scored:
        """The indicator's level, score and error (see :class:`_Scored`). ``missing`` is the long
        form's "no rows" error, which comes first."""
        if missing is not None:
            self.errors.append(missing)
        self.measures()
        if self.ranges:
            self.guard = self.stages.add(" AND ".join(self.ranges), self.inputs.depth).sql
        self.lets()
        branches, default = self.level_branches()
        score = self.score()
        overflow = [f"{atom} IS NULL" for atom in self.atoms]
        if self.guard is not None:
            overflow.append(f"NOT {self.guard}")
        if score is not None:
            overflow.append(f"{score.sql} IS NULL")
        if overflow:
            self.errors.append((" OR ".join(overflow), self.fail(
                f"a number is too large for exact {self.dialect.name} arithmetic")))
        depth = max([self.stages_depth(), score.depth if score else -1])
        # The ladder's arithmetic could overflow outside the range guard, so it is computed only
        # where the guard holds (DuckDB drops the test where the table's statistics prove it).
        ladder = self.guarded(f"CASE {' '.join(branches)} ELSE {default} END")
        level = self.stages.add(ladder, depth)
        if not self.errors:
            return _Scored(level.sql, (score or level).sql, None, None, score is not None)
        # NULL where a condition is NULL, which is not an error (as in the error CASE, whose
        # earlier branches catch what made it NULL): `NULL OR FALSE` is not true.
        failing = self.stages.add(" OR ".join(f"({when})" for when, _ in self.errors), depth)
        error = "CASE " + " ".join(f"WHEN {when} THEN {text}" for when, text in self.errors) \
            + " END"
        return _Scored(level.sql, (score or level).sql, failing.sql, error, score is not None)

    def level_branches(self) -> tuple[list[str], int]:
        """The level as the branches of a CASE over the levels' conditions and its ELSE value,
        by the indicator's policy."""
        conditions = []
        milestones = sorted(self.done)
        for level in self.node.levels:
            if level.is_milestone:
                needed = [level.number]
                if self.node.policy == "highest":
                    needed = [m for m in milestones if m <= level.number]
                if self.node.policy == "highest":
                    conditions.append("(" + " AND ".join(self.done[m] for m in needed) + ")")
                else:
                    conditions.append(
                        "(" + " OR ".join(self.negation(self.done[m]) for m in needed) + ")")
            else:
                assert level.condition is not None
                conditions.append(self.condition(level.condition,
                                                 negated=self.node.policy != "highest"))
        top = len(conditions)
        if self.node.policy == "highest":
            return [f"WHEN {conditions[k - 1]} THEN {k}" for k in range(top, 0, -1)], 0
        # Level k is the first whose condition fails: the conditions above are negated.
        return [f"WHEN {condition} THEN {k}" for k, condition in enumerate(conditions)], top

    def stages_depth(self) -> int:
        return self.stages.deepest

    def score(self) -> _Column | None:
        """``score × 10**4`` as an integer column, for ``score interpolate``."""
        shape = interpolation(self.node) if self.node.interpolate else None
        if shape is None:
            return None
        x = self.number(shape.expr)
        x = _Ratio(self.keep(x.num), self.keep(x.den))
        unit = 10**_SCORE_PLACES
        thresholds = [self.constant(t) for t in shape.thresholds]
        # Each level's own comparison, so that a strict `>` at a threshold stays below it.
        beyond = [self.compare(x, op, t) for op, t in zip(shape.ops, thresholds)]
        top = len(thresholds)
        fits = self.typed
        branches = [f"WHEN {beyond[-1]} THEN {top * unit}"]
        for k in range(top - 1, 0, -1):
            low, high = shape.thresholds[k - 1], shape.thresholds[k]
            step = Fraction(high - low) if shape.rising else Fraction(low - high)
            # (x - t_k) / (t_k+1 - t_k), both sides >= 0 here, rounded half up to 4 places:
            # floor((2 * 10**4 * p + q) / (2 * q)) for the fraction p / q.
            sign = 1 if shape.rising else -1
            t = self.constant(low)
            diff_num = self.plus(_scale(_times(x.num, t.den), sign),
                                 _scale(_times(t.num, x.den), -sign))
            p = _scale(diff_num, step.denominator)
            q = _scale(_times(x.den, t.den), step.numerator)
            upper, lower = self.plus(_scale(p, 2 * unit), q), _scale(q, 2)
            fits = self.fits(upper, lower) and fits
            top_sql, bottom_sql = self.render(upper), self.render(lower)
            rounded = self.dialect.floor_div(top_sql, bottom_sql)
            # The integer part of a score is its level: a fraction that rounds to 1 is 0.9999.
            capped = self.plus(upper, _scale(lower, -unit))
            fits = self.fits(capped, lower) and fits
            branches.append(f"WHEN {beyond[k - 1]} THEN {k * unit} + CASE WHEN "
                            f"{self.render(capped)} >= 0 THEN {unit - 1} ELSE {rounded} END")
        sql = f"CASE {' '.join(branches)} ELSE 0 END"
        depth = self.stages_depth()
        if not self.dialect.guards_overflow:
            return self.stages.add(self.guarded(sql) if fits else sql, depth,
                                   arithmetic=not fits)
        raw = self.stages.add(sql, depth)
        guard = self.dialect.exact(raw.sql)
        return self.stages.add(f"CASE WHEN {guard} THEN {raw.sql} END", raw.depth)


@attrs.frozen
class _Typed:
    """A measure read from a typed column (``types=``): the column ``raw`` of SQL type ``kind``
    with ``places`` decimal places, which holds every number with those places strictly between
    ``smallest`` and ``largest``; its value column holds ``raw × 10**unit`` as a BIGINT."""

    raw: str
    kind: str
    smallest: int
    largest: int
    places: int
    unit: int


def _shift(decimal: str, width: int, places: int) -> str:
    """A DuckDB ``DECIMAL(width, places)`` times ``10**places``, exactly. DuckDB gives the product
    of two DECIMALs of at most 18 digits 18 digits and raises an error where it needs more
    (``DECIMAL(18, 4)`` holding 10**10, times 10000), so a product that may need more is
    written with a 19-digit factor, which makes it a 38-digit DECIMAL."""
    if places == 0:
        return decimal
    if width <= 18 < width + places + 1:
        return f"{decimal} * CAST({10**places} AS DECIMAL(19, 0))"
    return f"{decimal} * {10**places}"


@attrs.frozen
class _Scored:
    """An indicator's columns: ``level`` and ``score`` (× 10**4 when ``interpolated``, else the
    level) as computed, whether or not the record has an error; ``failing``, a boolean column
    true where it has one (None when it cannot have one); ``error``, the text, an expression to
    evaluate only where ``failing`` holds.

    The error is applied last, by :meth:`masked` in the outputs and by one test of all the
    indicators' ``failing`` for the total: a row without errors then builds no text, and DuckDB
    spends one CASE branch on the scorecard's errors instead of one per indicator (a branch costs
    about as much as a level's comparison, and a text column tested ``IS NULL`` per indicator
    cost more than the levels themselves)."""

    level: str
    score: str
    failing: str | None
    error: str | None
    interpolated: bool

    def masked(self, column: str) -> str:
        """``column``, NULL where the record has an error."""
        if self.failing is None:
            return column
        return f"CASE WHEN {self.failing} THEN NULL ELSE {column} END"

    def error_text(self, dialect: _Dialect) -> str:
        if self.error is None:
            return f"CAST(NULL AS {dialect.text})"
        return f"CASE WHEN {self.failing} THEN {self.error} END"


def _plain(value: _Int) -> bool:
    """Whether ``value`` is a constant or a column as it is, with no arithmetic."""
    return value.sql is None or (value.coef == 1 and _is_simple(value.sql))


def _scale_down(value: _Int, factor: int) -> _Int:
    return attrs.evolve(value, coef=value.coef // factor)


NEGATED = {">=": "<", ">": "<=", "<=": ">", "<": ">=", "==": "!=", "!=": "=="}
"""Each comparison with the opposite outcome: ``NOT (a >= b)`` is ``a < b``."""

_JOINED = {("and", False): "AND", ("or", False): "OR", ("and", True): "OR", ("or", True): "AND"}
"""How a condition's parts are joined, plain or negated (De Morgan)."""


def _strip(text: str) -> str:
    """``text`` (SQL) without the white space around it, as Python's ``str.strip()`` (DuckDB)."""
    return _DIALECTS["duckdb"].strip(text)


def _python_compare(left: int, op: str, right: int) -> bool:
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right,
            "==": left == right, "!=": left != right}[op]


def _decimal_literal(value: Decimal) -> str:
    text = _show(value)
    return f"({text})" if text.startswith("-") else text


_INTEGER_BOUNDS = {"TINYINT": 2**7, "INT1": 2**7, "SMALLINT": 2**15, "INT2": 2**15,
                   "INTEGER": 2**31, "INT": 2**31, "INT4": 2**31, "BIGINT": 2**63, "INT8": 2**63,
                   "HUGEINT": 2**127, "UTINYINT": 2**8, "USMALLINT": 2**16, "UINTEGER": 2**32,
                   "UBIGINT": 2**64, "UHUGEINT": 2**128}


def _declared(kind: str | None) -> tuple[int, int] | str | None:
    """A declared column type as ``(largest magnitude, decimal places)``, ``"BOOLEAN"``, or None
    for a type read as usual (text, DOUBLE, ...)."""
    if kind is None:
        return None
    kind = "".join(kind.upper().split())
    if kind in ("BOOLEAN", "BOOL", "LOGICAL"):
        return "BOOLEAN"
    if kind in _INTEGER_BOUNDS:
        return _INTEGER_BOUNDS[kind], 0
    for prefix in ("DECIMAL(", "NUMERIC("):
        if kind.startswith(prefix) and kind.endswith(")"):
            parts = kind[len(prefix):-1].split(",")
            if len(parts) == 2 and all(part.isdigit() for part in parts):
                width, places = int(parts[0]), int(parts[1])
                if 1 <= width <= 38 and places <= width:
                    return 10**(width - places), places
    return None


def _show(value: Decimal) -> str:
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


# --------------------------------------------------------------------------------------------
# Input forms: where a measure's value and the milestones come from.


class _Inputs:
    depth = -1

    def __init__(self, stages: _Stages, subject: str, table: str, strict: bool,
                 types: Mapping[str, str] | None = None) -> None:
        self.stages = stages
        self.dialect = stages.dialect
        self.subject = subject
        self.table = table
        self.strict = strict
        self.types = types
        self.columns: list[tuple[str, str]] = []
        self.counter = itertools.count(1)

    def trial(self) -> _Inputs:
        """Inputs of the same table writing into throwaway stages (to try a writer out)."""
        return type(self)(_Stages(self.dialect), self.subject, self.table, self.strict, self.types)

    def declared(self, node: nodes.IndicatorNode, measure: str) -> str | None:
        """The SQL type ``types=`` declares for a measure's column, if any."""
        return None

    def column(self, sql: str) -> str:
        alias = f"_i{next(self.counter)}"
        self.columns.append((alias, sql))
        return quote(alias)

    def value(self, node: nodes.IndicatorNode, measure: str) -> tuple[str, str | None]:
        raise NotImplementedError

    def milestones(self, writer: _Writer, levels: list[int]
                   ) -> tuple[dict[int, str], tuple[str, str] | None]:
        raise NotImplementedError

    def unknown_measure(self, writer: _Writer) -> tuple[str, str] | None:
        return None

    def record_missing(self, node: nodes.IndicatorNode) -> tuple[str, str] | None:
        """The error (condition, text) for a subject that has no data for ``node``."""
        return None

    def unknown_indicator(self, ids: Iterable[str]) -> str | None:
        return None

    def source(self) -> str:
        raise NotImplementedError


class _Wide(_Inputs):
    def value(self, node: nodes.IndicatorNode, measure: str) -> tuple[str, str | None]:
        return self.column(quote(column_name(node.id, measure))), None

    def declared(self, node: nodes.IndicatorNode, measure: str) -> str | None:
        return None if self.types is None else self.types.get(column_name(node.id, measure))

    def milestones(self, writer: _Writer, levels: list[int]
                   ) -> tuple[dict[int, str], tuple[str, str] | None]:
        done: dict[int, str] = {}
        messages: list[tuple[str, str]] = []
        for level in levels:
            name = milestone_column(writer.node.id, level)
            raw = self.column(quote(name))
            if self.types is not None and _declared(self.types.get(name)) == "BOOLEAN":
                done[level] = f"COALESCE({raw}, FALSE)"
                continue
            flag = self.dialect.flag(self.stages, _Column(raw, self.depth), missing=True)
            done[level] = f"({flag.sql} = {self.dialect.true})"
            messages.append((f"{flag.sql} IS NULL", writer.fail(
                f"`{name}` must be true or false (milestone {level} done or not), not ")
                + f" || {self.dialect.quoted(raw)}"))
        if not messages:
            return done, None
        when = " OR ".join(w for w, _ in messages)
        text = "CASE " + " ".join(f"WHEN {w} THEN {m}" for w, m in messages) + " END"
        return done, (when, text)

    def source(self) -> str:
        selected = [f"{quote(self.subject)} AS \"_subject\""]
        selected += [f"{sql} AS {quote(alias)}" for alias, sql in self.columns]
        return "SELECT " + ",\n    ".join(selected) + f"\n  FROM {self.table}"


class _Long(_Inputs):
    def __init__(self, stages: _Stages, subject: str, table: str, strict: bool,
                 types: Mapping[str, str] | None = None) -> None:
        super().__init__(stages, subject, table, strict, types)
        self.normal = self.dialect.strip(self.dialect.digits("_v"))

    def rows_of(self, node: nodes.IndicatorNode) -> str:
        return f"_k = {string(node.id)}"

    def value(self, node: nodes.IndicatorNode, measure: str) -> tuple[str, str | None]:
        where = f"{self.rows_of(node)} AND _m = {string(measure)}"
        value = self.column(f"MAX(CASE WHEN {where} THEN _v END)")
        count = self.column(f"SUM(CASE WHEN {where} THEN 1 ELSE 0 END)")
        return value, count

    def unknown_measure(self, writer: _Writer) -> tuple[str, str] | None:
        # As the command line refuses them: a row with no measure; `milestones` rows for an
        # indicator without milestone levels; an unknown measure (with strict=False, only one
        # with no value). The odd name found, '' for a row with no measure.
        node = writer.node
        takes_milestones = any(level.is_milestone for level in node.levels)
        known = [m.name for m in node.measures] + (["milestones"] if takes_milestones else [])
        unknown = f"_m NOT IN ({', '.join(string(name) for name in known)})" if known else "TRUE"
        if not self.strict:
            unknown = f"({unknown} AND (_m = 'milestones' OR coalesce({self.normal}, '') = ''))"
        rows = self.rows_of(node)
        odd = self.column(f"MIN(CASE WHEN {rows} AND coalesce(_m, '') = '' THEN '' "
                          f"WHEN {rows} AND {unknown} THEN _m END)")
        other = (writer.fail("unknown measure `") if self.strict
                 else writer.fail("the row has no value for `")) + f" || {odd} || '`'"
        text = (f"CASE WHEN {odd} = '' THEN {writer.fail('the row has no measure')} "
                f"WHEN {odd} = 'milestones' THEN " + string(
                    f"indicator {node.id} has no milestone levels, so it takes no `milestones` "
                    "rows") + f" ELSE {other} END")
        return f"{odd} IS NOT NULL", text

    def milestones(self, writer: _Writer, levels: list[int]
                   ) -> tuple[dict[int, str], tuple[str, str] | None]:
        node = writer.node
        where = f"{self.rows_of(node)} AND _m = 'milestones'"
        done = {}
        number = "_n"  # the level each milestone row names (see source())
        for level in levels:
            column = self.column(
                f"MAX(CASE WHEN {where} AND {number} = {level} THEN 1 ELSE 0 END)")
            done[level] = f"({column} = 1)"
        allowed = ", ".join(str(level) for level in levels)
        odd = f"{self.normal} IS NULL" if not levels else \
            f"({number} IS NULL OR {number} NOT IN ({allowed}))"
        bad = self.column(f"MIN(CASE WHEN {where} AND {odd} THEN COALESCE(_v, 'NULL') END)")
        shown = ", ".join(str(level) for level in levels) or "none"
        return done, (f"{bad} IS NOT NULL", writer.fail("`milestones` holds ") + f" || {bad} || "
                      + string(", which is not a milestone level of this indicator "
                               f"(its milestone levels: {shown})"))

    def record_missing(self, node: nodes.IndicatorNode) -> tuple[str, str] | None:
        # As in the command line's long layout: a milestone is reported by its row, so an
        # indicator of milestones only with no rows has none done (level 0), not an error.
        if not node.measures:
            return None
        rows = self.column(f"SUM(CASE WHEN {self.rows_of(node)} THEN 1 ELSE 0 END)")
        needs = ", ".join(f"`{measure.name}`" for measure in node.measures)
        return f"{rows} = 0", string(f"no rows for indicator {node.id} (it needs {needs})")

    def unknown_indicator(self, ids: Iterable[str]) -> str | None:
        # Refused with strict=False too, as RuleSet.evaluate refuses it.
        known = ", ".join(string(i) for i in ids)
        # '' for a row with no indicator (which comes first: MIN).
        return self.column(
            f"MIN(CASE WHEN coalesce(_k, '') = '' THEN '' WHEN _k NOT IN ({known}) THEN _k END)")

    def source(self) -> str:
        text = self.dialect.text
        # Ids and measure names with spaces around them are read as the command line reads them.
        indicator, measure = (self.dialect.strip(f"CAST({quote(name)} AS {text})")
                              for name in ("indicator", "measure"))
        rows = (f"SELECT {quote(self.subject)} AS \"_subject\", {indicator} AS _k, "
                f"{measure} AS _m, "
                f"{self.dialect.value_text(quote('value'))} AS _v FROM {self.table}")
        # Each milestone row's level, read once per row rather than once per level.
        rows = (f"SELECT *, CASE WHEN _m = 'milestones' THEN "
                f"{self.dialect.whole_number(self.normal)} END AS _n FROM ({rows}) AS _read")
        selected = ['"_subject"'] + [f"{sql} AS {quote(alias)}" for alias, sql in self.columns]
        return ("SELECT " + ",\n    ".join(selected)
                + f"\n  FROM ({rows}) AS _rows\n  GROUP BY \"_subject\"")


# --------------------------------------------------------------------------------------------
# The public functions.


@attrs.frozen
class _Options:
    dialect: _Dialect
    form: str
    table: str
    subject: str
    scale: int
    strict: bool
    types: Mapping[str, str] | None = None


def _options(table: str, form: str, dialect: str, subject: str, scale: int,
             strict: bool, types: Mapping[str, str] | None = None) -> _Options:
    if dialect not in _DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}; use one of {', '.join(DIALECTS)}")
    if form not in ("wide", "long"):
        raise ValueError(f"unknown table form {form!r}; use 'wide' or 'long'")
    if isinstance(scale, bool) or not isinstance(scale, int) or not 0 <= scale <= 12:
        raise ValueError(f"scale must be a whole number from 0 to 12, not {scale!r}")
    if not table:
        raise ValueError("table must name a table or view")
    if types is not None:
        if dialect != "duckdb" or form != "wide":
            raise ValueError("types= is for DuckDB tables in the wide form")
        if not isinstance(types, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in types.items()):
            raise ValueError("types must map column names to SQL type names")
        types = dict(types)
    return _Options(_DIALECTS[dialect], form, _qualified(table), subject, scale, strict, types)


_NAME_PART = re.compile(r'"(?:[^"]|"")+"|[^."]+')


def _qualified(table: str) -> str:
    """``schema.table`` quoted part by part; a part the caller quoted (``"odd.name"``) is kept
    as it is, and anything else with a double quote in it is refused."""
    parts, at = [], 0
    while True:
        part = _NAME_PART.match(table, at)
        if part is None:
            raise ValueError(f"table {table!r} is not a name, schema.name or \"quoted\" name")
        text = part.group()
        parts.append(text if text.startswith('"') else quote(text))
        at = part.end()
        if at == len(table):
            return ".".join(parts)
        if table[at] != ".":
            raise ValueError(f"table {table!r} is not a name, schema.name or \"quoted\" name")
        at += 1


def _inputs(options: _Options, stages: _Stages) -> _Inputs:
    kind = _Wide if options.form == "wide" else _Long
    return kind(stages, options.subject, options.table, options.strict, options.types)


_LIMITS = (None, *(10**k for k in range(18, 11, -1)))
"""The range guards tried with ``types=``, in scaled integers (a number with ``scale=4`` of up
to 10**8 is 10**12): with no guard, or one below 10**12, the indicator is computed in HUGEINT."""


def _writer(node: nodes.IndicatorNode, stages: _Stages, inputs: _Inputs, scale: int) -> _Writer:
    """The writer for ``node``; with ``types=``, one computing in BIGINT under the largest range
    guard (none if the types alone suffice) that keeps every integer within 64 bits, found by
    writing the indicator into throwaway stages. Failing that, the usual HUGEINT writer."""
    if inputs.types is not None:
        for limit in _LIMITS:
            trial = _Writer(node, _Stages(stages.dialect), inputs.trial(), scale, True, limit)
            trial.level_columns()
            if not trial.unfit:
                return _Writer(node, stages, inputs, scale, True, limit)
    return _Writer(node, stages, inputs, scale)


def _points(node: nodes.IndicatorNode, score: str, interpolated: bool
            ) -> tuple[Fraction, str] | None:
    """The exact points ``weight × score / N`` as (constant factor, integer score column)."""
    if node.weight is None:
        return None
    unit = 10**_SCORE_PLACES if interpolated else 1
    return Fraction(node.weight) / (unit * len(node.levels)), score


def _points_sql(terms: list[tuple[Fraction, str]], dialect: _Dialect, maxima: list[int]) -> str:
    """:func:`_rounded` as a decimal. ``maxima`` are the largest values of the score columns.

    In DuckDB, where the factors are exact in few decimal places (``weight 20`` over 5 levels:
    4 points a level), the sum is computed in those places as an INTEGER or BIGINT, which the
    bounds allow, and turned into the decimal once: HUGEINT arithmetic and a 10-place DECIMAL for
    every term cost more than scoring a level."""
    if isinstance(dialect, _DuckDB) and terms:
        places = next((k for k in range(_POINT_PLACES + 1)
                       if all((factor * 10**k).denominator == 1 for factor, _ in terms)), None)
        if places is not None:
            coefs = [int(factor * 10**places) for factor, _ in terms]
            largest = sum(abs(c) * top for c, top in zip(coefs, maxima))
            if largest < 10**18:
                integer = "INTEGER" if largest < 2**31 else "BIGINT"
                # Terms with the same factor share one multiplication (weights repeat).
                by_coef: dict[int, list[str]] = {}
                for c, (_, column) in zip(coefs, terms):
                    by_coef.setdefault(c, []).append(f"CAST({column} AS {integer})")
                parts = []
                for c, columns in by_coef.items():
                    added = " + ".join(columns)
                    if c == 1:
                        parts.append(added)
                    else:
                        parts.append(f"{c} * ({added})" if len(columns) > 1 else f"{c} * {added}")
                summed = " + ".join(parts)
                if places == 0:
                    return f"CAST({summed} AS DECIMAL(38, {_POINT_PLACES}))"
                unit = "0." + "0" * (places - 1) + "1"
                return (f"CAST(CAST({summed} AS DECIMAL(18, 0)) * {unit} "
                        f"AS DECIMAL(38, {_POINT_PLACES}))")
    return dialect.decimal(_rounded(terms, dialect), _POINT_PLACES)


def _rounded(terms: list[tuple[Fraction, str]], dialect: _Dialect) -> str:
    """``Σ factor × column`` (columns are integers >= 0) rounded half up to 10 places, as an
    integer count of 10**-10 in the dialect's integer type."""
    integer = dialect.integer
    unit = 10**_POINT_PLACES
    if all((factor * unit).denominator == 1 for factor, _ in terms):
        exact = [(int(factor * unit), f"CAST({column} AS {integer})")
                 for factor, column in terms]
        return "(" + " + ".join(column if coef == 1 else f"{dialect.literal(coef)} * {column}"
                                for coef, column in exact) + ")" if exact else "0"
    common = math.lcm(*(factor.denominator for factor, _ in terms))
    parts = []
    for factor, column in terms:
        coef = int(factor * common)
        column = f"CAST({column} AS {integer})"
        parts.append(column if coef == 1 else f"{dialect.literal(coef)} * {column}")
    total = " + ".join(parts)
    # floor((2 * 10**10 * P + L) / (2 * L)) for P / L, with the constants cancelled.
    a, b, c = 2 * unit, common, 2 * common
    g = math.gcd(math.gcd(a, b), c)
    a, b, c = a // g, b // g, c // g
    negative = any(factor < 0 for factor, _ in terms)
    positive = dialect.floor_div(f"({a} * ({total}) + {b})", str(c))
    if not negative:
        return positive
    flipped = dialect.floor_div(f"({a} * (-({total})) + {b})", str(c))
    return f"CASE WHEN ({total}) < 0 THEN -{flipped} ELSE {positive} END"


def indicator_sql(indicator: Indicator, *, table: str = "records", form: Form = "wide",
                  dialect: Dialect = "duckdb", subject: str = "subject",
                  scale: int = DEFAULT_SCALE, strict: bool = True,
                  types: Mapping[str, str] | None = None) -> str:
    """One query scoring every subject of ``table`` on ``indicator``.

    Columns: ``subject`` (named as in the table), ``level``, ``score``, ``points`` (NULL without a
    weight) and ``error`` (NULL, or why the record cannot be scored, as
    :class:`~kpirules.EvaluationError` would say). ``table`` is a table or view, perhaps
    ``schema.table``; a part in double quotes is used as written (``'"odd.name"'`` for a table
    whose name holds a dot), and any other double quote is refused. ``form`` is ``"wide"``
    (one row per subject, columns ``"ID.MEASURE"`` and ``"ID.milestones.K"``) or ``"long"``
    (rows of ``subject, indicator, measure, value``); ``dialect`` is ``"duckdb"``,
    ``"sqlite"`` or ``"postgres"``; ``scale`` is how many decimal places a ``number`` measure
    may have; ``strict=False`` ignores unknown measures in the long form (those given a value, as
    the command line does); ``types`` declares the SQL types of the wide table's columns (DuckDB
    only), for a faster query that computes in 64 bits (see the module's documentation).

    >>> import sqlite3, kpirules
    >>> rules = kpirules.parse('''
    ... indicator 6 "Online sales growth"
    ...   measure growth "percent"
    ...   level 1 if growth >= 11
    ...   level 2 if growth >= 12
    ...   score interpolate
    ... ''')
    >>> db = sqlite3.connect(":memory:")
    >>> _ = db.execute("CREATE TABLE kpi (subject, indicator, measure, value)")
    >>> _ = db.executemany("INSERT INTO kpi VALUES (?, '6', 'growth', ?)",
    ...                    [("a", "11.5"), ("b", "๑๒"), ("c", "lots")])
    >>> query = rules["6"].to_sql(table="kpi", form="long", dialect="sqlite")
    >>> for subject, level, score, points, error in db.execute(query + " ORDER BY 1"):
    ...     print(subject, level, score, error)  # doctest: +ELLIPSIS
    a 1 1.5 None
    b 2 2.0 None
    c None None indicator 6: `growth` must be a number with at most 4 decimal places, ...
    """
    options = _options(table, form, dialect, subject, scale, strict, types)
    stages = _Stages(options.dialect)
    inputs = _inputs(options, stages)
    node = indicator.node
    scored = _writer(node, stages, inputs, options.scale).level_columns()
    d = options.dialect
    score = scored.masked(scored.score)
    points = _points(node, score, scored.interpolated)
    points_sql = f"CAST(NULL AS {d.integer})" if points is None else \
        _points_sql([points], d, _maxima(node, scored.interpolated))
    final = [
        f'"_subject" AS {quote(subject)}',
        f"{scored.masked(scored.level)} AS \"level\"",
        f"{_score(score, scored.interpolated, d)} AS \"score\"",
        f"{points_sql} AS \"points\"",
        f"{scored.error_text(d)} AS \"error\"",
    ]
    return stages.render(inputs.source(), final)


def _maxima(node: nodes.IndicatorNode, interpolated: bool) -> list[int]:
    """The largest value of the indicator's score column (for :func:`_points_sql`)."""
    return [len(node.levels) * (10**_SCORE_PLACES if interpolated else 1)]


def _score(column: str, interpolated: bool, dialect: _Dialect) -> str:
    if interpolated:
        return dialect.decimal(column, _SCORE_PLACES)
    return dialect.whole(column, _SCORE_PLACES)


def ruleset_sql(rules: RuleSet, *, table: str = "records", form: Form = "wide",
                dialect: Dialect = "duckdb", subject: str = "subject",
                scale: int = DEFAULT_SCALE, strict: bool = True,
                types: Mapping[str, str] | None = None) -> str:
    """One query scoring every subject of ``table`` on every indicator of ``rules``: the
    scorecard.

    Columns: ``subject``, then ``"ID.level"``, ``"ID.score"``, ``"ID.points"`` and ``"ID.error"``
    for each indicator in file order, then ``total`` (``Σ weight × score / N``, rounded half up to
    10 places) and ``error``: the first problem, in the order :meth:`~kpirules.RuleSet.evaluate`
    finds them (an indicator without a weight, an unknown indicator, then for each indicator in
    turn its own errors; in the long form, an indicator with measures and no rows is "no rows
    for indicator ID", and one of milestones only with no rows has none done). The options are
    those of :func:`indicator_sql`.

    >>> import sqlite3, kpirules
    >>> rules = kpirules.parse('''
    ... indicator 1 "Plan"
    ...   weight 40
    ...   level 1 milestone "drafted"
    ...   level 2 milestone "approved"
    ... indicator 2 "Coverage"
    ...   weight 60
    ...   measure covered "percent" number in 0..100
    ...   level 1 if covered >= 50
    ...   level 2 if covered >= 80
    ...   level 3 if covered >= 95
    ... ''')
    >>> db = sqlite3.connect(":memory:")
    >>> _ = db.execute('CREATE TABLE records (subject, "1.milestones.1", "1.milestones.2", '
    ...                '"2.covered")')
    >>> _ = db.executemany("INSERT INTO records VALUES (?, ?, ?, ?)",
    ...                    [("a", 1, 0, 85.5), ("b", 1, 1, 100), ("c", 1, 1, 120)])
    >>> for row in db.execute(rules.to_sql(dialect="sqlite") + " ORDER BY 1"):
    ...     print(row[0], row[1], row[5], row[-2], row[-1])
    a 1 2 60.0 None
    b 2 3 100.0 None
    c 2 None None indicator 2: `covered` must be in 0..100, not `120`
    """
    options = _options(table, form, dialect, subject, scale, strict, types)
    d = options.dialect
    stages = _Stages(d)
    inputs = _inputs(options, stages)
    indicators = list(rules)
    columns = []
    for indicator in indicators:
        missing = inputs.record_missing(indicator.node)
        writer = _writer(indicator.node, stages, inputs, options.scale)
        columns.append((indicator, writer.level_columns(missing)))
    unknown = inputs.unknown_indicator(ind.id for ind in indicators)
    final = [f'"_subject" AS {quote(subject)}']
    firsts = []
    failing = []
    if unknown is not None:
        firsts.append(f"CASE WHEN {unknown} = '' THEN 'the row has no indicator' "
                      f"WHEN {unknown} IS NOT NULL THEN 'unknown indicator `' || {unknown} "
                      f"|| '`' END")
        failing.append(f"{unknown} IS NOT NULL")
    terms: list[tuple[Fraction, str]] = []
    maxima: list[int] = []
    unweighted: str | None = None  # RuleSet.evaluate's error when an indicator has no weight
    for indicator, scored in columns:
        node = indicator.node
        prefix = node.id
        score = scored.masked(scored.score)
        points = _points(node, score, scored.interpolated)
        final.append(f"{scored.masked(scored.level)} AS {quote(prefix + '.level')}")
        final.append(f"{_score(score, scored.interpolated, d)} AS {quote(prefix + '.score')}")
        if points is None:
            unweighted = unweighted or string(
                f"indicator {node.id} has no weight, so it cannot be part of a scorecard total; "
                "add `weight N` to it")
            final.append(f"CAST(NULL AS {d.integer}) AS {quote(prefix + '.points')}")
        else:
            final.append(f"{_points_sql([points], d, _maxima(node, scored.interpolated))} "
                         f"AS {quote(prefix + '.points')}")
            # The total adds the scores as computed and tests every indicator's errors once.
            terms.append((points[0], scored.score))
            maxima.extend(_maxima(node, scored.interpolated))
        final.append(f"{scored.error_text(d)} AS {quote(prefix + '.error')}")
        if scored.failing is not None:
            firsts.append(scored.error_text(d))
            failing.append(scored.failing)
    # The total is NULL exactly where some indicator has an error, there is an unknown
    # indicator, or an indicator has no weight: the error texts are looked at only there.
    if unweighted:
        total = d.decimal(f"CAST(NULL AS {d.integer})", _POINT_PLACES)
    else:
        total = _points_sql(terms, d, maxima) if terms else d.decimal("0", _POINT_PLACES)
        if failing:
            total = f"CASE WHEN {' OR '.join(failing)} THEN NULL ELSE {total} END"
    final.append(f"{total} AS \"total\"")
    if unweighted:
        first = unweighted  # checked before anything else, on every row
    elif not firsts:
        first = f"CAST(NULL AS {d.text})"
    else:
        first = f"COALESCE({', '.join(firsts)})" if len(firsts) > 1 else firsts[0]
        first = f"CASE WHEN {' OR '.join(failing)} THEN {first} END"
    final.append(f"{first} AS \"error\"")
    return stages.render(inputs.source(), final)
