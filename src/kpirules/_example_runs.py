"""Examples inside rule files, run: each example's record scored with the indicator's own
evaluator (the language reference, "Examples").

``kpirules check`` shows an example that does not give what it expects as ``example-fails``,
``kpirules test`` counts them and :func:`kpirules.testing.assert_examples` raises on them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import attrs

from kpirules import nodes
from kpirules._messages import Message, message
from kpirules.errors import EvaluationError
from kpirules.model import Indicator, RuleSet

__all__ = ["Failure", "example_diagnostics", "failures", "run"]


@attrs.frozen
class Failure:
    """An example that does not give what it expects: the indicator, the example, and what scoring
    its record gave (the level and score, or the error that refused it)."""

    indicator: Indicator
    example: nodes.Example
    level: int | None
    score: Decimal | None
    error: EvaluationError | None
    explanation: str

    def describe(self, language: str) -> str:
        """What was expected, what came out, and why, in ``language`` (one line)."""
        return message("example-fails", expected=_expected(self.example), got=self._got(),
                       explanation=self.explanation).render(language)

    def _got(self) -> Message:
        if self.error is not None:
            return message("example-got-rejected", reason=self.error.in_language(
                self.indicator.language).message)
        return message("example-got-level", level=self.level or 0, score=self.score or 0)


def _expected(example: nodes.Example) -> Message:
    if example.rejected:
        return message("example-expect-rejected")
    if example.score is not None:
        return message("example-expect-score", score=example.score_text or str(example.score))
    return message("example-expect-level", level=example.level or 0)


def run(indicator: Indicator, example: nodes.Example, language: str | None = None) -> Failure | None:
    """Score ``example``'s record with ``indicator``; None when it gives what it expects, else the
    :class:`Failure` (its explanation in ``language``, by default the rule file's)."""
    chosen = language or indicator.language
    try:
        result = indicator.evaluate(example.record)
    except EvaluationError as error:
        if example.rejected:
            return None
        return Failure(indicator, example, None, None, error, error.in_language(chosen).message)
    if example.level is not None and result.level == example.level:
        return None
    if example.score is not None and result.score == example.score:
        return None
    lines = result.explain(chosen).splitlines()[1:]
    return Failure(indicator, example, result.level, result.score, None,
                   "; ".join(line.strip() for line in lines))


def failures(rules: RuleSet | Indicator, language: str | None = None) -> Iterator[Failure]:
    """Every example of ``rules`` (a rule set or one indicator) that fails, in file order."""
    indicators = [rules] if isinstance(rules, Indicator) else list(rules)
    for indicator in indicators:
        for example in indicator.examples:
            failure = run(indicator, example, language)
            if failure is not None:
                yield failure


def example_diagnostics(rules: RuleSet, diagnostic: Callable[..., Any]) -> list[Any]:
    """Every failing example of ``rules`` as an ``example-fails`` error of :func:`kpirules.check`
    (made by ``diagnostic``, the checker's class), at the example's line, in the rule file's
    language."""
    return [diagnostic("error", "example-fails", failure.describe(rules.language),
                       failure.indicator.id, failure.example.span.line,
                       failure.example.span.column)
            for failure in failures(rules)]
