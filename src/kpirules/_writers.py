"""The binary outputs of ``kpirules eval``: an Excel workbook and a Parquet file (see the
documentation page "Data in and out").

Both keep every subject until the end and then write the file in one go, beside the target and
renamed over it (through the ``atomic`` opener the command line hands them), so that a run that
stops early leaves the old file as it was.

- ``.xlsx`` (openpyxl, the ``excel`` extra): a sheet ``totals`` (subject, total, error) and a sheet
  ``indicators`` (subject, indicator, title, level, score, points): numbers are number cells, so
  Excel sums and sorts them; text is Unicode, so Thai titles and names read as they are.
- ``.parquet`` (DuckDB, the ``duckdb`` extra): one row per subject as :func:`kpirules.frames.score`
  gives it (``subject``, ``total``, ``error``, then ``ID.level``, ``ID.score``, ``ID.points``),
  levels as INTEGER and the other numbers as DECIMAL with as many places as the most precise value
  needs, so that they are exact.
"""

from __future__ import annotations

import contextlib
import csv
import importlib
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import IO, Any

from kpirules._messages import message
from kpirules._records import Problem
from kpirules.errors import UsageError
from kpirules.model import RuleSet
from kpirules.result import Scorecard

__all__ = ["ParquetWriter", "XlsxWriter", "decimal_shape", "decimal_type", "parquet_type"]

Atomic = Callable[[str], contextlib.AbstractContextManager[IO[bytes]]]
ErrorText = Callable[[Sequence[Problem]], str]

_TOTALS = ("subject", "total", "error")
_INDICATORS = ("subject", "indicator", "title", "level", "score", "points")


def decimal_type(values: Iterable[Decimal | None]) -> tuple[int, int] | None:
    """``(precision, scale)`` of the narrowest decimal type that holds every value exactly (at
    most 38 digits, the widest Parquet, Arrow, DuckDB and polars decimal), or None when none does.

    >>> decimal_type([Decimal("12.5"), None, Decimal("100")])
    (4, 1)
    """
    scale = 0
    whole = 1
    for value in values:
        if value is not None:
            exponent = value.as_tuple().exponent
            assert isinstance(exponent, int)
            scale = max(scale, -exponent)
            whole = max(whole, value.adjusted() + 1)
    return decimal_shape(whole, scale)


def decimal_shape(whole: int, scale: int) -> tuple[int, int] | None:
    """``(precision, scale)`` for numbers of at most ``whole`` digits before the point and
    ``scale`` after it, or None beyond 38 digits (see :func:`decimal_type`)."""
    precision = max(whole, 1) + scale
    return (precision, scale) if precision <= 38 else None


def parquet_type(shape: tuple[int, int] | None) -> str:
    """The Parquet column type of ``eval -o results.parquet`` for numbers of that shape: a DECIMAL
    of at least 18 digits (DuckDB's widest 64-bit one), or their text beyond 38 digits."""
    return "VARCHAR" if shape is None else f"DECIMAL({max(shape[0], 18)}, {shape[1]})"


class XlsxWriter:
    """``eval -o results.xlsx``: a workbook of totals and of every indicator's result."""

    def __init__(self, path: str, rules: RuleSet, atomic: Atomic, error_text: ErrorText) -> None:
        try:
            # Imported by name: openpyxl is an optional extra and ships no type hints.
            openpyxl = importlib.import_module("openpyxl")
        except ImportError:
            raise UsageError(message("needs-openpyxl-write")) from None
        self.path = path
        self.atomic = atomic
        self.error_text = error_text
        self.titles = {indicator.id: indicator.title for indicator in rules}
        self.book = openpyxl.Workbook(write_only=True)
        self.totals = self.book.create_sheet("totals")
        self.indicators = self.book.create_sheet("indicators")
        bold = importlib.import_module("openpyxl.styles").Font(bold=True)
        cell = importlib.import_module("openpyxl.cell").WriteOnlyCell
        widest_title = max([10, *(len(title) for title in self.titles.values())])
        for sheet, header, widths in (
                (self.totals, _TOTALS, (24, 12, 80)),
                (self.indicators, _INDICATORS, (24, 10, min(widest_title, 60), 8, 10, 12))):
            sheet.freeze_panes = "A2"
            for index, width in enumerate(widths):
                sheet.column_dimensions[chr(ord("A") + index)].width = width
            row = []
            for name in header:
                heading = cell(sheet, value=name)
                heading.font = bold
                row.append(heading)
            sheet.append(row)

    def subject(self, name: str, card: Scorecard) -> None:
        self.totals.append([name, card.total, None])
        for result in card.results:
            ident = result.plan.node.id
            self.indicators.append([name, ident, self.titles[ident], result.level, result.score,
                                    result.points])

    def rejected(self, name: str, problems: Sequence[Problem]) -> None:
        self.totals.append([name, None, self.error_text(problems)])

    def finish(self) -> None:
        with self.atomic(self.path) as binary:
            self.book.save(binary)


