"""Columns between kpirules (1-based characters) and the Language Server Protocol (0-based code
units of UTF-16, UTF-8 or UTF-32): :mod:`kpirules._positions`."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpirules._positions import ENCODINGS, to_column, to_units

# Thai letters with their vowels and tone marks, an emoji outside the Basic Multilingual Plane,
# ASCII and the odd character: every width each encoding has.
LINES = st.text(alphabet=st.sampled_from("ab _=\"#ก่้๊๋ัิีึืุูำเแไโใ๐๙😀𝑥é中"), max_size=30)
CODEC = {"utf-16": ("utf-16-le", 2), "utf-8": ("utf-8", 1), "utf-32": ("utf-32-le", 4)}


@given(LINES, st.data(), st.sampled_from(ENCODINGS))
def test_a_column_goes_there_and_back(line: str, data: st.DataObject, encoding: str) -> None:
    column = data.draw(st.integers(1, len(line) + 1))
    assert to_column(line, to_units(line, column, encoding), encoding) == column


@given(LINES, st.data(), st.sampled_from(ENCODINGS))
def test_units_are_what_the_codec_writes_before_the_column(line: str, data: st.DataObject,
                                                           encoding: str) -> None:
    column = data.draw(st.integers(1, len(line) + 1))
    codec, unit = CODEC[encoding]
    assert to_units(line, column, encoding) == len(line[: column - 1].encode(codec)) // unit


@given(LINES, st.sampled_from(ENCODINGS), st.integers(0, 200))
def test_any_offset_lands_on_a_character_or_the_end(line: str, encoding: str, units: int) -> None:
    column = to_column(line, units, encoding)
    assert 1 <= column <= len(line) + 1
    # The character found starts at or before the offset, and the next one after it.
    assert to_units(line, column, encoding) <= units or column == len(line) + 1
    if column <= len(line):
        assert to_units(line, column + 1, encoding) > units


def test_thai_marks_are_one_unit_each_and_an_emoji_two() -> None:
    line = "  ระดับ 1 ถ้า 😀 ร้อยละ"
    # Before ร้อยละ (column 17): "  " (2), ระดับ (5), " 1 " (3), ถ้า (3), " " (1), 😀 (1), " " (1):
    # 16 characters, 17 UTF-16 units since the emoji takes two.
    assert to_units(line, 17, "utf-16") == 17
    assert to_units(line, 17, "utf-32") == 16
    # In UTF-8 a Thai character is 3 bytes and the emoji 4: 2 + 15 + 3 + 9 + 1 + 4 + 1 = 35.
    assert to_units(line, 17, "utf-8") == 35
    assert to_column(line, 17, "utf-16") == 17


def test_an_offset_inside_a_surrogate_pair_is_that_character() -> None:
    assert to_column("a😀b", 2, "utf-16") == 2  # units 1-2 are the emoji
    assert to_column("a😀b", 3, "utf-16") == 3


def test_past_the_end_is_the_end() -> None:
    assert to_units("ก่", 9, "utf-16") == 2
    assert to_column("ก่", 9, "utf-16") == 3


def test_an_unknown_encoding_is_refused() -> None:
    with pytest.raises(ValueError, match="utf-7"):
        to_units("ก", 2, "utf-7")
