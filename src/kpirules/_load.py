"""``parse`` and ``load``: text or a file → a checked :class:`RuleSet`."""

from __future__ import annotations

import os

from kpirules._messages import message
from kpirules._parser import keyword_language, one_reading, parse_tree
from kpirules._semantics import analyse
from kpirules.errors import ParseError, UsageError
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
        raise UsageError(message("text-not-str", type=type(text).__name__))
    if language not in (None, "en", "th"):
        raise UsageError(message("bad-language", what="language", value=repr(language)))
    if text.startswith("\ufeff"):
        text = text[1:]
    text = one_reading(text)
    chosen = language or keyword_language(text)
    return RuleSet(checked_tree(text, source, chosen), chosen)


def checked_tree(text: str, source: str, language: str | None = None) -> RuleFile:
    """``text`` parsed and checked; a ParseError speaks ``language`` (by default Thai for a file
    written with Thai keywords, English otherwise)."""
    try:
        return analyse(parse_tree(text, source), text)
    except ParseError as error:
        raise error.in_language(language or keyword_language(text)) from None


def load(path: str | os.PathLike[str], language: str | None = None) -> RuleSet:
    """Read a UTF-8 ``.kpi`` file into a :class:`RuleSet` (errors name the file; ``language`` as
    for :func:`parse`)."""
    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as handle:
            text = handle.read()
    except UnicodeDecodeError as error:
        raise ParseError(message("not-utf8", byte=error.start), name, 1, 1, None,
                         language or "en") from None
    except OSError as error:
        raise UsageError(message("cannot-read", path=name, reason=error.strerror or str(error)),
                         language or "en") from None
    return parse(text, source=name, language=language)
