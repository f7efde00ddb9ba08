"""Scoring a pandas or polars DataFrame in one call: :func:`score`.

pandas and polars are optional (``pip install "kpirules[pandas]"`` or ``"kpirules[polars]"``):
neither is imported until a frame of its kind is scored, and a frame is recognised by the module
its type comes from. The two are handled directly, not through a DataFrame-agnostic layer: what
:func:`score` needs from a frame is its column names and each column as a list of Python values,
and what it gives back is a handful of columns whose types it must choose itself to keep the
numbers exact, which is one short function per library. See the documentation page "Data in and
out" for the column types that carry exact results.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, Literal

from kpirules._messages import message
from kpirules._wide import WideLayout
from kpirules.errors import EvaluationError, RecordsError
from kpirules.model import RuleSet
from kpirules.result import Scorecard

__all__ = ["columns", "score"]

Layout = Literal["wide", "long"]


def columns(rules: RuleSet) -> list[str]:
    """The columns :func:`score` gives back, in order: ``subject``, ``total``, ``error``, then
    ``ID.level``, ``ID.score``, ``ID.points`` for each indicator.

    >>> import kpirules
    >>> columns(kpirules.catalogue.load("cdd-2565-r1"))[:6]
    ['subject', 'total', 'error', '1.level', '1.score', '1.points']
    """
    names = ["subject", "total", "error"]
    for indicator in rules:
        names += [f"{indicator.id}.level", f"{indicator.id}.score", f"{indicator.id}.points"]
    return names


def score(rules: RuleSet, frame: Any, layout: Layout = "wide", strict: bool = True) -> Any:
    """Score every subject of a pandas or polars DataFrame; a DataFrame of the same kind back, one
    row per subject: ``subject``, ``total``, ``error``, then ``ID.level``, ``ID.score``,
    ``ID.points`` per indicator (see :func:`columns`). A rejected subject is a row with its
    ``error`` set and no numbers; nothing is dropped.

    ``layout="wide"`` (one row per subject) reads the columns of the SQL wide form: ``subject``,
    ``ID.MEASURE`` and ``ID.milestones.K`` (true when milestone K is done), in the order of the
    frame's rows. ``layout="long"`` reads ``subject, indicator, measure, value`` (one row per value,
    as the command line reads CSV files), subjects in the order they first appear; the rows of a
    subject need not be together.

    Scores, points and totals are ``Decimal``: a pandas frame holds them in ``object`` columns, a
    polars frame in ``Decimal`` columns wide enough for every digit.

    >>> import kpirules, pandas
    >>> rules = kpirules.parse('indicator 1 "Plan"\\n  weight 100\\n  measure x count\\n'
    ...                        '  level 1 if x >= 5')
    >>> out = score(rules, pandas.DataFrame({"subject": ["A", "B"], "1.x": [7, -1]}))
    >>> out["total"].tolist(), out["error"].tolist()[1]
    ([Decimal('100'), None], 'indicator 1: `x` is a count and must be a whole number 0 or more, not -1')
    """
    if layout not in ("wide", "long"):
        raise ValueError(f'layout must be "wide" or "long", not {layout!r}')
    kind = _kind(frame)
    names, data = _read(kind, frame)
    count = len(data[0]) if data else int(frame.shape[0])
    if layout == "wide":
        table = WideLayout(rules, names)
        if table.subject is None:
            raise RecordsError(message("frame-no-subject-column", columns=_shown(names)),
                               language=rules.language)
        subjects = data[table.subject]
        outcomes: Iterable[Scorecard | EvaluationError] = table.score(
            zip(*data) if data else iter(()), strict)
    else:
        subjects, outcomes = _long(rules, names, data, count, strict)
    return _build(kind, rules, subjects, outcomes)


def _shown(names: Sequence[str]) -> str:
    return ", ".join(f"`{name}`" for name in names[:12]) + (", …" if len(names) > 12 else "")


def _kind(frame: Any) -> str:
    module = type(frame).__module__.split(".")[0]
    if module == "pandas" and hasattr(frame, "columns") and hasattr(frame, "iloc"):
        return "pandas"
    if module == "polars" and hasattr(frame, "get_columns"):
        return "polars"
    if module == "polars":
        raise TypeError(f"score takes a polars DataFrame, not a {type(frame).__name__}; "
                        "call .collect() on a LazyFrame first")
    raise TypeError(f"score takes a pandas or polars DataFrame, not {type(frame).__name__}")


def _read(kind: str, frame: Any) -> tuple[list[str], list[list[Any]]]:
    """The frame's column names and its columns as lists of Python values (``tolist`` turns
    NumPy numbers into Python ones; missing values stay None, NaN, ``pandas.NA`` or ``NaT``)."""
    if kind == "pandas":
        names = [str(name) for name in frame.columns]
        return names, [frame.iloc[:, index].tolist() for index in range(len(names))]
    return list(frame.columns), [series.to_list() for series in frame.get_columns()]


def _long(
    rules: RuleSet, names: list[str], data: list[list[Any]], count: int, strict: bool
) -> tuple[list[Any], Iterator[Scorecard | EvaluationError]]:
    """Subjects in order of first appearance, and their outcomes, through the reader of long
    files (the same rules and messages as ``kpirules eval`` on a CSV file); "row N" in a message
    is the frame's row N, counted from 0."""
    from kpirules._output import score as score_subject
    from kpirules._records import Problem, RecordReader, Subject, problems_text, subject_key

    reader = RecordReader.for_rows(rules, "the frame", strict)
    header = reader.header_of(names)
    subject_column = data[header["subject"]] if data else []
    order: dict[str, int] = {}
    for value in subject_column:
        order.setdefault(subject_key(value), len(order))
    # The reader takes a subject's rows together, as a sorted file has them.
    positions = sorted(range(count), key=lambda row: order[subject_key(subject_column[row])])
    rows = ((row, [column[row] for column in data]) for row in positions)
    subjects: list[Any] = []
    outcomes: list[Scorecard | EvaluationError] = []
    for item in reader.subjects(rows, header):
        if not isinstance(item, Subject):  # a row without a subject
            subjects.append(None)
            stray = Problem(item.row, None, item.message)
            outcomes.append(EvaluationError(problems_text([stray], rules.language),
                                            None, None, rules.language))
            continue
        subjects.append(item.name)
        outcome = score_subject(rules, item, strict)
        if isinstance(outcome, Scorecard):
            outcomes.append(outcome)
        else:
            outcomes.append(EvaluationError(problems_text(outcome, rules.language),
                                            outcome[0].indicator, None, rules.language))
    return subjects, iter(outcomes)


