"""The public functions: options checked, one writer per indicator, and the final SELECT of
levels, scores, points, totals and errors."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Literal, Protocol

import attrs

from kpirules import nodes
from kpirules._messages import check_language
from kpirules._scoring import SCORE_PLACES
from kpirules.sql._dialects import _DIALECTS, _Dialect
from kpirules.sql._inputs import _Inputs, _Long, _Wide
from kpirules.sql._stages import _Stages
from kpirules.sql._text import _POINT_PLACES, DEFAULT_SCALE, quote
from kpirules.sql._writer import _Writer

Dialect = Literal["duckdb", "sqlite", "postgres", "spark"]
Form = Literal["wide", "long"]


class _HasNode(Protocol):
    """An :class:`~kpirules.Indicator`: the SQL reads only its syntax tree."""

    @property
    def node(self) -> nodes.IndicatorNode: ...


def _node(indicator: nodes.IndicatorNode | _HasNode) -> nodes.IndicatorNode:
    return indicator if isinstance(indicator, nodes.IndicatorNode) else indicator.node


@attrs.frozen
class _Options:
    dialect: _Dialect
    form: str
    table: str
    subject: str
    scale: int
    strict: bool
    types: Mapping[str, str] | None = None
    language: str = "en"


def _options(table: str, form: str, dialect: str, subject: str, scale: int,
             strict: bool, types: Mapping[str, str] | None = None,
             language: str = "en") -> _Options:
    if dialect not in _DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}; use one of {', '.join(_DIALECTS)}")
    if form not in ("wide", "long"):
        raise ValueError(f"unknown table form {form!r}; use 'wide' or 'long'")
    if isinstance(scale, bool) or not isinstance(scale, int) or not 0 <= scale <= 12:
        raise ValueError(f"scale must be a whole number from 0 to 12, not {scale!r}")
    if not table:
        raise ValueError("table must name a table or view")
    if types is not None:
        if not _DIALECTS[dialect].declared_types or form != "wide":
            raise ValueError("types= is for DuckDB tables in the wide form")
        if not isinstance(types, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in types.items()):
            raise ValueError("types must map column names to SQL type names")
        types = dict(types)
    return _Options(_DIALECTS[dialect], form, _qualified(table), subject, scale, strict, types,
                    check_language(language))


_NAME_PART = re.compile(r'"(?:[^"]|"")+"|[^."]+')


def _qualified(table: str) -> str:
    """``schema.table`` quoted part by part; a part the caller quoted (``"odd.name"``) is kept
    as it is, and anything else with a double quote in it is refused."""
    parts, at = [], 0
    while True:
        part = _NAME_PART.match(table, at)
        if part is None:
            raise ValueError(f"table {table!r} is not a name, schema.name or \"quoted\" name")
        text = part.group()
        parts.append(text if text.startswith('"') else quote(text))
        at = part.end()
        if at == len(table):
            return ".".join(parts)
        if table[at] != ".":
            raise ValueError(f"table {table!r} is not a name, schema.name or \"quoted\" name")
        at += 1


def _inputs(options: _Options, stages: _Stages) -> _Inputs:
    kind = _Wide if options.form == "wide" else _Long
    return kind(stages, options.subject, options.table, options.strict, options.types)


_LIMITS = (None, *(10**k for k in range(18, 11, -1)))
"""The range guards tried with ``types=``, in scaled integers (a number with ``scale=4`` of up
to 10**8 is 10**12): with no guard, or one below 10**12, the indicator is computed in HUGEINT."""


def _writer(node: nodes.IndicatorNode, stages: _Stages, inputs: _Inputs, scale: int) -> _Writer:
    """The writer for ``node``; with ``types=``, one computing in BIGINT under the largest range
    guard (none if the types alone suffice) that keeps every integer within 64 bits, found by
    writing the indicator into throwaway stages. Failing that, the usual HUGEINT writer."""
    if inputs.types is not None:
        for limit in _LIMITS:
            trial = _Writer(node, _Stages(stages.dialect), inputs.trial(), scale, True, limit)
            trial.level_columns()
            if not trial.unfit:
                return _Writer(node, stages, inputs, scale, True, limit)
    return _Writer(node, stages, inputs, scale)


def _points(node: nodes.IndicatorNode, score: str, interpolated: bool
            ) -> tuple[Fraction, str] | None:
    """The exact points ``weight × score / N`` as (constant factor, integer score column)."""
    if node.weight is None:
        return None
    unit = 10**SCORE_PLACES if interpolated else 1
    return Fraction(node.weight) / (unit * len(node.levels)), score


def indicator_sql(indicator: nodes.IndicatorNode | _HasNode, *, table: str = "records",
                  form: Form = "wide",
                  dialect: Dialect = "duckdb", subject: str = "subject",
                  scale: int = DEFAULT_SCALE, strict: bool = True,
                  types: Mapping[str, str] | None = None, language: str = "en") -> str:
    """One query scoring every subject of ``table`` on ``indicator``.

    Columns: ``subject`` (named as in the table), ``level``, ``score``, ``points`` (NULL without a
    weight) and ``error`` (NULL, or why the record cannot be scored, as
    :class:`~kpirules.EvaluationError` would say). ``table`` is a table or view, perhaps
    ``schema.table``; a part in double quotes is used as written (``'"odd.name"'`` for a table
    whose name holds a dot), and any other double quote is refused. ``form`` is ``"wide"``
    (one row per subject, columns ``"ID.MEASURE"`` and ``"ID.milestones.K"``) or ``"long"``
    (rows of ``subject, indicator, measure, value``); ``dialect`` is ``"duckdb"``,
    ``"sqlite"``, ``"postgres"`` or ``"spark"`` (see the documentation page on SQL for what
    Spark needs); ``scale`` is how many decimal places a ``number`` measure may have;
    ``strict=False`` ignores unknown measures in the long form (those given a value, as the
    command line does); ``language`` (``"en"`` or ``"th"``) is the language of the error texts
    the Python engine also gives (those only SQL gives are in English); ``types`` declares the
    SQL types of the wide table's columns (DuckDB only), for a faster query that computes in 64
    bits (see the documentation page on SQL).

    >>> import sqlite3, kpirules
    >>> rules = kpirules.parse('''
    ... indicator 6 "Online sales growth"
    ...   measure growth "percent"
    ...   level 1 if growth >= 11
    ...   level 2 if growth >= 12
    ...   score interpolate
    ... ''')
    >>> db = sqlite3.connect(":memory:")
    >>> _ = db.execute("CREATE TABLE kpi (subject, indicator, measure, value)")
    >>> _ = db.executemany("INSERT INTO kpi VALUES (?, '6', 'growth', ?)",
    ...                    [("a", "11.5"), ("b", "๑๒"), ("c", "lots")])
    >>> query = rules["6"].to_sql(table="kpi", form="long", dialect="sqlite")
    >>> for subject, level, score, points, error in db.execute(query + " ORDER BY 1"):
    ...     print(subject, level, score, error)  # doctest: +ELLIPSIS
    a 1 1.5 None
    b 2 2.0 None
    c None None indicator 6: `growth` must be a number with at most 4 decimal places, ...
    """
    options = _options(table, form, dialect, subject, scale, strict, types, language)
    stages = _Stages(options.dialect, options.language)
    inputs = _inputs(options, stages)
    node = _node(indicator)
    scored = _writer(node, stages, inputs, options.scale).level_columns()
    d = options.dialect
    score = scored.masked(scored.score)
    points = _points(node, score, scored.interpolated)
    points_sql = f"CAST(NULL AS {d.integer})" if points is None else \
        d.points([points], _maxima(node, scored.interpolated))
    final = [
        f'"_subject" AS {quote(subject)}',
        f"{scored.masked(scored.level)} AS \"level\"",
        f"{_score(score, scored.interpolated, d)} AS \"score\"",
        f"{points_sql} AS \"points\"",
        f"{scored.error_text(d)} AS \"error\"",
    ]
    return options.dialect.finish(stages.render(inputs.source(), final))


def _maxima(node: nodes.IndicatorNode, interpolated: bool) -> list[int]:
    """The largest value of the indicator's score column (for :meth:`_Dialect.points`)."""
    return [len(node.levels) * (10**SCORE_PLACES if interpolated else 1)]


