"""Examples inside rule files, at load time: ``example level 3: a = 400, b = 230`` (the language
reference, "Examples").

:func:`check_examples` refuses an example that could never say anything about the rule: a name the
indicator does not have, a level or score out of range, a score where scores are whole levels, a
milestone that is not one. Whether an example holds is decided after loading, by scoring it
(:mod:`kpirules._example_runs`).
"""

from __future__ import annotations

from collections.abc import Callable

from kpirules import nodes
from kpirules._messages import Items, Keyword, Message, message
from kpirules._parser import source_line
from kpirules.errors import ParseError

__all__ = ["check_examples"]

_ErrorMaker = Callable[[Message, nodes.Span], ParseError]
_CloseNames = Callable[[str, list[str]], list[str]]


# --- load time --------------------------------------------------------------------------------------


def check_examples(indicator: nodes.IndicatorNode, source: str, text: str,
                   close_names: _CloseNames) -> None:
    """Raise a :class:`ParseError` at the first example of ``indicator`` (already checked, with its
    levels and measures) that names something it does not have or expects what cannot be;
    ``close_names`` finds the names a misspelt one may have meant."""

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
                                    hint=_hint(close_names(name, sorted(measures)),
                                               sorted(measures))), span)
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


def _hint(guess: list[str], names: list[str]) -> Message | str:
    if guess:
        return message("hint-did-you-mean", name=guess[0])
    if names:
        return message("hint-measures-are", names=", ".join(names))
    return ""
