"""Results as JSON with exact bare numbers: :func:`kpirules.dumps`, and the command line's JSON
output, which is made by the same functions (see the documentation page "Data in and out").

A :class:`json.JSONEncoder` cannot write a ``Decimal`` as a bare number (it writes floats by their
``repr`` and anything else it is taught as a string), so numbers are written here: with no JSON
options, by building the text directly (what ``eval --format json`` does for every subject); with
options, by handing :func:`json.dumps` a placeholder string for every number and putting the digits
in its place afterwards, so that every option of :func:`json.dumps` works as it documents.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from kpirules._numbers import plain
from kpirules.errors import KpiRulesError
from kpirules.result import Result, Scorecard

__all__ = ["dumps", "number", "scorecard_text", "string", "to_data"]

# What json.dumps(text, ensure_ascii=False) does, without its per-call set-up.
string = json.encoder.encode_basestring


def number(value: Decimal | int | None) -> str:
    """``value`` with its exact digits, no exponent, no trailing fractional zeros (``null`` for
    None): :func:`kpirules._numbers.plain`, which CSV and SQL output use too.

    >>> number(Decimal("12.500")), number(Decimal("1E+2")), number(None)
    ('12.5', '100', 'null')
    """
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    return plain(value)


# The shapes of a result, a scorecard and a rejected subject, stated once: the Python writers fill
# them with values, the database engine of ``eval --engine duckdb`` with SQL (kpirules._engine_output).
RESULT = '{{"level": {level}, "score": {score}, "points": {points}}}'
SCORECARD = '{{"total": {total}, "indicators": {{{indicators}}}}}'
INDICATOR = "{id}: {result}"
INDICATORS_BETWEEN = ", "
ERROR = '{{"error": {message}}}'


def result_text(result: Result) -> str:
    """A result inside a scorecard: ``{"level": …, "score": …, "points": …}``."""
    return RESULT.format(level=result.level, score=number(result.score),
                         points=number(result.points))


def scorecard_text(card: Scorecard) -> str:
    """``{"total": …, "indicators": {"ID": {…}, …}}`` on one line, as :func:`dumps` writes it."""
    indicators = INDICATORS_BETWEEN.join(
        INDICATOR.format(id=string(r.plan.node.id), result=result_text(r)) for r in card.results)
    return SCORECARD.format(total=number(card.total), indicators=indicators)


def error_text(message: str) -> str:
    """A rejected subject: ``{"error": "…"}``."""
    return ERROR.format(message=string(message))


def to_data(obj: Any) -> Any:
    """``obj`` as plain data for JSON: results and scorecards by their ``to_dict()``, an error as
    ``{"error": message}``, mappings and lists item by item; numbers stay ``Decimal``."""
    if isinstance(obj, Scorecard):
        return obj.to_dict()
    if isinstance(obj, Result):
        return obj.to_dict()
    if isinstance(obj, KpiRulesError):
        return {"error": str(obj)}
    if isinstance(obj, Mapping):
        return {_key(key): to_data(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_data(item) for item in obj]
    return obj


def _key(key: Any) -> Any:
    return str(key) if isinstance(key, Decimal) else key


def _fast(obj: Any) -> str | None:
    """The text of the usual objects without options, built directly; None for anything else."""
    if isinstance(obj, Scorecard):
        return scorecard_text(obj)
    if isinstance(obj, Mapping) and all(isinstance(k, str) for k in obj):
        parts = []
        for key, value in obj.items():
            if isinstance(value, Scorecard):
                body = scorecard_text(value)
            elif isinstance(value, KpiRulesError):
                body = error_text(str(value))
            else:
                return None
            parts.append(f"{string(key)}: {body}")
        return "{" + ", ".join(parts) + "}"
    return None


def dumps(obj: Any, **json_options: Any) -> str:
    """``obj`` (a :class:`~kpirules.Result`, a :class:`~kpirules.Scorecard`, or a mapping of them,
    an :class:`~kpirules.EvaluationError` standing for a rejected subject) as JSON text with exact
    bare numbers: the shape ``kpirules eval --format json`` writes. ``json_options`` are those of
    :func:`json.dumps` (``indent``, ``ensure_ascii``, ``sort_keys`` …); without ``ensure_ascii``
    Thai text is written as it is.

    >>> import kpirules
    >>> rules = kpirules.parse('indicator 1 "Plan"\\n  weight 100\\n  level 1 milestone "a plan"')
    >>> kpirules.dumps({"A": rules.evaluate({"1": {"milestones": [1]}})})
    '{"A": {"total": 100, "indicators": {"1": {"level": 1, "score": 1, "points": 100}}}}'
    """
    if not json_options:
        text = _fast(obj)
        if text is not None:
            return text
    json_options.setdefault("ensure_ascii", False)
    if "default" in json_options or "cls" in json_options:
        raise TypeError("kpirules.dumps writes numbers itself; `default` and `cls` are not taken")
    numbers: list[str] = []
    # A fresh token per call, so no text in the data (a subject's name) can be taken for one.
    token = f"kpirules-number-{secrets.token_hex(8)}-"

    def placeholders(item: Any) -> Any:
        if isinstance(item, Decimal):
            numbers.append(number(item))
            return f"{token}{len(numbers) - 1}"
        if isinstance(item, float):
            if item != item or item in (float("inf"), float("-inf")):
                raise ValueError(f"{item!r} cannot be written as a JSON number")
            return item
        if isinstance(item, dict):
            return {key: placeholders(value) for key, value in item.items()}
        if isinstance(item, list):
            return [placeholders(value) for value in item]
        return item

    text = json.dumps(placeholders(to_data(obj)), **json_options)
    if not numbers:
        return text
    return re.sub(f'"{re.escape(token)}(\\d+)"', lambda match: numbers[int(match.group(1))], text)
