"""The parts of the kpirules documentation that are generated from the code and the shipped data at
build time, so that they cannot drift from what the library does:

- the ``kpi`` Pygments lexer (:class:`kpirules.pygments_lexer.KpiLexer`), registered for
  ``.. code-block:: kpi``;
- ``.. kpi-keywords::``, the English/Thai keyword table, read from ``kpirules._keywords.THAI``;
- ``.. kpi-catalogue:: NAME``, a shipped catalogue as the source page's table, from
  ``kpirules.table(kpirules.catalogue.load(NAME), format="csv")``;
- ``.. kpi-cli-help:: [COMMAND]``, the usage text of ``kpirules [COMMAND] --help``;
- ``.. kpi-cli-run:: ARGS``, a console session of ``kpirules ARGS``, run as the page builds.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

import kpirules
from kpirules import _keywords, catalogue
from kpirules.pygments_lexer import KpiLexer

# What each keyword is for: (where it goes, what it does). Every keyword of the language must be
# here, and nothing else: a keyword added to the table without a line here fails the build.
KEYWORD_ROLES: dict[str, tuple[str, str]] = {
    "catalogue": ("header", "the catalogue's id: ``catalogue \"cdd-2565-r1\"``"),
    "title": ("header", "the catalogue's title, as on the source page"),
    "position": ("header", "the position the indicators are for (ตำแหน่ง)"),
    "year": ("header, indicator", "the fiscal year, Buddhist Era: ``year 2565``"),
    "round": ("header, indicator", "the appraisal round: ``round 1``"),
    "indicator": ("anywhere", "starts an indicator: ``indicator 1 \"TITLE\"``"),
    "strategy": ("indicator", "the strategy (ยุทธศาสตร์) the indicator serves"),
    "team": ("indicator", "the team (ทีม) responsible"),
    "weight": ("indicator", "the indicator's share of the scorecard total: ``weight 20``"),
    "measure": ("indicator", "declares an input a record supplies"),
    "number": ("measure", "kind: any finite decimal (the default)"),
    "count": ("measure", "kind: a whole number 0 or more"),
    "flag": ("measure", "kind: true or false"),
    "in": ("measure", "the accepted range: ``in 0..100``, ``in 0..``, ``in ..100``"),
    "unit": ("measure", "the unit, for people: ``unit \"บาท\"``"),
    "let": ("indicator", "a derived value: ``let p = a / b * 100``"),
    "level": ("indicator", "a level: ``level K if CONDITION`` or ``level K milestone \"…\"``"),
    "if": ("level", "introduces the level's condition"),
    "milestone": ("level", "the level is a checklist item the record reports done"),
    "policy": ("indicator", "how levels combine: ``policy ordered`` or ``policy highest``"),
    "ordered": ("policy", "the highest K whose levels 1..K all hold (the default)"),
    "highest": ("policy", "the highest K whose own condition holds"),
    "score": ("indicator", "``score interpolate``: fractional scores"),
    "interpolate": ("score", "scores between thresholds, rounded to 4 places"),
    "and": ("condition", "both hold"),
    "or": ("condition", "either holds"),
    "not": ("condition", "does not hold"),
    "example": ("indicator", "a worked example: ``example level 3: a = 400, b = 230``"),
    "rejected": ("example", "``example rejected: …``: the record must be refused"),
    "true": ("example", "a flag's value in an example"),
    "false": ("example", "a flag's value in an example"),
}


def _table(
    headers: list[str], rows: list[list[nodes.Node]], widths: list[int], classes: list[str]
) -> nodes.table:
    """A docutils table of ``rows`` (each cell one node) under ``headers``."""
    table = nodes.table(classes=classes)
    group = nodes.tgroup(cols=len(headers))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    head += _row([nodes.paragraph(text=header) for header in headers])
    body = nodes.tbody()
    group += body
    for cells in rows:
        body += _row(cells)
    return table


def _row(cells: list[nodes.Node]) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        entry += cell
        row += entry
    return row


def _inline_rst(directive: SphinxDirective, text: str) -> nodes.Node:
    """``text`` parsed as inline reStructuredText, in a paragraph."""
    parsed, messages = directive.state.inline_text(text, directive.lineno)
    paragraph = nodes.paragraph()
    paragraph.extend(parsed)
    paragraph.extend(messages)
    return paragraph


class KeywordTable(SphinxDirective):
    """``.. kpi-keywords::`` — every keyword, English and Thai, from the parser's own table."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(_keywords.__file__)
        missing = sorted(set(_keywords.THAI) - set(KEYWORD_ROLES))
        stale = sorted(set(KEYWORD_ROLES) - set(_keywords.THAI))
        if missing or stale:
            raise self.error(
                "docs/_ext/kpidocs.py KEYWORD_ROLES is out of step with kpirules._keywords.THAI: "
                f"describe {missing}, remove {stale}"
            )
        rows = [
            [
                nodes.paragraph("", "", nodes.literal(text=english)),
                nodes.paragraph("", "", nodes.literal(text=thai)),
                nodes.paragraph(text=KEYWORD_ROLES[english][0]),
                _inline_rst(self, KEYWORD_ROLES[english][1]),
            ]
            for english, thai in _keywords.THAI.items()
        ]
        return [_table(["English", "ไทย", "where", "meaning"], rows, [12, 12, 14, 50],
                       ["kpi-keywords"])]