def _build(kind: str, rules: RuleSet, subjects: Sequence[Any],
           outcomes: Iterable[Scorecard | EvaluationError]) -> Any:
    ids = rules.ids()
    totals: list[Decimal | None] = []
    errors: list[str | None] = []
    levels: list[list[int | None]] = [[] for _ in ids]
    scores: list[list[Decimal | None]] = [[] for _ in ids]
    points: list[list[Decimal | None]] = [[] for _ in ids]
    for outcome in outcomes:
        if isinstance(outcome, Scorecard):
            totals.append(outcome.total)
            errors.append(None)
            for k, result in enumerate(outcome.results):
                levels[k].append(result.level)
                scores[k].append(result.score)
                points[k].append(result.points)
        else:
            totals.append(None)
            errors.append(str(outcome))
            for k in range(len(ids)):
                levels[k].append(None)
                scores[k].append(None)
                points[k].append(None)
    numbers: dict[str, list[Any]] = {"total": totals}
    whole: dict[str, list[Any]] = {}
    for k, ident in enumerate(ids):
        whole[f"{ident}.level"] = levels[k]
        numbers[f"{ident}.score"] = scores[k]
        numbers[f"{ident}.points"] = points[k]
    order = columns(rules)
    if kind == "pandas":
        return _pandas(order, list(subjects), errors, numbers, whole)
    return _polars(order, list(subjects), errors, numbers, whole)


def _pandas(order: list[str], subjects: list[Any], errors: list[str | None],
            numbers: dict[str, list[Any]], whole: dict[str, list[Any]]) -> Any:
    pandas = importlib.import_module("pandas")  # by name: optional, and without type hints

    data: dict[str, Any] = {"subject": subjects,
                            "error": pandas.Series(errors, dtype=object)}
    for name, values in numbers.items():
        data[name] = pandas.Series(values, dtype=object)  # Decimal, exact
    for name, values in whole.items():
        data[name] = pandas.array(values, dtype="Int64")  # levels; <NA> where rejected
    return pandas.DataFrame({name: data[name] for name in order})


def _polars(order: list[str], subjects: list[Any], errors: list[str | None],
            numbers: dict[str, list[Any]], whole: dict[str, list[Any]]) -> Any:
    polars = importlib.import_module("polars")  # by name: an optional extra

    series = [polars.Series("subject", subjects),
              polars.Series("error", errors, dtype=polars.String)]
    for name, values in numbers.items():
        series.append(_decimal_series(polars, name, values))
    for name, values in whole.items():
        series.append(polars.Series(name, values, dtype=polars.Int64))
    by_name = {s.name: s for s in series}
    return polars.DataFrame([by_name[name] for name in order])


def _decimal_series(polars: Any, name: str, values: list[Decimal | None]) -> Any:
    """A polars Decimal column with as many places as the most precise value has, so that no
    value is rounded (a score has at most 4 places; points over 3 levels may have 27)."""
    from kpirules._writers import decimal_type

    shape = decimal_type(values)
    if shape is None:
        raise ValueError(f"`{name}` needs more than the 38 digits a polars Decimal holds")
    return polars.Series(name, values, dtype=polars.Decimal(38, shape[1]))
