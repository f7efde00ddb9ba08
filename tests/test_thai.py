"""Thai-first authoring: Thai keywords and digits give the same tree as the English form."""

from __future__ import annotations

from pathlib import Path

import pytest

import kpirules
from kpirules import catalogue
from kpirules._keywords import BY_SPELLING, THAI

THAI_CATALOGUE = Path(__file__).parent / "data" / "cdd-2565-r1.th.kpi"


def test_thai_catalogue_gives_the_same_tree_as_the_english_one() -> None:
    thai = THAI_CATALOGUE.read_text(encoding="utf-8")
    assert "\nตัวชี้วัด 1 " in thai and "ระดับ 3 ถ้า" in thai and "\n  level " not in thai
    assert kpirules.parse(thai).node == catalogue.load("cdd-2565-r1").node


def test_thai_catalogue_scores_like_the_english_one() -> None:
    thai = kpirules.parse(THAI_CATALOGUE.read_text(encoding="utf-8"))
    record = {"target_households": 400, "developed_households": 220}
    assert thai["1"].evaluate(record).level == 3  # 55 % exactly


def test_every_keyword_has_one_thai_spelling_and_they_differ() -> None:
    assert len(set(THAI.values())) == len(THAI)
    assert all(BY_SPELLING[th] == en for en, th in THAI.items())


def test_thai_keywords_and_digits_in_one_file() -> None:
    text = """
ชุดตัวชี้วัด "ทดลอง"
ปี ๒๕๖๕
รอบ ๑
ตัวชี้วัด ๑ "ร้อยละของครัวเรือน"
  น้ำหนัก ๑๐๐
  ตัววัด เป้าหมาย "ครัวเรือนเป้าหมาย" จำนวนนับ
  ตัววัด ผ่าน จำนวนนับ ช่วง ๐..
  ให้ ร้อยละ = ผ่าน / เป้าหมาย * ๑๐๐
  ระดับ ๑ ถ้า ร้อยละ >= ๒๕ "ไม่น้อยกว่าร้อยละ ๒๕"
  ระดับ ๒ ถ้า ร้อยละ >= ๔๐ และ ไม่ ร้อยละ > ๑๐๐
  ระดับ ๓ ขั้นสำเร็จ "มีแผน"
"""
    rules = kpirules.parse(text)
    assert (rules.id, rules.year, rules.round) == ("ทดลอง", 2565, 1)
    indicator = rules["1"]
    assert indicator.weight == 100
    assert indicator.evaluate({"เป้าหมาย": 400, "ผ่าน": 160, "milestones": [3]}).level == 3
    assert indicator.evaluate({"เป้าหมาย": 400, "ผ่าน": 159}).level == 1


def test_mixed_files() -> None:
    english_keywords_thai_names = 'indicator 1 "t"\n  measure ร้อยละ\n  level 1 if ร้อยละ >= 5\n'
    thai_keywords_english_names = 'ตัวชี้วัด 1 "t"\n  ตัววัด rate\n  ระดับ 1 ถ้า rate >= 5\n'
    half_and_half = 'indicator 1 "t"\n  ตัววัด rate\n  level 1 ถ้า rate >= 5 and rate < 9\n'
    for text in (english_keywords_thai_names, thai_keywords_english_names, half_and_half):
        assert next(iter(kpirules.parse(text))).evaluate({next(iter(
            kpirules.parse(text)["1"].measures)).name: 5}).level == 1


@pytest.mark.parametrize(
    ("text", "language"),
    [('indicator 1 "t"\n level 1 if x >= 1\n', "en"),
     ('# หมายเหตุ\nตัวชี้วัด 1 "t"\n ระดับ 1 ถ้า x >= 1\n', "th")],
)
def test_format_keeps_the_files_own_keywords(text: str, language: str) -> None:
    formatted = kpirules.format(text)
    assert ("ระดับ" in formatted) == (language == "th")


def test_a_thai_keyword_run_into_a_name_is_explained() -> None:
    with pytest.raises(kpirules.ParseError) as caught:
        kpirules.parse('ตัวชี้วัด 1 "t"\n  ระดับ 1 ถ้าร้อยละ >= 5\n', language="en")
    assert "write a space after a keyword" in caught.value.message
    assert (caught.value.line, caught.value.column) == (2, 11)
