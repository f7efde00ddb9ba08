"""Excel workbooks for the web face: a catalogue's table, a records template and scoring results.

openpyxl comes with the ``web`` extra. The catalogue sheet holds the cells of
:mod:`kpirules._table` (the source page's columns and the weight total), so the sheet, the page
and ``kpirules table`` cannot disagree; it prints on A4 landscape like the page.
"""

from __future__ import annotations

import importlib
import io
from typing import Any

from kpirules._records import COLUMNS, MILESTONES
from kpirules._table import _caption, _headers, _row, _total_cells
from kpirules.model import RuleSet
from kpirules.web._run import ScoreRun
from kpirules.web._strings import label

__all__ = ["catalogue_workbook", "results_workbook", "template_workbook"]

# Column widths (in characters) of the catalogue sheet: #, strategy, indicator, team, criteria,
# weight, year, round.
_WIDTHS = (5, 30, 40, 8, 70, 9, 7, 6)


def _openpyxl() -> Any:
    # Imported by name: openpyxl ships no type hints.
    return importlib.import_module("openpyxl")


def _bytes(book: Any) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _append(sheet: Any, cells: list[Any]) -> None:
    """A row of values, text kept as text: openpyxl would store a subject named ``=1+1`` (or any
    cell from an uploaded file that starts with ``=``) as a formula for Excel to run. (Each row
    is fixed as it is made: looking rows up again by ``max_row`` costs time in the sheet's size.)"""
    sheet.append([_as_text(sheet, value) if isinstance(value, str) and value.startswith("=")
                  else value for value in cells])


def _as_text(sheet: Any, value: str) -> Any:
    cell = importlib.import_module("openpyxl.cell").WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    # Excel's Text format too; a cell with a style is also one a write-only sheet does not reuse
    # for the next value of the row.
    cell.number_format = "@"
    return cell


def _bold_header(sheet: Any) -> None:
    styles = importlib.import_module("openpyxl.styles")
    for cell in sheet[1]:
        cell.font = styles.Font(bold=True)
    sheet.freeze_panes = "A2"


def catalogue_workbook(rules: RuleSet, language: str = "th") -> bytes:
    """The catalogue as one sheet laid out like the source page, ready to print; the headers in
    ``language`` (Thai, as the page writes them, unless "en")."""
    openpyxl = _openpyxl()
    styles = importlib.import_module("openpyxl.styles")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "ตัวชี้วัด"
    _append(sheet, _headers(rules, language))
    for indicator in rules:
        _append(sheet, _row(indicator, rules, language).cells("\n".join))
    _append(sheet, _total_cells(rules, language))
    _bold_header(sheet)
    wrap = styles.Alignment(wrap_text=True, vertical="top")
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = wrap
    for cell in sheet[sheet.max_row]:
        cell.font = styles.Font(bold=True)
    for index, width in enumerate(_WIDTHS, start=1):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.print_title_rows = "1:1"
    sheet.oddHeader.center.text = _caption(rules, language)
    return _bytes(book)


def template_workbook(rules: RuleSet, language: str) -> bytes:
    """A records sheet to fill in: the header ``subject,indicator,measure,value`` and, for one
    subject, a row per measure with the value left empty and a row per milestone level (delete
    the rows of milestones not done). The ``note`` column says what each row is; the reader
    ignores it."""
    openpyxl = _openpyxl()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "records"
    _append(sheet, [*COLUMNS, "note"])
    subject = label(language, "subject")
    for indicator in rules:
        for measure in indicator.measures:
            note = " ".join(part for part in (measure.description, measure.unit and f"({measure.unit})")
                            if part)
            _append(sheet, [subject, indicator.id, measure.name, None, note])
        for level in indicator.levels:
            if level.is_milestone:
                _append(sheet, [subject, indicator.id, MILESTONES, level.number, level.description])
    _bold_header(sheet)
    for letter, width in zip("ABCDE", (16, 10, 28, 12, 80)):
        sheet.column_dimensions[letter].width = width
    return _bytes(book)


def results_workbook(run: ScoreRun, language: str) -> bytes:
    """Scoring results: a sheet with one row per subject (total, then each indicator's level,
    score and points, or the reasons it was rejected) and a sheet of the rows not scored."""
    # Write-only: rows go straight to the file, which for thousands of subjects is about twice
    # as fast as building the sheet in memory first.
    book = _openpyxl().Workbook(write_only=True)
    sheet = book.create_sheet(label(language, "results"))
    sheet.column_dimensions["A"].width = 24
    sheet.freeze_panes = "A2"
    indicators = list(run.rules)
    header: list[str] = [label(language, "subject"), label(language, "total")]
    for indicator in indicators:
        header += [f"{indicator.id} {label(language, key)}" for key in ("level", "score_col", "points")]
    header.append(label(language, "reason"))
    sheet.append(_header_cells(sheet, header))
    for name, outcome in run.subjects:
        if isinstance(outcome, list):
            _append(sheet, [name, None, *([None] * (3 * len(indicators))),
                            run.error_text(outcome, language)])
            continue
        cells: list[Any] = [name, outcome.total]
        by_id = {result.indicator.id: result for result in outcome}
        for indicator in indicators:
            result = by_id.get(indicator.id)
            cells += [None] * 3 if result is None else [result.level, result.score, result.points]
        _append(sheet, [*cells, None])
    rows = book.create_sheet(label(language, "rejected_rows")[:31])
    rows.column_dimensions["C"].width = 100
    rows.freeze_panes = "A2"
    rows.append(_header_cells(rows, [label(language, key) for key in ("row", "subject", "reason")]))
    for row, subject, message in run.rejected_rows(language):
        _append(rows, [row, subject, message])
    return _bytes(book)


def _header_cells(sheet: Any, names: list[str]) -> list[Any]:
    bold = importlib.import_module("openpyxl.styles").Font(bold=True)
    cells = []
    for name in names:
        cell = importlib.import_module("openpyxl.cell").WriteOnlyCell(sheet, value=name)
        cell.font = bold
        cells.append(cell)
    return cells
