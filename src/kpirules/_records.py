"""Reading the records that ``kpirules eval`` and ``kpirules explain`` score.

The layouts (see the documentation pages "Command line" and "Data in and out"):

- JSON: ``{"SUBJECT": {"INDICATOR_ID": {"MEASURE": value, "milestones": [1, 2]}}}``;
- CSV and XLSX (first sheet): the long layout, a header ``subject,indicator,measure,value`` and
  one row per value; a done milestone is a row with measure ``milestones`` and the level number
  as value.

:class:`RecordReader` turns a file into a stream of :class:`Subject` objects, each holding one
subject's records ready for :meth:`kpirules.Indicator.evaluate`, the file row of every value (so
that an evaluation error can name its row) and the rows it rejected, with reasons.

Choices made where SPEC is silent:

- A file that cannot be used at all raises :class:`RecordsError` (the command line exits 2): it
  does not exist or cannot be read, its extension is not ``.json``, ``.csv`` or ``.xlsx``, it is
  not valid text in the chosen encoding, it is empty, its JSON top level is not an object, or its
  header lacks one of the four columns. Header names are matched ignoring case and surrounding
  spaces, in any order; other columns are ignored, so a sheet may carry a ``note`` column.
- Row numbers count the header as row 1 and count every row, blank ones included, so they match
  the row numbers a spreadsheet shows. Blank rows are skipped.
- CSV and XLSX are read as a stream and grouped by subject in bounded memory: a subject's group
  ends when the subject column changes. The usual file is sorted by subject; a subject whose rows
  appear again after another subject's is not merged: each of those later rows is rejected ("rows
  of subject X must be together") and the subject keeps the score of its first group of rows.
  Memory grows with the rows of one subject and with the number of distinct subject names (one
  string each), never with the number of rows.
- JSON is read whole (it cannot be grouped while reading). Numbers with a fraction are read as
  ``Decimal`` straight from their digits, never through a binary float. Repeated keys (a subject,
  an indicator or a measure written twice) are rejected rather than letting the last one win.
- Values are converted by the kind of their measure: ``number`` and ``count`` values stay as they
  are written (text in CSV) and the library converts them, so its messages (Thai digits, ranges,
  counts) apply unchanged; ``flag`` values accept true/false, yes/no, 1/0 and ใช่/ไม่ใช่ (any
  case) and become ``bool``; ``milestones`` values must be a whole number naming a milestone
  level of the indicator. An empty value is rejected. JSON values are passed on as they are.
- A subject without rows for an indicator is rejected, as :meth:`kpirules.RuleSet.evaluate`
  rejects a subject without that indicator's record: "no rows for indicator 1". That holds for
  an indicator of milestones only too; a row with measure ``milestones`` and value ``0`` reports
  one with no milestone done.
- CSV, XLSX and Parquet files may also be in the wide layout (one row per subject, a ``subject``
  column and ``ID.MEASURE`` / ``ID.milestones.K`` columns, see :mod:`kpirules._wide`), told apart
  by the header: one with the four long columns is long, otherwise one with a column named after
  an indicator of the rules is wide. An empty cell there is a missing value; a subject's second
  row is rejected. Parquet files are read through DuckDB.
- With ``strict=False`` rows naming an unknown measure are skipped, as the library's
  ``strict=False`` ignores unknown keys. An unknown indicator is rejected either way.
- A rejected row rejects its subject. The subject is still reported (the caller writes it out
  with its errors); nothing is dropped.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import importlib
import io
import itertools
import json
import math
import os
from collections.abc import Callable, Generator, Iterable, Iterator
from decimal import Decimal
from typing import IO, Any

import attrs

from kpirules._columns import is_wide
from kpirules._messages import Items, Message, message, text
from kpirules._scoring import LONG_COLUMNS, MILESTONES, THAI_DIGITS, milestone_levels
from kpirules._values import NUMERIC_TEXT, flag_value, is_missing, plain
from kpirules.errors import RecordsError
from kpirules.limits import MAX_CELL_CHARS, MAX_DIGITS, digits_in
from kpirules.model import Indicator, RuleSet

__all__ = [
    "COLUMNS",
    "FORMATS",
    "MILESTONES",
    "Problem",
    "RecordReader",
    "RecordsError",
    "StrayRow",
    "Subject",
    "flag_value",
    "problems_text",
    "subject_key",
]

FORMATS = (".json", ".csv", ".xlsx", ".parquet")
COLUMNS = LONG_COLUMNS

# How many subject names an error message lists.
_SHOWN = 5


@attrs.frozen
class Problem:
    """Why a value or a subject was rejected: the file row (None for JSON), the indicator it is
    about (None when it is about the whole subject) and a message for a person (rendered in the
    reader's language by :meth:`text`)."""

    row: int | None
    indicator: str | None
    message: Message | str

    def text(self, language: str = "en") -> str:
        """The message in ``language``."""
        return self.message if isinstance(self.message, str) else self.message.render(language)

    @property
    def code(self) -> str:
        """The stable code of the problem."""
        return self.message if isinstance(self.message, str) else self.message.code


def problems_text(problems: Iterable[Problem], language: str = "en") -> str:
    """A rejected subject's reasons in one line, in ``language``, as the outputs of ``eval``
    carry them."""
    return PROBLEMS_BETWEEN.join(text("at-row", language, row=p.row, message=p.text(language))
                                 if p.row is not None else p.text(language) for p in problems)


PROBLEMS_BETWEEN = "; "
"""What comes between a rejected subject's reasons in one line."""


@attrs.frozen
class StrayRow:
    """A rejected row that belongs to no subject being read: it has no subject, or its subject's
    rows were already read and scored (the file is not grouped by subject)."""

    row: int
    subject: str | None
    message: Message

    def text(self, language: str = "en") -> str:
        """The message in ``language``."""
        return self.message.render(language)


@attrs.define
class Subject:
    """One subject's records, ready to score, and what was wrong with them.

    ``records`` maps every indicator id to its record (long layouts fill in each indicator of the
    rules; JSON holds what the file holds). ``rows`` gives the row of each (indicator, measure)
    value, ``first_row`` and ``last_row`` the subject's rows (all None for JSON).
    """

    name: str
    records: dict[str, dict[str, Any]]
    first_row: int | None = None
    last_row: int | None = None
    rows: dict[tuple[str, str], int] = attrs.Factory(dict)
    problems: list[Problem] = attrs.Factory(list)

    def row_of(self, indicator: str | None, measure: str | None) -> int | None:
        """The row of a value, falling back to the subject's first row."""
        if indicator is not None and measure is not None:
            row = self.rows.get((indicator, measure))
            if row is not None:
                return row
        return self.first_row


class _WideHeader(Exception):
    """The header found is the wide layout's (for :meth:`RecordReader.check_header`)."""


def _cell_text(value: Any) -> str:
    """A key cell (subject, indicator, measure) as text; spreadsheets store `1` as a number."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    # A header read with --encoding utf-8 keeps the byte order mark Excel writes.
    return str(value).strip().lstrip("\ufeff")


def subject_key(value: Any) -> str:
    """A subject cell as the name the long layout groups by."""
    return _key(value)


def _key(value: Any) -> str:
    """:func:`_cell_text` with the common case (CSV text) first: this runs for every cell."""
    return value.strip() if type(value) is str else _cell_text(value)


def _is_blank(value: Any) -> bool:
    return (isinstance(value, str) and not value.strip()) or is_missing(value)


def _milestone_number(value: Any) -> int | None:
    if isinstance(value, str) and digits_in(value) > MAX_DIGITS:
        return None  # no level has such a number, and int() would refuse to read it
    if type(value) is str and value.strip().isdecimal():
        return int(value)  # int() reads Thai digits and ignores surrounding spaces
    value = plain(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, (float, Decimal)):
        if not (value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)):
            return None
        return int(value) if value == int(value) else None
    if isinstance(value, str):
        text = value.strip().translate(THAI_DIGITS)
        if NUMERIC_TEXT.fullmatch(text):
            number = Decimal(text.replace(",", "").replace("_", ""))
            if number == number.to_integral_value():
                return int(number)
    return None


def _suggest(word: str, choices: Iterable[str], what: str) -> Message:
    options = list(choices)
    guess = difflib.get_close_matches(word, options, n=1, cutoff=0.5)
    if guess:
        return message("hint-did-you-mean", name=guess[0])
    shown: Message | str = ", ".join(f"`{o}`" for o in options) or message("word-none")
    if what == "indicators":
        return message("hint-indicators-are", ids=shown)
    return message("hint-measures-are", names=shown)


class RecordReader:
    """The subjects of one records file, in file order.

    >>> import kpirules, tempfile, os
    >>> rules = kpirules.parse('indicator 1 "t"\\n  weight 100\\n  level 1 if x >= 5\\n')
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "records.csv")
    >>> with open(path, "w", encoding="utf-8") as handle:
    ...     _ = handle.write("subject,indicator,measure,value\\nA,1,x,7\\n")
    >>> [(s.name, s.records) for s in RecordReader(path, rules) if isinstance(s, Subject)]
    [('A', {'1': {'x': '7'}})]

    ``only`` reads one subject and skips the rows of every other one without checking them;
    ``names`` then holds the other subjects' names (for a "did you mean").
    """

    def __init__(
        self,
        path: str,
        rules: RuleSet,
        encoding: str = "utf-8-sig",
        strict: bool = True,
        only: str | None = None,
    ) -> None:
        self.path = path
        self.rules = rules
        self.encoding = encoding
        self.strict = strict
        self.only = only
        self.names: list[str] = []
        self.kind = os.path.splitext(path)[1].lower()
        self._position: Callable[[], float | None] = lambda: None
        self._kinds = {ind.id: {m.name: m.kind for m in ind.measures} for ind in rules}
        if self.kind not in FORMATS:
            shown = message("records-not-extension", extension=self.kind) if self.kind else ""
            hint = message("hint-save-as-xlsx") if self.kind == ".xls" else ""
            raise RecordsError(message("records-format", path=path, shown=shown, hint=hint), path)
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise RecordsError(message("unknown-encoding", encoding=encoding), path) from None
        if not os.path.exists(path):
            raise RecordsError(message("no-such-file", path=path), path)
        if os.path.isdir(path):
            raise RecordsError(message("records-is-folder", path=path), path)

    @classmethod
    def for_rows(cls, rules: RuleSet, name: str, strict: bool = True) -> RecordReader:
        """A reader of rows that come from elsewhere (a DataFrame), not from a file: use
        :meth:`header_of` and :meth:`subjects`. ``name`` stands for the file in messages."""
        reader = cls.__new__(cls)
        reader.path = name
        reader.rules = rules
        reader.encoding = "utf-8"
        reader.strict = strict
        reader.only = None
        reader.names = []
        reader.kind = ""
        reader._position = lambda: None
        reader._kinds = {ind.id: {m.name: m.kind for m in ind.measures} for ind in rules}
        return reader

    def header_of(self, names: list[Any]) -> dict[str, int]:
        """The positions of the long layout's columns in a header (a :class:`RecordsError` when
        one is missing)."""
        columns = self._header(iter([(0, list(names))]))
        if columns is None:
            raise RecordsError(message("frame-no-columns", path=self.path,
                                       header=",".join(COLUMNS)))
        return columns

    def subjects(self, rows: Iterator[tuple[int, list[Any]]],
                 header: dict[str, int]) -> Iterator[Subject | StrayRow]:
        """The subjects of numbered rows in the long layout, the header already read."""
        return self._long(rows, header)

    def fraction_read(self) -> float | None:
        """How much of the file has been read (0..1), when that is known."""
        return self._position()

    def check_header(self, whole: bool = True) -> int:
        """Read a CSV file's header as :meth:`__iter__` does, raise the :class:`RecordsError` it
        would raise, and return the header's row (for ``--engine duckdb``, which reads the
        rest; blank rows may come before the header). A wide layout's header is taken as it
        is. With ``whole=False`` the rest of the file is not decoded first (see
        :meth:`check_encoding`)."""
        rows = self._csv_rows(whole)
        last = 0

        def numbered() -> Iterator[tuple[int, list[Any]]]:
            nonlocal last
            for number, cells in rows:
                last = number
                if not all(_is_blank(cell) for cell in cells) and is_wide(
                        [_cell_text(cell) for cell in cells], self.rules.ids()):
                    raise _WideHeader
                yield number, cells

        try:
            if self._header(numbered()) is None:
                raise self._empty()
        except _WideHeader:
            pass  # the wide layout's header: its columns are read by name
        except RecordsError as error:
            if not whole and error.code == "records-encoding":
                self.check_encoding()  # which says where, as the whole file's check does
            raise
        finally:
            rows.close()
        return last

    def _empty(self) -> RecordsError:
        return RecordsError(message("records-empty", path=self.path, header=",".join(COLUMNS)),
                            self.path)

    def __iter__(self) -> Iterator[Subject | StrayRow]:
        if self.kind == ".json":
            return self._json()
        if self.kind == ".csv":
            return self._table(self._csv_rows())
        if self.kind == ".parquet":
            return self._table(self._parquet_rows())
        return self._table(self._xlsx_rows())

    def _table(self, rows: Iterator[tuple[int, list[Any]]]) -> Iterator[Subject | StrayRow]:
        """The long or the wide layout, told apart by the header: the long one has the columns
        subject, indicator, measure and value; the wide one a subject column and columns named
        after the rules' indicators (``1.target_households``, ``2.milestones.1``)."""
        for number, cells in rows:
            if all(_is_blank(cell) for cell in cells):
                continue
            names = [_cell_text(cell) for cell in cells]
            if is_wide(names, self.rules.ids()):
                return self._wide(number, names, rows)
            return self._long(rows, self._header(itertools.chain([(number, cells)], rows)))
        raise self._empty()

    def _wide(self, header: int, names: list[str],
              rows: Iterator[tuple[int, list[Any]]]) -> Iterator[Subject | StrayRow]:
        from kpirules._wide import WideLayout

        layout = WideLayout(self.rules, names)
        if layout.subject is None:
            raise RecordsError(message("wide-no-subject-column", path=self.path, row=header),
                               self.path)
        at = layout.subject
        width = len(names)
        missing = [ind for ind in self.rules if ind.id not in layout.indicators]
        first: dict[str, int] = {}
        for number, cells in rows:
            if len(cells) < width:
                cells = cells + [None] * (width - len(cells))
            # An empty cell of a file is a missing value.
            cells = [None if type(cell) is str and not cell.strip() else cell for cell in cells]
            if all(cell is None or is_missing(cell) for cell in cells):
                continue
            name = _key(cells[at])
            if self.only is not None and name != self.only:
                if name and name not in first:
                    first[name] = number
                    self.names.append(name)
                continue
            if not name:
                yield StrayRow(number, None, message("row-no-subject"))
                continue
            if name in first:
                yield StrayRow(number, name, message("wide-subject-again", row=first[name]))
                continue
            first[name] = number
            records, problems = layout.records(cells)
            subject = Subject(name, records, number, number)
            for problem in problems:
                subject.problems.append(Problem(number, dict(problem.parts)["indicator"], problem))
            for indicator in missing:
                subject.problems.append(Problem(number, indicator.id, message(
                    "missing-indicator", indicator=indicator.id)))
            yield subject

    # -- reading files ------------------------------------------------------------------------

    def _open_binary(self) -> IO[bytes]:
        try:
            return open(self.path, "rb")
        except OSError as error:
            raise RecordsError(message("cannot-read", path=self.path,
                                       reason=error.strerror or str(error)), self.path) from None

    def _encoding_error(self, error: UnicodeDecodeError, where: Message) -> RecordsError:
        if self.kind == ".json":
            hint = message("hint-save-utf8")
        elif _is_utf8(self.encoding):
            hint = message("hint-encoding-cp874")
        else:
            hint = message("hint-encoding-other")
        name = "UTF-8" if _is_utf8(self.encoding) else self.encoding
        return RecordsError(message("records-encoding", path=self.path, where=where,
                                    encoding=name, reason=error.reason, hint=hint), self.path)

    def _csv_rows(self, whole: bool = True) -> Generator[tuple[int, list[Any]], None, None]:
        binary = self._open_binary()
        size = os.fstat(binary.fileno()).st_size
        self._position = lambda: binary.tell() / size if size else None
        with binary:
            if whole:
                self._check_encoding(binary)
            binary.seek(0)
            # newline="" hands line endings to the csv module, which needs them for quoted cells.
            text = io.TextIOWrapper(binary, encoding=self.encoding, newline="")
            number = 0
            reader = csv.reader(text)
            try:
                while True:
                    try:
                        row = next(reader)
                    except StopIteration:
                        break
                    except csv.Error as error:
                        if "field larger than field limit" not in str(error):
                            raise
                        row = _OVERSIZED  # this row only is refused; the reader goes on
                    number += 1
                    yield number, row
            except UnicodeDecodeError as error:  # the file changed after it was checked
                raise self._encoding_error(error, message("where-after-row", row=number)) from None
            except csv.Error as error:
                raise RecordsError(message("records-bad-csv", path=self.path, row=number + 1,
                                           reason=str(error)), self.path, number + 1) from None
            finally:
                text.detach()

    def check_encoding(self) -> None:
        """Raise the :class:`RecordsError` :meth:`__iter__` raises for a file that is not in its
        encoding (for ``--engine duckdb``, which reads the file itself and has this said when it
        finds bytes it cannot decode)."""
        with self._open_binary() as binary:
            self._check_encoding(binary)

    def _check_encoding(self, binary: IO[bytes]) -> None:
        """Decode the whole file once before anything is scored, so that a file saved in another
        encoding stops the run before any output is written (decoding is fast next to scoring).

        A file read as a legacy encoding that is in fact UTF-8 holding non-ASCII text is refused
        too: cp874 Thai is never valid UTF-8, so such a file would only be read as garbage.
        """
        if not _is_utf8(self.encoding) and self._is_utf8_text(binary):
            raise RecordsError(message("records-is-utf8", path=self.path, encoding=self.encoding),
                               self.path)
        binary.seek(0)
        decoder = codecs.getincrementaldecoder(self.encoding)()
        line = 1
        while chunk := binary.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                line += chunk[: max(0, error.start)].count(b"\n")
                raise self._encoding_error(error, message("where-line", line=line)) from None
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:
            raise self._encoding_error(error, message("where-file-end")) from None

    @staticmethod
    def _is_utf8_text(binary: IO[bytes]) -> bool:
        """Whether the file is valid UTF-8 with at least one character beyond ASCII."""
        decoder = codecs.getincrementaldecoder("utf-8")()
        ascii_only = True
        try:
            while chunk := binary.read(1 << 20):
                ascii_only = ascii_only and chunk.isascii()
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
        return not ascii_only

    def _parquet_rows(self) -> Iterator[tuple[int, list[Any]]]:
        """A Parquet file's column names as row 1, then its rows (read by DuckDB)."""
        try:
            import duckdb
        except ImportError:
            raise RecordsError(message("needs-duckdb-parquet"), self.path) from None
        connection = duckdb.connect()
        try:
            literal = self.path.replace("'", "''")
            try:
                cursor = connection.execute(f"SELECT * FROM read_parquet('{literal}')")
            except duckdb.Error as error:
                raise RecordsError(message("records-bad-parquet", path=self.path, error=str(error)),
                                   self.path) from None
            yield 1, [column[0] for column in cursor.description]
            number = 1
            while batch := cursor.fetchmany(10_000):
                for row in batch:
                    number += 1
                    yield number, list(row)
        finally:
            connection.close()

    def _xlsx_rows(self) -> Iterator[tuple[int, list[Any]]]:
        try:
            # Imported by name: openpyxl is an optional extra and ships no type hints.
            openpyxl = importlib.import_module("openpyxl")
        except ImportError:
            raise RecordsError(message("needs-openpyxl"), self.path) from None
        try:
            book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except OSError as error:
            raise RecordsError(message("cannot-read", path=self.path,
                                       reason=error.strerror or str(error)), self.path) from None
        except Exception as error:  # openpyxl raises zipfile, KeyError, XML errors and more
            raise RecordsError(message("records-bad-xlsx", path=self.path,
                                       reason=f"{type(error).__name__}: {error}"),
                               self.path) from None
        try:
            if not book.worksheets:
                raise RecordsError(message("records-no-sheet", path=self.path), self.path)
            sheet = book.worksheets[0]
            total = sheet.max_row if isinstance(sheet.max_row, int) else None
            number = 0
            self._position = lambda: number / total if total else None
            # min_row=1 makes the numbering match the sheet's own row numbers even when the data
            # does not start on row 1.
            for number, cells in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
                yield number, list(cells)
        finally:
            book.close()

    # -- the long layout ----------------------------------------------------------------------

    def _header(self, rows: Iterator[tuple[int, list[Any]]]) -> dict[str, int] | None:
        for number, cells in rows:
            if all(_is_blank(cell) for cell in cells):
                continue
            names = [_cell_text(cell).casefold() for cell in cells]
            columns: dict[str, int] = {}
            for index, name in enumerate(names):
                if name in COLUMNS and name in columns:
                    raise RecordsError(message("header-twice", path=self.path, row=number,
                                               column=name), self.path, number)
                columns.setdefault(name, index)
            missing = [name for name in COLUMNS if name not in columns]
            if missing:
                shown = ",".join(_cell_text(cell) for cell in cells)
                raise RecordsError(message(
                    "header-missing", path=self.path, row=number,
                    columns=Items(tuple(f"`{m}`" for m in missing)), header=",".join(COLUMNS),
                    found=shown), self.path, number)
            return {name: columns[name] for name in COLUMNS}
        return None

    def _long(self, rows: Iterator[tuple[int, list[Any]]],
              columns: dict[str, int] | None = None) -> Iterator[Subject | StrayRow]:
        if columns is None:
            columns = self._header(rows)
        if columns is None:
            raise self._empty()
        at = [columns[name] for name in COLUMNS]
        width = max(at) + 1
        group: _Group | None = None
        ended: dict[str, int] = {}  # subject -> the last row of its (finished) group
        seen_names: set[str] = set()
        at_subject, at_indicator, at_measure, at_value = at
        for number, cells in rows:
            if cells is _OVERSIZED:
                yield StrayRow(number, None,
                               message("limit-cell-records", limit=csv.field_size_limit()))
                continue
            if len(cells) < width:
                cells = cells + [None] * (width - len(cells))
            name = _key(cells[at_subject])
            indicator_cell, measure_cell, value = cells[at_indicator], cells[at_measure], cells[
                at_value]
            if not name and _is_blank(indicator_cell) and _is_blank(measure_cell) and _is_blank(
                    value):
                continue
            if self.only is not None and name != self.only:
                if not name:
                    continue
                if name not in seen_names:
                    seen_names.add(name)
                    self.names.append(name)
                if group is not None:
                    ended[group.subject.name] = group.subject.last_row or number
                    yield self._finish(group)
                    group = None
                continue
            if not name:
                yield StrayRow(number, None, message("row-no-subject"))
                continue
            if group is None or group.subject.name != name:
                if group is not None:
                    ended[group.subject.name] = group.subject.last_row or number
                    yield self._finish(group)
                    group = None
                if name in ended:
                    yield StrayRow(number, name, message("rows-not-together", row=ended[name]))
                    continue
                group = _Group(Subject(name, {}, number, number))
            group.subject.last_row = number
            self._add(group, number, _key(indicator_cell), _key(measure_cell), value)
        if group is not None:
            yield self._finish(group)

    def _add(self, group: _Group, row: int, ident: str, measure: str, value: Any) -> None:
        subject = group.subject

        def reject(problem: Message, indicator: str | None) -> None:
            subject.problems.append(Problem(row, indicator, problem))

        if not ident:
            reject(message("row-no-indicator"), None)
            return
        if ident not in self.rules:
            reject(message("indicator-not-in-rules", indicator=ident,
                           hint=_suggest(ident, self.rules.ids(), "indicators")), None)
            return
        indicator = self.rules[ident]
        if not measure:
            reject(message("row-no-measure", indicator=ident), ident)
            return
        if _is_blank(value):
            reject(message("row-no-value", indicator=ident, measure=measure), ident)
            return
        record = group.records(ident)
        if measure == MILESTONES:
            self._add_milestone(indicator, record, value, reject)
            subject.rows.setdefault((ident, MILESTONES), row)
            return
        kinds = self._kinds[ident]
        if measure not in kinds:
            if self.strict:
                names = [*kinds, MILESTONES] if _milestone_levels(indicator) else list(kinds)
                reject(message("unknown-key", indicator=ident, key=measure,
                               hint=_suggest(measure, names, "measures")), ident)
            return
        first = subject.rows.get((ident, measure))
        if first is not None:
            reject(message("value-twice", indicator=ident, measure=measure, row=first), ident)
            return
        subject.rows[(ident, measure)] = row
        if kinds[measure] == "flag":
            flag = flag_value(value)
            if flag is None:
                reject(message("flag-cell", indicator=ident, measure=measure,
                               value=_shown(value)), ident)
                return
            record[measure] = flag
        else:
            record[measure] = value

    def _add_milestone(
        self,
        indicator: Indicator,
        record: dict[str, Any],
        value: Any,
        reject: Callable[[Message, str | None], None],
    ) -> None:
        levels = _milestone_levels(indicator)
        number = _milestone_number(value)
        if number == 0 and levels:
            # "none done": the indicator is reported, with no milestone done.
            record.setdefault(MILESTONES, [])
        elif not levels:
            reject(message("no-milestone-levels", indicator=indicator.id), indicator.id)
        elif number is None or number not in levels:
            allowed = ", ".join(str(level) for level in levels)
            reject(message("milestone-cell", indicator=indicator.id, allowed=allowed,
                           value=_shown(value)), indicator.id)
        else:
            done = record.setdefault(MILESTONES, [])
            if number not in done:
                done.append(number)

    def _finish(self, group: _Group) -> Subject:
        subject = group.subject
        for indicator in self.rules:
            record = group.by_indicator.get(indicator.id)
            if record is None:
                # The rule of RuleSet.evaluate: a subject without a record for an indicator is
                # rejected, an indicator of milestones only too (a row `milestones` 0 reports
                # one with none done).
                if not any(p.indicator == indicator.id for p in subject.problems):
                    subject.problems.append(Problem(
                        subject.first_row, indicator.id, self._no_record(indicator)))
                record = {}
            subject.records[indicator.id] = record
        return subject

    @staticmethod
    def _no_record(indicator: Indicator) -> Message:
        if indicator.measures:
            needs = ", ".join(f"`{m.name}`" for m in indicator.measures)
            return message("no-rows-for-indicator", indicator=indicator.id, needs=needs)
        return message("no-rows-milestones", indicator=indicator.id)

    # -- JSON ---------------------------------------------------------------------------------

    def _json(self) -> Iterator[Subject | StrayRow]:
        with self._open_binary() as binary:
            data = binary.read()
        try:
            text = data.decode(self.encoding)
        except UnicodeDecodeError as error:
            raise self._encoding_error(error, message("where-file")) from None
        if not text.strip():
            raise RecordsError(message("json-empty", path=self.path), self.path)
        try:
            top = json.loads(text, parse_float=Decimal, parse_int=_json_int,
                             object_pairs_hook=_Object)
        except json.JSONDecodeError as error:
            raise RecordsError(message("json-invalid", path=self.path, line=error.lineno,
                                       column=error.colno, reason=error.msg),
                               self.path, error.lineno) from None
        if not isinstance(top, dict):
            raise RecordsError(message("json-top-level", path=self.path, found=_json_type(top)),
                               self.path)
        repeated = set(top.repeated) if isinstance(top, _Object) else set()
        for name, value in top.items():
            if self.only is not None and name != self.only:
                self.names.append(name)
                continue
            subject = Subject(name, {})
            if name in repeated:
                subject.problems.append(Problem(None, None, message("subject-twice", subject=name)))
            self._json_subject(subject, value)
            yield subject

    def _json_subject(self, subject: Subject, value: Any) -> None:
        def reject(problem: Message, indicator: str | None = None) -> None:
            subject.problems.append(Problem(None, indicator, problem))

        if not isinstance(value, dict):
            reject(message("json-subject-not-object", found=_json_type(value)))
            return
        for ident in getattr(value, "repeated", ()):
            reject(message("indicator-twice", indicator=ident), ident)
        for ident, record in value.items():
            if ident not in self.rules:
                reject(message("indicator-not-in-rules", indicator=ident,
                               hint=_suggest(ident, self.rules.ids(), "indicators")))
                continue
            if not isinstance(record, dict):
                reject(message("json-record-not-object", indicator=ident,
                               found=_json_type(record)), ident)
                continue
            for measure in getattr(record, "repeated", ()):
                reject(message("measure-twice", indicator=ident, measure=measure), ident)
            subject.records[ident] = {
                key: dict(item) if isinstance(item, _Object) else item
                for key, item in record.items()
            }
        for indicator in self.rules:
            if indicator.id not in value and not any(
                p.indicator == indicator.id for p in subject.problems
            ):
                reject(message("missing-indicator", indicator=indicator.id), indicator.id)


