"""The catalogue as the source page shows it: one row per indicator, then the weight total.

The columns are the page's own: #, ยุทธศาสตร์ (strategy), ตัวชี้วัดการปฏิบัติงาน(KPI) (the indicator),
ทีม (team), เกณฑ์การวัด (1-5 คะแนน) (one line per level), น้ำหนัก (weight), ปี (year), รอบ (round).
:func:`table` prints them as markdown, as a standalone html page or as csv.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Callable, Sequence
from decimal import Decimal

import attrs

from kpirules._messages import check_language, message, text
from kpirules._numbers import plain
from kpirules._safe import markdown_text, spreadsheet_cell
from kpirules._semantics import describe_expr
from kpirules.errors import UsageError
from kpirules.model import Indicator, RuleSet

__all__ = ["COLUMNS", "FORMATS", "table"]

_COLUMN_CODES = ("table-number", "table-strategy", "table-indicator", "table-team",
                 "table-criteria", "table-weight", "table-year", "table-round")


def columns(language: str = "th", top: int = 5) -> tuple[str, ...]:
    """The column headers in ``language``; in Thai as the source page writes them. ``top`` is the
    highest level (the criteria header says "1-5")."""
    return tuple(text(code, language, top=top) for code in _COLUMN_CODES)


COLUMNS = columns()
"""The column headers, as the source page writes them (for a catalogue whose indicators have five
levels; with another number of levels the criteria header says so)."""

_CRITERIA = 4
_WEIGHT = 5


@attrs.frozen
class _Row:
    """One indicator's cells; ``criteria`` holds one line per level."""

    id: str
    strategy: str
    title: str
    team: str
    criteria: tuple[str, ...]
    weight: str
    year: str
    round: str

    def cells(self, join: Callable[[Sequence[str]], str]) -> list[str]:
        return [self.id, self.strategy, self.title, self.team, join(self.criteria), self.weight,
                self.year, self.round]


def _number(value: Decimal | int | None) -> str:
    return "" if value is None else plain(Decimal(value))


def _criterion(level_number: int, description: str | None, condition: str,
               language: str) -> str:
    criterion = description if description is not None else condition
    return text("table-level", language, level=level_number, criterion=criterion)


def _row(indicator: Indicator, rules: RuleSet, language: str = "th") -> _Row:
    criteria = tuple(
        _criterion(level.number, level.description,
                   describe_expr(level.condition) if level.condition is not None else "",
                   language)
        for level in indicator.levels
    )
    year = indicator.year if indicator.year is not None else rules.year
    round_ = indicator.round if indicator.round is not None else rules.round
    return _Row(indicator.id, indicator.strategy or "", indicator.title, indicator.team or "",
                criteria, _number(indicator.weight), _number(year), _number(round_))


def _headers(rules: RuleSet, language: str = "th") -> list[str]:
    tops = {indicator.top for indicator in rules}
    return list(columns(language, max(tops) if tops else 5))


def _total_cells(rules: RuleSet, language: str = "th") -> list[str]:
    weights = [indicator.weight for indicator in rules if indicator.weight is not None]
    cells = [""] * len(COLUMNS)
    cells[0] = text("table-total", language)
    cells[_WEIGHT] = _number(sum(weights, Decimal(0))) if weights else ""
    return cells


def _caption(rules: RuleSet, language: str = "th") -> str:
    """The page's heading: "TITLE รอบ R ปี Y" with whatever of it the rule set has."""
    parts = [rules.title or rules.id or text("table-untitled", language)]
    if rules.round is not None:
        parts.append(text("table-round-of", language, round=rules.round))
    if rules.year is not None:
        parts.append(text("table-year-of", language, year=rules.year))
    return " ".join(parts)


def _markdown_cell(text: str) -> str:
    text = markdown_text(text).replace("\\", "\\\\").replace("|", "\\|")
    return text.replace("\r\n", "\n").replace("\n", "<br>")


def _markdown(rules: RuleSet, language: str) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(_markdown_cell(cell) for cell in cells) + " |"

    headers = _headers(rules, language)
    lines = [line(headers), "| " + " | ".join("---" for _ in headers) + " |"]
    lines += [line(_row(indicator, rules, language).cells("\n".join)) for indicator in rules]
    lines.append(line(_total_cells(rules, language)))
    return "\n".join(lines) + "\n"


def _csv(rules: RuleSet, language: str) -> str:
    buffer = io.StringIO()
    # "\n" rather than the csv module's "\r\n": the text is returned, not written, and a caller who
    # prints it on Windows would otherwise get "\r\r\n".
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_headers(rules, language))
    writer.writerows([spreadsheet_cell(cell) for cell in
                      _row(indicator, rules, language).cells("\n".join)] for indicator in rules)
    writer.writerow(_total_cells(rules, language))
    return buffer.getvalue()


