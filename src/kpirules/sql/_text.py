"""SQL text: quoted names and strings, the wide form's column names, and the constants records
are read with (flag words, white space, digits), shared by every dialect."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from kpirules import _scoring
from kpirules._messages import message
from kpirules._numbers import plain

LONG_COLUMNS = _scoring.LONG_COLUMNS
"""The columns of the long form, as in the command line's records files."""

DEFAULT_SCALE = 4
"""Decimal places a ``number`` measure may have in SQL (a count has none)."""

_POINT_PLACES = 10
"""Points and totals are rounded half up to this many places in SQL (Python keeps 28 digits)."""

_SPACES = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
"""What Python's ``str.strip()`` removes (tabs, no-break and ideographic spaces too)."""

_SPACE_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in _SPACES) + "]"
_EDGE_SPACE = f"^{_SPACE_CLASS}|{_SPACE_CLASS}$"
"""White space at either end of a text, as a regular expression (RE2's ``\\s`` is ASCII only)."""

def _without_zeros(text: str) -> str:
    """A number's text without the zeros that end its fraction (``12.50`` → ``12.5``, ``1.0``
    → ``1``), by regular expressions (DuckDB, PostgreSQL)."""
    return (f"regexp_replace(regexp_replace({text}, '(\\.[0-9]*?)0+$', '\\1'), "
            "'\\.$', '')")


_WHOLE_NUMBER = r"\+?0*[0-9]{1,9}(\.0+)?"
"""A milestone row's level: the plain forms of a whole number (no grouping or exponent)."""

def said(code: str, /, sql: Mapping[str, str] | None = None, *, language: str = "en",
         **parts: Any) -> str:
    """The catalogue's message ``code`` in ``language`` (as the Python engine raises it) as an
    SQL text expression; ``sql`` gives parts that are SQL text expressions (a value read from
    the table), ``parts`` the others.

    >>> said("division-by-zero", indicator="1", expression="a / b", divisor="b")
    "'indicator 1: division by zero in `a / b`: `b` is 0'"
    >>> said("unknown-indicator", {"indicator": "_k"}, hint="")
    "'unknown indicator `' || _k || '`'"
    """
    sql = sql or {}
    # Each SQL part is rendered as a mark that no message holds, then put between the texts.
    marks = {f"\x00{number}\x00": expression for number, expression in enumerate(sql.values())}
    filled = dict(zip(sql, marks))
    rendered = message(code, **parts, **filled).render(language)
    pieces: list[str] = []
    for piece in re.split("(\x00[0-9]+\x00)", rendered):
        if piece in marks:
            pieces.append(marks[piece])
        elif piece:
            pieces.append(string(piece))
    return " || ".join(pieces) or "''"


def column_name(indicator_id: str, measure: str) -> str:
    """The wide-form column of a measure: ``"INDICATOR_ID.MEASURE"``.

    >>> column_name("1", "target_households")
    '1.target_households'
    """
    return f"{indicator_id}.{measure}"


def milestone_column(indicator_id: str, level: int) -> str:
    """The wide-form column that is true when milestone ``level`` is done.

    >>> milestone_column("4", 2)
    '4.milestones.2'
    """
    return f"{indicator_id}.milestones.{level}"


def quote(name: str) -> str:
    """``name`` as a quoted SQL identifier.

    >>> quote('1.level')
    '"1.level"'
    """
    return '"' + name.replace('"', '""') + '"'


def string(text: str) -> str:
    """``text`` as an SQL string literal.

    >>> string("it's")
    "'it''s'"
    """
    return "'" + text.replace("'", "''") + "'"



def _decimal_literal(value: Decimal) -> str:
    text = _show(value)
    return f"({text})" if text.startswith("-") else text


_show = plain



def _number_pattern(scale: int) -> str:
    places = r"\.0+" if scale == 0 else rf"\.\d{{1,{scale}}}0*"
    return rf"[+-]?(\d+({places})?|{places})"
