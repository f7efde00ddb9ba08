"""The ``kpirules`` command line (also ``python -m kpirules``).

Commands (the documentation page "Command line"): ``check``, ``fmt``, ``eval``, ``explain``,
``table``, ``test``, ``catalogues``, ``lsp`` and ``serve`` (the web face, :mod:`kpirules.web`).
Exit codes: 0 success; 1 findings (``check`` errors, files ``fmt --check`` would change, records
``eval`` rejected); 2 unusable arguments, rules or files; 130 interrupted. No traceback ever
reaches the user: a :class:`~kpirules.KpiRulesError` becomes its message, anything else a
one-line "internal error" with a request to report it (set ``KPIRULES_DEBUG=1`` to see the
traceback).

Choices made where the contract is silent:

- RULES is read as a file when a file of that name exists, otherwise as a shipped catalogue name.
- ``eval`` and whole-subject ``explain`` need a weight on every indicator (a scorecard total
  cannot be computed otherwise); a rule file without them exits 2 before any record is read.
  ``explain --indicator`` scores one indicator and needs no weights.
- ``eval`` output is written as each subject is scored. With ``-o OUT`` it goes to a temporary file
  beside OUT that replaces OUT only at the end, so a run that stops with exit 2 (a file that turns
  out not to be valid text halfway) leaves OUT as it was; on exit 1 OUT is written with the
  rejected subjects marked. Without ``--format`` the format follows OUT's extension (``.json``,
  ``.csv``, ``.xlsx``, ``.parquet``; ``.txt`` or none: text); any other extension is refused
  (exit 2) unless ``--format`` names the format. ``.xlsx`` and ``.parquet`` are written whole at
  the end (kpirules._writers). A CSV written to a file starts with a UTF-8 byte order mark so
  that Excel shows Thai text; CSV on standard output has none.
- JSON output puts one subject per line inside one object, so it can be read as it grows and
  diffed line by line; numbers are written with their exact decimal digits.
- Rejected records are reported on standard error as ``FILE:ROW: subject "S": reason`` (JSON
  records: ``FILE: subject "S": reason``), at most 100 lines, then a count of the rest; a summary
  line says how many subjects were rejected. The output carries every subject's reasons.
- ``explain`` of a subject that is not in RECORDS exits 2, naming the closest subject and the first
  few; an unknown ``--indicator`` exits 2 naming the indicators.
- ``fmt`` keeps a file's line endings (CRLF stays CRLF) and a leading byte order mark. A file that
  does not parse is reported and exits 2 (so 1 always means "would reformat"); ``--diff`` prints
  the changes, changes nothing and, like ``--check``, exits 1 when a file would change.
- ``check`` and ``fmt`` go on to the next file after a missing or broken one and exit with the
  worst code. ``check --format json`` prints one list of findings; a file that does not parse is a
  finding with the parse error's own code (``expected-comparison``, …).
- Long runs show a progress bar (tqdm, from the ``progress`` extra) on standard error after two
  seconds, and only when it is a terminal.
- ``lsp`` runs the language server (:mod:`kpirules.lsp`) on standard input and output; without the
  ``lsp`` extra it exits 2 saying what to install. ``--lang`` (or ``KPIRULES_LANG``) makes it speak
  that language for every file instead of each file's own.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import difflib
import importlib
import io
import itertools
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any, Protocol

import kpirules
from kpirules import catalogue
from kpirules._messages import LANGUAGES, Message, check_language, message, text
from kpirules._numbers import plain, show, tidy
from kpirules._output import CsvWriter, JsonWriter, evaluate_one, score
from kpirules._output import atomic as _atomic
from kpirules._output import require_weights as _require_weights
from kpirules._records import (
    Problem,
    RecordReader,
    StrayRow,
    Subject,
    problems_text,
)
from kpirules._safe import terminal_lines, terminal_text
from kpirules._width import display_width, pad
from kpirules._writers import ParquetWriter, XlsxWriter
from kpirules.errors import KpiRulesError, ParseError, UsageError
from kpirules.model import RuleSet
from kpirules.result import Result, Scorecard

if TYPE_CHECKING:
    from kpirules.sql.engine import DuckDBRun, FileScores

__all__ = ["main"]

PROG = "kpirules"
# stderr lines about rejected records before the rest are only counted
_MAX_MESSAGES = 100
_TITLE_WIDTH = 40
_PROGRESS_AFTER = 2.0


Usage = UsageError
"""Arguments or files the command cannot work with (exit 2)."""


class _Speech:
    """The language everything the command prints speaks: ``--lang``, else ``KPIRULES_LANG``,
    else the rule file's (``fixed`` is None until a rule file says), English before any."""

    def __init__(self) -> None:
        self.fixed: str | None = None
        self.language = "en"

    def choose(self, option: str | None) -> None:
        self.fixed, self.language = None, "en"
        chosen = option or os.environ.get("KPIRULES_LANG", "").strip().lower() or None
        if chosen is not None and chosen not in LANGUAGES:
            raise Usage(message("bad-lang-variable", value=chosen))
        self.fixed = chosen
        self.language = chosen or "en"

    def adopt(self, rules: RuleSet) -> None:
        """Speak ``rules``'s language, unless one was chosen."""
        if self.fixed is None:
            self.language = rules.language

    def __call__(self, code: str, **parts: Any) -> str:
        return text(code, self.language, **parts)


