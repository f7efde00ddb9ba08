"""The two charts of the scoring page, as geometry for an SVG template.

Charts are drawn on the server as SVG, so the page needs no charting library and prints as it
shows. This module only works out where the bars go; ``templates/_charts.html`` draws them, with
every label escaped by Jinja.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import attrs

from kpirules.model import RuleSet
from kpirules.result import Scorecard

__all__ = ["LevelChart", "Ranking", "level_chart", "ranking"]

# Level 0 grey, then from red to green as levels rise (as the traffic-light sheets offices use).
_COLOURS = ("#9e9e9e", "#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850")
_ROW = 24
_LABEL = 170
_WIDTH = 720


@attrs.frozen
class Bar:
    label: str
    value: str
    y: int
    width: float


@attrs.frozen
class Ranking:
    """Subjects by total, highest first; ``shown`` of ``count`` subjects are drawn."""

    bars: tuple[Bar, ...]
    height: int
    width: int
    label_width: int
    plot_width: int
    count: int

    @property
    def shown(self) -> int:
        return len(self.bars)


def _show(value: Decimal) -> str:
    """A total as the chart labels it: at most two decimal places (the tables keep every digit)."""
    text = f"{value.quantize(Decimal('0.01')):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def ranking(cards: Sequence[tuple[str, Scorecard]], limit: int = 40) -> Ranking:
    """Bars of the ``limit`` highest totals, on a scale of 0 to 100 (or the highest total, when
    weights total more than 100); ties keep the order of the file."""
    ordered = sorted(cards, key=lambda item: -item[1].total)[:limit]
    top = max([Decimal(100), *(card.total for _, card in ordered)])
    plot = _WIDTH - _LABEL - 60
    bars = tuple(
        Bar(_clip(name), _show(card.total), index * _ROW, float(max(card.total, Decimal(0)) / top) * plot)
        for index, (name, card) in enumerate(ordered))
    return Ranking(bars, len(bars) * _ROW + 4, _WIDTH, _LABEL, plot, len(cards))


@attrs.frozen
class Segment:
    level: int
    count: int
    x: float
    width: float
    colour: str


@attrs.frozen
class Stack:
    label: str
    title: str
    y: int
    segments: tuple[Segment, ...]


@attrs.frozen
class LevelChart:
    """One stacked bar per indicator: how many subjects reached each level, 0 to the top."""

    stacks: tuple[Stack, ...]
    legend: tuple[tuple[int, str], ...]
    height: int
    width: int
    label_width: int
    plot_width: int


def level_chart(rules: RuleSet, cards: Sequence[Scorecard]) -> LevelChart:
    plot = _WIDTH - _LABEL - 20
    top = max([indicator.top for indicator in rules], default=0)
    reached = {indicator.id: [0] * (indicator.top + 1) for indicator in rules}
    for card in cards:
        for result in card:
            reached[result.indicator.id][result.level] += 1
    stacks = []
    for index, indicator in enumerate(rules):
        counts = reached[indicator.id]
        total = sum(counts)
        x = 0.0
        segments = []
        for level, count in enumerate(counts):
            width = plot * count / total if total else 0.0
            segments.append(Segment(level, count, x, width, _colour(level)))
            x += width
        stacks.append(Stack(indicator.id, indicator.title, index * (_ROW + 8), tuple(segments)))
    legend = tuple((level, _colour(level)) for level in range(top + 1))
    return LevelChart(tuple(stacks), legend, len(stacks) * (_ROW + 8) + 40, _WIDTH, _LABEL, plot)


def _colour(level: int) -> str:
    # One colour per level number, the same in every indicator, so that the legend is exact
    # when indicators have different numbers of levels (levels above 5 share the last colour).
    return _COLOURS[min(level, len(_COLOURS) - 1)]


def _clip(name: str, width: int = 22) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"
