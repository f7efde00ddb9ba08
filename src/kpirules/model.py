"""The public view of a loaded rule file: :class:`RuleSet` and its :class:`Indicator` objects.

``Level``, ``Measure`` and ``Example`` are the syntax-tree classes themselves (frozen, with a ``span``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from kpirules import nodes
from kpirules._compile import Evaluator, compile_indicator
from kpirules._messages import check_language, message
from kpirules.errors import EvaluationError
from kpirules.nodes import Example, Level, Measure
from kpirules.result import Plan, Result, Scorecard

__all__ = ["Example", "Indicator", "Level", "Measure", "RuleSet"]


class Indicator:
    """One indicator: its metadata, measures and levels, and :meth:`evaluate`.

    The scoring function is generated and compiled on first use, then reused for every record.
    """

    __slots__ = ("_evaluate", "_lock", "node", "plan")

    def __init__(self, node: nodes.IndicatorNode, language: str = "en") -> None:
        self.node = node
        self.plan = Plan(node, language)
        self._evaluate: Evaluator[Result] | None = None
        self._lock = threading.Lock()

    @property
    def id(self) -> str:
        """The id as text (``1``, ``2.1``, ``kpi_07``)."""
        return self.node.id

    @property
    def title(self) -> str:
        """The indicator's title."""
        return self.node.title

    @property
    def strategy(self) -> str | None:
        """The strategy (ยุทธศาสตร์) or None."""
        return self.node.strategy

    @property
    def team(self) -> str | None:
        """The team (ทีม) or None."""
        return self.node.team

    @property
    def year(self) -> int | None:
        """The indicator's own year, or None."""
        return self.node.year

    @property
    def round(self) -> int | None:
        """The indicator's own round, or None."""
        return self.node.round

    @property
    def policy(self) -> nodes.Policy:
        """``"ordered"`` or ``"highest"``."""
        return self.node.policy

    @property
    def interpolate(self) -> bool:
        """True with ``score interpolate``."""
        return self.node.interpolate

    @property
    def language(self) -> str:
        """The language of its messages: ``"th"`` or ``"en"`` (the rule file's)."""
        return self.plan.language

    @property
    def top(self) -> int:
        """The top level N."""
        return self.plan.top

    @property
    def value_names(self) -> tuple[str, ...]:
        """The names of the measures and ``let`` values, in the order ``Result.values`` has them."""
        return self.plan.value_names

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
    def examples(self) -> tuple[nodes.Example, ...]:
        """The ``example`` statements of the indicator, in file order: each a record and the level,
        score or rejection it must give (see :func:`kpirules.testing.assert_examples`)."""
        return self.node.examples

    @property
    def line(self) -> int:
        """The line of the ``indicator`` statement."""
        return self.node.span.line

    def _compiled(self) -> Evaluator[Result]:
        if self._evaluate is None:
            with self._lock:
                if self._evaluate is None:
                    self._evaluate = compile_indicator(self.node, Result, self.plan, self.language)
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

    def __init__(self, node: nodes.RuleFile, language: str = "en") -> None:
        self.node = node
        self.language = check_language(language)
        """The language of its messages, ``"th"`` or ``"en"``: parse errors, the errors its
        indicators raise, explanations and checker findings speak it."""
        self._indicators = {ind.id: Indicator(ind, self.language) for ind in node.indicators}
        self._unweighted = [ind for ind in self._indicators.values() if ind.weight is None]

    @property
    def id(self) -> str | None:
        """The catalogue id, or None."""
        return self.node.id

    @property
    def title(self) -> str | None:
        """The catalogue title, or None."""
        return self.node.title

    @property
    def position(self) -> str | None:
        """The position, or None."""
        return self.node.position

    @property
    def year(self) -> int | None:
        """The fiscal year (Buddhist Era), or None."""
        return self.node.year

    @property
    def round(self) -> int | None:
        """The appraisal round, or None."""
        return self.node.round

    @property
    def source(self) -> str:
        """Where the rules were read from."""
        return self.node.source

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
            raise EvaluationError(message("no-weight", indicator=indicator.id), indicator.id,
                                  None, self.language)
        if type(records) is dict and records.keys() == self._indicators.keys():
            # The usual call: exactly the ids, as text. Nothing to look up or report.
            return Scorecard(tuple(indicator.evaluate(records[key], strict)
                                   for key, indicator in self._indicators.items()))
        if not isinstance(records, Mapping):
            raise EvaluationError(message("scorecard-not-mapping", type=type(records).__name__),
                                  None, None, self.language)
        by_id = {str(key) if isinstance(key, int) and not isinstance(key, bool) else key: value
                 for key, value in records.items()}
        for key in by_id:
            if key not in self._indicators:
                import difflib

                guess = difflib.get_close_matches(str(key), list(self._indicators), n=1)
                hint = message("hint-did-you-mean", name=guess[0]) if guess else message(
                    "hint-indicators-are", ids=", ".join(self._indicators))
                raise EvaluationError(message("unknown-indicator", indicator=str(key), hint=hint),
                                      str(key), None, self.language)
        results = []
        for indicator in self:
            if indicator.id not in by_id:
                raise EvaluationError(message("missing-indicator", indicator=indicator.id),
                                      indicator.id, None, self.language)
            results.append(indicator.evaluate(by_id[indicator.id], strict))
        return Scorecard(tuple(results))

    def evaluate_all(
        self, subjects: Mapping[Any, Mapping[Any, Mapping[str, Any]]], strict: bool = True
    ) -> dict[Any, Scorecard | EvaluationError]:
        r"""Score every subject of ``{SUBJECT: {"INDICATOR_ID": record, ...}}``: a dict of subject
        to its :class:`Scorecard`, or to the :class:`EvaluationError` that rejected it, in input
        order. Nothing is dropped; :func:`kpirules.dumps` writes the outcome as the command line's
        JSON output.

        >>> import kpirules
        >>> rules = kpirules.parse('indicator 1 "Plan"\n  weight 100\n  level 1 milestone "a plan"')
        >>> outcome = rules.evaluate_all({"A": {"1": {"milestones": [1]}}, "B": {}})
        >>> outcome["A"].total, str(outcome["B"])
        (Decimal('100'), 'no record for indicator 1')
        """
        if not isinstance(subjects, Mapping):
            raise TypeError("evaluate_all takes a mapping of subjects to their records, not "
                            f"{type(subjects).__name__}; evaluate_many takes a list")
        evaluate = self.evaluate
        outcome: dict[Any, Scorecard | EvaluationError] = {}
        for name, records in subjects.items():
            try:
                outcome[name] = evaluate(records, strict)
            except EvaluationError as error:
                outcome[name] = error
        return outcome

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
