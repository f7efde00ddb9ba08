"""What ``kpirules eval`` does with the subjects of a records file, shared by the command line and
the web face (``kpirules serve``), so that both score and write alike:

- :func:`score` scores one subject read by :class:`~kpirules._records.RecordReader`, or gives every
  reason it cannot be scored (rows first);
- :class:`JsonWriter` and :class:`CsvWriter` write the results as the command line's ``--format
  json`` and ``--format csv`` (the JSON through :mod:`kpirules._json`, as ``kpirules.dumps``), the
  reasons in a given language;
- :func:`require_weights` refuses rules without a weight on every indicator (no total otherwise);
- :func:`atomic` writes a file all at once (a temporary file beside it, then ``os.replace``).
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from collections.abc import Iterator, Sequence
from typing import IO, Any

from kpirules._json import error_text as json_error
from kpirules._json import scorecard_text, string
from kpirules._messages import message
from kpirules._numbers import plain
from kpirules._records import Problem, Subject, problems_text
from kpirules._safe import spreadsheet_cell
from kpirules.errors import EvaluationError, UsageError
from kpirules.model import Indicator, RuleSet
from kpirules.result import Result, Scorecard

__all__ = ["CsvWriter", "JsonWriter", "atomic", "atomic_path", "csv_writer", "evaluate_one",
           "require_weights", "score"]


def require_weights(rules: RuleSet) -> None:
    """Refuse ``rules`` when an indicator has no weight: a scorecard total needs every one."""
    unweighted = [indicator.id for indicator in rules if indicator.weight is None]
    if unweighted:
        raise UsageError(message("rules-without-weights", source=rules.source,
                                 indicators=", ".join(unweighted)))


def score(rules: RuleSet, subject: Subject, strict: bool) -> Scorecard | list[Problem]:
    """The subject's scorecard, or every reason it cannot have one (row problems first)."""
    problems = list(subject.problems)
    rejected = {problem.indicator for problem in problems}
    results = []
    for indicator in rules:
        if indicator.id in rejected or indicator.id not in subject.records:
            continue
        outcome = evaluate_one(indicator, subject, strict)
        if isinstance(outcome, Problem):
            problems.append(outcome)
        else:
            results.append(outcome)
    if problems:
        return sorted(problems, key=lambda p: (p.row is None, p.row or 0))
    return Scorecard(tuple(results))


def evaluate_one(indicator: Indicator, subject: Subject, strict: bool) -> Result | Problem:
    """One indicator of a subject, or why not, with the row of the value at fault."""
    try:
        return indicator.evaluate(subject.records[indicator.id], strict)
    except EvaluationError as error:
        row = subject.row_of(error.indicator or indicator.id, error.measure)
        return Problem(row, indicator.id, error.problem)


class JsonWriter:
    """``{"SUBJECT": {"total": …, "indicators": {…}}}``, one subject per line, exact digits; a
    rejected subject's reasons in ``language``."""

    def __init__(self, out: IO[str], rules: RuleSet, language: str = "en") -> None:
        self.out = out
        self.count = 0
        self.language = language

    def _entry(self, name: str, body: str) -> None:
        self.out.write("{\n  " if self.count == 0 else ",\n  ")
        self.out.write(f"{string(name)}: {body}")
        self.count += 1

    def subject(self, name: str, card: Scorecard) -> None:
        # The same text as kpirules.dumps writes for a scorecard (one writer of this JSON).
        self._entry(name, scorecard_text(card))

    def rejected(self, name: str, problems: Sequence[Problem]) -> None:
        self._entry(name, json_error(problems_text(problems, self.language)))

    def finish(self) -> None:
        self.out.write("{}\n" if self.count == 0 else "\n}\n")


class CsvWriter:
    """One row per subject and indicator; a rejected subject is one row with its reasons in
    ``language``."""

    HEADER = ("subject", "indicator", "level", "score", "points", "total", "error")

    def __init__(self, out: IO[str], rules: RuleSet, language: str = "en") -> None:
        self.writer = csv_writer(out)
        self.writer.writerow(self.HEADER)
        self.language = language

    def subject(self, name: str, card: Scorecard) -> None:
        total = plain(card.total)
        for result in card:
            points = result.points
            self.writer.writerow((spreadsheet_cell(name), spreadsheet_cell(result.indicator.id),
                                  result.level, plain(result.score),
                                  "" if points is None else plain(points), total, ""))

    def rejected(self, name: str, problems: Sequence[Problem]) -> None:
        self.writer.writerow((spreadsheet_cell(name), "", "", "", "", "",
                              spreadsheet_cell(problems_text(problems, self.language))))

    def finish(self) -> None:
        pass


@contextlib.contextmanager
def atomic_path(target: str, mode: int | None = None) -> Iterator[str]:
    """The name of a new file beside ``target`` that becomes ``target`` when the block ends
    without an exception (for writers that open files by name, such as DuckDB's ``COPY``)."""
    folder = os.path.dirname(os.path.abspath(target))
    descriptor, temporary = tempfile.mkstemp(
        dir=folder, prefix=f".{os.path.basename(target)}.", suffix=".tmp")
    os.close(descriptor)
    try:
        yield temporary
        if mode is None:
            mode = _default_mode(target)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def atomic(target: str, mode: int | None = None) -> Iterator[IO[bytes]]:
    """A binary file that becomes ``target`` when the block ends without an exception."""
    with atomic_path(target, mode) as temporary, open(temporary, "wb") as handle:
        yield handle


def csv_writer(out: IO[str]) -> Any:
    """The CSV writer of ``eval``'s CSV output (the csv module's dialect, lines ending in
    ``\\n``)."""
    return csv.writer(out, lineterminator="\n")


def _default_mode(target: str) -> int:
    try:
        return os.stat(target).st_mode & 0o7777
    except OSError:
        # mkstemp makes files readable by their owner only; a new output should follow the umask.
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
