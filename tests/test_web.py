"""The web face (`kpirules serve`) through Starlette's test client: every URL, and the safety rules
(path traversal, same-origin writes, size limits, no stack trace, autoescaping, trusted hosts).

Expected values are worked out by hand:
- the catalogue's weights 20, 20, 15, 15, 10, 10, 10 total 100; its level texts are the source
  page's own lines (tests/data/seed), compared line by line;
- examples/records.csv scores as examples/README.md's table says: เชียงใหม่ 100 … พิษณุโลก 16;
- tests/data/cli/rules.kpi with records A (57.5 % -> 3; milestones 1, 2, trained 90 -> 3; online,
  growth 12.5 -> 2) totals 45*3/5 + 35 + 20 = 82, as worked out in tests/test_cli.py.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
import shutil
import socket
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason='the web face needs pip install -e ".[dev]"')

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

import kpirules
from kpirules import catalogue, cli
from kpirules._messages import text
from kpirules.web import _charts, create_app, is_loopback
from kpirules.web._highlight import highlight
from kpirules.web._run import safe_name
from kpirules.web._shelf import Shelf
from kpirules.web._strings import STRINGS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CLI_DATA = ROOT / "tests" / "data" / "cli"
SEED = ROOT / "tests" / "data" / "seed" / "000_82d5909d5636f598.txt"
BASE = "http://127.0.0.1:8000"
ORIGIN = {"Origin": BASE}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copy(CLI_DATA / "rules.kpi", tmp_path / "rules.kpi")
    return tmp_path


@pytest.fixture
def client(folder: Path) -> Iterator[TestClient]:
    with TestClient(create_app(folder), base_url=BASE, raise_server_exceptions=False) as test:
        yield test


class _Tables(HTMLParser):
    """Every table of a page as rows of cell texts (a cell's <div>s joined by newlines)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "div" and self.cell:
            self.cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.tables[-1][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def tables(page: str) -> list[list[list[str]]]:
    parser = _Tables()
    parser.feed(page)
    return parser.tables


def cli_output(*args: str, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    cli.main(list(args))
    return capsys.readouterr().out


# -- the catalogue pages ------------------------------------------------------------------------


def test_the_front_page_lists_the_shipped_catalogues_and_the_folders_files(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert 'href="/catalogues/cdd-2565-r1"' in page.text
    assert 'href="/catalogues/rules"' in page.text
    assert "ตัวชี้วัดบุคคล (สำหรับตำแหน่งพัฒนาการจังหวัด) รอบ 1 ปี 2565" in page.text
    assert '<html lang="th">' in page.text


def test_the_catalogue_page_is_the_source_pages_table(client: TestClient) -> None:
    page = client.get("/catalogues/cdd-2565-r1")
    assert page.status_code == 200
    [table] = tables(page.text)
    assert table[0] == ["#", "ยุทธศาสตร์", "ตัวชี้วัดการปฏิบัติงาน(KPI)", "ทีม", "เกณฑ์การวัด (1-5 คะแนน)",
                        "น้ำหนัก", "ปี", "รอบ"]
    body = table[1:-1]
    assert [row[0] for row in body] == ["1", "2", "3", "4", "5", "6", "7"]
    assert [row[5] for row in body] == ["20", "20", "15", "15", "10", "10", "10"]
    assert {row[6] for row in body} == {"2565"} and {row[7] for row in body} == {"1"}
    assert body[0][1] == "สร้างสรรค์ชุมชนให้พึ่งตนเองได้"
    assert body[5][2] == "ร้อยละที่เพิ่มขึ้นของรายได้จากการจำหน่ายผลิตภัณฑ์ชุมชน (OTOP) โดยผ่านช่องทางออนไลน์"
    assert table[-1][0] == "รวม" and table[-1][1] == "100"
    assert "ตัวชี้วัดบุคคล (สำหรับตำแหน่งพัฒนาการจังหวัด) รอบ 1 ปี 2565" in page.text


def test_every_level_line_of_the_source_page_is_on_the_catalogue_page(client: TestClient) -> None:
    [table] = tables(client.get("/catalogues/cdd-2565-r1").text)
    shown = {line.strip() for row in table[1:-1] for line in row[4].split("\n") if line.strip()}
    source = [match.group(0).strip() for line in SEED.read_text(encoding="utf-8").splitlines()
              if (match := re.search(r"ระดับ [1-5] .*", line))]
    assert len(source) == 35  # 7 indicators × 5 levels
    assert set(source) == shown


def test_the_catalogue_page_prints_on_a4_landscape_and_fits_a_phone(client: TestClient) -> None:
    page = client.get("/catalogues/cdd-2565-r1").text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    css = client.get("/static/style.css")
    assert css.status_code == 200
    assert "@page { size: A4 landscape;" in css.text
    assert "@media (max-width: 760px)" in css.text
    assert '"Noto Sans Thai"' in css.text and '"Sarabun"' in css.text and '"Tahoma"' in css.text


def test_a_file_of_the_folder_has_its_own_page(client: TestClient) -> None:
    [table] = tables(client.get("/catalogues/rules").text)
    assert [row[5] for row in table[1:-1]] == ["45", "35", "20"]
    assert table[-1][1] == "100"


def test_the_catalogue_downloads(client: TestClient) -> None:
    book = client.get("/catalogues/cdd-2565-r1/table.xlsx")
    assert book.status_code == 200
    assert "attachment" in book.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:3] == ["#", "ยุทธศาสตร์", "ตัวชี้วัดการปฏิบัติงาน(KPI)"]
    assert [row[5] for row in rows[1:-1]] == ["20", "20", "15", "15", "10", "10", "10"]
    assert rows[-1][0] == "รวม" and rows[-1][5] == "100"
    assert str(rows[1][4]).startswith("ระดับ 1 ไม่น้อยกว่าร้อยละ 25 ")
    assert sheet.page_setup.orientation == "landscape"

    table = client.get("/catalogues/cdd-2565-r1/table.csv")
    assert table.content.startswith("\ufeff#,ยุทธศาสตร์,".encode())
    assert table.content.decode("utf-8-sig").splitlines()[-1] == "รวม,,,,,100,,"

    rules = client.get("/catalogues/cdd-2565-r1/rules.kpi")
    assert rules.text == catalogue.text("cdd-2565-r1")


def test_the_records_template_names_every_measure_and_milestone(client: TestClient) -> None:
    book = client.get("/catalogues/cdd-2565-r1/template.xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(book.content)).worksheets[0].iter_rows(
        values_only=True))
    assert rows[0][:4] == ("subject", "indicator", "measure", "value")
    pairs = [(row[1], row[2], row[3]) for row in rows[1:]]
    assert ("1", "target_households", None) in pairs
    assert ("1", "developed_households", None) in pairs
    assert [p[2] for p in pairs if p[0] == "2"] == [1, 2, 3, 4, 5]
    assert [p[1] for p in pairs if p[0] == "4"] == ["baseline_overdue_debt", "overdue_debt",
                                                     "milestones", "milestones"]


# -- scoring -------------------------------------------------------------------------------------


def test_api_score_answers_the_command_lines_json(client: TestClient,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    records = EXAMPLES / "records.csv"
    answer = client.post("/api/score?rules=cdd-2565-r1",
                         files={"records": ("records.csv", records.read_bytes())})
    assert answer.status_code == 200
    expected = cli_output("eval", "cdd-2565-r1", str(records), "--format", "json", capsys=capsys)
    assert answer.text == expected
    totals = {name: card["total"] for name, card in
              json.loads(answer.text, parse_int=Decimal, parse_float=Decimal).items()}
    assert totals == {"เชียงใหม่": 100, "ขอนแก่น": 52, "สงขลา": 49, "นครราชสีมา": 46,
                      "อุบลราชธานี": 37, "พิษณุโลก": 16}


def test_api_score_reads_json_xlsx_and_windows_thai_csv(client: TestClient) -> None:
    expected = json.loads(client.post("/api/score?rules=cdd-2565-r1", files={
        "records": ("r.csv", (EXAMPLES / "records.csv").read_bytes())}).text)
    as_json = client.post("/api/score?rules=cdd-2565-r1", files={
        "records": ("r.json", (EXAMPLES / "records.json").read_bytes())})
    assert json.loads(as_json.text) == expected

    thai = (EXAMPLES / "records.csv").read_text(encoding="utf-8").encode("cp874")
    as_cp874 = client.post("/api/score?rules=cdd-2565-r1", files={"records": ("r.csv", thai)})
    assert json.loads(as_cp874.text) == expected

    book = openpyxl.Workbook()
    sheet = book.active
    for line in (EXAMPLES / "records.csv").read_text(encoding="utf-8").splitlines():
        sheet.append(line.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    as_xlsx = client.post("/api/score?rules=cdd-2565-r1",
                          files={"records": ("r.xlsx", buffer.getvalue())})
    assert json.loads(as_xlsx.text) == expected


def test_api_score_rejects_a_subject_and_scores_the_rest(client: TestClient, folder: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    records = (CLI_DATA / "records.csv").read_text(encoding="utf-8")
    broken = records.replace("A,1,developed,230", "A,1,developed,lots")
    assert broken != records
    answer = client.post("/api/score?rules=rules", files={"records": ("r.csv", broken.encode())})
    (folder / "broken.csv").write_text(broken, encoding="utf-8")
    assert answer.text == cli_output("eval", str(folder / "rules.kpi"), str(folder / "broken.csv"),
                                     "--format", "json", capsys=capsys)
    scored = json.loads(answer.text, parse_float=Decimal, parse_int=Decimal)
    assert "error" in scored["A"] and "lots" in scored["A"]["error"]
    assert scored["เชียงใหม่"]["total"] == 65


def test_api_score_refuses_what_it_cannot_use(client: TestClient) -> None:
    unknown = client.post("/api/score?rules=../rules", files={"records": ("r.csv", b"x")})
    assert unknown.status_code == 404 and "error" in unknown.json()
    missing = client.post("/api/score?rules=rules", files={"other": ("r.csv", b"x")})
    assert missing.status_code == 400
    excel97 = client.post("/api/score?rules=rules", files={"records": ("old.xls", b"x")})
    assert excel97.status_code == 400
    assert excel97.json()["error"].startswith("old.xls: records must be a .json, .csv, .xlsx")
    assert "kpirules-upload" not in excel97.text  # the temporary folder is not shown


def test_the_scoring_page_shows_charts_scorecards_and_rejected_rows(client: TestClient) -> None:
    records = (CLI_DATA / "records.csv").read_text(encoding="utf-8")
    broken = records.replace("A,1,developed,230", "A,1,developed,lots") + ",1,target,5\n"
    page = client.post("/score", data={"rules": "rules", "strict": "1"},
                       files={"records": ("mine.csv", broken.encode())})
    assert page.status_code == 200
    assert 'id="ranking-chart"' in page.text and 'id="levels-chart"' in page.text
    rejected = next(t for t in tables(page.text) if t[0] == ["แถว", "ผู้รับการประเมิน", "เหตุผล"])
    reasons = {row[1]: row[2] for row in rejected[1:]}
    assert "lots" in reasons["A"]
    assert reasons[""] == text("row-no-subject", "th")  # in the page's language
    # เชียงใหม่ is still scored: 85/100 -> 5 (45), no milestones -> 0, online and 10 -> 2 (20).
    scores = next(t for t in tables(page.text) if t[0][:2] == ["ผู้รับการประเมิน", "รวม"])
    assert ["เชียงใหม่", "65", "5", "0", "2"] in scores
    # เชียงใหม่'s scorecard: indicator 1 at level 5 of 5, 45 points; indicator 2 at 0 of 3.
    households = "ร้อยละของครัวเรือนยากจนเป้าหมายที่มีรายได้ต่ำกว่าเกณฑ์ จปฐ. ได้รับการพัฒนา"
    card = next(t for t in tables(page.text) if ["1", households, "5/5", "5", "45"] in t)
    assert ["2", "Training", "0/3", "0", "0"] in card
    # Each scorecard carries the library's own explanation, with what the next level needs.
    explained = kpirules.load(CLI_DATA / "rules.kpi")["2"].evaluate({"trained": 100}).explain("th")
    assert explained in html.unescape(page.text)

    token = re.search(r'href="/results/([\w-]+)/results.xlsx"', page.text)
    assert token is not None
    book = client.get(f"/results/{token.group(1)}/results.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).worksheets[0]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["เชียงใหม่"][1] == 65
    assert rows["A"][1] is None and "lots" in rows["A"][-1]
    assert sheet.cell(1, 3).value == "1 ระดับ"

    as_json = client.get(f"/results/{token.group(1)}/results.json")
    assert json.loads(as_json.text)["เชียงใหม่"]["total"] == 65
    as_csv = client.get(f"/results/{token.group(1)}/results.csv")
    assert as_csv.content.decode("utf-8-sig").splitlines()[0] == ",".join(cli.CsvWriter.HEADER)
    assert client.get("/results/nope/results.xlsx").status_code == 404


def test_the_scoring_page_says_what_is_wrong_with_a_file(client: TestClient) -> None:
    page = client.post("/score", data={"rules": "rules"},
                       files={"records": ("r.csv", b"name,score\nA,1\n")})
    assert page.status_code == 400
    assert "ใช้ไฟล์นี้ไม่ได้" in page.text
    # The reader's own message, in the page's language, naming the file as it was uploaded.
    assert "r.csv:1: หัวตารางไม่มีคอลัมน์ `subject`" in html.unescape(page.text)
    english = client.post("/score?lang=en", data={"rules": "rules"},
                          files={"records": ("r.csv", b"name,score\nA,1\n")})
    assert "r.csv:1: the header has no `subject`" in html.unescape(english.text)
    assert 'name="records"' in page.text  # the form is there to try again


def test_the_scoring_form_offers_every_catalogue(client: TestClient) -> None:
    page = client.get("/score?rules=cdd-2565-r1")
    assert '<option value="cdd-2565-r1" selected>' in page.text
    assert '<option value="rules">' in page.text
    accepted = re.search(r'accept="([^"]*)"', page.text)
    assert accepted is not None and {".json", ".csv", ".xlsx"} <= set(accepted.group(1).split(","))


# -- checking, formatting, highlighting -----------------------------------------------------------

FIELDS = {"severity", "code", "message", "indicator", "line", "column"}


def test_api_check_gives_a_parse_error_as_one_diagnostic(client: TestClient) -> None:
    answer = client.post("/api/check", content='indicator 1 "t"\n  level 1 if x => 5\n')
    assert answer.status_code == 200
    [item] = answer.json()
    assert set(item) == FIELDS
    # `  level 1 if x ` is 15 characters, so `=>` starts in column 16.
    assert (item["severity"], item["code"], item["line"], item["column"]) == (
        "error", "operator-ge-reversed", 2, 16)
    # A parse error whose code the library does not give more precisely is a syntax error.
    [unclosed] = client.post("/api/check", content='indicator 1 "t\n').json()
    assert unclosed["code"] not in ("", "error") and unclosed["line"] == 1


def test_api_check_speaks_thai_for_a_thai_file_and_when_asked(client: TestClient) -> None:
    thai = client.post("/api/check", content='ตัวชี้วัด 1 "t"\n  ระดับ 1 ถ้า x => 5\n'.encode())
    [item] = thai.json()
    assert item["line"] == 2 and "`=>`" in item["message"]
    assert re.search("[ก-๙]", item["message"])
    asked = client.post("/api/check?lang=th", content='indicator 1 "t"\n  level 1 if x => 5\n')
    assert re.search("[ก-๙]", asked.json()[0]["message"])


def test_api_check_gives_the_checkers_findings(client: TestClient) -> None:
    text = ('indicator 1 "a"\n  weight 60\n  measure growth\n  level 1 if growht >= 11\n'
            'indicator 2 "b"\n  weight 30\n  level 1 milestone "m"\n')
    found = client.post("/api/check", content=text).json()
    assert all(set(item) == FIELDS for item in found)
    assert [(d["line"], d["severity"], d["code"], d["indicator"]) for d in found] == [
        (2, "error", "weights-total", None), (3, "warning", "unused-measure", "1"),
        (4, "warning", "implicit-measure", "1")]
    clean = client.post("/api/check", content=catalogue.text("cdd-2565-r1").encode())
    assert clean.json() == []
    # ?lang=th: the same findings, worded in Thai.
    thai = client.post("/api/check?lang=th", content=text).json()
    assert [d["code"] for d in thai] == [d["code"] for d in found]
    assert all(re.search("[ก-๙]", d["message"]) for d in thai)


def test_api_check_refuses_text_that_is_not_utf8(client: TestClient) -> None:
    answer = client.post("/api/check", content="ตัวชี้วัด".encode("cp874"))
    assert answer.status_code == 400 and "UTF-8" in answer.json()["error"]


def test_api_format_formats_and_converts_keywords(client: TestClient) -> None:
    answer = client.post("/api/format", json={"text": 'indicator 1 "t" weight 20\nlevel 1 if (x>=25)',
                                              "keywords": "th"})
    assert answer.json() == {"text": 'ตัวชี้วัด 1 "t"\n  น้ำหนัก 20\n  ระดับ 1 ถ้า x >= 25\n'}
    broken = client.post("/api/format", json={"text": 'indicator 1 "t"\n  level 1 if x => 5',
                                              "keywords": None})
    assert broken.status_code == 422 and (broken.json()["line"], broken.json()["column"]) == (2, 16)


def test_api_highlight_marks_the_token_at_a_finding(client: TestClient) -> None:
    answer = client.post("/api/highlight", json={"text": "level 1 if x >= 5",
                                                 "marks": [[1, 12, "error"]]})
    assert '<span class="n mark-error">x</span>' in answer.json()["html"]


@settings(deadline=None)
@given(st.text(alphabet=st.sampled_from(list('ab ระดับ้ 1.5"#<>&\n\\=()ถ้าlevelif')), max_size=60),
       st.lists(st.tuples(st.integers(0, 5), st.integers(0, 30),
                          st.sampled_from(["error", "warning"])), max_size=3))
def test_highlighting_never_changes_the_text(text: str, marks: list[tuple[int, int, str]]) -> None:
    shown = str(highlight(text, marks))
    assert html.unescape(re.sub(r"<[^>]*>", "", shown)) == text


# -- the editor and saving -------------------------------------------------------------------------


def test_the_editor_opens_a_file_with_its_hash(client: TestClient, folder: Path) -> None:
    page = client.get("/edit/rules")
    data = (folder / "rules.kpi").read_bytes()
    assert f'data-hash="{hashlib.sha256(data).hexdigest()}"' in page.text
    assert 'value="rules"' in page.text
    assert "/static/editor.js" in page.text
    shipped = client.get("/edit/cdd-2565-r1")
    assert 'data-hash=""' in shipped.text and 'id="name" value=""' in shipped.text
    assert client.get("/edit").status_code == 200
    assert client.get("/static/editor.js").status_code == 200


def open_hash(folder: Path, name: str) -> str:
    return hashlib.sha256((folder / f"{name}.kpi").read_bytes()).hexdigest()


def test_saving_writes_the_file_and_answers_its_new_hash(client: TestClient, folder: Path) -> None:
    text = catalogue.text("cdd-2565-r1").replace("weight 20", "weight 25", 1)
    answer = client.post("/api/save", headers=ORIGIN,
                         json={"name": "rules", "text": text, "hash": open_hash(folder, "rules")})
    assert answer.status_code == 200, answer.text
    assert (folder / "rules.kpi").read_text(encoding="utf-8") == text
    assert answer.json()["hash"] == hashlib.sha256(text.encode()).hexdigest()
    assert sorted(p.name for p in folder.iterdir()) == ["rules.kpi"]  # no temporary file left

    new = client.post("/api/save", headers=ORIGIN, json={"name": "ใหม่-1", "text": "# x\n", "hash": None})
    assert new.status_code == 200 and (folder / "ใหม่-1.kpi").read_text(encoding="utf-8") == "# x\n"
    assert 'href="/catalogues/%E0%B9%83%E0%B8%AB%E0%B8%A1%E0%B9%88-1"' in client.get("/").text


def test_saving_refuses_a_file_changed_on_disk_since_it_was_opened(client: TestClient,
                                                                   folder: Path) -> None:
    opened = open_hash(folder, "rules")
    (folder / "rules.kpi").write_text("# changed by someone else\n", encoding="utf-8")
    answer = client.post("/api/save", headers=ORIGIN,
                         json={"name": "rules", "text": "# mine\n", "hash": opened})
    assert answer.status_code == 409
    assert "ถูกแก้ไขบนดิสก์" in answer.json()["error"]
    assert (folder / "rules.kpi").read_text(encoding="utf-8") == "# changed by someone else\n"
    exists = client.post("/api/save", headers=ORIGIN,
                         json={"name": "rules", "text": "# mine\n", "hash": None})
    assert exists.status_code == 409
    (folder / "rules.kpi").unlink()
    gone = client.post("/api/save", headers=ORIGIN,
                       json={"name": "rules", "text": "# mine\n", "hash": opened})
    assert gone.status_code == 409 and not (folder / "rules.kpi").exists()


@pytest.mark.parametrize("headers", [{}, {"Origin": "http://evil.example"}, {"Origin": "null"},
                                     {"Referer": "http://127.0.0.1:9999/edit/rules"}])
def test_saving_needs_a_request_from_the_servers_own_page(client: TestClient, folder: Path,
                                                          headers: dict[str, str]) -> None:
    before = (folder / "rules.kpi").read_bytes()
    answer = client.post("/api/save", headers=headers,
                         json={"name": "rules", "text": "# x\n", "hash": open_hash(folder, "rules")})
    assert answer.status_code == 403
    assert (folder / "rules.kpi").read_bytes() == before


def test_a_referer_from_the_servers_own_page_is_enough(client: TestClient, folder: Path) -> None:
    answer = client.post("/api/save", headers={"Referer": f"{BASE}/edit/rules"},
                         json={"name": "rules", "text": "# x\n", "hash": open_hash(folder, "rules")})
    assert answer.status_code == 200


@pytest.mark.parametrize("name", ["../outside", "/tmp/outside", "a/b", "a\\b", ".hidden", "..",
                                  "", "x.kpi", "a\x00b", "con:x"])
def test_saving_refuses_names_outside_the_folder(client: TestClient, folder: Path, name: str) -> None:
    answer = client.post("/api/save", headers=ORIGIN, json={"name": name, "text": "# x\n", "hash": None})
    assert answer.status_code == 400
    assert sorted(p.name for p in folder.iterdir()) == ["rules.kpi"]
    assert not (folder.parent / "outside.kpi").exists()


def test_saving_does_not_write_through_a_link_out_of_the_folder(client: TestClient, folder: Path,
                                                                tmp_path_factory: Any) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "target.kpi"
    elsewhere.write_text("# theirs\n", encoding="utf-8")
    (folder / "link.kpi").symlink_to(elsewhere)
    answer = client.post("/api/save", headers=ORIGIN, json={
        "name": "link", "text": "# x\n", "hash": hashlib.sha256(b"# theirs\n").hexdigest()})
    assert answer.status_code == 400
    assert elsewhere.read_text(encoding="utf-8") == "# theirs\n"


@pytest.mark.parametrize("path", ["/catalogues/..%2F..%2Fetc%2Fpasswd", "/catalogues/%2e%2e",
                                  "/catalogues/..%2Frules", "/edit/..%2F..%2Fetc%2Fpasswd",
                                  "/catalogues/rules.kpi", "/catalogues/%2Fetc%2Fpasswd/rules.kpi",
                                  "/static/..%2F_app.py", "/static/../_app.py"])
def test_names_in_urls_never_reach_other_files(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404
    assert "root:" not in answer.text and "import" not in answer.text


@settings(deadline=None)
@given(st.text(max_size=30))
def test_a_save_target_is_always_directly_in_the_folder(name: str) -> None:
    shelf = Shelf(ROOT / "tests" / "data" / "cli")
    target = shelf.target(name)
    assert target is None or (target.parent == shelf.folder and target.name == name + ".kpi")


@settings(deadline=None)
@given(st.text(max_size=40))
def test_an_uploaded_file_name_stays_in_its_folder(name: str) -> None:
    safe = safe_name(name)
    assert safe and "/" not in safe and "\\" not in safe and not safe.startswith(".")


# -- safety ----------------------------------------------------------------------------------------


def test_uploads_over_the_limit_are_refused(folder: Path) -> None:
    app = create_app(folder, upload_limit=1000, text_limit=100)
    with TestClient(app, base_url=BASE) as small:
        big = small.post("/api/check", content="#" * 500)
        assert big.status_code == 413
        assert big.json()["error"] == "ไฟล์ใหญ่เกินไป (ไม่เกิน 100 bytes)"
        page = small.post("/score", data={"rules": "rules"},
                          files={"records": ("r.csv", b"subject,indicator,measure,value\n" * 100)})
        assert page.status_code == 413
        assert "ไฟล์ใหญ่เกินไป (ไม่เกิน 1000 bytes)" in page.text
        assert small.post("/api/check", content="#" * 50).status_code == 200


def test_no_stack_trace_reaches_the_browser(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("secret detail")

    monkeypatch.setattr("kpirules.web._app.diagnostics", broken)
    monkeypatch.setattr(Shelf, "shipped", broken)
    with TestClient(create_app(folder), base_url=BASE, raise_server_exceptions=False) as test:
        api = test.post("/api/check", content="x")
        assert api.status_code == 500
        page = test.get("/")
        assert page.status_code == 500
        assert "ระบบขัดข้องภายใน" in page.text
        english = test.get("/?lang=en")
        assert "An internal error" in english.text
    for answer in (api, page, english):
        assert "Traceback" not in answer.text and "secret detail" not in answer.text
        assert "RuntimeError" not in answer.text


def test_an_unknown_page_is_a_thai_page(client: TestClient) -> None:
    answer = client.get("/no/such/page")
    assert answer.status_code == 404 and "ไม่พบหน้าที่ต้องการ" in answer.text
    unknown = client.get("/catalogues/nothing")
    assert unknown.status_code == 404
    assert 'ไม่พบชุดตัวชี้วัดชื่อ "nothing"' in html.unescape(unknown.text)
    wrong_method = client.put("/api/check", content="x")
    assert wrong_method.status_code == 405 and "error" in wrong_method.json()


def test_titles_and_text_from_rule_files_are_escaped(client: TestClient, folder: Path) -> None:
    (folder / "evil.kpi").write_text(
        'title "<script>alert(1)</script>"\nindicator 1 "<img src=x onerror=alert(2)>"\n'
        '  strategy "<b>s</b>"\n  weight 100\n  level 1 milestone "</td><script>alert(3)</script>"\n',
        encoding="utf-8")
    for path in ("/", "/catalogues/evil", "/edit/evil"):
        page = client.get(path).text
        assert "<script>alert" not in page and "<img src=x" not in page and "<b>s</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/catalogues/evil").text
    page = client.post("/score", data={"rules": "evil"}, files={"records": (
        "r.csv", b"subject,indicator,measure,value\n<script>x</script>,1,milestones,1\n")})
    assert "<script>x</script>" not in page.text and "&lt;script&gt;x&lt;/script&gt;" in page.text


def test_only_loopback_names_are_served_by_default(folder: Path) -> None:
    with TestClient(create_app(folder), base_url="http://evil.example:8000") as test:
        assert test.get("/").status_code == 400
    with TestClient(create_app(folder), base_url="http://localhost:8000") as test:
        assert test.get("/").status_code == 200
    with TestClient(create_app(folder, allowed_hosts=None), base_url="http://kpi.office:80") as test:
        assert test.get("/").status_code == 200


def test_a_broken_rule_file_is_listed_and_can_be_opened(client: TestClient, folder: Path) -> None:
    shutil.copy(CLI_DATA / "syntax_error.kpi", folder / "broken.kpi")
    assert "อ่านไม่ได้" in client.get("/").text
    page = client.get("/catalogues/broken")
    assert page.status_code == 422 and 'href="/edit/broken"' in page.text


# -- languages -------------------------------------------------------------------------------------


def test_the_pages_are_thai_with_an_english_switch(client: TestClient) -> None:
    thai = client.get("/catalogues/cdd-2565-r1")
    assert "ให้คะแนน" in thai.text and 'hreflang="en"' in thai.text
    english = client.get("/catalogues/cdd-2565-r1?lang=en")
    assert '<html lang="en">' in english.text and ">Score</a>" in english.text
    assert english.cookies.get("kpirules_lang") == "en"
    later = client.get("/")  # the cookie keeps the choice
    assert '<html lang="en">' in later.text
    back = client.get("/?lang=th")
    assert '<html lang="th">' in back.text


def test_both_string_tables_have_the_same_keys() -> None:
    assert set(STRINGS["th"]) == set(STRINGS["en"])
    assert all(STRINGS["th"][key] != STRINGS["en"][key] for key in STRINGS["th"])


# -- the command -----------------------------------------------------------------------------------


def test_serve_listens_on_this_computer_only_unless_told(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str],
                                                         folder: Path) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: calls.append(options))
    monkeypatch.setattr("kpirules.web._check_port", lambda host, port: None)
    assert cli.main(["serve", str(folder)]) == 0
    assert calls[-1]["host"] == "127.0.0.1" and calls[-1]["port"] == 8000
    assert "warning" not in capsys.readouterr().err
    assert cli.main(["serve", str(folder), "--host", "0.0.0.0", "--port", "9000"]) == 0
    assert calls[-1]["host"] == "0.0.0.0" and calls[-1]["port"] == 9000
    err = capsys.readouterr().err
    assert "warning: listening on 0.0.0.0" in err and "คำเตือน" in err


def test_serve_lang_sets_the_pages_first_language(monkeypatch: pytest.MonkeyPatch,
                                                  folder: Path) -> None:
    apps: list[Any] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: apps.append(app))
    monkeypatch.setattr("kpirules.web._check_port", lambda host, port: None)
    monkeypatch.delenv("KPIRULES_LANG", raising=False)
    assert cli.main(["serve", str(folder), "--lang", "en"]) == 0
    assert cli.main(["serve", str(folder)]) == 0
    with TestClient(apps[0], base_url=BASE) as english, TestClient(apps[1], base_url=BASE) as thai:
        assert '<html lang="en">' in english.get("/").text
        assert '<html lang="th">' in english.get("/?lang=th").text
        assert '<html lang="th">' in thai.get("/").text


def test_serve_refuses_a_missing_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert cli.main(["serve", str(tmp_path / "nope")]) == 2
    assert "no such folder" in capsys.readouterr().err


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("::1", True),
                                                ("[::1]", True), ("localhost", True),
                                                ("0.0.0.0", False), ("192.168.1.5", False),
                                                ("office.example", False)])
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.slow
def test_the_wheel_carries_the_templates_and_static_files(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path),
                    str(ROOT)], check=True)
    (wheel,) = tmp_path.glob("kpirules-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    web = ROOT / "src" / "kpirules" / "web"
    shipped = {f"kpirules/web/{path.relative_to(web).as_posix()}" for path in web.rglob("*")
               if path.is_file() and "__pycache__" not in path.parts}
    assert {"kpirules/web/templates/catalogue.html", "kpirules/web/static/editor.js"} <= shipped
    assert shipped <= names


@settings(deadline=None)
@given(st.data())
def test_the_charts_count_every_subject_once(data: st.DataObject) -> None:
    rules = catalogue.load("cdd-2565-r1")
    records = json.loads((EXAMPLES / "records.json").read_text(encoding="utf-8"))
    cards = [(name, rules.evaluate(record)) for name, record in records.items()]
    chosen = data.draw(st.lists(st.sampled_from(cards), max_size=12))
    levels = _charts.level_chart(rules, [card for _, card in chosen])
    for stack in levels.stacks:
        assert sum(segment.count for segment in stack.segments) == len(chosen)
        widths = sum(segment.width for segment in stack.segments)
        assert widths == pytest.approx(levels.plot_width if chosen else 0)
    ranking = _charts.ranking(chosen, limit=5)
    shown = [Decimal(bar.value) for bar in ranking.bars]
    assert shown == sorted(shown, reverse=True) and ranking.count == len(chosen)
    assert len(shown) == min(5, len(chosen))


def test_pages_forbid_inline_scripts_and_framing(client: TestClient) -> None:
    page = client.get("/catalogues/cdd-2565-r1")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    # No inline script in any page: only the data block of strings and scripts from /static/.
    for path in ("/", "/catalogues/cdd-2565-r1", "/score", "/edit/rules"):
        text = client.get(path).text
        scripts = re.findall(r"<script([^>]*)>", text)
        assert all('type="application/json"' in attrs or 'src="/static/' in attrs
                   for attrs in scripts), scripts
        assert "onclick=" not in text


def test_the_template_filled_in_scores_every_indicator(client: TestClient) -> None:
    book = openpyxl.load_workbook(io.BytesIO(
        client.get("/catalogues/cdd-2565-r1/template.xlsx").content))
    sheet = book.worksheets[0]
    # Every measure at its top level: 85 of 100 households (85 %), 91 % and 100 %, debt down from
    # 100 to 80 (20 %), 100 % trained, 15 % growth; every milestone row left in (all done).
    values = {"target_households": 100, "developed_households": 85, "bpm_recorded_percent": 91,
              "gvh_reported_percent": 100, "baseline_overdue_debt": 100, "overdue_debt": 80,
              "trained_percent": 100, "online_sales_growth_percent": 15}
    for row in sheet.iter_rows(min_row=2):
        if row[2].value != "milestones":
            row[3].value = values[row[2].value]
    buffer = io.BytesIO()
    book.save(buffer)
    answer = client.post("/api/score?rules=cdd-2565-r1",
                         files={"records": ("filled.xlsx", buffer.getvalue())})
    [(name, card)] = json.loads(answer.text, parse_int=Decimal, parse_float=Decimal).items()
    assert name == "ผู้รับการประเมิน"
    assert card["total"] == 100
    assert {ident: result["level"] for ident, result in card["indicators"].items()} == {
        str(n): 5 for n in range(1, 8)}


def test_a_new_file_starts_clean_in_the_pages_language(client: TestClient) -> None:
    def start(path: str) -> str:
        found = re.search(r"<textarea[^>]*>(.*?)</textarea>", client.get(path).text, re.S)
        assert found is not None
        return html.unescape(found.group(1))

    thai, english = start("/edit"), start("/edit?lang=en")
    assert thai.startswith("ตัวชี้วัด 1 ") and english.startswith("indicator 1 ")
    assert kpirules.format(thai, keywords="en") == english
    assert client.post("/api/check", content=thai.encode()).json() == []


def test_a_level_has_one_colour_in_every_indicator() -> None:
    rules = kpirules.load(CLI_DATA / "rules.kpi")  # tops 5, 3 and 2
    chart = _charts.level_chart(rules, [])
    colours = {(stack.label, segment.level): segment.colour
               for stack in chart.stacks for segment in stack.segments}
    assert colours[("1", 2)] == colours[("2", 2)] == colours[("3", 2)] == dict(chart.legend)[2]
    assert len(set(dict(chart.legend).values())) == 6  # levels 0-5 each their own


def test_serve_says_when_the_port_is_taken(capsys: pytest.CaptureFixture[str], folder: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        assert cli.main(["serve", str(folder), "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1 port {port}" in err and "--port" in err
    assert "http://" not in err


def test_text_from_an_upload_stays_text_in_the_workbook(client: TestClient) -> None:
    records = "subject,indicator,measure,value\n=1+1,1,target,100\n=1+1,1,developed,85\n" \
              "=1+1,2,milestones,1\n=1+1,2,trained,50\n=1+1,3,online,yes\n=1+1,3,growth,1\n"
    page = client.post("/score", data={"rules": "rules"},
                       files={"records": ("r.csv", records.encode())})
    token = re.search(r'href="/results/([\w-]+)/results.xlsx"', page.text)
    assert token is not None
    book = client.get(f"/results/{token.group(1)}/results.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).worksheets[0]
    assert sheet["A2"].value == "=1+1" and sheet["A2"].data_type == "s"
    # The rest of the row is the subject's: 85 % -> 5 (45 points); milestone 1 (trained 50 is below
    # 85) -> 1 of 3 (35/3);
    # online, growth 1 -> 1 of 2 (10). Total 45 + 11.67 + 10 = 66.67.
    assert sheet["B2"].value == pytest.approx(66.6667, abs=1e-3)
    assert (sheet["C2"].value, sheet["E2"].value) == (5, 45)


def test_file_names_as_offices_write_them(client: TestClient, folder: Path) -> None:
    name = "แผน 2566 (ฉบับแก้ไข)"
    saved = client.post("/api/save", headers=ORIGIN, json={"name": name, "text": "# x\n", "hash": None})
    assert saved.status_code == 200 and (folder / f"{name}.kpi").exists()
    shutil.copy(CLI_DATA / "rules.kpi", folder / "odd#name.kpi")
    shutil.copy(CLI_DATA / "rules.kpi", folder / ".hidden.kpi")
    home = client.get("/").text
    assert 'href="/catalogues/odd%23name"' in home and ".hidden" not in home
    assert client.get("/catalogues/odd%23name").status_code == 200
    assert client.get("/catalogues/.hidden").status_code == 404
    refused = client.post("/api/save", headers=ORIGIN, json={
        "name": "odd#name", "text": "# x\n", "hash": open_hash(folder, "odd#name")})
    assert refused.status_code == 400


_RULE_WORDS = st.sampled_from([
    "indicator 1 ", '"t"', "\n", "  ", "level ", "1 ", "2 ", "if ", "x ", ">= ", "=> ", "5", "weight ",
    "100", "measure ", "milestone ", "ตัวชี้วัด ", "ระดับ ", "ถ้า ", "ร้อยละ ", "และ ", "(", ")", "#",
    "let ", "= ", "/ ", "* ", "in ", "0..100 ", "policy ", "highest ", "score ", "interpolate "])


@settings(deadline=None, max_examples=150)
@given(st.lists(_RULE_WORDS, max_size=30).map("".join), st.sampled_from([None, "th", "en"]))
def test_any_text_gets_diagnostics_never_an_error(source: str, language: str | None) -> None:
    from kpirules.web import diagnostics

    found = diagnostics(source, language)
    assert isinstance(found, list)
    lines = source.count("\n") + 1
    for item in found:
        assert set(item) == FIELDS
        assert item["severity"] in ("error", "warning") and item["code"] not in ("", "error")
        assert 1 <= item["line"] <= lines and item["column"] >= 1


def test_a_file_that_is_not_utf8_is_not_opened_for_editing(client: TestClient, folder: Path) -> None:
    (folder / "ansi.kpi").write_bytes('indicator 1 "ตัวชี้วัด"\n'.encode("cp874"))
    page = client.get("/edit/ansi")
    assert page.status_code == 422 and "UTF-8" in page.text and "<textarea" not in page.text
    assert client.get("/catalogues/ansi").status_code == 422


def test_results_have_their_own_address_in_either_language(client: TestClient) -> None:
    records = "subject,indicator,measure,value\n,1,target,5\nB,1,target,100\nB,1,developed,85\n" \
              "B,2,milestones,1\nB,3,online,no\nB,3,growth,0\n"
    posted = client.post("/score", data={"rules": "rules", "strict": "1"}, follow_redirects=False,
                         files={"records": ("r.csv", records.encode())})
    assert posted.status_code == 303
    address = posted.headers["location"]
    assert re.fullmatch(r"/results/[\w-]{16,}", address)
    thai = client.get(address)
    english = client.get(address + "?lang=en")
    assert text("row-no-subject", "th") in thai.text
    assert text("row-no-subject", "en") in english.text and '<html lang="en">' in english.text
    gone = client.get("/results/no-such-run")
    assert gone.status_code == 404 and "16" in gone.text


def test_a_failing_example_is_a_finding_at_its_line(client: TestClient) -> None:
    # x = 2 is below the 5 that level 1 needs, so the second example (line 6) gives level 0.
    rules = ('indicator 1 "t"\n  weight 100\n  measure x\n  level 1 if x >= 5\n'
             "  example level 1: x = 7\n  example level 1: x = 2\n")
    [found] = client.post("/api/check?lang=th", content=rules).json()
    assert (found["code"], found["line"], found["column"], found["indicator"]) == (
        "example-fails", 6, 3, "1")
    assert re.search("[ก-๙]", found["message"])