class ParquetWriter:
    """``eval -o results.parquet``: one row per subject, exact decimals (written by DuckDB)."""

    def __init__(self, path: str, rules: RuleSet, atomic: Atomic, error_text: ErrorText) -> None:
        try:
            import duckdb
        except ImportError:
            raise UsageError(message("needs-duckdb-parquet")) from None
        self.duckdb = duckdb
        self.path = path
        self.atomic = atomic
        self.error_text = error_text
        self.ids = rules.ids()
        self.rows: list[list[Any]] = []

    def subject(self, name: str, card: Scorecard) -> None:
        row: list[Any] = [name, card.total, None]
        for result in card.results:
            row += [result.level, result.score, result.points]
        self.rows.append(row)

    def rejected(self, name: str, problems: Sequence[Problem]) -> None:
        self.rows.append([name, None, self.error_text(problems), *([None] * (3 * len(self.ids)))])

    def _types(self) -> list[tuple[str, str]]:
        names = ["subject", "total", "error"]
        for ident in self.ids:
            names += [f"{ident}.level", f"{ident}.score", f"{ident}.points"]
        types = []
        for index, name in enumerate(names):
            if name in ("subject", "error"):
                types.append((name, "VARCHAR"))
            elif name.endswith(".level"):
                types.append((name, "INTEGER"))
            else:
                types.append((name, parquet_type(decimal_type(row[index] for row in self.rows))))
        return types

    def finish(self) -> None:
        from kpirules._numbers import plain

        types = self._types()
        with tempfile.TemporaryDirectory(prefix="kpirules-") as folder:
            # Through text, so that every digit reaches DuckDB (its Python rows would go through
            # floats), and no DataFrame library is needed.
            source = os.path.join(folder, "results.csv")
            with open(source, "w", encoding="utf-8", newline="") as handle:
                # Every cell in quotes and the line end said: DuckDB's reader takes a lone
                # carriage return in a cell for a line end otherwise.
                writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
                for row in self.rows:
                    writer.writerow(["" if v is None else plain(v) if isinstance(v, Decimal)
                                     else v for v in row])
            target = os.path.join(folder, "results.parquet")
            columns = ", ".join(f"{_string(name)}: 'VARCHAR'" for name, _ in types)
            casts = ", ".join(f"CAST(NULLIF({_name(name)}, '') AS {kind}) AS {_name(name)}"
                              for name, kind in types)
            rows = (f"read_csv('{_literal(source)}', header = false, columns = {{{columns}}}, "
                    "quote = '\"', escape = '\"', delim = ',', new_line = '\\n')")
            if not self.rows:
                # DuckDB cannot read the dialect of an empty file; the columns alone, then.
                rows = "(SELECT " + ", ".join(f"CAST(NULL AS VARCHAR) AS {_name(name)}"
                                              for name, _ in types) + " LIMIT 0)"
            connection = self.duckdb.connect()
            try:
                connection.execute(f"COPY (SELECT {casts} FROM {rows}) "
                                   f"TO '{_literal(target)}' (FORMAT parquet)")
            finally:
                connection.close()
            with open(target, "rb") as built, self.atomic(self.path) as binary:
                while chunk := built.read(1 << 20):
                    binary.write(chunk)


def _literal(path: str) -> str:
    return path.replace("'", "''")


def _string(text: str) -> str:
    return "'" + _literal(text) + "'"


def _name(column: str) -> str:
    """A column name in SQL: an indicator id may hold any character, quotes too."""
    return '"' + column.replace('"', '""') + '"'
