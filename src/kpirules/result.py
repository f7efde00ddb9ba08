"""What scoring gives back: a :class:`Result` per indicator and a :class:`Scorecard` per subject."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from kpirules import nodes
from kpirules._messages import check_language, text
from kpirules._numbers import CONTEXT, show, tidy
from kpirules._scoring import points

__all__ = ["Plan", "Result", "Scorecard"]


class Plan:
    """What every result of one indicator shares: the indicator's syntax tree, the language its
    messages speak, the names of its values in order and its points per level (worked out once,
    since a scorecard adds them up for every subject)."""

    __slots__ = ("language", "node", "points_by_level", "top", "value_names")

    def __init__(self, node: nodes.IndicatorNode, language: str = "en") -> None:
        self.node = node
        self.language = language
        self.top = len(node.levels)
        self.value_names = tuple(m.name for m in node.measures) + tuple(let.name for let in node.lets)
        self.points_by_level: tuple[Decimal, ...] | None = None
        if node.weight is not None and not node.interpolate:
            self.points_by_level = tuple(points(node.weight, Decimal(level), self.top)
                                         for level in range(self.top + 1))


class Result:
    """The outcome of scoring one record against one indicator.

    ``level`` is 0..N, ``score`` the level (or the interpolated score) as a Decimal, ``values`` every
    measure and ``let`` (Decimal, flags as bool), ``milestones`` the milestone levels reported done,
    ``points`` the indicator's share of a scorecard total (``weight × score / N``).

    >>> import kpirules
    >>> rules = kpirules.parse('''
    ... indicator 1 "Households developed"
    ...   weight 20
    ...   measure target count
    ...   measure developed count
    ...   let percent = developed / target * 100
    ...   level 1 if percent >= 25
    ...   level 2 if percent >= 40
    ... ''')
    >>> result = rules["1"].evaluate({"target": 400, "developed": 130})
    >>> result.level, result.score, result.points, result.values["percent"]
    (1, Decimal('1'), Decimal('10'), Decimal('32.5'))
    """

    __slots__ = ("_values", "level", "milestones", "plan", "score")

    def __init__(
        self,
        plan: Plan,
        level: int,
        score: Decimal,
        values: tuple[Any, ...],
        milestones: frozenset[int],
    ) -> None:
        self.plan = plan
        self.level = level
        self.score = score
        self._values = values
        self.milestones = milestones

    @property
    def indicator(self) -> nodes.IndicatorNode:
        """The indicator scored (its ``id``, ``title``, ``levels``, ``measures``, ``weight``)."""
        return self.plan.node

    @property
    def values(self) -> dict[str, Decimal | bool]:
        """Every measure and ``let`` by name, in declaration order, without trailing zeros
        (``130 / 400 * 100`` is ``Decimal('32.5')``, not ``Decimal('32.500')``)."""
        return {name: tidy(value) if type(value) is Decimal else value
                for name, value in zip(self.plan.value_names, self._values)}

    @property
    def points(self) -> Decimal | None:
        """``weight × score / N`` (None when the indicator has no weight)."""
        plan = self.plan
        table = plan.points_by_level
        if table is not None:
            return table[self.level]
        weight = plan.node.weight
        if weight is None:
            return None
        return points(weight, self.score, plan.top)

    def to_dict(self, values: bool = False) -> dict[str, Any]:
        r"""``{"indicator", "level", "score", "points"}`` (and ``"values"`` when asked), numbers as
        ``Decimal``: ready for :func:`kpirules.dumps`, a DataFrame or a template.

        >>> import kpirules
        >>> rules = kpirules.parse('indicator 7 "t"\n  weight 10\n  level 1 if x >= 1\n'
        ...                        '  level 2 if x >= 2')
        >>> entry = rules["7"].evaluate({"x": 1}).to_dict(values=True)
        >>> entry["indicator"], entry["level"], entry["score"], entry["points"], entry["values"]
        ('7', 1, Decimal('1'), Decimal('5'), {'x': Decimal('1')})
        """
        entry: dict[str, Any] = {"indicator": self.plan.node.id, "level": self.level,
                                 "score": self.score, "points": self.points}
        if values:
            entry["values"] = self.values
        return entry

    def __repr__(self) -> str:
        return (f"Result(indicator={self.plan.node.id!r}, level={self.level}, "
                f"score={self.score!r})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Result):
            return NotImplemented
        return (self.plan.node.id, self.level, self.score, self._values, self.milestones) == (
            other.plan.node.id, other.level, other.score, other._values, other.milestones)

    __hash__ = None  # type: ignore[assignment]

    def explain(self, language: str | None = None) -> str:
        """Which conditions held, with the numbers, and what the next level needs, in ``language``
        (by default the language of the rule file).

        >>> import kpirules
        >>> rules = kpirules.parse('''
        ... indicator 1 "Households developed"
        ...   measure target count
        ...   measure developed count
        ...   let percent = developed / target * 100
        ...   level 1 if percent >= 25
        ...   level 2 if percent >= 40
        ... ''')
        >>> print(rules["1"].evaluate({"target": 400, "developed": 130}).explain())
        indicator 1 "Households developed": level 1 of 2, score 1
          values: target = 400, developed = 130, percent = 32.5
          level 1 met: percent >= 25 (percent = 32.5)
          level 2 not met: percent >= 40: now 32.5, 7.5 short
          level 2 needs percent >= 40: now 32.5, 7.5 short
        """
        from kpirules._explain import explain

        chosen = self.plan.language if language is None else check_language(language)
        return explain(self.plan.node, self.level, self.score, self.values, self.milestones, chosen)


class Scorecard:
    """The results of one subject over a whole rule set, and the weighted ``total``.

    ``total = Σ weight × score / N``, so the top level everywhere, with weights totalling 100,
    gives 100.
    """

    __slots__ = ("_by_id", "_total", "results")

    def __init__(self, results: tuple[Result, ...]) -> None:
        self.results = results
        self._total: Decimal | None = None
        self._by_id: dict[str, Result] | None = None  # built on first lookup, not per subject

    def __getitem__(self, indicator_id: str | int) -> Result:
        if self._by_id is None:
            self._by_id = {result.plan.node.id: result for result in self.results}
        try:
            return self._by_id[str(indicator_id)]
        except KeyError:
            raise KeyError(indicator_id) from None

    def __iter__(self) -> Iterator[Result]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    @property
    def total(self) -> Decimal:
        """The weighted total (exact; 100 when every indicator is at its top level)."""
        if self._total is None:
            total = Decimal(0)
            for result in self.results:
                points = result.points
                if points is not None:
                    total = CONTEXT.add(total, points)
            self._total = tidy(total)
        return self._total

    def to_dict(self, values: bool = False) -> dict[str, Any]:
        """``{"total", "indicators": {ID: {"level", "score", "points"}}}`` (each result with its
        ``"values"`` when asked), numbers as ``Decimal``; the shape of the command line's JSON
        output. A result here leaves out its ``"indicator"``, which is its key."""
        indicators = {}
        for result in self.results:
            entry = result.to_dict(values)
            del entry["indicator"]
            indicators[result.plan.node.id] = entry
        return {"total": self.total, "indicators": indicators}

    def explain(self, language: str | None = None) -> str:
        """Every indicator's explanation, then the total (in ``language``, by default the rule
        file's)."""
        parts = [result.explain(language) for result in self.results]
        chosen = language or (self.results[0].plan.language if self.results else "en")
        parts.append(text("explain-total", check_language(chosen), total=show(self.total)))
        return "\n".join(parts)

    def __repr__(self) -> str:
        levels = ", ".join(f"{r.plan.node.id}: {r.level}" for r in self.results)
        return f"Scorecard({{{levels}}}, total={self.total!r})"
