"""Examples inside rule files, run: each example's record scored with the indicator's own
evaluator (the language reference, "Examples").

``kpirules check`` shows an example that does not give what it expects as ``example-fails``,
``kpirules test`` counts them and :func:`kpirules.testing.assert_examples` raises on them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

from kpirules import nodes
from kpirules._messages import Message, message
from kpirules.errors import EvaluationError
from kpirules.model import Indicator, RuleSet
from kpirules.result import Result

__all__ = ["Failure", "example_findings", "failures", "run"]


@attrs.frozen
class _Said:
    """Why an example failed, said in whichever language its message is rendered in: the
    explanation of the result it got, or the reason its record was refused."""

    result: Result | None
    error: EvaluationError | None

    def render(self, language: str) -> str:
        if self.error is not None:
            return self.error.in_language(language).message
        assert self.result is not None
        lines = self.result.explain(language).splitlines()[1:]
        return "; ".join(line.strip() for line in lines)


@attrs.frozen
class Failure:
    """An example that does not give what it expects: the indicator, the example, and what scoring
    its record gave (the result, or the error that refused it)."""

    indicator: Indicator
    example: nodes.Example
    result: Result | None
    error: EvaluationError | None

    @property
    def problem(self) -> Message:
        """The ``example-fails`` message: what was expected, what came out, and why."""
        said = _Said(self.result, self.error)
        if self.result is None:
            got = message("example-got-rejected", reason=said)
        else:
            got = message("example-got-level", level=self.result.level, score=self.result.score)
        return message("example-fails", expected=_expected(self.example), got=got,
                       explanation=said)

    def describe(self, language: str) -> str:
        """:attr:`problem` in ``language`` (one line)."""
        return self.problem.render(language)


def _expected(example: nodes.Example) -> Message:
    if example.rejected:
        return message("example-expect-rejected")
    if example.score is not None:
        return message("example-expect-score", score=example.score_text or str(example.score))
    return message("example-expect-level", level=example.level or 0)


def run(indicator: Indicator, example: nodes.Example) -> Failure | None:
    """Score ``example``'s record with ``indicator``; None when it gives what it expects, else the
    :class:`Failure`."""
    try:
        result = indicator.evaluate(example.record)
    except EvaluationError as error:
        return None if example.rejected else Failure(indicator, example, None, error)
    if example.level is not None and result.level == example.level:
        return None
    if example.score is not None and result.score == example.score:
        return None
    return Failure(indicator, example, result, None)


def failures(rules: RuleSet | Indicator) -> Iterator[Failure]:
    """Every example of ``rules`` (a rule set or one indicator) that fails, in file order."""
    indicators = [rules] if isinstance(rules, Indicator) else list(rules)
    for indicator in indicators:
        for example in indicator.examples:
            failure = run(indicator, example)
            if failure is not None:
                yield failure


def example_findings(rules: RuleSet | Indicator) -> list[tuple[Any, ...]]:
    """Every failing example of ``rules`` (a rule set or one indicator) as a finding of
    :func:`kpirules.check`: the error
    ``example-fails`` at the example's line (the fields of ``Diagnostic.of``)."""
    return [("error", "example-fails", failure.problem, failure.indicator.id,
             failure.example.span.line, failure.example.span.column)
            for failure in failures(rules)]