_speech = _Speech()


# -- entry point ---------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``) and return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    _utf8_when_redirected()
    try:
        _speech.choose(getattr(args, "lang", None))
        code: int = args.run(args)
        sys.stdout.flush()
        return code
    except KeyboardInterrupt:
        _say(message("cli-interrupted"))
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`kpirules eval ... | head`): stop quietly, and point
        # stdout at /dev/null so that the interpreter's final flush does not complain again.
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 141
    except ParseError as error:
        print(terminal_lines(str(error.in_language(_speech.language))), file=sys.stderr)
        return 2
    except KpiRulesError as error:
        _say(error.in_language(_speech.language).message)
        return 2
    except OSError as error:  # a file that cannot be written: a full disk, a read-only folder
        where = f"{error.filename}: " if error.filename else ""
        _say(f"{where}{error.strerror or error}")
        return 2
    except UnicodeEncodeError as error:
        _say(message("cli-cannot-encode", char=repr(error.object[error.start:error.end])))
        return 2
    except Exception as error:  # the last line of defence: a policy officer never sees a traceback
        if os.environ.get("KPIRULES_DEBUG"):
            raise
        _say(message("cli-internal-error", error=f"{type(error).__name__}: {error}",
                     version=kpirules.__version__))
        return 2


def _utf8_when_redirected() -> None:
    """Output that goes to a file or a pipe is UTF-8 whatever the system's code page (a Thai
    Windows would otherwise write cp874 JSON); a terminal keeps its own encoding."""
    stdout = sys.stdout
    if isinstance(stdout, io.TextIOWrapper) and not _is_terminal(stdout):
        with contextlib.suppress(ValueError, OSError):
            if codecs.lookup(stdout.encoding).name != "utf-8":
                stdout.reconfigure(encoding="utf-8")


