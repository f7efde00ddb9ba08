"""The public view of a loaded rule file: :class:`RuleSet` and its :class:`Indicator` objects.

``Level`` and ``Measure`` are the syntax-tree classes themselves (frozen, with a ``span``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from kpirules import nodes
from kpirules._compile import CONTEXT, Evaluator, compile_indicator, tidy
from kpirules.errors import EvaluationError
from kpirules.nodes import Level, Measure
from kpirules.result import Result, Scorecard

__all__ = ["Indicator", "Level", "Measure", "RuleSet"]


class Indicator:
    """One indicator: its metadata, measures and levels, and :meth:`evaluate`.

    The scoring function is generated and compiled on first use, then reused for every record.
    """

    __slots__ = ("_evaluate", "_lock", "node", "points_by_level", "top", "value_names")

    def __init__(self, node: nodes.IndicatorNode) -> None:
        self.node = node
        self.top = len(node.levels)
        # weight × level / N for each level, worked out once: a scorecard adds these up.
        self.points_by_level: tuple[Decimal, ...] | None = None
        if node.weight is not None and not node.interpolate:
            self.points_by_level = tuple(
                tidy(CONTEXT.divide(CONTEXT.multiply(node.weight, Decimal(level)), self.top))
                for level in range(self.top + 1))
        self.value_names = tuple(m.name for m in node.measures) + tuple(let.name for let in node.lets)
        self._evaluate: Evaluator[Result] | None = None
        self._lock = threading.Lock()

    id = property(lambda self: self.node.id, doc="The id as text (``1``, ``2.1``, ``kpi_07``).")
    title = property(lambda self: self.node.title, doc="The indicator's title.")
    strategy = property(lambda self: self.node.strategy, doc="The strategy (ยุทธศาสตร์) or None.")
    team = property(lambda self: self.node.team, doc="The team (ทีม) or None.")
    year = property(lambda self: self.node.year, doc="The indicator's own year, or None.")
    round = property(lambda self: self.node.round, doc="The indicator's own round, or None.")
    policy = property(lambda self: self.node.policy, doc='"ordered" or "highest".')
    interpolate = property(lambda self: self.node.interpolate, doc="True with ``score interpolate``.")

    @property
    def weight(self) -> Decimal | None:
        """The weight, or None when the indicator has none."""
        return self.node.weight

    @property
    def levels(self) -> tuple[Level, ...]:
        """The levels 1..N in order."""
        return self.node.levels

    @property
    def measures(self) -> tuple[Measure, ...]:
        """The inputs a record must supply: declared measures, then implicit ones."""
        return self.node.measures

    @property
    def lets(self) -> tuple[nodes.Let, ...]:
        """The derived values, in file order."""
        return self.node.lets

    @property
    def line(self) -> int:
        """The line of the ``indicator`` statement."""
        return self.node.span.line

    def _compiled(self) -> Evaluator[Result]:
        if self._evaluate is None:
            with self._lock:
                if self._evaluate is None:
                    self._evaluate = compile_indicator(self.node, Result, self)
        return self._evaluate

    def evaluate(self, record: Mapping[str, Any], strict: bool = True) -> Result:
        """Score one record: a mapping of measure names to values, plus ``"milestones"``.

        Raises :class:`~kpirules.EvaluationError` (naming the indicator and the measure) for a
        missing or unknown measure, a value of the wrong kind or outside its range, an unknown
        milestone, or a division by zero. ``strict=False`` ignores unknown keys.
        """
        return (self._evaluate or self._compiled())(record, strict)

    def evaluate_many(
        self, records: Iterable[Mapping[str, Any]], strict: bool = True
    ) -> Iterator[Result | EvaluationError]:
        """Score each record in turn; a bad record yields its :class:`EvaluationError` instead of
        stopping the batch."""
        evaluate = self._compiled()
        for record in records:
            try:
                yield evaluate(record, strict)
            except EvaluationError as error:
                yield error

    def to_sql(self, **options: Any) -> str:
        """One SQL query that scores a table of records for this indicator
        (see :func:`kpirules.sql.indicator_sql` for the options)."""
        from kpirules.sql import indicator_sql

        query: str = indicator_sql(self, **options)
        return query

    def __repr__(self) -> str:
        return f"<Indicator {self.id} {self.title!r}: {self.top} levels>"


class RuleSet:
    """A loaded rule file: the catalogue header and its indicators in file order.

    >>> import kpirules
    >>> rules = kpirules.parse('''
    ... catalogue "demo"
    ... year 2565
    ... indicator 1 "Plan written"
    ...   weight 100
    ...   level 1 milestone "a plan exists"
    ... ''')
    >>> rules.id, rules.year, len(rules), rules["1"].title
    ('demo', 2565, 1, 'Plan written')
    >>> rules.evaluate({"1": {"milestones": [1]}}).total
    Decimal('100')
    """

    def __init__(self, node: nodes.RuleFile) -> None:
        self.node = node
        self._indicators = {ind.id: Indicator(ind) for ind in node.indicators}
        self._unweighted = [ind for ind in self._indicators.values() if ind.weight is None]

    id = property(lambda self: self.node.id, doc="The catalogue id, or None.")
    title = property(lambda self: self.node.title, doc="The catalogue title, or None.")
    position = property(lambda self: self.node.position, doc="The position, or None.")
    year = property(lambda self: self.node.year, doc="The fiscal year (Buddhist Era), or None.")
    round = property(lambda self: self.node.round, doc="The appraisal round, or None.")
    source = property(lambda self: self.node.source, doc="Where the rules were read from.")

    def __len__(self) -> int:
        return len(self._indicators)

    def __iter__(self) -> Iterator[Indicator]:
        return iter(self._indicators.values())

    def __contains__(self, indicator_id: object) -> bool:
        return str(indicator_id) in self._indicators

    def __getitem__(self, indicator_id: str | int) -> Indicator:
        try:
            return self._indicators[str(indicator_id)]
        except KeyError:
            raise KeyError(indicator_id) from None

    def ids(self) -> list[str]:
        """The indicator ids in file order."""
        return list(self._indicators)

    def __repr__(self) -> str:
        count = len(self)
        return f"<RuleSet {self.id or self.source!r}: {count} indicator{'' if count == 1 else 's'}>"

    @property
    def period(self) -> tuple[date, date] | None:
        """The first and last day of the appraisal period named by ``year`` and ``round``
        (None unless both are given): Thai fiscal years run 1 October – 30 September and are named
        in the Buddhist Era; round 1 is October – March, round 2 April – September."""
        if self.year is None or self.round is None:
            return None
        from kpirules.fiscal import appraisal_period

        return appraisal_period(self.year, self.round)

    def to_sql(self, **options: Any) -> str:
        """One SQL query that scores a table of records for every indicator
        (see :func:`kpirules.sql.ruleset_sql` for the options)."""
        from kpirules.sql import ruleset_sql

        query: str = ruleset_sql(self, **options)
        return query

    def evaluate(self, records: Mapping[Any, Mapping[str, Any]], strict: bool = True) -> Scorecard:
        """Score one subject: ``{"INDICATOR_ID": record, ...}`` for every indicator.

        A missing or unknown indicator id, or an indicator without a weight, raises
        :class:`~kpirules.EvaluationError`.
        """
        if self._unweighted:
            indicator = self._unweighted[0]
            raise EvaluationError(
                f"indicator {indicator.id} has no weight, so it cannot be part of a "
                "scorecard total; add `weight N` to it",
                indicator.id,
            )
        if type(records) is dict and records.keys() == self._indicators.keys():
            # The usual call: exactly the ids, as text. Nothing to look up or report.
            return Scorecard(tuple(indicator.evaluate(records[key], strict)
                                   for key, indicator in self._indicators.items()))
        if not isinstance(records, Mapping):
            raise EvaluationError(
                "a scorecard needs a mapping of indicator ids to records, not "
                f"{type(records).__name__}"
            )
        by_id = {str(key) if isinstance(key, int) and not isinstance(key, bool) else key: value
                 for key, value in records.items()}
        for key in by_id:
            if key not in self._indicators:
                import difflib

                guess = difflib.get_close_matches(str(key), list(self._indicators), n=1)
                hint = f"; did you mean `{guess[0]}`?" if guess else (
                    f"; the indicators are {', '.join(self._indicators)}")
                raise EvaluationError(f"unknown indicator `{key}`{hint}", str(key))
        results = []
        for indicator in self:
            if indicator.id not in by_id:
                raise EvaluationError(f"no record for indicator {indicator.id}", indicator.id)
            results.append(indicator.evaluate(by_id[indicator.id], strict))
        return Scorecard(tuple(results))

    def evaluate_many(
        self, subjects: Iterable[Mapping[Any, Mapping[str, Any]]], strict: bool = True
    ) -> Iterator[Scorecard | EvaluationError]:
        r"""Score each subject in turn (each as :meth:`evaluate` takes it), lazily, in order; a
        bad subject yields its :class:`EvaluationError` instead of stopping the batch.

        >>> import kpirules
        >>> rules = kpirules.parse('indicator 1 "Plan"\n  weight 100\n  level 1 milestone "a plan"')
        >>> for card in rules.evaluate_many([{"1": {"milestones": [1]}}, {"2": {}}, {"1": {}}]):
        ...     print(card.total if isinstance(card, kpirules.Scorecard) else f"error: {card}")
        100
        error: unknown indicator `2`; the indicators are 1
        0
        """
        evaluate = self.evaluate
        for subject in subjects:
            try:
                yield evaluate(subject, strict)
            except EvaluationError as error:
                yield error
