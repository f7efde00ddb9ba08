"""The dialects: everything that differs between the databases, one class each.

The writer (:mod:`kpirules.sql._writer`) asks a dialect for each piece of SQL whose text or
behaviour differs (integer type, overflow, integer division, reading numbers and flags from text,
decimals in the output, the sum of points); it never asks which database it writes for. The
table of differences is in the documentation page on SQL (``docs/sql.rst``).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import TYPE_CHECKING

import attrs

from kpirules._messages import message
from kpirules._scoring import FALSE_WORDS, THAI_DIGIT_CHARACTERS, TRUE_WORDS
from kpirules.errors import KpiRulesError
from kpirules.sql._rational import _Int
from kpirules.sql._text import (
    _EDGE_SPACE,
    _POINT_PLACES,
    _SPACES,
    _WHOLE_NUMBER,
    _number_pattern,
    _without_zeros,
    string,
)

if TYPE_CHECKING:
    from kpirules.sql._stages import _Column, _Stages


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
    # Whether ``types=`` (declared column types, read without the text parser) is supported.
    declared_types = False

    def contains(self, items: str, item: str) -> str:
        """Whether the list ``items`` holds ``item`` (for the engines of records files)."""
        raise NotImplementedError(f"lists in {self.name}")

    def present(self, items: list[str]) -> str:
        """A list of those of ``items`` that are not NULL, in their order."""
        raise NotImplementedError(f"lists in {self.name}")

    def refuse(self, query: str, columns: int) -> None:
        """Raise a KpiRulesError when ``query`` (of ``columns`` columns in its widest step) is
        beyond what the database can run; DuckDB and PostgreSQL take any query kpirules writes."""

    def finish(self, query: str) -> str:
        """The whole query as the database reads it (the writer writes standard quoting)."""
        return query

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
        return f"translate({sql}, '{THAI_DIGIT_CHARACTERS}', '0123456789')"

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
        words = [", ".join(string(w) for w in group) for group in (TRUE_WORDS, FALSE_WORDS)]
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

    def points(self, terms: list[tuple[Fraction, str]], maxima: list[int]) -> str:
        """``Σ factor × column`` (integer score columns, whose largest values are ``maxima``)
        rounded half up to 10 places, as the dialect's exact decimal."""
        return self.decimal(_rounded(terms, self), _POINT_PLACES)



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
    declared_types = True
    max_literal = 2**127 - 1

    def contains(self, items: str, item: str) -> str:
        return f"list_contains({items}, {item})"

    def present(self, items: list[str]) -> str:
        return f"list_filter([{', '.join(items)}], lambda _x: _x IS NOT NULL)"

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


    def points(self, terms: list[tuple[Fraction, str]], maxima: list[int]) -> str:
        """In DuckDB, where the factors are exact in few decimal places (``weight 20`` over 5 levels:
        4 points a level), the sum is computed in those places as an INTEGER or BIGINT, which the
        bounds allow, and turned into the decimal once: HUGEINT arithmetic and a 10-place DECIMAL for
        every term cost more than scoring a level."""
        if not terms:
            return super().points(terms, maxima)
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
        return super().points(terms, maxima)


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
        for thai, ascii_digit in zip(THAI_DIGIT_CHARACTERS, "0123456789"):
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

    def is_integer(self, raw: str) -> str:
        return f"pg_typeof({raw})::text IN ('smallint', 'integer', 'bigint')"

    def typed_value(self, raw: str, scale: int) -> str:
        # Through text, so that the CAST is valid SQL for a column of any type (PostgreSQL
        # checks every branch of a CASE); it is taken only for integer columns.
        return f"(CAST(CAST({raw} AS TEXT) AS NUMERIC) * {10**scale})"

    def scaled(self, text: str, scale: int) -> str:
        return f"(CAST({text} AS NUMERIC) * {10**scale})"

    def decimal(self, scaled: str, places: int) -> str:
        unit = "0." + "0" * (places - 1) + "1"
        return f"({scaled} * {unit})"

    def whole(self, integer: str, places: int) -> str:
        return f"CAST({integer} AS NUMERIC)"


