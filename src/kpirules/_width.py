"""How many terminal columns text takes: Thai vowels above and below and tone marks take none."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

__all__ = ["display_width", "pad"]


@lru_cache(maxsize=4096)
def _char_width(char: str) -> int:
    if unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 2
    return 1


def display_width(text: str) -> int:
    """The number of columns ``text`` takes in a terminal.

    >>> display_width("ตัวชี้วัด"), len("ตัวชี้วัด")
    (5, 9)
    """
    if text.isascii():
        return len(text)
    return sum(_char_width(char) for char in text)


def pad(text: str, width: int, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` columns (on the left when ``right``)."""
    fill = " " * max(0, width - display_width(text))
    return fill + text if right else text + fill