class CatalogueTable(SphinxDirective):
    """``.. kpi-catalogue:: NAME`` — a shipped catalogue as the source page's table.

    The cells come from ``kpirules.table(..., format="csv")``, the same rendering the library and
    ``kpirules table`` give, so the page shows exactly what users get.
    """

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        try:
            rules = catalogue.load(name)
        except kpirules.KpiRulesError as error:
            raise self.error(str(error)) from None
        self.env.note_dependency(str(catalogue.path(name)))
        header, *rows = list(csv.reader(io.StringIO(kpirules.table(rules, format="csv"))))
        criteria = header.index(next(h for h in header if h.startswith("เกณฑ์การวัด")))
        body: list[list[nodes.Node]] = []
        for cells in rows:
            row: list[nodes.Node] = []
            for index, cell in enumerate(cells):
                if index == criteria and cell:
                    block = nodes.line_block()
                    for line in cell.splitlines():
                        block += nodes.line(text=line)
                    row.append(block)
                else:
                    row.append(nodes.paragraph(text=cell))
            body.append(row)
        widths = [3, 14, 20, 5, 48, 6, 5, 4][: len(header)]
        return [_table(header, body, widths, ["kpi-catalogue"])]


class CliHelp(SphinxDirective):
    """``.. kpi-cli-help:: [COMMAND]`` — what ``kpirules [COMMAND] --help`` prints."""

    optional_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        from kpirules import cli

        self.env.note_dependency(cli.__file__)
        argv = [*self.arguments, "--help"]
        _, output = _run_cli(argv)
        text = output.rstrip()
        if not text:
            raise self.error(f"`kpirules {' '.join(argv)}` printed nothing")
        block = nodes.literal_block(text, text)
        block["language"] = "text"
        return [block]


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _run_cli(argv: list[str], directory: Path | None = None) -> tuple[int, str]:
    """Run ``kpirules ARGV`` in-process; return its exit code and what it printed (stdout and
    stderr together, in the order written)."""
    from kpirules import cli

    out = io.StringIO()
    previous = Path.cwd()
    code = 0
    with _environment(COLUMNS="90", NO_COLOR="1"), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(out):
        try:
            if directory is not None:
                os.chdir(directory)
            code = cli.main(argv)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        finally:
            os.chdir(previous)
    return code, out.getvalue()


class CliRun(SphinxDirective):
    """``.. kpi-cli-run:: ARGS`` — run ``kpirules ARGS`` in ``docs/rules`` while the page builds and
    show the command with what it printed, as a console session. ``:exit: N`` fails the build
    unless the exit code is N; a non-zero exit code is shown as ``echo $?``."""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = False
    option_spec: ClassVar[dict[str, Any]] = {"exit": directives.nonnegative_int}

    def run(self) -> list[nodes.Node]:
        from kpirules import cli

        self.env.note_dependency(cli.__file__)
        argv = shlex.split(self.arguments[0])
        rules = Path(self.env.srcdir) / "rules"
        code, output = _run_cli(argv, rules)
        expected = self.options.get("exit")
        if expected is not None and code != expected:
            raise self.error(f"`kpirules {self.arguments[0]}` exited with {code}, not {expected}:"
                             f"\n{output}")
        text = f"$ kpirules {self.arguments[0]}\n{output.rstrip()}"
        if code:
            text += f"\n$ echo $?\n{code}"
        block = nodes.literal_block(text, text)
        block["language"] = "console"
        return [block]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_lexer("kpi", KpiLexer)
    app.add_directive("kpi-keywords", KeywordTable)
    app.add_directive("kpi-catalogue", CatalogueTable)
    app.add_directive("kpi-cli-help", CliHelp)
    app.add_directive("kpi-cli-run", CliRun)
    return {"version": kpirules.__version__, "parallel_read_safe": True,
            "parallel_write_safe": True}


__all__ = ["setup"]