class _Spark(_Dialect):
    """Spark SQL (3.5 and 4.x): 38-digit DECIMAL integers, which give NULL on overflow with
    ``spark.sql.ansi.enabled=false`` (the query is run so: under ANSI mode an overflow fails the
    whole query instead of rejecting one subject); names in backquotes and backslashes doubled in
    strings, which Spark's parser otherwise reads as escapes; Java regular expressions."""

    name = "spark"
    text = "STRING"
    integer = "DECIMAL(38, 0)"
    max_literal = 10**38 - 1

    def finish(self, query: str) -> str:
        return _spark_quoting(query)

    def contains(self, items: str, item: str) -> str:
        return f"array_contains({items}, {item})"

    def present(self, items: list[str]) -> str:
        return f"filter(array({', '.join(items)}), _x -> _x IS NOT NULL)"

    def literal(self, value: int) -> str:
        if abs(value) <= self.max_literal and abs(value) >= 2**31:
            # A plain literal beyond INT is a BIGINT, whose overflow wraps without ANSI mode.
            return f"{value}BD" if value >= 0 else f"({value}BD)"
        return super().literal(value)

    def floor_div(self, left: str, right: str) -> str:
        return f"({left} DIV {right})"

    def matches(self, sql: str, pattern: str) -> str:
        return f"({sql} RLIKE {string('^' + pattern + '$')})"

    def strip(self, text: str) -> str:
        return f"trim(BOTH {string(_SPACES)} FROM {text})"

    def is_fractional(self, raw: str) -> str:
        return f"(typeof({raw}) IN ('double', 'float') OR typeof({raw}) LIKE 'decimal%')"

    def value_text(self, raw: str) -> str:
        # Java's regexp_replace names a group $1, not \\1.
        text = f"CAST({raw} AS {self.text})"
        fewer = (f"regexp_replace(regexp_replace({text}, '(\\.[0-9]*?)0+$', '$1'), "
                 "'\\.$', '')")
        return f"CASE WHEN {self.is_fractional(raw)} THEN {fewer} ELSE {text} END"

    def is_boolean(self, raw: str) -> str:
        return f"(typeof({raw}) = 'boolean')"

    def is_integer(self, raw: str) -> str:
        # typeof() depends on the column's type only: Spark folds it when it plans the query.
        return f"(typeof({raw}) IN ('tinyint', 'smallint', 'int', 'bigint'))"

    def typed_value(self, raw: str, scale: int) -> str:
        return (f"CAST(CAST(CAST({raw} AS {self.text}) AS {self.integer}) * {10**scale} "
                f"AS {self.integer})")

    def scaled(self, text: str, scale: int) -> str:
        # A valid text has at most `scale` places: the cast is exact, or NULL beyond 38 digits.
        return (f"CAST(CAST({text} AS DECIMAL(38, {scale})) * {10**scale} "
                f"AS {self.integer})")

    def decimal(self, scaled: str, places: int) -> str:
        # DECIMAL(37 - p, 0) × DECIMAL(p, p) is a DECIMAL(38, p): exact, where a wider factor
        # would make Spark drop places to keep the precision at 38.
        unit = "0." + "0" * (places - 1) + "1"
        return (f"CAST(CAST({scaled} AS DECIMAL({37 - places}, 0)) * {unit}BD "
                f"AS DECIMAL(38, {places}))")


def _spark_quoting(query: str) -> str:
    """``query`` with each "name" as `name` and each backslash in a 'string' doubled."""
    out: list[str] = []
    at, end = 0, len(query)
    while at < end:
        char = query[at]
        if char not in "'\"":
            stop = min((i for i in (query.find("'", at), query.find('"', at)) if i >= 0),
                       default=end)
            out.append(query[at:stop])
            at = stop
            continue
        close = at + 1
        while True:
            close = query.index(char, close)
            if query.startswith(char * 2, close):
                close += 2
                continue
            break
        inner = query[at + 1:close].replace(char * 2, char)
        if char == "'":
            out.append("'" + inner.replace("\\", "\\\\").replace("'", "\\'") + "'")
        else:
            out.append("`" + inner.replace("`", "``") + "`")
        at = close + 1
    return "".join(out)


_DIALECTS: dict[str, _Dialect] = {"duckdb": _DuckDB(), "sqlite": _SQLite(),
                                  "postgres": _Postgres(), "spark": _Spark()}



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