_STYLE = """\
body {
  font-family: "Sarabun", "TH Sarabun New", "Noto Sans Thai", "Noto Sans Thai UI", "Leelawadee UI",
    "Leelawadee", "Thonburi", "Tahoma", sans-serif;
  color: #000;
  line-height: 1.5;
  margin: 2em;
}
table { border-collapse: collapse; width: 100%; }
caption { font-size: 1.2em; font-weight: bold; margin-bottom: 0.5em; text-align: left; }
th, td { border: 1px solid #000; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }
th { font-weight: bold; }
.number { text-align: center; white-space: nowrap; }
.criteria { min-width: 24em; }
.criteria div + div { margin-top: 0.25em; }
tfoot th, tfoot td { font-weight: bold; }
@page { size: A4 landscape; margin: 1.5cm; }
@media print {
  body { font-size: 10pt; margin: 0; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
}
"""

# The columns shown centred: the id, the weight, the year and the round.
_NUMBER_COLUMNS = frozenset({0, 5, 6, 7})


def _html_text(text: str) -> str:
    return html.escape(text).replace("\r\n", "\n").replace("\n", "<br>")


def _html_row(row: _Row) -> str:
    cells = []
    for index, cell in enumerate(row.cells("\n".join)):
        if index == _CRITERIA:
            # One block per level, so that each criterion starts on its own line, as on the page.
            lines = "".join(f"<div>{_html_text(line)}</div>" for line in row.criteria)
            cells.append(f'<td class="criteria">{lines}</td>')
        elif index in _NUMBER_COLUMNS:
            cells.append(f'<td class="number">{_html_text(cell)}</td>')
        else:
            cells.append(f"<td>{_html_text(cell)}</td>")
    return "<tr>" + "".join(cells) + "</tr>"


def _html(rules: RuleSet, language: str) -> str:
    caption = _html_text(_caption(rules, language))
    headers = "".join(f'<th scope="col">{_html_text(header)}</th>'
                      for header in _headers(rules, language))
    rows = "\n".join(_html_row(_row(indicator, rules, language)) for indicator in rules)
    total_cells = _total_cells(rules, language)
    total, total_label = _html_text(total_cells[_WEIGHT]), _html_text(total_cells[0])
    return f"""<!DOCTYPE html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{caption}</title>
<style>
{_STYLE}</style>
</head>
<body>
<table>
<caption>{caption}</caption>
<thead>
<tr>{headers}</tr>
</thead>
<tbody>
{rows}
</tbody>
<tfoot>
<tr><th scope="row" colspan="{_WEIGHT}">{total_label}</th><td class="number">{total}</td><td colspan="{len(COLUMNS) - _WEIGHT - 1}"></td></tr>
</tfoot>
</table>
</body>
</html>
"""  # noqa: E501 - the page reads best with each row on one line


_RENDERERS: dict[str, Callable[[RuleSet, str], str]] = {
    "markdown": _markdown,
    "html": _html,
    "csv": _csv,
}
FORMATS = tuple(_RENDERERS)
"""The formats :func:`table` can print."""


def table(rules: RuleSet, format: str = "markdown", language: str = "th") -> str:
    """``rules`` as the source page's table, in ``format``: ``"markdown"``, ``"html"`` or ``"csv"``.

    The headers are the source page's own, in Thai; ``language="en"`` gives them in English.

    Each indicator is one row; its criteria cell has one line per level, "ระดับ K" and the level's
    description (or its condition, for a level without one). The last row, "รวม", totals the weights.
    Markdown breaks lines inside a cell with ``<br>``, html is a complete page that prints on A4,
    csv keeps the line breaks inside the quoted cell.

    >>> import kpirules
    >>> rules = kpirules.parse('''
    ... title "ตัวอย่าง"
    ... year 2565
    ... round 1
    ... indicator 6 "รายได้ออนไลน์เพิ่มขึ้น"
    ...   strategy "ส่งเสริมเศรษฐกิจฐานรากให้ขยายตัว"
    ...   weight 100
    ...   measure growth "รายได้ที่เพิ่มขึ้น" unit "ร้อยละ"
    ...   level 1 if growth >= 11 "ไม่น้อยกว่าร้อยละ 11"
    ...   level 2 if growth >= 12
    ... ''')
    >>> print(kpirules.table(rules))
    | # | ยุทธศาสตร์ | ตัวชี้วัดการปฏิบัติงาน(KPI) | ทีม | เกณฑ์การวัด (1-2 คะแนน) | น้ำหนัก | ปี | รอบ |
    | --- | --- | --- | --- | --- | --- | --- | --- |
    | 6 | ส่งเสริมเศรษฐกิจฐานรากให้ขยายตัว | รายได้ออนไลน์เพิ่มขึ้น |  | ระดับ 1 ไม่น้อยกว่าร้อยละ 11<br>ระดับ 2 growth >= 12 | 100 | 2565 | 1 |
    | รวม |  |  |  |  | 100 |  |  |
    <BLANKLINE>
    >>> print(kpirules.table(rules, "csv").splitlines()[-1])
    รวม,,,,,100,,
    """  # noqa: E501 - a doctest's expected lines cannot be wrapped
    render = _RENDERERS.get(format.lower() if isinstance(format, str) else "")
    if render is None:
        raise UsageError(message("unknown-table-format", format=repr(format),
                                 formats=", ".join(FORMATS)))
    try:
        chosen = check_language(language)
    except ValueError as error:
        raise UsageError(str(error)) from None
    return render(rules, chosen)
