"""The command line, run as a user runs it: `python -m kpirules` and the `kpirules` script in a
subprocess. Expected numbers are worked out by hand in the comments, not copied from output.

tests/data/cli/rules.kpi (weights 45, 35, 20):
  1: percent = developed / target * 100, levels at 25, 40, 55, 70, 85 (N = 5)
  2: milestones 1, 2, then trained >= 85 (N = 3)
  3: online; online and growth >= 10 (N = 2)
records (records.csv and records.json hold the same):
  A:         230/400 = 57.5 % -> 3, 45*3/5 = 27; milestones 1, 2, trained 90 -> 3, 35;
             online, growth 12.5 -> 2, 20.                                     total 82
  B:         20/200 = 10 % -> 0; milestone 1 only -> 1, 35*1/3 = 11.666…; not online -> 0.
             35/3 to 28 significant digits: 11.66666666666666666666666667    total the same
  เชียงใหม่: ๑๐๐ is 100, 85/100 -> 5, 45; no milestones -> 0 (trained 100 does not count before
             milestone 1); ใช่ online, growth 10 -> 2, 20.                       total 65
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import kpirules
from kpirules import cli
from kpirules._width import display_width

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "cli"
RULES = str(DATA / "rules.kpi")
RECORDS_CSV = str(DATA / "records.csv")
RECORDS_JSON = str(DATA / "records.json")
B_TOTAL = Decimal("11.66666666666666666666666667")
HEADER = "subject,indicator,measure,value\n"


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    """`python -m kpirules ARGS` with UTF-8 pipes, as a terminal user would run it."""
    environment = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    environment.pop("KPIRULES_DEBUG", None)
    done = subprocess.run([sys.executable, "-m", "kpirules", *args], capture_output=True,
                          text=True, encoding="utf-8", cwd=cwd or ROOT, env=environment,
                          timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def as_json(text: str) -> Any:
    """JSON with every number as an exact Decimal (a float would hide lost digits)."""
    return json.loads(text, parse_float=Decimal, parse_int=Decimal)


def totals(text: str) -> dict[str, Any]:
    return {name: body.get("total", body.get("error")) for name, body in as_json(text).items()}


def write(path: Path, text: str, encoding: str = "utf-8") -> str:
    path.write_text(text, encoding=encoding)
    return str(path)


GOOD_ROWS = (DATA / "records.csv").read_text(encoding="utf-8").split("\n", 1)[1]


# -- the program itself --------------------------------------------------------------------------


def test_console_script_and_version() -> None:
    script = shutil.which("kpirules") or str(Path(sys.executable).parent / "kpirules")
    assert Path(script).exists(), "the kpirules console script is not installed"
    done = subprocess.run([script, "--version"], capture_output=True, text=True)
    assert (done.returncode, done.stdout.strip()) == (0, f"kpirules {kpirules.__version__}")
    scored = subprocess.run([script, "eval", RULES, RECORDS_CSV, "--format", "json"],
                            capture_output=True, text=True, encoding="utf-8")
    assert scored.returncode == 0, scored.stderr
    assert totals(scored.stdout) == {"A": 82, "B": B_TOTAL, "เชียงใหม่": 65}


def test_python_m_version_and_help() -> None:
    assert run("--version").stdout.strip() == f"kpirules {kpirules.__version__}"
    helped = run("--help")
    assert helped.returncode == 0
    for command in ("check", "fmt", "eval", "explain", "table", "catalogues"):
        assert command in helped.stdout


def test_no_command_and_unknown_option_exit_2() -> None:
    assert run().returncode == 2
    wrong = run("eval", RULES, RECORDS_CSV, "--format", "yaml")
    assert wrong.returncode == 2
    assert "invalid choice" in wrong.stderr


# -- eval: formats -------------------------------------------------------------------------------


def test_eval_json_has_the_contract_shape_and_exact_digits() -> None:
    done = run("eval", RULES, RECORDS_CSV, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    result = as_json(done.stdout)
    assert list(result) == ["A", "B", "เชียงใหม่"]
    assert result["A"] == {"total": 82, "indicators": {
        "1": {"level": 3, "score": 3, "points": 27},
        "2": {"level": 3, "score": 3, "points": 35},
        "3": {"level": 2, "score": 2, "points": 20}}}
    assert result["B"]["indicators"]["2"] == {"level": 1, "score": 1, "points": B_TOTAL}
    assert result["B"]["total"] == B_TOTAL
    # written as the decimal's own digits: a float would print 11.666666666666666
    assert '"total": 11.66666666666666666666666667,' in done.stdout
    assert '"total": 82,' in done.stdout and "82.0" not in done.stdout
    assert result["เชียงใหม่"]["total"] == 65


def test_eval_json_records_give_the_same_result() -> None:
    from_json = run("eval", RULES, RECORDS_JSON, "--format", "json")
    from_csv = run("eval", RULES, RECORDS_CSV, "--format", "json")
    assert from_json.returncode == 0, from_json.stderr
    assert from_json.stdout == from_csv.stdout


def test_eval_csv_output() -> None:
    done = run("eval", RULES, RECORDS_CSV, "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert rows[0] == ["subject", "indicator", "level", "score", "points", "total", "error"]
    assert rows[1:4] == [["A", "1", "3", "3", "27", "82", ""], ["A", "2", "3", "3", "35", "82", ""],
                         ["A", "3", "2", "2", "20", "82", ""]]
    assert rows[5] == ["B", "2", "1", "1", str(B_TOTAL), str(B_TOTAL), ""]
    assert rows[7:] == [["เชียงใหม่", "1", "5", "5", "45", "65", ""],
                        ["เชียงใหม่", "2", "0", "0", "0", "65", ""],
                        ["เชียงใหม่", "3", "2", "2", "20", "65", ""]]


def test_eval_text_is_a_table_per_subject_aligned_by_display_width() -> None:
    done = run("eval", RULES, RECORDS_CSV)
    assert done.returncode == 0, done.stderr
    blocks = done.stdout.strip("\n").split("\n\n")
    assert [block.splitlines()[0] for block in blocks] == ["A", "B", "เชียงใหม่"]
    for block in blocks:
        table = block.splitlines()[1:]
        assert len(table) == 5  # header, three indicators, total
        assert len({display_width(line) for line in table}) == 1, table
    a = blocks[0].splitlines()
    assert a[1].split() == ["#", "indicator", "level", "score", "points"]
    assert a[2].split()[-3:] == ["3", "3", "27"]
    assert a[2].startswith("  1  ร้อยละของครัวเรือน")
    assert a[3].split() == ["2", "Training", "3", "3", "35"]
    assert a[-1].split() == ["total", "82"]
    # text is for reading: long numbers are shortened
    assert blocks[1].splitlines()[-1].split() == ["total", "11.666667"]


def test_eval_output_file_follows_its_extension(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = run("eval", RULES, RECORDS_CSV, "-o", str(out))
    assert (done.returncode, done.stdout) == (0, "")
    assert totals(out.read_text(encoding="utf-8")) == {"A": 82, "B": B_TOTAL, "เชียงใหม่": 65}
    assert not [p for p in tmp_path.iterdir() if p.name != "results.json"]  # no temporary left


def test_eval_csv_file_starts_with_a_byte_order_mark_for_excel(tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    assert run("eval", RULES, RECORDS_CSV, "-o", str(out)).returncode == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfsubject,indicator,level")
    assert "เชียงใหม่,1,5,5,45,65," in raw.decode("utf-8-sig")


def test_eval_text_to_a_file_when_asked(tmp_path: Path) -> None:
    out = tmp_path / "results.txt"
    assert run("eval", RULES, RECORDS_JSON, "-o", str(out)).returncode == 0
    assert out.read_text(encoding="utf-8").startswith("A\n  #  indicator")


def test_eval_shipped_catalogue_on_the_examples() -> None:
    # ขอนแก่น by hand: 280/400 = 70 % -> 4 (16 points of 20); milestones 1, 2, 4, 5 -> 2 (8 of
    # 20); bpm 84.9 > 80 and gvh 100 >= 90 but 84.9 < 85 -> 3 (9 of 15); debt unchanged -> 0 %
    # reduction with milestones 1, 2 -> 3 (9 of 15); trained 99.99 >= 95 -> 4 (8 of 10); growth
    # 11 -> 1 (2 of 10); milestones 3, 5 without 1 -> 0. Total 16+8+9+9+8+2+0 = 52.
    # เชียงใหม่ reaches every top level: 100.
    done = run("eval", "cdd-2565-r1", "examples/records.json", "--format", "json")
    assert done.returncode == 0, done.stderr
    result = as_json(done.stdout)
    assert result["เชียงใหม่"]["total"] == 100
    assert result["ขอนแก่น"]["total"] == 52
    assert [result["ขอนแก่น"]["indicators"][str(k)]["level"] for k in range(1, 8)] == [
        4, 2, 3, 3, 4, 1, 0]
    from_csv = run("eval", "cdd-2565-r1", "examples/records.csv", "--format", "json")
    assert from_csv.returncode == 0, from_csv.stderr
    assert as_json(from_csv.stdout) == result
    text = run("eval", "cdd-2565-r1", "examples/records.json")
    assert text.returncode == 0 and "ขอนแก่น" in text.stdout


# -- eval: records that are rejected (exit 1) ----------------------------------------------------


def test_one_bad_value_among_good_subjects(tmp_path: Path) -> None:
    records = write(tmp_path / "r.csv", HEADER + GOOD_ROWS.replace("B,1,developed,20",
                                                                   "B,1,developed,twenty"))
    done = run("eval", RULES, records, "--format", "json")
    assert done.returncode == 1
    result = as_json(done.stdout)
    assert list(result) == ["A", "B", "เชียงใหม่"]
    assert result["A"]["total"] == 82 and result["เชียงใหม่"]["total"] == 65
    assert result["B"] == {"error": "row 10: indicator 1: `developed` must be a count, not the "
                                    "text 'twenty'"}
    assert f"{records}:10: subject \"B\": indicator 1: `developed` must be a count" in done.stderr
    assert "1 of 3 subjects rejected, 2 scored" in done.stderr


def test_rejected_subject_in_csv_and_text_output(tmp_path: Path) -> None:
    records = write(tmp_path / "r.csv", HEADER + GOOD_ROWS.replace("B,3,online,no",
                                                                   "B,3,online,perhaps"))
    as_csv = run("eval", RULES, records, "--format", "csv")
    assert as_csv.returncode == 1
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    [b] = [row for row in rows if row["subject"] == "B"]
    assert b["indicator"] == "" and b["total"] == ""
    assert b["error"].startswith("row 13: indicator 3: `online` is a flag")
    assert len(rows) == 7
    as_text = run("eval", RULES, records)
    assert as_text.returncode == 1
    assert "B\n  error: row 13: indicator 3: `online` is a flag" in as_text.stdout


def test_unknown_indicator_row(tmp_path: Path) -> None:
    records = write(tmp_path / "r.csv", HEADER + GOOD_ROWS + "เชียงใหม่,8,x,1\n")
    done = run("eval", RULES, records, "--format", "json")
    assert done.returncode == 1
    assert totals(done.stdout)["A"] == 82
    assert "indicator `8` is not in the rules" in totals(done.stdout)["เชียงใหม่"]
    assert f'{records}:20: subject "เชียงใหม่": indicator `8` is not in the rules' in done.stderr


def test_unknown_measure_row_and_no_strict(tmp_path: Path) -> None:
    records = write(tmp_path / "r.csv", HEADER + GOOD_ROWS.replace("A,3,growth,12.5",
                                                                   "A,3,growth,12.5\nA,3,grwth,1"))
    done = run("eval", RULES, records, "--format", "json")
    assert done.returncode == 1
    assert "row 9: indicator 3: unknown measure `grwth`; did you mean `growth`?" in done.stdout
    relaxed = run("eval", RULES, records, "--format", "json", "--no-strict")
    assert relaxed.returncode == 0, relaxed.stderr
    assert totals(relaxed.stdout)["A"] == 82


def test_json_records_unknown_measure_is_caught_by_the_library(tmp_path: Path) -> None:
    data = json.loads((DATA / "records.json").read_text(encoding="utf-8"))
    data["A"]["1"]["targets"] = 5
    records = write(tmp_path / "r.json", json.dumps(data, ensure_ascii=False))
    done = run("eval", RULES, records, "--format", "json")
    assert done.returncode == 1
    assert "unknown measure `targets`" in totals(done.stdout)["A"]
    assert f'{records}: subject "A": indicator 1: unknown measure `targets`' in done.stderr
    assert run("eval", RULES, records, "--no-strict").returncode == 0


def test_subject_missing_an_indicator(tmp_path: Path) -> None:
    rows = "".join(line for line in GOOD_ROWS.splitlines(keepends=True)
                   if not line.startswith("B,3,"))
    done = run("eval", RULES, write(tmp_path / "r.csv", HEADER + rows), "--format", "json")
    assert done.returncode == 1
    assert totals(done.stdout)["B"] == "row 9: no rows for indicator 3 (it needs `online`, `growth`)"


def test_subject_rows_not_together(tmp_path: Path) -> None:
    records = write(tmp_path / "r.csv", HEADER + GOOD_ROWS + "A,1,target,1\n")
    done = run("eval", RULES, records, "--format", "json")
    assert done.returncode == 1
    assert totals(done.stdout) == {"A": 82, "B": B_TOTAL, "เชียงใหม่": 65}
    assert (f'{records}:20: subject "A": this subject\'s rows must be together, but they ended '
            "on row 8; sort the file by subject") in done.stderr


def test_a_value_outside_its_range_and_a_zero_division(tmp_path: Path) -> None:
    rows = GOOD_ROWS.replace("A,2,trained,90", "A,2,trained,190").replace(
        "B,1,target,200", "B,1,target,0")
    done = run("eval", RULES, write(tmp_path / "r.csv", HEADER + rows), "--format", "json")
    assert done.returncode == 1
    found = totals(done.stdout)
    assert found["A"] == "row 6: indicator 2: `trained` must be in 0..100, not 190"
    assert "division by zero" in found["B"] and found["B"].startswith("row 9:")
    assert found["เชียงใหม่"] == 65


def test_flag_spellings(tmp_path: Path) -> None:
    a_rows = GOOD_ROWS.split("B,", 1)[0]
    spellings = {"true": 82, "TRUE": 82, "yes": 82, "1": 82, "ใช่": 82,
                 "false": 62, "no": 62, "0": 62, "ไม่ใช่": 62}  # not online: 27 + 35 + 0
    rows = "".join(a_rows.replace("A,", f"{word},").replace(f"{word},3,online,true",
                                                            f"{word},3,online,{word}")
                   for word in spellings)
    done = run("eval", RULES, write(tmp_path / "r.csv", HEADER + rows), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert totals(done.stdout) == spellings


# -- eval: files and arguments that cannot be used (exit 2) --------------------------------------


def test_csv_with_byte_order_mark_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + GOOD_ROWS).replace("\n", "\r\n").encode())
    done = run("eval", RULES, str(path), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert totals(done.stdout) == {"A": 82, "B": B_TOTAL, "เชียงใหม่": 65}


def test_cp874_csv(tmp_path: Path) -> None:
    records = write(tmp_path / "thai.csv", HEADER + GOOD_ROWS, encoding="cp874")
    done = run("eval", RULES, records, "--format", "json", "--encoding", "cp874")
    assert done.returncode == 0, done.stderr
    assert totals(done.stdout) == {"A": 82, "B": B_TOTAL, "เชียงใหม่": 65}


def test_wrong_encoding_suggests_cp874(tmp_path: Path) -> None:
    records = write(tmp_path / "thai.csv", HEADER + GOOD_ROWS, encoding="cp874")
    done = run("eval", RULES, records, "--format", "json")
    assert done.returncode == 2
    assert done.stdout == ""  # stopped before writing anything
    assert "line 15 is not valid UTF-8 text" in done.stderr
    assert "--encoding cp874" in done.stderr


def test_utf8_file_read_as_cp874(tmp_path: Path) -> None:
    done = run("eval", RULES, RECORDS_CSV, "--encoding", "cp874")
    assert done.returncode == 2
    assert "the file is UTF-8 text, not cp874; leave out --encoding" in done.stderr
    assert run("eval", RULES, RECORDS_CSV, "--encoding", "no-such-codec").returncode == 2


def test_missing_column(tmp_path: Path) -> None:
    records = write(tmp_path / "r.csv", "subject,indicator,measure\nA,1,target\n")
    done = run("eval", RULES, records)
    assert done.returncode == 2
    assert f"{records}:1: the header has no `value` column" in done.stderr


@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.csv", "", "the file is empty"),
    ("empty.json", "", "the file is empty"),
    ("broken.json", '{"A": {"1": ', "not valid JSON"),
    ("list.json", "[1, 2, 3]", "the top level must be a JSON object of subjects"),
    ("records.txt", "subject,indicator,measure,value\n", "must be a .json, .csv, .xlsx or .parquet file"),
])
def test_unusable_records(tmp_path: Path, name: str, content: str, message: str) -> None:
    out = tmp_path / "out.json"
    out.write_text("previous results")
    done = run("eval", RULES, write(tmp_path / name, content), "-o", str(out))
    assert done.returncode == 2
    assert message in done.stderr
    assert out.read_text() == "previous results"  # an unusable run leaves OUT alone


def test_records_that_do_not_exist() -> None:
    done = run("eval", RULES, "no/such/records.csv")
    assert done.returncode == 2
    assert "no/such/records.csv: no such file" in done.stderr


def test_unusable_rules(tmp_path: Path) -> None:
    broken = run("eval", str(DATA / "syntax_error.kpi"), RECORDS_CSV)
    assert broken.returncode == 2
    assert "syntax_error.kpi:3:16: `=>` is not an operator" in broken.stderr
    assert "^" in broken.stderr
    missing = run("eval", "no-such.kpi", RECORDS_CSV)
    assert (missing.returncode, missing.stderr.strip()) == (2, "kpirules: no-such.kpi: no such file")
    unknown = run("eval", "cdd-2565", RECORDS_CSV)
    assert unknown.returncode == 2
    assert "neither a rule file nor a shipped catalogue; did you mean `cdd-2565-r1`?" in unknown.stderr
    unweighted = run("eval", str(DATA / "unweighted.kpi"), RECORDS_CSV)
    assert unweighted.returncode == 2
    assert "indicator 1 has no weight" in unweighted.stderr


# -- eval: spreadsheets ---------------------------------------------------------------------------


def _workbook(path: Path) -> None:
    import openpyxl
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["subject", "indicator", "measure", "value"])
    for line in GOOD_ROWS.splitlines():
        subject, indicator, measure, value = line.split(",")
        cell: Any = value
        if value.isascii() and value.replace(".", "", 1).isdigit():
            cell = float(value) if "." in value else int(value)  # numbers as Excel stores them
        if value == "true":
            cell = True
        sheet.append([subject, int(indicator), measure, cell])
    book.save(path)


def test_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "records.xlsx"
    _workbook(path)
    done = run("eval", RULES, str(path), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert totals(done.stdout) == {"A": 82, "B": B_TOTAL, "เชียงใหม่": 65}


def test_xlsx_without_openpyxl(tmp_path: Path) -> None:
    path = tmp_path / "records.xlsx"
    _workbook(path)
    # Run the command line in a process where `import openpyxl` fails, as without the extra.
    code = ("import sys; sys.modules['openpyxl'] = None; from kpirules.cli import main; "
            f"sys.exit(main(['eval', {RULES!r}, {str(path)!r}]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 2
    assert 'pip install "kpirules[excel]"' in done.stderr
    assert "Traceback" not in done.stderr


def test_not_really_a_workbook(tmp_path: Path) -> None:
    done = run("eval", RULES, write(tmp_path / "fake.xlsx", "subject,indicator\n"))
    assert done.returncode == 2
    assert "not a readable .xlsx workbook" in done.stderr


# -- explain -------------------------------------------------------------------------------------


def test_explain_a_whole_subject() -> None:
    done = run("explain", RULES, RECORDS_CSV, "--subject", "A")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith('indicator 1 "ร้อยละ') and lines[0].endswith("level 3 of 5, score 3")
    assert "  level 3 met: percent >= 55 (percent = 57.5)" in lines
    assert '  level 4 needs percent >= 70: now 57.5, 12.5 short' in lines
    assert 'indicator 3 "Online shop": level 2 of 2, score 2' in lines
    assert lines[-1] == "total 82"


def test_explain_one_indicator_of_a_thai_subject() -> None:
    done = run("explain", RULES, RECORDS_JSON, "--subject", "เชียงใหม่", "--indicator", "2")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == 'indicator 2 "Training": level 0 of 3, score 0'
    assert "milestone 1 not reported done" in done.stdout
    assert "total" not in done.stdout


def test_explain_unknown_subject_lists_some(tmp_path: Path) -> None:
    done = run("explain", RULES, RECORDS_CSV, "--subject", "เชียงราย")
    assert done.returncode == 2
    assert 'no subject "เชียงราย"; did you mean "เชียงใหม่"?' in done.stderr
    assert '(the file has 3 subjects: "A", "B", "เชียงใหม่")' in done.stderr


def test_explain_unknown_indicator() -> None:
    done = run("explain", RULES, RECORDS_CSV, "--subject", "A", "--indicator", "9")
    assert done.returncode == 2
    assert "there is no indicator `9`; the indicators are 1, 2, 3" in done.stderr


def test_explain_a_rejected_subject(tmp_path: Path) -> None:
    records = write(tmp_path / "r.csv", HEADER + GOOD_ROWS.replace("A,1,target,400",
                                                                   "A,1,target,-4"))
    done = run("explain", RULES, records, "--subject", "A")
    assert (done.returncode, done.stdout) == (1, "")
    assert f'{records}:2: subject "A": indicator 1: `target` is a count' in done.stderr
    # only the indicator asked about needs to be sound
    fine = run("explain", RULES, records, "--subject", "A", "--indicator", "3")
    assert fine.returncode == 0, fine.stderr
    other = run("explain", RULES, records, "--subject", "B")
    assert other.returncode == 0, other.stderr


def test_explain_shipped_catalogue() -> None:
    # สงขลา, indicator 4: debt 800,000 -> 600,000 is a 25 % reduction, but milestone 1 is not
    # reported, so the ordered levels stop at 0.
    done = run("explain", "cdd-2565-r1", "examples/records.json", "--subject", "สงขลา",
               "--indicator", "4")
    assert done.returncode == 0, done.stderr
    assert "level 0 of 5" in done.stdout.splitlines()[0]
    assert "overdue_reduction_percent = 25" in done.stdout
    assert "milestone 1 not reported done" in done.stdout


# -- table and catalogues ------------------------------------------------------------------------


def test_catalogues() -> None:
    done = run("catalogues")
    assert done.returncode == 0, done.stderr
    assert "cdd-2565-r1  ตัวชี้วัดบุคคล (สำหรับตำแหน่งพัฒนาการจังหวัด)" in done.stdout.splitlines()


@pytest.mark.parametrize("form", ["markdown", "html", "csv"])
def test_table_formats(form: str) -> None:
    done = run("table", RULES, "--format", form)
    assert done.returncode == 0, done.stderr
    rules = kpirules.load(RULES)
    assert done.stdout.rstrip("\n") == kpirules.table(rules, format=form).rstrip("\n")
    assert "Online shop" in done.stdout


def test_table_default_and_output_file(tmp_path: Path) -> None:
    assert "|" in run("table", "cdd-2565-r1").stdout
    out = tmp_path / "table.html"
    done = run("table", RULES, "--format", "html", "-o", str(out))
    assert (done.returncode, done.stdout) == (0, "")
    assert "Online shop" in out.read_text(encoding="utf-8")


# -- check ---------------------------------------------------------------------------------------


def _check_works() -> None:
    assert isinstance(kpirules.check(kpirules.load(RULES)), list)


def test_check_clean_warnings_and_errors() -> None:
    _check_works()
    clean = run("check", RULES)
    assert (clean.returncode, clean.stdout) == (0, "")
    warned = run("check", str(DATA / "warnings.kpi"))
    assert warned.returncode == 0
    path = str(DATA / "warnings.kpi")
    assert warned.stdout.startswith(f"{path}:3:")
    assert ": warning[implicit-measure]: " in warned.stdout
    failed = run("check", str(DATA / "errors.kpi"), RULES)
    assert failed.returncode == 1
    assert f"{DATA / 'errors.kpi'}:" in failed.stdout and "error[weights-total]: " in failed.stdout


def test_check_json() -> None:
    _check_works()
    done = run("check", str(DATA / "warnings.kpi"), str(DATA / "syntax_error.kpi"),
               "--format", "json")
    assert done.returncode == 1
    findings = json.loads(done.stdout)
    assert {(f["code"], f["severity"]) for f in findings} >= {
        ("implicit-measure", "warning"), ("operator-ge-reversed", "error")}
    syntax = next(f for f in findings if f["code"] == "operator-ge-reversed")
    assert (syntax["line"], syntax["column"]) == (3, 16)


def test_check_a_file_that_does_not_parse() -> None:
    done = run("check", str(DATA / "syntax_error.kpi"))
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == (
        f"{DATA / 'syntax_error.kpi'}:3:16: `=>` is not an operator: write `>=` for \"at least\"")
    assert done.stdout.splitlines()[2].strip() == "^"


def test_check_a_missing_file() -> None:
    done = run("check", "nowhere.kpi")
    assert done.returncode == 2
    assert "nowhere.kpi: no such file" in done.stderr


# -- fmt -----------------------------------------------------------------------------------------


def _messy(tmp_path: Path, newline: str = "\n") -> tuple[Path, str]:
    path = tmp_path / "messy.kpi"
    text = (DATA / "messy.kpi").read_text(encoding="utf-8").replace("\n", newline)
    path.write_bytes(text.encode("utf-8"))
    return path, text


def test_fmt_check_and_diff_change_nothing(tmp_path: Path) -> None:
    path, original = _messy(tmp_path)
    checked = run("fmt", "--check", str(path))
    assert checked.returncode == 1
    assert f"would reformat {path}" in checked.stderr
    diffed = run("fmt", "--diff", str(path))
    assert diffed.returncode == 1
    assert diffed.stdout.startswith(f"--- {path}\n+++ {path} (formatted)\n")
    assert "+  level 1 if x >= 5\n" in diffed.stdout
    assert path.read_text(encoding="utf-8") == original


def test_fmt_rewrites_in_place(tmp_path: Path) -> None:
    path, original = _messy(tmp_path)
    path.chmod(0o640)
    done = run("fmt", str(path))
    assert done.returncode == 0, done.stderr
    assert path.read_text(encoding="utf-8") == kpirules.format(original)
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["messy.kpi"]  # no temporary file left
    assert run("fmt", "--check", str(path)).returncode == 0
    assert run("fmt", str(path)).stderr == ""  # nothing to do the second time


def test_fmt_keeps_windows_line_endings(tmp_path: Path) -> None:
    path, original = _messy(tmp_path, "\r\n")
    assert run("fmt", str(path)).returncode == 0
    raw = path.read_bytes().decode("utf-8")
    assert raw == kpirules.format(original.replace("\r\n", "\n")).replace("\n", "\r\n")
    assert run("fmt", "--check", str(path)).returncode == 0


def test_fmt_canonical_files_are_left_alone(tmp_path: Path) -> None:
    assert run("fmt", "--check", RULES).returncode == 0


def test_fmt_broken_and_missing_files(tmp_path: Path) -> None:
    path, _ = _messy(tmp_path)
    broken = tmp_path / "broken.kpi"
    shutil.copy(DATA / "syntax_error.kpi", broken)
    before = broken.read_text()
    done = run("fmt", str(broken), str(tmp_path / "missing.kpi"), str(path))
    assert done.returncode == 2
    assert "broken.kpi:3:16:" in done.stderr and "missing.kpi: no such file" in done.stderr
    assert broken.read_text() == before
    assert run("fmt", "--check", str(path)).returncode == 0  # the good file was still formatted


# -- errors never show a traceback ---------------------------------------------------------------


def test_internal_errors_are_one_line(monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    def explode(spec: str) -> None:
        raise RuntimeError("boom")

    monkeypatch.delenv("KPIRULES_DEBUG", raising=False)
    monkeypatch.setattr(cli, "_rules", explode)
    assert cli.main(["eval", RULES, RECORDS_CSV]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kpirules: internal error (RuntimeError: boom); this is a bug")
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    def interrupt(spec: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_rules", interrupt)
    assert cli.main(["eval", RULES, RECORDS_CSV]) == 130
    assert "Traceback" not in capsys.readouterr().err


# -- progress ------------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Reader:
    def fraction_read(self) -> float | None:
        return 0.5


def test_progress_shows_on_a_terminal_after_a_while() -> None:
    pytest.importorskip("tqdm", reason="the progress bar needs tqdm: pip install 'kpirules[progress]'")
    stream = _Terminal()
    progress = cli.Progress(_Reader(), stream, after=0)  # type: ignore[arg-type]
    for _ in range(128):
        progress.tick()
    progress.bar.refresh()
    shown = stream.getvalue()
    assert "kpirules:  50%|" in shown and "128 subjects scored" in shown
    progress.clear()
    assert progress.bar is None


def test_progress_waits_before_it_shows() -> None:
    pytest.importorskip("tqdm", reason="the progress bar needs tqdm: pip install 'kpirules[progress]'")
    stream = _Terminal()
    progress = cli.Progress(_Reader(), stream)  # type: ignore[arg-type]
    for _ in range(128):
        progress.tick()
    progress.clear()
    assert stream.getvalue() == ""  # a short run shows nothing


def test_progress_is_silent_when_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = cli.Progress(_Reader(), stream)  # type: ignore[arg-type]
    assert progress.bar is None
    for _ in range(1000):
        progress.tick()
    progress.clear()
    assert stream.getvalue() == ""


# -- many subjects -------------------------------------------------------------------------------


def _many(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(HEADER)
        for number in range(count):
            name = f"อำเภอ-{number:06d}"
            handle.write(f"{name},1,target,400\n{name},1,developed,{number % 401}\n"
                         f"{name},2,milestones,1\n{name},2,trained,90\n"
                         f"{name},3,online,yes\n{name},3,growth,{number % 20}\n")


def test_many_subjects_stream_through(tmp_path: Path) -> None:
    records = tmp_path / "many.csv"
    _many(records, 3000)
    done = run("eval", RULES, str(records), "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stderr  # no progress line when stderr is not a terminal
    rows = done.stdout.splitlines()
    assert len(rows) == 1 + 3 * 3000
    # subject 230: 230/400 = 57.5 % -> 3 (27); milestone 1 only -> 1 (35/3); growth 230 % 20 = 10
    # with online -> 2 (20)
    assert rows[1 + 3 * 230] == "อำเภอ-000230,1,3,3,27,58.66666666666666666666666667,"


@pytest.mark.slow
def test_one_hundred_thousand_subjects_in_bounded_memory(tmp_path: Path) -> None:
    records = tmp_path / "many.csv"
    _many(records, 100_000)
    out = tmp_path / "out.json"
    # The peak of this process's own memory: /proc's VmHWM starts afresh at exec, while
    # ru_maxrss keeps the peak of the (large) test process that forked it.
    script = ("import resource, sys; from kpirules.cli import main; code = main(sys.argv[1:]); "
              "hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')] "
              "if sys.platform == 'linux' else []; "
              "print(hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
              "file=sys.stderr); sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", script, "eval", RULES, str(records), "-o",
                           str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    peak_kib = int(done.stderr.strip().splitlines()[-1])
    assert peak_kib < 200 * 1024, f"peak RSS {peak_kib} KiB"
    with out.open(encoding="utf-8") as handle:
        assert sum(1 for line in handle) == 100_000 + 2
