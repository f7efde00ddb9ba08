"""The Pygments lexer: token types for English and Thai lines, and the shipped catalogue lexes clean."""

from __future__ import annotations

import pytest
from pygments.lexers import get_lexer_by_name
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Token,
    Whitespace,
)

from kpirules import catalogue
from kpirules._keywords import THAI
from kpirules.pygments_lexer import KpiLexer


def tokens(text: str) -> list[tuple[object, str]]:
    """The tokens of ``text`` without the white space between them."""
    return [(kind, value) for kind, value in KpiLexer().get_tokens(text) if kind not in Whitespace]


def test_an_english_level_line() -> None:
    assert tokens('level 3 if developed_percent >= 55 "ไม่น้อยกว่าร้อยละ 55" # as on the page') == [
        (Keyword, "level"),
        (Number, "3"),
        (Keyword, "if"),
        (Name, "developed_percent"),
        (Operator, ">="),
        (Number, "55"),
        (String.Double, '"'),
        (String.Double, "ไม่น้อยกว่าร้อยละ 55"),
        (String.Double, '"'),
        (Comment.Single, "# as on the page"),
    ]


def test_a_thai_level_line_keeps_names_with_tone_marks_whole() -> None:
    assert tokens("ระดับ 3 ถ้า ร้อยละ >= ๕๕ และ ไม่ (ร้อยละ < 1_000.5)") == [
        (Keyword, "ระดับ"),
        (Number, "3"),
        (Keyword, "ถ้า"),
        (Name, "ร้อยละ"),
        (Operator, ">="),
        (Number, "๕๕"),
        (Operator.Word, "และ"),
        (Operator.Word, "ไม่"),
        (Punctuation, "("),
        (Name, "ร้อยละ"),
        (Operator, "<"),
        (Number, "1_000.5"),
        (Punctuation, ")"),
    ]


def test_declarations_kinds_ranges_and_escapes() -> None:
    assert tokens('measure gvh "say \\"100\\"" number in 0..100 unit "%"\nlet p = gvh / 2') == [
        (Keyword.Declaration, "measure"),
        (Name.Variable, "gvh"),
        (String.Double, '"'),
        (String.Double, "say "),
        (String.Escape, '\\"'),
        (String.Double, "100"),
        (String.Escape, '\\"'),
        (String.Double, '"'),
        (Keyword.Type, "number"),
        (Keyword, "in"),
        (Number, "0"),
        (Operator, ".."),
        (Number, "100"),
        (Keyword, "unit"),
        (String.Double, '"'),
        (String.Double, "%"),
        (String.Double, '"'),
        (Keyword.Declaration, "let"),
        (Name.Variable, "p"),
        (Operator, "="),
        (Name, "gvh"),
        (Operator, "/"),
        (Number, "2"),
    ]


@pytest.mark.parametrize("english", sorted(THAI))
def test_every_keyword_in_both_languages(english: str) -> None:
    for spelling in (english, THAI[english]):
        [(kind, text)] = tokens(spelling)
        assert text == spelling
        assert kind in Keyword or kind in Operator.Word


def test_a_keyword_is_only_a_keyword_where_a_name_could_not_go_on() -> None:
    assert tokens("integer ระดับ3 levels ถ้าร้อยละ") == [
        (Name, "integer"), (Name, "ระดับ3"), (Name, "levels"), (Name, "ถ้าร้อยละ"),
    ]


def test_an_unterminated_string_is_an_error() -> None:
    assert (Error, "\n") in list(KpiLexer().get_tokens('title "no end\nyear 2565\n'))


def test_the_shipped_catalogue_has_no_error_tokens() -> None:
    text = catalogue.text("cdd-2565-r1")
    found = list(KpiLexer().get_tokens(text))
    assert [value for kind, value in found if kind in Error] == []
    assert "".join(value for _, value in found) == text
    names = {value for kind, value in found if kind in Name}
    assert {"developed_percent", "overdue_reduction_percent"} <= names
    assert not any(kind is Token.Text for kind, _ in found)


def test_name_aliases_and_files() -> None:
    assert KpiLexer.name == "kpi"
    assert KpiLexer.aliases == ["kpi", "kpirules"]
    assert KpiLexer.filenames == ["*.kpi"]


def test_pygments_finds_it_by_name_once_installed() -> None:
    # The entry point comes with `pip install`: the test environment always has it.
    assert isinstance(get_lexer_by_name("kpirules"), KpiLexer)