def _say(said: Message | str) -> None:
    shown = said if isinstance(said, str) else said.render(_speech.language)
    print(f"{PROG}: {terminal_lines(shown)}", file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Check, format and evaluate KPI rule files (.kpi).",
        epilog="Run `kpirules COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {kpirules.__version__}")
    _language_argument(parser, argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser(
        "check", help="find mistakes in rule files",
        description="Report problems in rule files as FILE:LINE:COL: severity[code]: message. "
                    "Exit 0 when there are no errors (warnings allowed), 1 when there are.")
    check.add_argument("files", nargs="+", metavar="FILE", help="a .kpi rule file")
    check.add_argument("--format", choices=("text", "json"), default="text",
                       help="text lines (default) or one JSON list")
    check.add_argument("--strict", action="store_true",
                       help="exit 1 on warnings too (for CI and pre-commit hooks)")
    check.set_defaults(run=_check)

    fmt = commands.add_parser(
        "fmt", help="rewrite rule files in the canonical layout",
        description="Rewrite rule files in place in the canonical layout. With --check or "
                    "--diff nothing is changed and the exit code is 1 if a file would change.")
    fmt.add_argument("files", nargs="+", metavar="FILE", help="a .kpi rule file")
    fmt.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file "
                     "would be reformatted")
    fmt.add_argument("--diff", action="store_true", help="print the changes as a unified diff "
                     "and change nothing")
    fmt.add_argument("--keywords", choices=LANGUAGES, help="also write every keyword in Thai "
                     "(th) or English (en)")
    fmt.set_defaults(run=_fmt)

    evaluate = commands.add_parser(
        "eval", help="score every subject in a records file",
        description="Score every subject in RECORDS. Exit 0 when all are scored, 1 when any "
                    "record is rejected (the others are still scored and written), 2 when the "
                    "arguments, the rules or the records file cannot be used.",
        epilog="RECORDS layouts: JSON {\"SUBJECT\": {\"INDICATOR\": {\"MEASURE\": value, "
               "\"milestones\": [1, 2]}}}; CSV or XLSX with the header "
               "subject,indicator,measure,value and one row per value.")
    _records_arguments(evaluate)
    evaluate.add_argument("--format", choices=("text", "json", "csv", "xlsx", "parquet"),
                          help="output format (default: from OUT's extension, else text)")
    evaluate.add_argument("-o", "--output", metavar="OUT",
                          help="write the results to OUT instead of standard output")
    evaluate.add_argument("--engine", choices=("python", "duckdb", "spark"), default="python",
                          help="python (default) scores record by record; duckdb runs the rules "
                               "as one SQL query over a .csv or .parquet file of millions of "
                               'rows (pip install "kpirules[duckdb]"); spark runs it on Spark '
                               '(pip install "kpirules[spark]")')
    evaluate.add_argument("--master", metavar="URL",
                          help="with --engine spark: the Spark master (default: a local session, "
                               "or the Spark Connect server SPARK_REMOTE names)")
    evaluate.set_defaults(run=_eval)

    explain = commands.add_parser(
        "explain", help="explain one subject's levels",
        description="Show which conditions held for one subject, with the numbers, and what the "
                    "next level needs. Exit codes as for eval.")
    _records_arguments(explain)
    explain.add_argument("--subject", required=True, metavar="S", help="the subject to explain")
    explain.add_argument("--indicator", metavar="ID", help="explain this indicator only")
    explain.set_defaults(run=_explain)

    table = commands.add_parser(
        "table", help="print the rules as the source page's table",
        description="The catalogue as the source page shows it: #, strategy, indicator, team, "
                    "criteria 1-5, weight, year, round, and the weight total.")
    table.add_argument("rules", metavar="RULES", help="a .kpi file or a shipped catalogue name")
    table.add_argument("--format", choices=("markdown", "html", "csv"), default="markdown",
                       help="markdown (default), html or csv")
    table.add_argument("-o", "--output", metavar="OUT", help="write the table to OUT")
    table.set_defaults(run=_table)

    test = commands.add_parser(
        "test", help="run the examples written in rule files",
        description="Score every `example` of the rule files and report the ones that do not "
                    "give what they expect; the last line is `N examples passed, M failed`. "
                    "Exit 0 when all pass, 1 when any fails, 2 when a file cannot be used.")
    test.add_argument("files", nargs="+", metavar="RULES",
                      help="a .kpi file or a shipped catalogue name")
    test.add_argument("-v", "--verbose", action="store_true", help="list the passing examples too")
    test.set_defaults(run=_test)

    listing = commands.add_parser("catalogues", help="list the shipped catalogues",
                                  description="List the shipped catalogues and their titles.")
    listing.set_defaults(run=_catalogues)

    serve = commands.add_parser(
        "serve", help="open the catalogues, scoring and an editor in a web browser",
        description="Serve the shipped catalogues and the .kpi files of DIR to a web browser "
                    'at http://HOST:PORT/ (needs pip install "kpirules[web]"). Listens on this '
                    "computer only unless --host says otherwise.")
    serve.add_argument("folder", nargs="?", default=".", metavar="DIR",
                       help="the folder of .kpi files to show and edit (default: the current one)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="the address to listen on (default 127.0.0.1, this computer only)")
    serve.add_argument("--port", type=int, default=8000, help="the port (default 8000)")
    serve.set_defaults(run=_serve)

    lsp = commands.add_parser(
        "lsp", help="run the language server for editors (needs kpirules[lsp])",
        description="Speak the Language Server Protocol on standard input and output, for an "
                    "editor to start (see the editors page of the documentation).")
    lsp.set_defaults(run=_lsp)
    for command in commands.choices.values():
        _language_argument(command, argparse.SUPPRESS)
    return parser


def _language_argument(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument(
        "--lang", choices=LANGUAGES, default=default,
        help="the language of messages, explanations and table headers (th or en; default "
             "$KPIRULES_LANG, else the rule file's)")


def _records_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rules", metavar="RULES", help="a .kpi file or a shipped catalogue name")
    parser.add_argument("records", metavar="RECORDS",
                        help="a .json, .csv, .xlsx or .parquet file (long or wide layout)")
    parser.add_argument("--encoding", default="utf-8-sig", metavar="ENC",
                        help="the text encoding of a CSV or JSON file (default UTF-8 with or "
                             "without a byte order mark; cp874 for Excel's Windows Thai)")
    parser.add_argument("--no-strict", dest="strict", action="store_false",
                        help="ignore measures the rules do not know instead of rejecting them")


def _lsp(args: argparse.Namespace) -> int:
    try:
        from kpirules.lsp import serve
    except ImportError as error:
        raise Usage(message("lsp-needs-pygls", error=str(error))) from None
    serve(language=_speech.fixed)
    return 0


# -- rules ---------------------------------------------------------------------------------------


def _rules(spec: str) -> RuleSet:
    """RULES as given on the command line: a file, else a shipped catalogue name."""
    rules = _find_rules(spec)
    _speech.adopt(rules)
    return rules


def _find_rules(spec: str) -> RuleSet:
    if os.path.exists(spec):
        return kpirules.load(spec, language=_speech.fixed)
    names = catalogue.names()
    if spec in names:
        return catalogue.load(spec, language=_speech.fixed)
    if spec.endswith(".kpi") or os.sep in spec or "/" in spec:
        raise Usage(message("no-such-file", path=spec))
    guess = difflib.get_close_matches(spec, names, n=1)
    hint: Message | str = message("hint-did-you-mean", name=guess[0]) if guess else (
        message("hint-catalogues-are", names=", ".join(names)) if names else "")
    raise Usage(message("unknown-rules", spec=spec, hint=hint))


# -- check ---------------------------------------------------------------------------------------


def _check(args: argparse.Namespace) -> int:
    worst = 0
    findings: list[dict[str, Any]] = []
    as_json = args.format == "json"
    for path in args.files:
        if not os.path.isfile(path):
            _say(message("no-such-file" if not os.path.exists(path) else "not-a-file", path=path))
            worst = 2
            continue
        try:
            rules = kpirules.load(path, language=_speech.fixed)
        except ParseError as error:
            worst = max(worst, 1)
            if as_json:
                findings.append(_finding(path, error.line, error.column, "error", error.code,
                                         error.message, None))
            else:
                print(terminal_lines(str(error)))
            continue
        except KpiRulesError as error:
            _say(error.in_language(_speech.language).message)
            worst = 2
            continue
        _speech.adopt(rules)
        for diagnostic in kpirules.check(rules):
            if diagnostic.severity == "error" or args.strict:
                worst = max(worst, 1)
            if as_json:
                findings.append(_finding(path, diagnostic.line, diagnostic.column,
                                         diagnostic.severity, diagnostic.code,
                                         diagnostic.message, diagnostic.indicator))
            else:
                print(terminal_text(f"{path}:{diagnostic.line}:{diagnostic.column}: "
                                    f"{diagnostic.severity}[{diagnostic.code}]: "
                                    f"{diagnostic.message}"))
    if as_json:
        print(json.dumps(findings, ensure_ascii=False, indent=2))
    return worst


def _finding(path: str, line: int, column: int, severity: str, code: str, message: str,
             indicator: str | None) -> dict[str, Any]:
    return {"file": path, "line": line, "column": column, "severity": severity, "code": code,
            "message": message, "indicator": indicator}


# -- fmt -----------------------------------------------------------------------------------------


def _fmt(args: argparse.Namespace) -> int:
    worst = 0
    for path in args.files:
        try:
            with open(path, encoding="utf-8", newline="") as handle:
                original = handle.read()
        except FileNotFoundError:
            _say(message("no-such-file", path=path))
            worst = 2
            continue
        except UnicodeDecodeError:
            _say(message("fmt-not-utf8", path=path))
            worst = 2
            continue
        except OSError as error:
            _say(message("cannot-read", path=path, reason=error.strerror or str(error)))
            worst = 2
            continue
        try:
            formatted = _canonical(original, args.keywords)
        except ParseError as error:
            # kpirules.format does not know the file's name; the message must carry it.
            language = _speech.fixed or error.language
            named = ParseError(error.problem, path, error.line, error.column, error.text, language)
            print(str(named), file=sys.stderr)
            worst = 2
            continue
        if formatted == original:
            continue
        if args.diff:
            _print_diff(path, original, formatted)
        if args.check or args.diff:
            print(_fmt_said("fmt-would-reformat", path, original), file=sys.stderr)
            worst = max(worst, 1)
            continue
        problem = _rewrite(path, formatted)
        if problem is not None:
            _say(problem)
            worst = 2
            continue
        print(_fmt_said("fmt-reformatted", path, original), file=sys.stderr)
    return worst


def _fmt_said(code: str, path: str, original: str) -> str:
    from kpirules._parser import keyword_language

    return text(code, _speech.fixed or keyword_language(original), path=path)


def _rewrite(path: str, content: str) -> Message | None:
    """Write ``content`` over the file ``path`` keeping what makes it that file (its owner, mode,
    hard links; a symbolic link is followed), or say why it cannot be written.

    A file of ours with one link is replaced atomically (:func:`_replace`); a file with other
    links or another owner, or in a folder we cannot write, is rewritten in place, since a new
    file would lose them; a read-only file is left alone."""
    target = os.path.realpath(path)
    try:
        status = os.stat(target)
        if not status.st_mode & 0o222 or not os.access(target, os.W_OK):
            return message("fmt-read-only", path=path)
        shared = status.st_nlink > 1 or status.st_uid != os.geteuid()
        if not shared:
            try:
                _replace(target, content)
                return None
            except PermissionError:
                pass  # the folder is not writable: the file itself still is
        with open(target, "r+b") as handle:
            handle.write(content.encode("utf-8"))
            handle.truncate()
    except OSError as error:
        return message("fmt-cannot-write", path=path, reason=error.strerror or str(error))
    return None


def _canonical(original: str, keywords: str | None = None) -> str:
    """``kpirules.format`` of a file's text (its keywords in ``keywords``' language when given),
    keeping its byte order mark and line endings."""
    bom = "\ufeff" if original.startswith("\ufeff") else ""
    body = original[len(bom):]
    # The file's own line end (the first one in it) is kept; format() reads every kind as LF.
    first_end = next((i for i, char in enumerate(body) if char in "\r\n"), -1)
    ending = ("\r\n" if body.startswith("\r\n", first_end) else body[first_end]
              if first_end >= 0 else "\n")
    chosen = check_language(keywords) if keywords else None
    formatted = kpirules.format(body, keywords=chosen)
    return bom + formatted.replace("\n", ending)


def _print_diff(path: str, original: str, formatted: str) -> None:
    lines = difflib.unified_diff(original.splitlines(keepends=True),
                                 formatted.splitlines(keepends=True),
                                 path, f"{path} (formatted)")
    for line in lines:
        sys.stdout.write(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")


def _replace(path: str, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a temporary file beside it, then ``os.replace``."""
    target = os.path.realpath(path)
    mode = os.stat(target).st_mode & 0o7777
    with _atomic(target, mode) as handle:
        handle.write(text.encode("utf-8"))


# -- output --------------------------------------------------------------------------------------


def _check_target(path: str) -> None:
    if os.path.isdir(path):
        raise Usage(message("output-is-folder", path=path))
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise Usage(message("output-no-folder", path=path, folder=folder))


@contextlib.contextmanager
def _output(path: str | None, byte_order_mark: bool = False) -> Iterator[IO[str]]:
    """Standard output, or a text file that replaces ``path`` only when the block succeeds."""
    if path is None or path == "-":
        yield sys.stdout
        return
    _check_target(path)
    encoding = "utf-8-sig" if byte_order_mark else "utf-8"
    # Through a link, the file it points to is replaced, not the link.
    with _atomic(os.path.realpath(path)) as binary, open(binary.fileno(), "w", encoding=encoding, newline="",
                                       closefd=False) as text:
        yield text


# What an output file's extension asks for; any other extension is refused unless --format says.
_BY_EXTENSION = {".json": "json", ".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet",
                 "": "text", ".txt": "text", ".text": "text"}
_BINARY: dict[str, type[XlsxWriter] | type[ParquetWriter]] = {
    "xlsx": XlsxWriter, "parquet": ParquetWriter}


def _format_for(output: str | None, chosen: str | None) -> str:
    to_file = output is not None and output != "-"
    extension = os.path.splitext(output or "")[1].lower() if to_file else ""
    wanted = _BY_EXTENSION.get(extension)
    if chosen is None:
        if wanted is None:
            known = ", ".join(ext for ext in _BY_EXTENSION if ext)
            raise Usage(message("output-extension", path=output, extension=extension,
                                known=known))
        chosen = wanted
    elif wanted in _BINARY and chosen != wanted:
        raise Usage(message("output-format-clash", path=output, extension=extension,
                            format=chosen))
    if chosen in _BINARY and not to_file:
        raise Usage(message("output-binary-to-stdout", format=chosen))
    return chosen


@contextlib.contextmanager
def _writer(chosen: str, output: str | None, rules: RuleSet) -> Iterator[Writer]:
    """The writer of ``chosen`` output to ``output``; binary ones replace the file at the end."""
    if chosen in _BINARY:
        assert output is not None
        _check_target(output)
        binary: Writer = _BINARY[chosen](os.path.realpath(output), rules, _atomic, _error_text)
        yield binary
        return
    with _output(output, byte_order_mark=chosen == "csv") as out:
        yield WRITERS[chosen](out, rules)


_plain = plain


def _error_text(problems: Sequence[Problem]) -> str:
    return problems_text(problems, _speech.language)


class Writer(Protocol):
    """Writes scored and rejected subjects as they come."""

    def subject(self, name: str, card: Scorecard) -> None: ...
    def rejected(self, name: str, problems: Sequence[Problem]) -> None: ...
    def finish(self) -> None: ...


class TextWriter:
    """A small table per subject, aligned by display width so Thai titles line up."""

    def __init__(self, out: IO[str], rules: RuleSet) -> None:
        self.out = out
        titles = {indicator.id: _clip(indicator.title, _TITLE_WIDTH) for indicator in rules}
        id_width = max([1, *(display_width(ident) for ident in titles)])
        title_width = max([display_width(_speech("out-indicator")),
                           *(display_width(title) for title in titles.values())])

        def left(ident: str, title: str) -> str:
            return f"  {pad(ident, id_width)}  {pad(title, title_width)}"

        # The Thai-aware padding of the left columns is done once here, not once per subject.
        self.left = {ident: left(ident, title) for ident, title in titles.items()}
        self.header = left("#", _speech("out-indicator"))
        self.total = left("", _speech("out-total"))
        self.first = True

    def _start(self, name: str) -> None:
        if not self.first:
            self.out.write("\n")
        self.first = False
        self.out.write(f"{terminal_text(name)}\n")

    def subject(self, name: str, card: Scorecard) -> None:
        self._start(name)
        headers = (_speech("out-level"), _speech("out-score"), _speech("out-points"))
        cells = [(str(r.level), show(r.score), show(r.points)) for r in card]
        total = show(card.total)
        widths = [max([display_width(header), *(len(row[k]) for row in cells)])
                  for k, header in enumerate(headers)]
        widths[2] = max(widths[2], len(total))
        lines = [_row(self.header, headers, widths)]
        lines += [_row(self.left[result.indicator.id], row, widths)
                  for result, row in zip(card, cells, strict=True)]
        lines.append(_row(self.total, ("", "", total), widths))
        self.out.write("\n".join(lines) + "\n")

    def rejected(self, name: str, problems: Sequence[Problem]) -> None:
        self._start(name)
        for problem in problems:
            said = problem.text(_speech.language)
            if problem.row is not None:
                said = _speech("at-row", row=problem.row, message=said)
            self.out.write(f"  {_speech('out-error', message=terminal_text(said))}\n")

    def finish(self) -> None:
        pass


def _row(left: str, numbers: Sequence[str], widths: list[int]) -> str:
    right = "  ".join(" " * (width - display_width(cell)) + cell
                      for cell, width in zip(numbers, widths, strict=True))
    return f"{left}  {right}"


def _clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` columns, never between a Thai letter and its marks."""
    if display_width(text) <= width:
        return text
    kept = ""
    for char in text:
        if display_width(kept + char) > width - 1:
            break
        kept += char
    # A vowel or tone mark belongs to the letter before it: drop a letter whose marks were cut.
    while kept and len(text) > len(kept) and display_width(text[len(kept)]) == 0:
        kept = kept[:-1]
    return kept + "…"


# The JSON and CSV writers are shared with the web face (kpirules._output); they write reasons in
# the language the command speaks when they are made.
WRITERS: dict[str, Callable[[IO[str], RuleSet], Writer]] = {
    "text": TextWriter,
    "json": lambda out, rules: JsonWriter(out, rules, _speech.language),
    "csv": lambda out, rules: CsvWriter(out, rules, _speech.language),
}


# -- reporting -----------------------------------------------------------------------------------


class Progress:
    """A progress bar on standard error for runs longer than a couple of seconds, only when
    standard error is a terminal (a log file or a CI log gets nothing), drawn by tqdm from the
    ``progress`` extra; without tqdm the run is simply quiet. The bar follows how much of the
    records file has been read, and says how many subjects are scored, in the reader's language."""

    def __init__(self, reader: RecordReader, stream: IO[str] | None = None,
                 after: float = _PROGRESS_AFTER) -> None:
        self.reader = reader
        self.count = 0
        self.shown = 0
        self.bar: Any = None
        stream = stream if stream is not None else sys.stderr
        tqdm = _bar_maker(stream)
        if tqdm is None:
            return
        self.bar = tqdm(total=100 if reader.fraction_read() is not None else None, file=stream,
                        delay=after, desc=PROG, leave=False, dynamic_ncols=True,
                        bar_format="{desc}: {percentage:3.0f}%|{bar}| {postfix}",
                        postfix=_speech("progress", count="0"))

    def tick(self) -> None:
        self.count += 1
        # Updating the bar for every subject would cost more than scoring a small one.
        if self.bar is None or self.count % 64:
            return
        fraction = self.reader.fraction_read()
        if fraction is not None:
            percent = int(fraction * 100)
            self.bar.update(percent - self.shown)
            self.shown = percent
        self.bar.set_postfix_str(_speech("progress", count=f"{self.count:,}"),
                                 refresh=False)

    def clear(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _bar_maker(stream: IO[str]) -> Any:
    """tqdm's bar, when ``stream`` is a terminal and tqdm (the ``progress`` extra) is there;
    None otherwise, and the run is simply quiet."""
    if not _is_terminal(stream):
        return None
    try:
        return importlib.import_module("tqdm").tqdm
    except ImportError:
        return None


class EngineProgress:
    """The progress bar of ``eval --engine duckdb``: how far DuckDB is with each step (reading,
    scoring, writing), as it tells, drawn as :class:`Progress` draws its bar (tqdm, on a terminal
    only, after a couple of seconds)."""

    def __init__(self, stream: IO[str] | None = None, after: float = _PROGRESS_AFTER) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.after = after
        self.bar: Any = None
        self.tqdm: Any = None
        self.said = ""
        self.shown = 0
        self.tqdm = _bar_maker(self.stream)

    @property
    def watch(self) -> Callable[[float | None], None] | None:
        """What the engine tells how far it is, or None when nothing is drawn (the engine then
        runs its statements as they are, with no thread to watch them)."""
        return None if self.tqdm is None else self._watch

    def step(self, code: str) -> None:
        self.clear()
        self.said = _speech(code)

    def _watch(self, done: float | None) -> None:
        if self.bar is None:
            self.bar = self.tqdm(total=100, file=self.stream, delay=self.after,
                                 desc=f"{PROG}: {self.said}", leave=False, dynamic_ncols=True,
                                 bar_format="{desc} {percentage:3.0f}%|{bar}|",
                                 # The position jumps (see below): tqdm's own guess of how
                                 # often to draw would stop drawing after a jump back.
                                 miniters=1)
            self.shown = 0
        if done is not None:
            # As DuckDB says, also backwards: a statement that has just begun can still report
            # the end of the one before it.
            percent = max(0, min(100, int(done * 100)))
            self.bar.update(percent - self.shown)
            self.shown = percent

    def clear(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _count(number: int, thing: str) -> str:
    """"1 subject", "2 subjects" (in Thai a count has no plural)."""
    return _speech(f"count-{thing}" + ("" if number == 1 else "s"), count=f"{number:,}")


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Report:
    """The messages about rejected records on standard error, and their counts."""

    def __init__(self, source: str, progress: Progress | None = None) -> None:
        self.source = source
        self.progress = progress
        self.subjects = 0
        self.rejected = 0
        self.stray = 0
        self.shown = 0
        self.hidden = 0

    def _line(self, row: int | None, subject: str | None, said: Message | str) -> None:
        if self.shown >= _MAX_MESSAGES:
            self.hidden += 1
            return
        self.shown += 1
        if self.progress is not None:
            self.progress.clear()
        where = self.source if row is None else f"{self.source}:{row}"
        who = _speech("subject-prefix", subject=subject) if subject is not None else ""
        shown = said if isinstance(said, str) else said.render(_speech.language)
        print(terminal_text(f"{where}: {who}{shown}"), file=sys.stderr)

    def scored(self) -> None:
        self.subjects += 1

    def subject(self, subject: Subject, problems: Sequence[Problem]) -> None:
        self.subjects += 1
        self.rejected += 1
        for problem in problems:
            self._line(problem.row, subject.name, problem.message)

    def row(self, stray: StrayRow) -> None:
        self.stray += 1
        self._line(stray.row, stray.subject, stray.message)

    def rows(self, count: int, said: Message | str) -> None:
        """``count`` rows not scored, for one reason, said once (their rows are not known)."""
        self.stray += count
        self._line(None, None, said)

    def counted(self, subjects: int, rejected: int, problems: int,
                first: list[tuple[str, list[str]]]) -> None:
        """Subjects scored by a database: how many, how many rejected with how many problems,
        and the first rejected ones with their problems (said as :meth:`subject` says them)."""
        self.subjects += subjects
        self.rejected += rejected
        said = 0
        for name, problems_of in first:
            for problem in problems_of:
                self._line(None, name, problem)
                said += 1
        self.hidden += problems - said

    @property
    def failed(self) -> bool:
        return bool(self.rejected or self.stray)

    def summary(self) -> None:
        if self.hidden:
            _say(message("summary-hidden", count=self.hidden))
        if self.rejected:
            _say(message("summary-rejected", rejected=self.rejected,
                         subjects=_count(self.subjects, "subject"),
                         scored=self.subjects - self.rejected))
        if self.stray:
            _say(message("summary-stray", rows=_count(self.stray, "row")))


# -- eval and explain ----------------------------------------------------------------------------


def _eval(args: argparse.Namespace) -> int:
    rules = _rules(args.rules)
    _require_weights(rules)
    if args.engine in ("duckdb", "spark"):
        return _eval_sql(args, rules)
    reader = RecordReader(args.records, rules, args.encoding, args.strict)
    chosen = _format_for(args.output, args.format)
    progress = Progress(reader)
    report = Report(args.records, progress)
    items = iter(reader)
    # The first subject is read before any output is opened, so that a file that cannot be used
    # at all (a wrong encoding, a bad header) stops the run before a single byte is written.
    first = next(items, None)
    try:
        with _writer(chosen, args.output, rules) as writer:
            for item in itertools.chain(() if first is None else (first,), items):
                if isinstance(item, StrayRow):
                    report.row(item)
                    continue
                outcome = score(rules, item, args.strict)
                if isinstance(outcome, Scorecard):
                    report.scored()
                    writer.subject(item.name, outcome)
                else:
                    report.subject(item, outcome)
                    writer.rejected(item.name, outcome)
                progress.tick()
            writer.finish()
    finally:
        progress.clear()
    report.summary()
    return 1 if report.failed else 0


def _eval_sql(args: argparse.Namespace, rules: RuleSet) -> int:
    """``eval --engine duckdb`` or ``spark``: the rule set as one SQL query over the records
    file, read by the database itself (:mod:`kpirules.sql.engine`). DuckDB writes CSV, JSON and
    Parquet outputs itself, in the bytes the Python writers write
    (:mod:`kpirules._engine_output`); the other outputs, and Spark's, are written by the Python
    writers from the query's levels and scores, with points and totals worked out from them
    exactly as on the Python path. A rejected subject is reported by name (the query does not
    know row numbers)."""
    from kpirules.sql.engine import DuckDBRun, spark_score_file

    path = args.records
    chosen = _format_for(args.output, args.format)
    output = args.output
    if output is not None and output != "-":
        # Refused before the file is read, not after minutes of scoring; through a link, the file it
        # points to is replaced, not the link.
        _check_target(output)
        output = os.path.realpath(output)

    reader = RecordReader(path, rules, args.encoding, args.strict)

    def header() -> int:
        # The header as the Python engine reads it (and refuses it). The database decodes the
        # rest, and a file it cannot decode is said in the Python engine's words.
        return reader.check_header(whole=args.engine != "duckdb")

    report = Report(path)
    if args.engine == "spark":
        scored = spark_score_file(rules, path, header=header, strict=args.strict,
                                  encoding=args.encoding, master=args.master,
                                  language=_speech.language)
        _set_aside(report, scored)
        _write_scores(scored, chosen, output, rules, report)
    else:
        from kpirules._engine_output import engine_writes, write

        run = DuckDBRun(rules, path, header=header, strict=args.strict, encoding=args.encoding,
                        language=_speech.language, undecodable=reader.check_encoding)
        progress = EngineProgress()
        try:
            progress.step("progress-reading")
            run.read(progress.watch)
            progress.step("progress-scoring")
            run.score(progress.watch)
            progress.clear()
            _set_aside(report, run)
            if engine_writes(rules, chosen):
                progress.step("progress-writing")
                write(run, rules, chosen, output, watch=progress.watch)
                progress.clear()
                report.counted(*run.rejected(_MAX_MESSAGES))
            else:
                _write_scores(run.scores(), chosen, output, rules, report)
        finally:
            progress.clear()
            run.close()
    report.summary()
    return 1 if report.failed else 0


def _set_aside(report: Report, scored: FileScores | DuckDBRun) -> None:
    """The rows the engine's reading did not score, counted and said once each."""
    if scored.unowned:
        report.rows(scored.unowned, message("sql-rows-no-subject",
                                            rows=_count(scored.unowned, "row")))
    if scored.apart:
        count, names = scored.apart, scored.apart_names
        shown = ", ".join(f'"{name}"' for name in names) + (", …" if count > len(names) else "")
        report.rows(count, message("sql-rows-apart", rows=_count(count, "row"), subjects=shown))
    if scored.again:
        count, names = scored.again, scored.again_names
        shown = ", ".join(f'"{name}"' for name in names) + (", …" if count > len(names) else "")
        report.rows(count, message("sql-rows-again", rows=_count(count, "row"), subjects=shown))


def _write_scores(scored: FileScores, chosen: str, output: str | None, rules: RuleSet,
                  report: Report) -> None:
    """The query's rows written by the Python writers, as the Python engine writes them."""
    from kpirules.sql.engine import PROBLEMS

    indicators = list(rules)
    columns = scored.columns
    with _writer(chosen, output, rules) as writer:
        for rows in scored.batches:
            for row in rows:
                values = dict(zip(columns, row, strict=True))
                name = str(values["subject"])
                if values[PROBLEMS] is not None:
                    problems = [Problem(None, None, said) for said in values[PROBLEMS]]
                    report.subject(Subject(name, {}), problems)
                    writer.rejected(name, problems)
                    continue
                results = tuple(
                    Result(ind.plan, int(values[f"{ind.id}.level"]),
                           _tidy(values[f"{ind.id}.score"]), (), frozenset())
                    for ind in indicators)
                report.scored()
                writer.subject(name, Scorecard(results))
        writer.finish()


def _tidy(value: Any) -> Decimal:
    return tidy(Decimal(str(value)))


def _explain(args: argparse.Namespace) -> int:
    rules = _rules(args.rules)
    wanted = args.subject.strip()
    if args.indicator is not None and args.indicator not in rules:
        raise Usage(message("no-such-indicator", source=rules.source, indicator=args.indicator,
                            ids=", ".join(rules.ids())))
    if args.indicator is None:
        _require_weights(rules)
    reader = RecordReader(args.records, rules, args.encoding, args.strict, only=wanted)
    report = Report(args.records)
    found: Subject | None = None
    for item in reader:
        if isinstance(item, StrayRow):
            report.row(item)
        elif found is None:
            found = item
    if found is None:
        raise Usage(_no_subject(args.records, wanted, reader.names))
    explained = _explained(rules, found, args.indicator, args.strict)
    if isinstance(explained, list):
        report.subject(found, explained)
        return 1
    print(terminal_lines(explained))
    return 1 if report.failed else 0


def _explained(rules: RuleSet, subject: Subject, ident: str | None,
               strict: bool) -> str | list[Problem]:
    """The explanation of one indicator (``ident``) or of the whole scorecard, or why there is
    none. Only the indicator's own rows matter when one is asked for."""
    if ident is None:
        card = score(rules, subject, strict)
        return card if isinstance(card, list) else card.explain(_speech.language)
    problems = [p for p in subject.problems if p.indicator == ident]
    if problems:
        return problems
    outcome = evaluate_one(rules[ident], subject, strict)
    return [outcome] if isinstance(outcome, Problem) else outcome.explain(_speech.language)


def _no_subject(source: str, wanted: str, names: list[str]) -> Message:
    if not names:
        return message("no-subject-empty", source=source, subject=wanted)
    guess = difflib.get_close_matches(wanted, names, n=1, cutoff=0.5)
    hint: Message | str = message("hint-did-you-mean-subject", name=guess[0]) if guess else ""
    shown = ", ".join(f'"{name}"' for name in names[:5])
    more = ", …" if len(names) > 5 else ""
    return message("no-subject", source=source, subject=wanted, hint=hint, count=len(names),
                   names=shown + more)


# -- test ----------------------------------------------------------------------------------------


def _test(args: argparse.Namespace) -> int:
    from kpirules._example_runs import run

    worst = passed = failed = 0
    for spec in args.files:
        try:
            rules = _rules(spec)
        except ParseError as error:
            print(str(error.in_language(_speech.language)))
            worst = 2
            continue
        except KpiRulesError as error:
            _say(error.in_language(_speech.language).message)
            worst = 2
            continue
        path = spec if os.path.exists(spec) else rules.source
        for indicator in rules:
            for example in indicator.examples:
                failure = run(indicator, example)
                where = f"{path}:{example.span.line}:{example.span.column}"
                if failure is None:
                    passed += 1
                    if args.verbose:
                        print(f"{where}: ok")
                    continue
                failed += 1
                worst = max(worst, 1)
                print(f"{where}: error[example-fails]: {failure.describe(_speech.language)}")
    # The summary is the last line, in these words whatever the count or the language, so that
    # scripts can read it.
    print(f"{passed} examples passed, {failed} failed")
    return worst


# -- table and catalogues ------------------------------------------------------------------------


def _table(args: argparse.Namespace) -> int:
    rules = _rules(args.rules)
    # The source page's table is Thai; English headers only when asked for.
    shown = kpirules.table(rules, format=args.format, language=_speech.fixed or "th")
    if shown and not shown.endswith("\n"):
        shown += "\n"
    with _output(args.output, byte_order_mark=args.format == "csv") as out:
        out.write(shown)
    return 0


def _serve(args: argparse.Namespace) -> int:
    if not os.path.isdir(args.folder):
        raise Usage(f"{args.folder}: no such folder")
    try:
        from kpirules.web import serve
    except ImportError:
        raise Usage('kpirules serve needs the web extra: pip install "kpirules[web]"') from None
    # --lang (or KPIRULES_LANG) sets the pages' first language; without either they are Thai.
    serve(args.folder, args.host, args.port, _speech.fixed or "th")
    return 0


def _catalogues(args: argparse.Namespace) -> int:
    names = catalogue.names()
    width = max([0, *(display_width(name) for name in names)])
    for name in names:
        title = catalogue.load(name).title or ""
        print(f"{pad(name, width)}  {title}".rstrip())
    return 0