class _Group:
    """The subject being read, with its records by indicator."""

    __slots__ = ("by_indicator", "subject")

    def __init__(self, subject: Subject) -> None:
        self.subject = subject
        self.by_indicator: dict[str, dict[str, Any]] = {}

    def records(self, ident: str) -> dict[str, Any]:
        return self.by_indicator.setdefault(ident, {})


class _Object(dict[str, Any]):
    """A JSON object that remembers which keys it saw more than once."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        self.repeated: list[str] = []
        if len(self) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen and key not in self.repeated:
                    self.repeated.append(key)
                seen.add(key)


def _json_int(digits: str) -> int | str:
    """A JSON integer: an int, or its text when it is longer than a value may be (the value is
    then refused for its subject by the limit on values, instead of int() failing the file)."""
    return int(digits) if len(digits) <= MAX_CELL_CHARS else digits


# A CSV row with a cell longer than the csv module reads (csv.field_size_limit()).
_OVERSIZED: list[Any] = []


def _is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def _milestone_levels(indicator: Indicator) -> tuple[int, ...]:
    return milestone_levels(indicator.node)


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _json_type(value: Any) -> Message | str:
    if isinstance(value, list):
        return message("json-a-list")
    if isinstance(value, str):
        return message("json-a-string")
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "null"
    if isinstance(value, (int, Decimal, float)):
        return message("json-a-number")
    return type(value).__name__
