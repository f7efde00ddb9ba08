"""``kpirules eval --engine duckdb`` writing its results with DuckDB itself (``COPY``), in the
very bytes the Python writers of :mod:`kpirules._output` and :mod:`kpirules._writers` write.

Each output is the Python writer's rule translated into SQL over the table of scorecards of a
:class:`~kpirules.sql.engine.DuckDBRun`, never stated a second time: the JSON shapes are
:mod:`kpirules._json`'s templates with SQL in their holes, the characters a CSV cell is quoted for
are asked of the csv module's writer itself, JSON's string escapes are the json module's own
table, and the spreadsheet rule is :mod:`kpirules._safe`'s. The CSV and JSON outputs are lines of
text built in SQL and written as they are; the Parquet file has the types the Python writer
chooses, worked out from the same values.

The engine writes only when every points value is a decimal of at most 10 places (each weight
divided by the number of levels ends, as 20 / 5 does): the SQL computes points exactly to 10
places, where Python's decimal context keeps 28 significant digits of 100 / 3. Other rules, and
the text and Excel outputs, go through the Python writers (see the command-line page).
"""

from __future__ import annotations

import functools
import io
import json
import string as formatting
import sys
from collections.abc import Iterable
from fractions import Fraction
from typing import IO

from kpirules import _json
from kpirules._output import CsvWriter, atomic_path, csv_writer
from kpirules._records import PROBLEMS_BETWEEN
from kpirules._safe import _FORMULA_START, _PLAIN_NUMBER, spreadsheet_cell
from kpirules._writers import decimal_shape, parquet_type
from kpirules.model import RuleSet
from kpirules.sql._text import _POINT_PLACES, quote, string
from kpirules.sql.engine import PROBLEMS, SCORED, DuckDBRun, Watch

__all__ = ["FORMATS", "engine_writes", "write"]

FORMATS = ("csv", "json", "parquet")
"""The outputs DuckDB writes itself."""



def engine_writes(rules: RuleSet, chosen: str) -> bool:
    """Whether ``eval --engine duckdb`` writes output ``chosen`` for ``rules`` with DuckDB."""
    if chosen not in FORMATS:
        return False
    whole = 0
    for indicator in rules:
        if indicator.weight is None:
            return False
        factor = Fraction(indicator.weight) / len(indicator.levels)
        twos, fives, rest = _twos_and_fives(factor.denominator)
        # A score has at most 4 places; the points then have these many more.
        if rest != 1 or max(twos, fives) + 4 > _POINT_PLACES:
            return False
        whole += abs(int(indicator.weight)) + 1
    # Python's 28 significant digits hold every total of 10 places below 10**18.
    return whole < 10**18


def _twos_and_fives(number: int) -> tuple[int, int, int]:
    twos = fives = 0
    while number % 2 == 0:
        number //= 2
        twos += 1
    while number % 5 == 0:
        number //= 5
        fives += 1
    return twos, fives, number


def write(run: DuckDBRun, rules: RuleSet, chosen: str, output: str | None, *,
          watch: Watch | None = None, stdout: IO[str] | None = None) -> None:
    """Writes the run's scorecards as output ``chosen`` (see :data:`FORMATS`) to the file
    ``output`` (replaced only once it is whole), or to ``stdout`` for CSV and JSON when
    ``output`` is None or ``-``."""
    to_file = output is not None and output != "-"
    if chosen == "parquet":
        assert to_file and output is not None
        query = _parquet(run, rules)
        with atomic_path(output) as temporary:
            run.run(f"COPY ({query}) TO {string(temporary)} (FORMAT parquet)", watch)
        return
    query = _csv(rules, byte_order_mark=to_file) if chosen == "csv" else _json_lines(rules)
    if to_file:
        assert output is not None
        with atomic_path(output) as temporary:
            # One column of whole lines, written as they are: no quoting, no escapes.
            run.run(f"COPY ({query}) TO {string(temporary)} "
                    "(FORMAT csv, HEADER false, QUOTE '', ESCAPE '')", watch)
        return
    out = sys.stdout if stdout is None else stdout
    cursor = run.run(query)
    while rows := cursor.fetchmany(10_000):
        out.write("".join(line + "\n" for (line,) in rows))


# -- text as the Python writers write it ----------------------------------------------------------


def _plain(sql: str) -> str:
    """A DECIMAL as :func:`kpirules._numbers.plain` writes it: its digits, no trailing
    fractional zeros. (A whole number is written through an integer, which is several times
    faster than trimming the DECIMAL's text; any other one has a digit other than 0 after
    its point, so trimming zeros leaves the point.)"""
    return (f"CASE WHEN {sql} = trunc({sql}) THEN CAST(CAST({sql} AS HUGEINT) AS VARCHAR) "
            f"ELSE rtrim(CAST({sql} AS VARCHAR), '0') END")


