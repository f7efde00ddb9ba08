"""The command line's data in and out: .xlsx and .parquet results, refused output extensions,
the wide layout read from CSV, XLSX and Parquet, the rule for missing indicators, JSON output made
by kpirules.dumps, and ``check --strict`` (the documentation page "Data in and out")."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest

import kpirules
from kpirules import catalogue
from tests.test_cli import B_TOTAL, DATA, RECORDS_CSV, RECORDS_JSON, ROOT, RULES, as_json, run, totals

# The three subjects of tests/data/cli/records.csv in the wide layout.
WIDE_HEADER = ["subject", "1.target", "1.developed", "2.trained", "2.milestones.1",
               "2.milestones.2", "3.online", "3.growth"]
WIDE_ROWS = [["A", 400, 230, 90, True, True, True, Decimal("12.5")],
             ["B", 200, 20, 95, True, False, False, 20],
             ["เชียงใหม่", 100, 85, 100, None, None, True, 10]]
WIDE_CSV = (",".join(WIDE_HEADER) + "\n"
            + "A,400,230,90,true,true,true,12.5\n"
            + "B,200,20,95,yes,,no,20\n"
            + "เชียงใหม่,๑๐๐,85,100,,,ใช่,10\n")


def long_json() -> dict[str, object]:
    done = run("eval", RULES, RECORDS_CSV, "--format", "json")
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = as_json(done.stdout)
    return result


# -- writing ----------------------------------------------------------------------------------


def test_eval_writes_a_real_workbook(tmp_path: Path) -> None:
    out = tmp_path / "results.xlsx"
    done = run("eval", RULES, RECORDS_CSV, "-o", str(out))
    assert (done.returncode, done.stdout) == (0, ""), done.stderr
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["totals", "indicators"]
    totals_rows = [[cell.value for cell in row] for row in book["totals"].iter_rows()]
    assert totals_rows[0] == ["subject", "total", "error"]
    # A: 230 / 400 = 57.5 % → 3 (27); milestones 1, 2 and 90 ≥ 85 → 3 (35); online, 12.5 ≥ 10 → 2 (20)
    assert totals_rows[1] == ["A", 82, None]
    assert totals_rows[3] == ["เชียงใหม่", 65, None]  # Thai text as it is
    assert isinstance(book["totals"]["B2"].value, (int, float))  # a number cell, not text
    assert book["totals"]["B3"].data_type == "n"
    assert float(book["totals"]["B3"].value) == pytest.approx(float(B_TOTAL))
    rows = [[cell.value for cell in row] for row in book["indicators"].iter_rows()]
    assert rows[0] == ["subject", "indicator", "title", "level", "score", "points"]
    # A, indicator 1: 230 / 400 = 57.5 % → level 3, points 45 × 3 / 5 = 27.
    assert rows[1] == ["A", "1", "ร้อยละของครัวเรือนยากจนเป้าหมายที่มีรายได้ต่ำกว่าเกณฑ์ จปฐ. ได้รับการพัฒนา",
                       3, 3, 27]
    assert len(rows) == 1 + 3 * 3


def test_rejected_subjects_in_the_workbook(tmp_path: Path) -> None:
    records = tmp_path / "records.csv"
    records.write_text(Path(RECORDS_CSV).read_text("utf-8").replace("B,1,developed,20",
                                                                     "B,1,developed,many"), "utf-8")
    out = tmp_path / "results.xlsx"
    assert run("eval", RULES, str(records), "-o", str(out)).returncode == 1
    sheet = openpyxl.load_workbook(out)["totals"]
    assert sheet["A3"].value == "B" and sheet["B3"].value is None
    assert "row 10: indicator 1: `developed`" in sheet["C3"].value


def test_eval_writes_exact_parquet(tmp_path: Path) -> None:
    out = tmp_path / "results.parquet"
    assert run("eval", RULES, RECORDS_JSON, "-o", str(out)).returncode == 0
    table = duckdb.sql(f"SELECT * FROM read_parquet('{out}')")
    assert table.columns[:6] == ["subject", "total", "error", "1.level", "1.score", "1.points"]
    rows = {row[0]: row for row in table.fetchall()}
    assert rows["B"][1] == B_TOTAL  # 28 digits, exactly
    assert rows["A"][1:6] == (Decimal(82), None, 3, Decimal(3), Decimal(27))


@pytest.mark.parametrize(("arguments", "words"), [
    (["-o", "results.xls"], "cannot write a .xls file"),
    (["-o", "results.html"], "cannot write a .html file"),
    (["--format", "csv", "-o", "results.xlsx"], "a .xlsx file cannot hold csv output"),
    (["--format", "xlsx"], "--format xlsx writes a file: give -o FILE.xlsx"),
    (["--format", "parquet", "-o", "-"], "give -o FILE.parquet"),
])
def test_an_output_that_cannot_be_written_is_refused(tmp_path: Path, arguments: list[str],
                                                     words: str) -> None:
    arguments = [str(tmp_path / a) if a.startswith("results") else a for a in arguments]
    done = run("eval", RULES, RECORDS_CSV, *arguments)
    assert done.returncode == 2 and words in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_explicit_format_writes_any_extension(tmp_path: Path) -> None:
    out = tmp_path / "results.log"
    assert run("eval", RULES, RECORDS_CSV, "--format", "json", "-o", str(out)).returncode == 0
    assert totals(out.read_text("utf-8"))["A"] == 82


def test_json_output_is_what_kpirules_dumps_writes() -> None:
    rules = catalogue.load("cdd-2565-r1")
    records = json.loads((ROOT / "examples" / "records.json").read_text("utf-8"),
                         parse_float=Decimal)
    done = run("eval", "cdd-2565-r1", str(ROOT / "examples" / "records.json"), "--format", "json")
    lines = done.stdout.splitlines()
    wanted = rules.evaluate_all(records)
    assert lines[0] == "{" and lines[-1] == "}"
    for line, (name, card) in zip(lines[1:-1], wanted.items(), strict=True):
        assert line.strip().rstrip(",") == kpirules.dumps({name: card})[1:-1]


# -- reading the wide layout ----------------------------------------------------------------------


def test_wide_csv_scores_as_the_long_layout(tmp_path: Path) -> None:
    records = tmp_path / "wide.csv"
    records.write_text(WIDE_CSV, "utf-8")
    done = run("eval", RULES, str(records), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert as_json(done.stdout) == long_json()


def test_wide_xlsx_and_parquet_score_as_the_long_layout(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(WIDE_HEADER)
    for row in WIDE_ROWS:
        sheet.append(row)
    book.save(tmp_path / "wide.xlsx")
    done = run("eval", RULES, str(tmp_path / "wide.xlsx"), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert as_json(done.stdout) == long_json()
    csv_path = tmp_path / "wide.csv"
    csv_path.write_text(WIDE_CSV, "utf-8")
    parquet = tmp_path / "wide.parquet"
    duckdb.execute(f"COPY (SELECT * FROM read_csv('{csv_path}', all_varchar = true)) "
                   f"TO '{parquet}' (FORMAT parquet)")
    done = run("eval", RULES, str(parquet), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert as_json(done.stdout) == long_json()


def test_wide_layout_problems(tmp_path: Path) -> None:
    records = tmp_path / "wide.csv"
    records.write_text(
        "subject,1.target,1.developed,2.trained,2.milestones.1,3.online,3.growth\n"
        "A,400,,90,maybe,true,1\n"
        "B,400,230,90,yes,true,1\n"
        "B,1,1,1,1,true,1\n", "utf-8")
    done = run("eval", RULES, str(records), "--format", "json")
    assert done.returncode == 1
    out = totals(done.stdout)
    assert out["A"].startswith("row 2: indicator 2: `2.milestones.1` says whether milestone 1 "
                               "is done: write true or false")
    assert "no value for measure `developed`" in out["A"]
    assert f"{records}:4: subject \"B\": this subject has a row already (row 3)" in done.stderr
    # B: 230 / 400 = 57.5 % → level 3 (27); milestone 1 only → level 1 (35 / 3); online, growth 1
    # < 10 → level 1 (10).
    assert out["B"] == Decimal(27) + Decimal("11.66666666666666666666666667") + Decimal(10)


def test_wide_layout_without_an_indicators_columns(tmp_path: Path) -> None:
    records = tmp_path / "wide.csv"
    records.write_text("subject,1.target,1.developed,2.trained\nA,400,230,90\n", "utf-8")
    done = run("eval", RULES, str(records), "--format", "json")
    assert done.returncode == 1
    assert totals(done.stdout)["A"] == "row 2: no record for indicator 3"


# -- one rule for missing indicators ---------------------------------------------------------------


def test_no_rows_for_a_milestones_only_indicator_is_rejected(tmp_path: Path) -> None:
    rules = tmp_path / "rules.kpi"
    rules.write_text('indicator 1 "t"\n  weight 50\n  measure x number\n  level 1 if x >= 1\n'
                     'indicator 2 "plan"\n  weight 50\n  level 1 milestone "written"\n', "utf-8")
    records = tmp_path / "records.csv"
    records.write_text("subject,indicator,measure,value\nA,1,x,1\nB,1,x,1\nB,2,milestones,0\n"
                       "C,1,x,1\nC,2,milestones,1\n", "utf-8")
    done = run("eval", str(rules), str(records), "--format", "json")
    assert done.returncode == 1
    out = totals(done.stdout)
    assert out["A"] == ("row 2: no rows for indicator 2 (if no milestone is done, give a row "
                        "with measure `milestones` and value 0)")
    assert out["B"] == 50  # milestones 0: reported, none done
    assert out["C"] == 100
    # As RuleSet.evaluate does with a record without the indicator:
    with pytest.raises(kpirules.EvaluationError, match="no record for indicator 2"):
        kpirules.load(rules).evaluate({"1": {"x": 1}})


# -- check --strict ------------------------------------------------------------------------------


def test_check_strict_fails_on_warnings() -> None:
    warnings = str(DATA / "warnings.kpi")
    assert run("check", warnings).returncode == 0
    strict = run("check", "--strict", warnings)
    assert strict.returncode == 1 and "warning[implicit-measure]" in strict.stdout
    assert run("check", "--strict", RULES).returncode == 0


def test_explain_a_subject_of_a_wide_file(tmp_path: Path) -> None:
    records = tmp_path / "wide.csv"
    records.write_text(WIDE_CSV + "A,1,1,1,,,,\n", "utf-8")
    done = run("explain", RULES, str(records), "--subject", "เชียงใหม่", "--indicator", "1")
    # 85 of ๑๐๐ (100) households: 85 % meets level 5.
    assert done.returncode == 0 and "level 5 of 5" in done.stdout.splitlines()[0]
    missing = run("explain", RULES, str(records), "--subject", "Z")
    assert missing.returncode == 2
    assert 'the file has 3 subjects: "A", "B", "เชียงใหม่"' in missing.stderr
