"""Scoring an uploaded records file, with the command line's own reader, scorer and writers.

The records are read by :class:`kpirules._records.RecordReader` and each subject is scored by
:func:`kpirules._output.score`, exactly as ``kpirules eval`` does, and the JSON and CSV downloads
are written by the command line's own writers (:mod:`kpirules._output`): ``POST /api/score``
answers what ``kpirules eval RULES RECORDS --format json`` prints.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Iterator, Sequence

import attrs

from kpirules import _output
from kpirules._records import Problem, RecordReader, StrayRow, problems_text
from kpirules.errors import KpiRulesError
from kpirules.model import RuleSet
from kpirules.result import Scorecard

__all__ = ["ENCODINGS", "ScoreRun", "score_upload"]

# The encodings the upload form offers; "auto" reads UTF-8 (with or without a byte order mark)
# and falls back to Windows Thai (cp874), which is what Excel on a Thai Windows saves as "CSV".
ENCODINGS = ("auto", "utf-8-sig", "cp874")
_SAFE = re.compile(r"[^\w\u0e00-\u0e7f.-]")


@attrs.define
class ScoreRun:
    """Every subject of one records file, scored or with its reasons, and the rows not scored."""

    rules: RuleSet
    rules_name: str
    source: str
    subjects: list[tuple[str, Scorecard | list[Problem]]]
    stray: list[StrayRow]
    language: str
    """The language of the reasons (the command line's ``--lang``)."""

    def cards(self) -> list[tuple[str, Scorecard]]:
        return [(name, card) for name, card in self.subjects if isinstance(card, Scorecard)]

    def rejected(self) -> list[tuple[str, list[Problem]]]:
        return [(name, card) for name, card in self.subjects if isinstance(card, list)]

    def error_text(self, problems: Sequence[Problem], language: str | None = None) -> str:
        """A rejected subject's reasons as the command line writes them in its output, in
        ``language`` (by default the run's)."""
        return problems_text(problems, language or self.language)

    def rejected_rows(self, language: str | None = None
                      ) -> Iterator[tuple[int | None, str | None, str]]:
        """(row, subject, reason) for every reason a subject or a row was not scored, by row."""
        chosen = language or self.language
        rows: list[tuple[int | None, str | None, str]] = [
            (problem.row, name, problem.text(chosen))
            for name, problems in self.rejected() for problem in problems]
        rows += [(stray.row, stray.subject, stray.text(chosen)) for stray in self.stray]
        return iter(sorted(rows, key=lambda item: (item[0] is None, item[0] or 0)))

    def _written(self, writer_class: type[_output.JsonWriter] | type[_output.CsvWriter],
                 language: str | None) -> str:
        out = io.StringIO()
        writer = writer_class(out, self.rules, language or self.language)
        for name, outcome in self.subjects:
            if isinstance(outcome, Scorecard):
                writer.subject(name, outcome)
            else:
                writer.rejected(name, outcome)
        writer.finish()
        return out.getvalue()

    def json(self, language: str | None = None) -> str:
        """What ``kpirules eval --format json [--lang LANGUAGE]`` prints for the same rules and
        records."""
        return self._written(_output.JsonWriter, language)

    def csv(self, language: str | None = None) -> str:
        """What ``kpirules eval --format csv [--lang LANGUAGE]`` prints for the same rules and
        records."""
        return self._written(_output.CsvWriter, language)


def safe_name(filename: str | None) -> str:
    """The uploaded file's own name without any folder, made safe to create in a temporary folder
    (the reader takes the layout from the extension, and its messages name the file)."""
    base = re.split(r"[/\\]", filename or "")[-1]
    base = _SAFE.sub("_", base).lstrip(".") or "records"
    return base[-100:]


def _encoding(data: bytes, kind: str, chosen: str) -> str:
    if chosen != "auto":
        return chosen
    if kind == ".xlsx":
        return "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp874"
    return "utf-8-sig"


def score_upload(rules: RuleSet, rules_name: str, filename: str | None, data: bytes,
                 encoding: str = "auto", strict: bool = True,
                 language: str | None = None) -> ScoreRun:
    """Score the uploaded ``data`` against ``rules``, the reasons in ``language`` (by default the
    rules' own, as the command line without ``--lang``). A file that cannot be used at all raises
    the :class:`~kpirules.KpiRulesError` the command line would report (exit 2), in that language,
    naming the file by the name it was uploaded under, never by the temporary folder it was read
    from."""
    chosen = language or rules.language
    name = safe_name(filename)
    kind = os.path.splitext(name)[1].lower()
    with tempfile.TemporaryDirectory(prefix="kpirules-upload-") as folder:
        path = os.path.join(folder, name)
        with open(path, "wb") as handle:
            handle.write(data)
        try:
            _output.require_weights(rules)
            reader = RecordReader(path, rules, _encoding(data, kind, encoding), strict)
            subjects: list[tuple[str, Scorecard | list[Problem]]] = []
            stray: list[StrayRow] = []
            for item in reader:
                if isinstance(item, StrayRow):
                    stray.append(item)
                else:
                    subjects.append((item.name, _output.score(rules, item, strict)))
        except KpiRulesError as error:
            said = str(error.in_language(chosen)).replace(folder + os.sep, "")
            raise KpiRulesError(said, chosen) from None
    return ScoreRun(rules, rules_name, name, subjects, stray, chosen)