def _regex_class(characters: Iterable[str]) -> str:
    """A regular-expression class of ``characters`` (for DuckDB's RE2)."""
    return "[" + "".join(f"\\x{{{ord(char):x}}}" for char in characters) + "]"


@functools.cache
def _csv_quoted_for() -> list[str]:
    """The characters for which the csv module's writer puts a cell in quotes (asked of it)."""
    found = []
    for code in [*range(0x80), 0x85, 0x2028, 0x2029]:
        out = io.StringIO()
        csv_writer(out).writerow([f"a{chr(code)}b", "c"])
        if out.getvalue().startswith('"'):
            found.append(chr(code))
    return found


def _csv_cell(sql: str) -> str:
    """Text as :class:`~kpirules._output.CsvWriter` writes a cell: neutralised for spreadsheets
    (:func:`kpirules._safe.spreadsheet_cell`), then quoted as the csv module quotes."""
    starts = ", ".join(f"chr({ord(char)})" for char in _FORMULA_START)
    # Python's \d is any Unicode decimal digit, RE2's only 0-9.
    number = string(_PLAIN_NUMBER.pattern.replace(r"\d", r"\p{Nd}"))
    safe = (f"CASE WHEN left({sql}, 1) IN ({starts}) AND NOT regexp_full_match({sql}, {number}) "
            f"THEN '''' || {sql} ELSE {sql} END")
    # The quote the spreadsheet rule may put in front is not one the csv module quotes for.
    special = string(_regex_class(_csv_quoted_for()))
    return (f"CASE WHEN regexp_matches({sql}, {special}) THEN '\"' || replace({safe}, '\"', "
            f"'\"\"') || '\"' ELSE {safe} END")


def _csv_row(cells: list[str]) -> str:
    """A row of constant cells as the csv module writes it (without its line end)."""
    out = io.StringIO()
    csv_writer(out).writerow(cells)
    return out.getvalue()[:-1]


def _json_string(sql: str) -> str:
    """Text as a JSON string, as :func:`kpirules._json.string` writes it (the json module's own
    table of escapes)."""
    table = json.encoder.ESCAPE_DCT
    escaped = sql
    # The backslash first: the other escapes put backslashes in.
    for char in sorted(table, key=lambda c: c != "\\"):
        escaped = f"replace({escaped}, chr({ord(char)}), {string(table[char])})"
    special = string(_regex_class(table))
    return _concat(["'\"'", f"CASE WHEN regexp_matches({sql}, {special}) THEN {escaped} ELSE {sql} END",
                    "'\"'"])


def _concat(parts: list[str]) -> str:
    """The texts ``parts`` (none of them NULL) one after the other: ``concat()``, which DuckDB
    runs several times faster than a chain of ``||``."""
    return f"concat({', '.join(parts)})" if parts else "''"


def _filled(template: str, **holes: str) -> str:
    """``template`` (a :meth:`str.format` template) as SQL: its text as literals, its holes
    filled with the SQL given for them."""
    parts = []
    for text, name, _, _ in formatting.Formatter().parse(template):
        if text:
            parts.append(string(text))
        if name is not None:
            parts.append(f"({holes[name]})")
    return _concat(parts)


# -- the outputs --------------------------------------------------------------------------------


def _numbers(rules: RuleSet) -> str:
    """The scorecards with their numbers as text (``_total``, ``ID._level`` …) and the reasons
    of a rejected one in one line (``_error``), in file order."""
    columns = [f"{_plain('total')} AS _total",
               f"array_to_string({PROBLEMS}, {string(PROBLEMS_BETWEEN)}) AS _error"]
    for indicator in rules:
        ident = indicator.id
        columns += [f"CAST({quote(ident + '.level')} AS VARCHAR) AS {quote(ident + '._level')}",
                    f"{_plain(quote(ident + '.score'))} AS {quote(ident + '._score')}",
                    f"{_plain(quote(ident + '.points'))} AS {quote(ident + '._points')}"]
    return f"SELECT subject, _first, {PROBLEMS}, {', '.join(columns)} FROM {SCORED}"


