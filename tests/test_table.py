"""`kpirules.table`: the catalogue as the source page shows it, as markdown, html and csv."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

import pytest

import kpirules
from kpirules import catalogue

HEADERS = ["#", "ยุทธศาสตร์", "ตัวชี้วัดการปฏิบัติงาน(KPI)", "ทีม", "เกณฑ์การวัด (1-5 คะแนน)",
           "น้ำหนัก", "ปี", "รอบ"]
WEIGHTS = ["20", "20", "15", "15", "10", "10", "10"]


@pytest.fixture(scope="module")
def rules() -> kpirules.RuleSet:
    return catalogue.load("cdd-2565-r1")


ODD = kpirules.parse('''
title "ชื่อ <ทดสอบ> & | ท่อ"
year 2565
round 1
indicator a "x < y & z | w"
  strategy "<script>alert(1)</script>"
  team "ทีม ก"
  weight 12.5
  year 2566
  round 2
  measure x
  level 1 if x < 40 "น้อยกว่า 40 | และ <b>"
  level 2 if x < 20
indicator b "สอง"
  weight 87.5
  level 1 milestone "บรรทัดแรก\\nบรรทัดที่สอง"
''')


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


# --------------------------------------------------------------------------- markdown


def test_markdown_has_every_title_and_the_total(rules: kpirules.RuleSet) -> None:
    text = kpirules.table(rules)
    assert kpirules.table(rules, "markdown") == text
    lines = text.splitlines()
    assert lines[0] == "| " + " | ".join(HEADERS) + " |"
    assert lines[1] == "| --- | --- | --- | --- | --- | --- | --- | --- |"
    assert len(lines) == 2 + 7 + 1
    for indicator, line in zip(rules, lines[2:9], strict=True):
        assert indicator.title in line
        assert line.startswith(f"| {indicator.id} | {indicator.strategy} | {indicator.title} |")
    assert lines[-1] == "| รวม |  |  |  |  | 100 |  |  |"


def test_markdown_criteria_are_one_line_per_level(rules: kpirules.RuleSet) -> None:
    row = kpirules.table(rules).splitlines()[2 + 5]   # indicator 6
    assert ("| ระดับ 1 ไม่น้อยกว่าร้อยละ 11<br>ระดับ 2 ไม่น้อยกว่าร้อยละ 12<br>"
            "ระดับ 3 ไม่น้อยกว่าร้อยละ 13<br>ระดับ 4 ไม่น้อยกว่าร้อยละ 14<br>"
            "ระดับ 5 ไม่น้อยกว่าร้อยละ 15 | 10 | 2565 | 1 |") in row


def test_markdown_escapes_pipes_and_breaks_lines() -> None:
    lines = kpirules.table(ODD).splitlines()
    first, second = lines[2], lines[3]
    assert first.count(" | ") == 7     # the escaped pipes do not split cells
    # HTML in a title or a description is shown, not rendered (see the page "Limits").
    assert "x &lt; y &amp; z \\| w" in first
    assert "ระดับ 1 น้อยกว่า 40 \\| และ &lt;b><br>ระดับ 2 x &lt; 20" in first
    assert "| ทีม ก |" in first
    assert "| 12.5 | 2566 | 2 |" in first    # the indicator's own year and round
    assert "| 87.5 | 2565 | 1 |" in second   # the rule set's
    assert "บรรทัดแรก<br>บรรทัดที่สอง" in second
    assert lines[-1] == "| รวม |  |  |  |  | 100 |  |  |"
    assert "เกณฑ์การวัด (1-2 คะแนน)" in lines[0]


# --------------------------------------------------------------------------- html


class _Page(HTMLParser):
    """Collects the tags of a page and checks that every element is closed in order."""

    VOID = frozenset({"meta", "br", "link", "col"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, (tag, self.open)
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def read_page(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    assert page.open == []
    return page


def test_html_is_a_complete_page(rules: kpirules.RuleSet) -> None:
    text = kpirules.table(rules, "html")
    assert text.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in text
    assert '<html lang="th">' in text
    assert "@media print" in text
    page = read_page(text)
    names = [tag for tag, _ in page.tags]
    assert names[:2] == ["html", "head"]
    assert {"title", "style", "body", "table", "caption", "thead", "tbody", "tfoot"} <= set(names)
    caption = "ตัวชี้วัดบุคคล (สำหรับตำแหน่งพัฒนาการจังหวัด) รอบ 1 ปี 2565"
    assert f"<title>{caption}</title>" in text
    assert f"<caption>{caption}</caption>" in text
    assert names.count("tr") == 1 + 7 + 1
    assert names.count("th") >= len(HEADERS)
    for indicator in rules:
        assert indicator.title in text
        for level in indicator.levels:
            assert f"<div>ระดับ {level.number} {level.description}</div>" in text
    assert "รวม" in page.text and "100" in page.text


def test_html_escapes_everything() -> None:
    text = kpirules.table(ODD, "html")
    read_page(text)
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "x &lt; y &amp; z | w" in text
    assert "<title>ชื่อ &lt;ทดสอบ&gt; &amp; | ท่อ รอบ 1 ปี 2565</title>" in text
    assert "<div>ระดับ 1 น้อยกว่า 40 | และ &lt;b&gt;</div><div>ระดับ 2 x &lt; 20</div>" in text
    assert "<div>ระดับ 1 บรรทัดแรก<br>บรรทัดที่สอง</div>" in text


# --------------------------------------------------------------------------- csv


def test_csv_round_trips(rules: kpirules.RuleSet) -> None:
    rows = csv_rows(kpirules.table(rules, "csv"))
    assert rows[0] == HEADERS
    assert len(rows) == 1 + 7 + 1
    body = rows[1:-1]
    assert [row[0] for row in body] == ["1", "2", "3", "4", "5", "6", "7"]
    assert [row[5] for row in body] == WEIGHTS
    assert {(row[6], row[7]) for row in body} == {("2565", "1")}
    assert {row[3] for row in body} == {""}
    for indicator, row in zip(rules, body, strict=True):
        assert row[1:3] == [indicator.strategy, indicator.title]
        assert row[4].split("\n") == [
            f"ระดับ {level.number} {level.description}" for level in indicator.levels]
    assert rows[-1] == ["รวม", "", "", "", "", "100", "", ""]


def test_csv_keeps_odd_text() -> None:
    rows = csv_rows(kpirules.table(ODD, "csv"))
    assert rows[1] == ["a", "<script>alert(1)</script>", "x < y & z | w", "ทีม ก",
                       "ระดับ 1 น้อยกว่า 40 | และ <b>\nระดับ 2 x < 20", "12.5", "2566", "2"]
    assert rows[2][4] == "ระดับ 1 บรรทัดแรก\nบรรทัดที่สอง"
    assert rows[-1][5] == "100"


# --------------------------------------------------------------------------- formats


def test_the_total_is_printed_plainly() -> None:
    rules = kpirules.parse('indicator 1 "a"\n  weight 33.30\n  level 1 milestone "m"\n'
                           'indicator 2 "b"\n  weight 66.6\n  level 1 milestone "m"\n')
    assert csv_rows(kpirules.table(rules, "csv"))[-1][5] == "99.9"
    assert [row[5] for row in csv_rows(kpirules.table(rules, "csv"))[1:3]] == ["33.3", "66.6"]


def test_a_rule_set_without_weights_or_header() -> None:
    rules = kpirules.parse('indicator 1 "a"\n  level 1 milestone "m"\n')
    rows = csv_rows(kpirules.table(rules, "csv"))
    assert rows[1] == ["1", "", "a", "", "ระดับ 1 m", "", "", ""]
    assert rows[-1] == ["รวม", "", "", "", "", "", "", ""]
    read_page(kpirules.table(rules, "html"))


@pytest.mark.parametrize("name", ["pdf", "", "xlsx"])
def test_an_unknown_format_lists_the_formats(rules: kpirules.RuleSet, name: str) -> None:
    with pytest.raises(kpirules.KpiRulesError) as caught:
        kpirules.table(rules, name)
    assert all(known in str(caught.value) for known in ("markdown", "html", "csv"))
