"""Examples inside rule files: ``example level 3: a = 400, b = 230`` (docs/language.rst, "Examples").

Two stages read them. At load time, :func:`check_examples` refuses an example that could never say
anything about the rule: a name the indicator does not have, a level or score out of range, a score
where scores are whole levels, a milestone that is not one. After loading, :func:`run` scores each
example's record with the indicator's own evaluator and reports the ones that do not give what they
expect; ``kpirules check`` shows those as ``example-fails``, ``kpirules test`` counts them and
:func:`kpirules.testing.assert_examples` raises on them.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from kpirules import nodes
from kpirules._messages import Items, Keyword, Message, message
from kpirules.errors import EvaluationError, ParseError

if TYPE_CHECKING:
    from collections.abc import Callable

    from kpirules._check import Diagnostic
    from kpirules.model import Indicator, RuleSet

    _ErrorMaker = Callable[[Message, nodes.Span], ParseError]

__all__ = ["Failure", "check_examples", "example_diagnostics", "failures", "run"]


# --- load time --------------------------------------------------------------------------------------


def check_examples(indicator: nodes.IndicatorNode, source: str, text: str) -> None:
    """Raise a :class:`ParseError` at the first example of ``indicator`` (already checked, with its
    levels and measures) that names something it does not have or expects what cannot be."""
    from kpirules._parser import source_line

    def error(problem: Message, span: nodes.Span) -> ParseError:
        line = max(span.line, 1)
        return ParseError(problem, source, line, max(span.column, 1), source_line(text, line))

    measures = {measure.name: measure for measure in indicator.measures}
    lets = {let.name for let in indicator.lets}
    milestones = tuple(level.number for level in indicator.levels if level.is_milestone)
    top = len(indicator.levels)
    for example in indicator.examples:
        _check_expectation(indicator, example, top, error)
        seen: set[str] = set()
        for (name, value), span in zip(example.values, example.value_spans):
            if name in seen:
                raise error(message("example-value-twice", name=name), span)
            seen.add(name)
            if name == nodes.MILESTONES:
                assert isinstance(value, tuple)
                _check_milestones(indicator, value, milestones, span, error)
                continue
            if name in lets:
                raise error(message("example-names-let", name=name), span)
            measure = measures.get(name)
            if measure is None:
                raise error(message("example-unknown-measure", indicator=indicator.id, name=name,
                                    hint=_hint(name, sorted(measures))), span)
            if example.rejected:
                continue  # a rejected example may give a value of the wrong kind on purpose
            if measure.kind == "flag" and not isinstance(value, bool):
                raise error(message("example-flag-needs-bool", name=name), span)
            if measure.kind != "flag" and isinstance(value, bool):
                raise error(message("example-number-not-flag", name=name,
                                    value=Keyword("true" if value else "false")), span)


def _check_expectation(indicator: nodes.IndicatorNode, example: nodes.Example, top: int,
                       error: _ErrorMaker) -> None:
    if example.level is not None and example.level > top:
        raise error(message("example-level-out-of-range", indicator=indicator.id, top=top,
                            level=example.level), example.span)
    if example.score is None:
        return
    if not indicator.interpolate:
        raise error(message("example-score-needs-interpolate", indicator=indicator.id,
                            level=int(example.score)), example.span)
    if example.score > top:
        raise error(message("example-score-out-of-range", indicator=indicator.id, top=top,
                            score=example.score_text or str(example.score)), example.span)


def _check_milestones(indicator: nodes.IndicatorNode, done: tuple[int, ...],
                      milestones: tuple[int, ...], span: nodes.Span, error: _ErrorMaker) -> None:
    for number in done:
        if number in milestones:
            continue
        if not milestones:
            raise error(message("example-no-milestones", indicator=indicator.id), span)
        raise error(message("example-unknown-milestone", indicator=indicator.id, level=number,
                            levels=Items(milestones, "and")), span)


def _hint(name: str, names: list[str]) -> Message | str:
    from kpirules._semantics import close_names

    guess = close_names(name, names)
    if guess:
        return message("hint-did-you-mean", name=guess[0])
    if names:
        return message("hint-measures-are", names=", ".join(names))
    return ""


# --- running ----------------------------------------------------------------------------------------


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
    from kpirules.model import Indicator

    indicators = [rules] if isinstance(rules, Indicator) else list(rules)
    for indicator in indicators:
        for example in indicator.examples:
            failure = run(indicator, example, language)
            if failure is not None:
                yield failure


def example_diagnostics(rules: RuleSet) -> list[Diagnostic]:
    """Every failing example of ``rules`` as an ``example-fails`` error of :func:`kpirules.check`,
    at the example's line, in the rule file's language."""
    from kpirules._check import Diagnostic

    return [Diagnostic("error", "example-fails", failure.describe(rules.language),
                       failure.indicator.id, failure.example.span.line,
                       failure.example.span.column)
            for failure in failures(rules)]