def _csv(rules: RuleSet, byte_order_mark: bool) -> str:
    """The lines of :class:`~kpirules._output.CsvWriter`: the header, each scored subject's row
    per indicator, a rejected subject's one row (an output file starts with a byte order
    mark, as the command line writes CSV files)."""
    header = ("\ufeff" if byte_order_mark else "") + _csv_row(list(CsvWriter.HEADER))
    parts: list[str] = []
    for indicator in rules:
        ident = indicator.id
        parts += ["chr(10)"] if parts else []
        parts += ["_name", string("," + _csv_row([spreadsheet_cell(ident)]) + ","),
                  quote(ident + "._level"),
                  "','", quote(ident + "._score"), "','", quote(ident + "._points"), "','",
                  "_total", "','"]
    scored = _concat(parts)
    # A rejected subject's row: its name, empty cells, its reasons in the last.
    rejected = _concat(["_name", string("," * (len(CsvWriter.HEADER) - 1)), _csv_cell("_error")])
    # Rows are numbered from 0 (their rowid), so the header's place is -1.
    return (f"SELECT line FROM (SELECT -1 AS _at, {string(header)} AS line UNION ALL "
            f"SELECT _first, CASE WHEN {PROBLEMS} IS NULL THEN {scored} ELSE {rejected} END "
            f"FROM (SELECT *, {_csv_cell('subject')} AS _name FROM ({_numbers(rules)}))) "
            "ORDER BY _at")


def _json_lines(rules: RuleSet) -> str:
    """The lines of :class:`~kpirules._output.JsonWriter`: ``{``, a subject per line (a comma
    after each but the last), ``}``; ``{}`` when there is no subject."""
    between = string(_json.INDICATORS_BETWEEN)
    indicators: list[str] = []
    for indicator in rules:
        ident = indicator.id
        result = _filled(_json.RESULT, level=quote(ident + "._level"),
                         score=quote(ident + "._score"), points=quote(ident + "._points"))
        indicators += [between] if indicators else []
        indicators.append(_filled(_json.INDICATOR, id=string(_json.string(ident)), result=result))
    card = _filled(_json.SCORECARD, total="_total", indicators=_concat(indicators))
    error = _filled(_json.ERROR, message=_json_string("_error"))
    entry = _concat(["'  '", _json_string("subject"), "': '",
                     f"CASE WHEN {PROBLEMS} IS NULL THEN {card} ELSE {error} END",
                     f"CASE WHEN _first = (SELECT max(_first) FROM {SCORED}) THEN '' ELSE ',' END"])
    return (f"SELECT line FROM (SELECT -1 AS _at, '{{' AS line WHERE EXISTS (SELECT 1 FROM "
            f"{SCORED}) UNION ALL SELECT _first, {entry} "
            f"FROM ({_numbers(rules)}) UNION ALL SELECT 9223372036854775807, "
            f"CASE WHEN EXISTS (SELECT 1 FROM {SCORED}) THEN '}}' ELSE '{{}}' END) ORDER BY _at")


def _parquet(run: DuckDBRun, rules: RuleSet) -> str:
    """The rows of :class:`~kpirules._writers.ParquetWriter`: a subject per row, levels as
    INTEGER, the other numbers as the narrowest exact DECIMAL of at least 18 digits (the
    narrowest the values need, asked of the table first)."""
    decimals = ["total"] + [quote(f"{indicator.id}.{part}") for indicator in rules
                            for part in ("score", "points")]
    shapes = run.run("SELECT " + ", ".join(
        f"coalesce(max(length(split_part(_t{k}, '.', 1))), 1), "
        f"coalesce(max(length(split_part(_t{k}, '.', 2))), 0)" for k in range(len(decimals)))
        + " FROM (SELECT " + ", ".join(f"{_plain(column)} AS _t{k}"
                                       for k, column in enumerate(decimals))
        + f" FROM {SCORED} WHERE {PROBLEMS} IS NULL)").fetchone()
    types = {column: parquet_type(decimal_shape(shapes[2 * k], shapes[2 * k + 1]))
             for k, column in enumerate(decimals)}

    def kept(column: str, kind: str) -> str:
        shown = _plain(column) if kind == "VARCHAR" else column
        return f"CASE WHEN {PROBLEMS} IS NULL THEN CAST({shown} AS {kind}) END"

    columns = ["subject", f"{kept('total', types['total'])} AS total",
               f"array_to_string({PROBLEMS}, {string(PROBLEMS_BETWEEN)}) AS error"]
    for indicator in rules:
        level, score, points = (quote(f"{indicator.id}.{part}")
                                for part in ("level", "score", "points"))
        columns += [f"{kept(level, 'INTEGER')} AS {level}",
                    f"{kept(score, types[score])} AS {score}",
                    f"{kept(points, types[points])} AS {points}"]
    return f"SELECT {', '.join(columns)} FROM {SCORED} ORDER BY _first"
