"""Positions between kpirules and an editor: the one place where columns change units.

kpirules counts lines and columns from 1, in characters (code points): that is what
:class:`~kpirules.ParseError`, :class:`~kpirules.Diagnostic` and the syntax tree's spans say. The
Language Server Protocol counts lines and columns from 0, and columns in code units of the
encoding agreed at start-up: UTF-16 by default (a Thai letter, vowel or tone mark is one unit, an
emoji outside the Basic Multilingual Plane is two), UTF-8 (a Thai character is three bytes) or
UTF-32 (one unit per character, like kpirules). See the editors page of the documentation.

>>> line = "ระดับ 1 ถ้า 😀 >= 5"
>>> to_units(line, 13, "utf-16")  # the emoji is character 13 and starts at unit 12
12
>>> to_units(line, 14, "utf-16")  # the space after it: 14 characters in, 14 units (not 13)
14
>>> to_column(line, 14, "utf-16")
14
"""

from __future__ import annotations

__all__ = ["ENCODINGS", "to_column", "to_units"]

ENCODINGS = ("utf-16", "utf-8", "utf-32")


def _width(char: str, encoding: str) -> int:
    """How many code units ``char`` takes in ``encoding``."""
    code = ord(char)
    if encoding == "utf-16":
        return 2 if code > 0xFFFF else 1
    if encoding == "utf-8":
        return 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
    if encoding == "utf-32":
        return 1
    raise ValueError(f"unknown position encoding {encoding!r}; expected one of {ENCODINGS}")


def to_units(line: str, column: int, encoding: str = "utf-16") -> int:
    """The 0-based LSP character offset of kpirules' 1-based ``column`` on ``line``.

    A column past the end of the line (an error at the end of the file) is the end of the line,
    where the protocol would put it anyway.
    """
    return sum(_width(char, encoding) for char in line[: max(column - 1, 0)])


def to_column(line: str, units: int, encoding: str = "utf-16") -> int:
    """kpirules' 1-based column for the 0-based LSP offset ``units`` on ``line``.

    An offset that falls inside a character (the second half of a UTF-16 surrogate pair, the
    middle of a UTF-8 sequence) is taken as that character, as the protocol asks; an offset past
    the end of the line is the column just after its last character.
    """
    count = 0
    for index, char in enumerate(line):
        count += _width(char, encoding)
        if count > units:
            return index + 1
    return len(line) + 1
