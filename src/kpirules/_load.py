"""``parse`` and ``load``: text or a file → a checked :class:`RuleSet`."""

from __future__ import annotations

import os

from kpirules._parser import keyword_language, parse_tree
from kpirules._semantics import analyse
from kpirules.errors import KpiRulesError, ParseError, UsageError
from kpirules.model import RuleSet
from kpirules.nodes import RuleFile

__all__ = ["load", "parse"]


def parse(text: str, source: str = "<string>", language: str | None = None) -> RuleSet:
    """Read rule text into a :class:`RuleSet`.

    ``source`` names the text in error messages. Raises :class:`~kpirules.ParseError` (with
    ``source``, ``line`` and ``column``) for anything that is not a valid rule file. Messages are
    in Thai for a file written with Thai keywords, in English otherwise; ``language="th"`` or
    ``"en"`` chooses.

    >>> import kpirules
    >>> rules = kpirules.parse('indicator 6 "Online sales"\\n  level 1 if growth >= 11\\n')
    >>> rules["6"].evaluate({"growth": "11.0"}).level
    1
    """
    if not isinstance(text, str):
        raise UsageError(f"parse needs the rule text as str, not {type(text).__name__}")
    if language not in (None, "en", "th"):
        raise UsageError(f'language must be "en" or "th", not {language!r}')
    if text.startswith("\ufeff"):
        text = text[1:]
    chosen = language or keyword_language(text)
    return RuleSet(checked_tree(text, source, chosen), chosen)


def checked_tree(text: str, source: str, language: str | None = None) -> RuleFile:
    """``text`` parsed and checked; a ParseError speaks Thai for a Thai-keyword file."""
    try:
        return analyse(parse_tree(text, source), text)
    except ParseError as error:
        if (language or keyword_language(text)) != "th":
            raise
        from kpirules._messages_th import in_thai

        raise ParseError(in_thai(error.message), error.source, error.line, error.column,
                         error.text) from None


def load(path: str | os.PathLike[str], language: str | None = None) -> RuleSet:
    """Read a UTF-8 ``.kpi`` file into a :class:`RuleSet` (errors name the file; ``language`` as
    for :func:`parse`)."""
    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as handle:
            text = handle.read()
    except UnicodeDecodeError as error:
        message = f"the file is not UTF-8 text (byte {error.start}); save it as UTF-8"
        if language == "th":
            from kpirules._messages_th import in_thai

            message = in_thai(message)
        raise ParseError(message, name, 1, 1) from None
    except OSError as error:
        raise KpiRulesError(f"cannot read {name}: {error.strerror or error}") from None
    return parse(text, source=name, language=language)
