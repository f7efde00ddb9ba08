"""The canonical layout, on examples a reader can check (the laws are in test_properties.py)."""

from __future__ import annotations

import pytest

import kpirules


def test_canonical_layout() -> None:
    messy = (
        '# รอบ 1\ncatalogue   "c"\n\nindicator 1 "t"  weight 20\n'
        "measure a count in 0..100 # จำนวน\n"
        "level 1 if (a>=25)and a<=(100) \"ระดับ 1\"\n\n\n"
        'level 2 if a >= 40\n        "on its own line"\n'
        'indicator 2 "u" level 1 milestone "plan"'
    )
    assert kpirules.format(messy) == (
        "# รอบ 1\n"
        'catalogue "c"\n'
        "\n"
        'indicator 1 "t"\n'
        "  weight 20\n"
        "  measure a count in 0..100  # จำนวน\n"
        '  level 1 if a >= 25 and a <= 100 "ระดับ 1"\n'
        "\n"
        "  level 2 if a >= 40\n"
        '    "on its own line"\n'
        "\n"
        'indicator 2 "u"\n'
        '  level 1 milestone "plan"\n'
    )


@pytest.mark.parametrize(
    ("condition", "canonical"),
    [
        ("(a - b) - c >= 1", "a - b - c >= 1"),
        ("a - (b - c) >= 1", "a - (b - c) >= 1"),
        ("a / (b * c) >= 1", "a / (b * c) >= 1"),
        ("-(a + b) >= 1", "-(a + b) >= 1"),
        ("not (a >= 1 and b >= 1)", "not (a >= 1 and b >= 1)"),
        ("(a >= 1 or b >= 1) and c >= 1", "(a >= 1 or b >= 1) and c >= 1"),
        ("a>=1_000", "a >= 1_000"),
        ("a >= 55.50", "a >= 55.50"),
    ],
)
def test_expressions_keep_needed_parentheses_only(condition: str, canonical: str) -> None:
    text = f'indicator 1 "t"\n  level 1 if {condition}\n'
    assert kpirules.format(text) == f'indicator 1 "t"\n  level 1 if {canonical}\n'


def test_strings_are_requoted_canonically() -> None:
    text = 'indicator 1 "a \\"b\\" \\\\ c"\n  level 1 if x >= 1\n'
    assert kpirules.format(text) == text


def test_format_refuses_a_broken_file() -> None:
    with pytest.raises(kpirules.ParseError):
        kpirules.format('indicator 1 "t"\n  level 1 if x =>\n')


def test_keyword_language_is_kept_and_converted() -> None:
    english = 'indicator 1 "t"\n  measure done flag\n  level 1 if done\n'
    thai = kpirules.format(english, keywords="th")
    assert thai == 'ตัวชี้วัด 1 "t"\n  ตัววัด done จริงเท็จ\n  ระดับ 1 ถ้า done\n'
    assert kpirules.format(thai) == thai
    assert kpirules.format(thai, keywords="en") == english


def test_unknown_keyword_language() -> None:
    with pytest.raises(kpirules.KpiRulesError):
        kpirules.format('indicator 1 "t"\n level 1 if x >= 1\n', keywords="fr")  # type: ignore[arg-type]