def _score(column: str, interpolated: bool, dialect: _Dialect) -> str:
    if interpolated:
        return dialect.decimal(column, SCORE_PLACES)
    return dialect.whole(column, SCORE_PLACES)


def ruleset_sql(rules: Iterable[nodes.IndicatorNode | _HasNode], *, table: str = "records",
                form: Form = "wide",
                dialect: Dialect = "duckdb", subject: str = "subject",
                scale: int = DEFAULT_SCALE, strict: bool = True,
                types: Mapping[str, str] | None = None, language: str = "en") -> str:
    """One query scoring every subject of ``table`` on every indicator of ``rules``: the
    scorecard.

    Columns: ``subject``, then ``"ID.level"``, ``"ID.score"``, ``"ID.points"`` and ``"ID.error"``
    for each indicator in file order, then ``total`` (``Σ weight × score / N``, rounded half up to
    10 places) and ``error``: the first problem, in the order :meth:`~kpirules.RuleSet.evaluate`
    finds them (an indicator without a weight, an unknown indicator, then for each indicator in
    turn its own errors; in the long form, an indicator with measures and no rows is "no rows
    for indicator ID", and one of milestones only with no rows has none done). The options are
    those of :func:`indicator_sql`.

    >>> import sqlite3, kpirules
    >>> rules = kpirules.parse('''
    ... indicator 1 "Plan"
    ...   weight 40
    ...   level 1 milestone "drafted"
    ...   level 2 milestone "approved"
    ... indicator 2 "Coverage"
    ...   weight 60
    ...   measure covered "percent" number in 0..100
    ...   level 1 if covered >= 50
    ...   level 2 if covered >= 80
    ...   level 3 if covered >= 95
    ... ''')
    >>> db = sqlite3.connect(":memory:")
    >>> _ = db.execute('CREATE TABLE records (subject, "1.milestones.1", "1.milestones.2", '
    ...                '"2.covered")')
    >>> _ = db.executemany("INSERT INTO records VALUES (?, ?, ?, ?)",
    ...                    [("a", 1, 0, 85.5), ("b", 1, 1, 100), ("c", 1, 1, 120)])
    >>> for row in db.execute(rules.to_sql(dialect="sqlite") + " ORDER BY 1"):
    ...     print(row[0], row[1], row[5], row[-2], row[-1])
    a 1 2 60.0 None
    b 2 3 100.0 None
    c 2 None None indicator 2: `covered` must be in 0..100, not `120`
    """
    options = _options(table, form, dialect, subject, scale, strict, types, language)
    d = options.dialect
    stages = _Stages(d, options.language)
    inputs = _inputs(options, stages)
    indicators = [_node(indicator) for indicator in rules]
    columns = []
    for node in indicators:
        missing = inputs.record_missing(node)
        writer = _writer(node, stages, inputs, options.scale)
        columns.append((node, writer.level_columns(missing)))
    unknown = inputs.unknown_indicator(node.id for node in indicators)
    final = [f'"_subject" AS {quote(subject)}']
    firsts = []
    failing = []
    if unknown is not None:
        firsts.append(f"CASE WHEN {unknown} = '' THEN {stages.said('row-no-indicator')} "
                      f"WHEN {unknown} IS NOT NULL THEN "
                      f"{stages.said('unknown-indicator', {'indicator': unknown}, hint='')} END")
        failing.append(f"{unknown} IS NOT NULL")
    terms: list[tuple[Fraction, str]] = []
    maxima: list[int] = []
    unweighted: str | None = None  # RuleSet.evaluate's error when an indicator has no weight
    for indicator, scored in columns:
        node = _node(indicator)
        prefix = node.id
        score = scored.masked(scored.score)
        points = _points(node, score, scored.interpolated)
        final.append(f"{scored.masked(scored.level)} AS {quote(prefix + '.level')}")
        final.append(f"{_score(score, scored.interpolated, d)} AS {quote(prefix + '.score')}")
        if points is None:
            unweighted = unweighted or stages.said("no-weight", indicator=node.id)
            final.append(f"CAST(NULL AS {d.integer}) AS {quote(prefix + '.points')}")
        else:
            final.append(f"{d.points([points], _maxima(node, scored.interpolated))} "
                         f"AS {quote(prefix + '.points')}")
            # The total adds the scores as computed and tests every indicator's errors once.
            terms.append((points[0], scored.score))
            maxima.extend(_maxima(node, scored.interpolated))
        final.append(f"{scored.error_text(d)} AS {quote(prefix + '.error')}")
        if scored.failing is not None:
            firsts.append(scored.error_text(d))
            failing.append(scored.failing)
    # The total is NULL exactly where some indicator has an error, there is an unknown
    # indicator, or an indicator has no weight: the error texts are looked at only there.
    if unweighted:
        total = d.decimal(f"CAST(NULL AS {d.integer})", _POINT_PLACES)
    else:
        total = d.points(terms, maxima) if terms else d.decimal("0", _POINT_PLACES)
        if failing:
            total = f"CASE WHEN {' OR '.join(failing)} THEN NULL ELSE {total} END"
    final.append(f"{total} AS \"total\"")
    if unweighted:
        first = unweighted  # checked before anything else, on every row
    elif not firsts:
        first = f"CAST(NULL AS {d.text})"
    else:
        first = f"COALESCE({', '.join(firsts)})" if len(firsts) > 1 else firsts[0]
        first = f"CASE WHEN {' OR '.join(failing)} THEN {first} END"
    final.append(f"{first} AS \"error\"")
    return options.dialect.finish(stages.render(inputs.source(), final))
