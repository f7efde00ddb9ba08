"""`kpirules eval --engine duckdb`: the same outputs and exit codes as the Python path."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "cli"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kpirules", *args], capture_output=True,
                          text=True, cwd=ROOT, encoding="utf-8")


def both(rules: str, records: str, *extra: str) -> tuple[subprocess.CompletedProcess[str], ...]:
    python = run("eval", rules, records, "--format", "json", *extra)
    sql = run("eval", rules, records, "--format", "json", "--engine", "duckdb", *extra)
    return python, sql


def test_catalogue_examples_score_the_same() -> None:
    python, sql = both("cdd-2565-r1", "examples/records.csv")
    assert (python.returncode, sql.returncode) == (0, 0), sql.stderr
    assert sql.stdout == python.stdout
    # เชียงใหม่ reaches every top level (examples/README.md): 100.
    assert json.loads(sql.stdout, parse_float=Decimal)["เชียงใหม่"]["total"] == 100


def test_cli_records_score_the_same() -> None:
    python, sql = both(str(DATA / "rules.kpi"), str(DATA / "records.csv"))
    assert python.returncode == sql.returncode
    assert json.loads(sql.stdout) == json.loads(python.stdout)


def test_a_bad_subject_is_rejected_and_the_others_scored(tmp_path: Path) -> None:
    records = tmp_path / "records.csv"
    records.write_text(
        "subject,indicator,measure,value\n"
        "good,1,target,400\ngood,1,developed,220\ngood,2,trained,90\ngood,2,milestones,1\n"
        "good,2,milestones,2\ngood,3,online,yes\ngood,3,growth,12\n"
        "zero,1,target,0\nzero,1,developed,0\nzero,2,trained,90\nzero,3,online,no\n"
        "zero,3,growth,1\n", encoding="utf-8")
    python, sql = both(str(DATA / "rules.kpi"), str(records))
    assert (python.returncode, sql.returncode) == (1, 1)
    python_out, sql_out = json.loads(python.stdout), json.loads(sql.stdout)
    assert sql_out["good"] == python_out["good"]
    # 220/400 = 55 % → level 3 of 5: 45 × 3 / 5 = 27; trained 90 with both milestones → 3 of 3:
    # 35; online with growth 12 → 2 of 2: 20. Total 82.
    assert sql_out["good"]["total"] == 82
    assert "division by zero" in sql_out["zero"]["error"]
    assert "zero" in sql.stderr and "division by zero" in sql.stderr


@pytest.mark.parametrize("strictness", [(), ("--no-strict",)])
def test_an_unknown_indicator_rejects_its_subject_on_both_engines(
        tmp_path: Path, strictness: tuple[str, ...]) -> None:
    records = tmp_path / "records.csv"
    good = ("good,1,target,400\ngood,1,developed,220\ngood,2,trained,90\n"
            "good,2,milestones,1\ngood,2,milestones,2\ngood,3,online,yes\ngood,3,growth,12\n")
    records.write_text("subject,indicator,measure,value\n" + good
                       + good.replace("good", "odd") + "odd,9,x,1\n", encoding="utf-8")
    python, sql = both(str(DATA / "rules.kpi"), str(records), *strictness)
    assert (python.returncode, sql.returncode) == (1, 1)
    python_out, sql_out = json.loads(python.stdout), json.loads(sql.stdout)
    assert sql_out["good"] == python_out["good"]
    assert "`9`" in python_out["odd"]["error"]
    assert sql_out["odd"]["error"].startswith("unknown indicator `9`")
    assert 'subject "odd": unknown indicator `9`' in sql.stderr


def test_no_milestone_rows_is_no_record_on_both_engines(tmp_path: Path) -> None:
    records = tmp_path / "records.csv"
    lines = [line for line in (ROOT / "examples" / "records.csv").read_text(
        encoding="utf-8").splitlines() if ",milestones," not in line]
    records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    python, sql = both("cdd-2565-r1", str(records))
    assert python.returncode == 1
    python_out = json.loads(python.stdout)
    for scorecard in python_out.values():  # indicators 2 and 7 are milestones only
        assert "no rows for indicator 2" in scorecard["error"]
    assert sql.returncode == 1, sql.stderr
    # The same reasons; the SQL engine does not know row numbers.
    assert {name: card["error"] for name, card in json.loads(sql.stdout).items()} == {
        name: re.sub(r"row \d+: ", "", card["error"]) for name, card in python_out.items()}


def test_a_milestones_row_of_0_is_none_done_on_both_engines(tmp_path: Path) -> None:
    python, sql = both(*files(tmp_path, GROWTH_AND_STEPS,
                              "subject,indicator,measure,value\ns,6,g,12\ns,7,milestones,0\n"
                              "t,6,g,11\nt,7,milestones, ๐ \nt,7,milestones,1\n"))
    assert (python.returncode, sql.returncode) == (0, 0), sql.stderr
    assert json.loads(sql.stdout) == json.loads(python.stdout)
    # s: g 12 is level 2 (60), none done (0). t: level 1 (30), milestone 1 of 2 (20).
    assert {name: card["total"] for name, card in json.loads(sql.stdout).items()} == {
        "s": 60, "t": 50}


def test_parquet_records(tmp_path: Path) -> None:
    parquet = tmp_path / "records.parquet"
    source = str(DATA / "records.csv").replace("'", "''")
    duckdb.execute(f"COPY (SELECT * FROM read_csv('{source}', all_varchar = true)) "
                   f"TO '{parquet}' (FORMAT parquet)")
    python = run("eval", str(DATA / "rules.kpi"), str(DATA / "records.csv"), "--format", "json")
    from_parquet = run("eval", str(DATA / "rules.kpi"), str(parquet), "--format", "json",
                       "--engine", "duckdb")
    assert from_parquet.returncode == python.returncode
    assert json.loads(from_parquet.stdout) == json.loads(python.stdout)


def test_unusable_arguments_exit_2(tmp_path: Path) -> None:
    json_records = run("eval", "cdd-2565-r1", "examples/records.json", "--engine", "duckdb")
    assert json_records.returncode == 2
    assert ".csv or .parquet" in json_records.stderr
    missing = run("eval", "cdd-2565-r1", str(tmp_path / "nope.csv"), "--engine", "duckdb")
    assert missing.returncode == 2 and "no such file" in missing.stderr
    thai_windows = run("eval", "cdd-2565-r1", "examples/records.csv", "--engine", "duckdb",
                       "--encoding", "cp874")
    assert thai_windows.returncode == 2 and "UTF-8" in thai_windows.stderr
    assert "Traceback" not in json_records.stderr + missing.stderr + thai_windows.stderr


GROWTH_AND_STEPS = """indicator 6 "growth"
  weight 60
  measure g
  level 1 if g >= 11
  level 2 if g >= 12
indicator 7 "steps"
  weight 40
  level 1 milestone "one"
  level 2 milestone "two"
"""


def files(tmp_path: Path, rules: str, records: str) -> tuple[str, str]:
    """``rules`` and ``records`` (a CSV text) written to files, and their paths."""
    (tmp_path / "rules.kpi").write_text(rules, encoding="utf-8")
    (tmp_path / "records.csv").write_text(records, encoding="utf-8")
    return str(tmp_path / "rules.kpi"), str(tmp_path / "records.csv")


def test_rows_are_read_as_the_python_engine_reads_them(tmp_path: Path) -> None:
    # Spaces around keys, a milestone written 1.0 and +2, an extra cell, a blank line, a row
    # with no subject and an empty one; "t" has no value for g.
    python, sql = both(*files(tmp_path, GROWTH_AND_STEPS,
                              "subject,indicator,measure,value\n s ,6,g,12\n"
                              "s, 7 ,milestones,1.0,x\ns,7,milestones ,+2\n\nt,6,g\n"
                              ",7,milestones,1\n,,,\n"))
    assert (python.returncode, sql.returncode) == (1, 1), sql.stderr
    python_out, sql_out = json.loads(python.stdout), json.loads(sql.stdout)
    # s: g 12 is level 2 of 2 (60 points), milestones 1 and 2 done: level 2 of 2 (40).
    assert python_out["s"]["total"] == sql_out["s"]["total"] == 100
    assert sql_out == python_out | {"t": sql_out["t"]}  # t's error is in the SQL's words
    assert "no value" in python_out["t"]["error"] and "no value" in sql_out["t"]["error"]
    assert "the row has no subject" in python.stderr
    assert "1 row with no subject, not scored" in sql.stderr
    assert "1 row not scored" in python.stderr and "1 row not scored" in sql.stderr


@pytest.mark.parametrize("header", ["subject;indicator;measure;value", "subject,indicator,value"])
def test_a_bad_header_is_refused_alike(tmp_path: Path, header: str) -> None:
    python, sql = both(*files(tmp_path, GROWTH_AND_STEPS, f"{header}\ns,6,g,12\n"))
    assert (python.returncode, sql.returncode) == (2, 2)
    assert sql.stderr == python.stderr and "the header has no " in sql.stderr
    assert "`measure`" in sql.stderr
    assert "DuckDB" not in sql.stderr


@pytest.mark.parametrize("kind", ["DOUBLE", "DECIMAL(18, 4)"])
def test_parquet_with_a_numeric_value_column(tmp_path: Path, kind: str) -> None:
    rules = tmp_path / "rules.kpi"
    rules.write_text(GROWTH_AND_STEPS, encoding="utf-8")
    parquet = tmp_path / "records.parquet"
    duckdb.execute(
        f"COPY (SELECT * FROM (VALUES ('s', '6', 'g', CAST(12.5 AS {kind})), "
        f"('s', '7', 'milestones', CAST(1 AS {kind})), (' u', '6', 'g', CAST(11 AS {kind})), "
        f"('u', '7', 'milestones', CAST(0 AS {kind})), "
        f"(NULL, '6', 'g', CAST(11 AS {kind}))) AS t(subject, indicator, measure, value)) "
        f"TO '{parquet}' (FORMAT parquet)")
    got = run("eval", str(rules), str(parquet), "--format", "json", "--engine", "duckdb")
    assert got.returncode == 1, got.stderr  # the row with no subject
    out = json.loads(got.stdout)
    # s: 12.5 ≥ 12 is level 2 (60) and milestone 1 of 2 (20); u: 11 is level 1 (30), none done
    # (a milestones value 0, here 0.0 or 0.0000 as the column's type prints it).
    assert {name: card["total"] for name, card in out.items()} == {"s": 80, "u": 30}
    assert "1 row with no subject" in got.stderr


def test_rows_after_a_subjects_run_are_not_scored_alike(tmp_path: Path) -> None:
    # s's milestone row comes after t's rows: the Python engine streams subjects, so it is not
    # scored (a row with no subject in between does not end a run).
    python, sql = both(*files(tmp_path, GROWTH_AND_STEPS,
                              "subject,indicator,measure,value\ns,6,g,12\n,6,g,1\n"
                              "s,7,milestones,2\nt,6,g,11\ns,7,milestones,1\n"))
    assert (python.returncode, sql.returncode) == (1, 1), sql.stderr
    assert json.loads(sql.stdout)["s"] == json.loads(python.stdout)["s"]
    # s: g 12 is level 2 (60); milestone 2 without 1 is level 0: 60. t: no rows for indicator 7.
    assert {name: card.get("total") for name, card in json.loads(sql.stdout).items()} == {
        "s": 60, "t": None}
    assert json.loads(python.stdout)["t"]["error"].startswith("row 5: no rows for indicator 7")
    assert '1 row of subjects whose rows had ended ("s")' in sql.stderr
    assert "2 rows not scored" in sql.stderr and "2 rows not scored" in python.stderr


FLAGS_AND_STEPS = """indicator 8 "flagged"
  weight 60
  measure f flag
  measure n
  level 1 if n >= 1 and f
  level 2 if n >= 2 and f
indicator 9 "steps"
  weight 40
  level 1 milestone "one"
  level 2 milestone "two"
"""

# Each file: the rows after the header, and the totals both engines must give (None: rejected).
# By hand: 8 at level 2 is 60 points, at level 1 30; 9 at level 2 is 40, at level 1 20.
ODD_FILES = {
    "a row with no indicator": ("A,8,f,yes\nA,8,n,5\nA,,,\n", {"A": None}),
    "a row with no measure": ("A,8,f,yes\nA,8,n,5\nA,9,,1\n", {"A": None}),
    "milestones for an indicator without them": ("A,8,f,yes\nA,8,n,5\nA,8,milestones,1\n",
                                                 {"A": None}),
    "tabs and odd spaces around cells": ("A\t,8\t,f ,yes\u3000\nA,8,n,\u00a02\t\n"
                                         "A,9,milestones, 1\t\nB,8,f,no\nB,8,n,1\nB,9,milestones,0\n",
                                         {"A": 80, "B": 0}),
    "Thai digits as flags and milestones": ("A,8,f,๑\nA,8,n,๒\nA,9,milestones,๑\n"
                                            "A,9,milestones,๒\n", {"A": 100}),
    "a quoted cell with a line break": ('"A\nB",8,f,yes\n"A\nB",8,n,1\n"A\nB",9,milestones,0\n'
                                        'C,8,f\n',
                                        {"A\nB": 30, "C": None}),
    "two byte order marks": ("A,8,f,yes\nA,8,n,2\nA,9,milestones,0\n", {"A": 60}),
}


@pytest.mark.parametrize("case", list(ODD_FILES))
def test_odd_files_are_read_alike(tmp_path: Path, case: str) -> None:
    rules = tmp_path / "rules.kpi"
    rules.write_text(FLAGS_AND_STEPS, encoding="utf-8")
    rows, totals = ODD_FILES[case]
    header = "\ufeff\ufeff" if case == "two byte order marks" else ""
    records = tmp_path / "records.csv"
    records.write_text(header + "subject,indicator,measure,value\n" + rows, encoding="utf-8")
    python, sql = both(str(rules), str(records))
    assert python.returncode == sql.returncode, (python.stderr, sql.stderr)
    python_out, sql_out = json.loads(python.stdout), json.loads(sql.stdout)
    got = {name: card.get("total") for name, card in sql_out.items()}
    assert got == {name: card.get("total") for name, card in python_out.items()} == totals


@pytest.mark.parametrize("before", ["\n", ",,,\n\n"])
def test_blank_rows_before_the_header_are_skipped_alike(tmp_path: Path, before: str) -> None:
    rules = tmp_path / "rules.kpi"
    rules.write_text(GROWTH_AND_STEPS, encoding="utf-8")
    records = tmp_path / "records.csv"
    records.write_text(before + "subject,indicator,measure,value\ns,6,g,12\ns,7,milestones,1\n",
                       encoding="utf-8")
    python, sql = both(str(rules), str(records))
    assert (python.returncode, sql.returncode) == (0, 0), sql.stderr
    # g 12 is level 2 (60 points), milestone 1 of 2 (20).
    assert json.loads(sql.stdout) == json.loads(python.stdout)
    assert json.loads(sql.stdout)["s"]["total"] == 80


def test_a_path_duckdb_would_take_for_a_pattern_is_refused(tmp_path: Path) -> None:
    rules = tmp_path / "rules.kpi"
    rules.write_text(GROWTH_AND_STEPS, encoding="utf-8")
    for name in ("a*.csv", "a1.csv"):
        (tmp_path / name).write_text("subject,indicator,measure,value\ns,6,g,12\n"
                                     "s,7,milestones,1\n", encoding="utf-8")
    sql = run("eval", str(rules), str(tmp_path / "a*.csv"), "--engine", "duckdb")
    assert sql.returncode == 2 and "pattern" in sql.stderr and "Traceback" not in sql.stderr
    assert run("eval", str(rules), str(tmp_path / "a*.csv")).returncode == 0  # Python reads it


def test_eval_on_spark_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    """Refused before Spark starts, in the words --engine duckdb uses (exit code 2)."""
    json_records = run("eval", "cdd-2565-r1", "examples/records.json", "--engine", "spark")
    assert json_records.returncode == 2
    assert "--engine spark reads .csv or .parquet records" in json_records.stderr
    thai_windows = run("eval", "cdd-2565-r1", "examples/records.csv", "--engine", "spark",
                       "--encoding", "cp874")
    assert thai_windows.returncode == 2 and "UTF-8 files only" in thai_windows.stderr
    missing = run("eval", "cdd-2565-r1", str(tmp_path / "none.csv"), "--engine", "spark")
    assert missing.returncode == 2 and "no such file" in missing.stderr


@pytest.mark.slow
def test_eval_on_spark_scores_as_python_does(tmp_path: Path) -> None:
    """``--engine spark`` on a local session: a file where one subject is scored and one
    rejected, with the same outputs and exit code as the Python engine. (One run: a Spark
    session takes a minute to start on a busy machine; the catalogue on the example records is
    scored on Spark in test_sql_spark.)"""
    from tests.engines import spark_problem

    problem = spark_problem()
    if problem is not None:
        from tests.engines import missing

        missing(problem)
    records = tmp_path / "records.csv"
    records.write_text(
        "subject,indicator,measure,value\n"
        "good,1,target,400\ngood,1,developed,220\ngood,2,trained,90\ngood,2,milestones,1\n"
        "good,2,milestones,2\ngood,3,online,yes\ngood,3,growth,12\n"
        "zero,1,target,0\nzero,1,developed,0\nzero,2,trained,90\nzero,3,online,no\n"
        "zero,3,growth,1\n", encoding="utf-8")
    python = run("eval", str(DATA / "rules.kpi"), str(records), "--format", "json")
    spark = run("eval", str(DATA / "rules.kpi"), str(records), "--format", "json", "--engine",
                "spark")
    assert (python.returncode, spark.returncode) == (1, 1), spark.stderr
    # A rejected subject is named, not given a row (as with --engine duckdb).
    assert spark.stdout == re.sub(r'"row \d+: ', '"', python.stdout)
    assert json.loads(spark.stdout)["good"]["total"] == 82  # worked out in the test above


def test_a_rejected_subject_is_reported_in_the_language_asked_for(tmp_path: Path) -> None:
    records = tmp_path / "records.csv"
    records.write_text(
        "subject,indicator,measure,value\n"
        "zero,1,target,0\nzero,1,developed,0\nzero,2,trained,90\nzero,3,online,no\n"
        "zero,3,growth,1\n", encoding="utf-8")
    python, sql = both(str(DATA / "rules.kpi"), str(records), "--lang", "th")
    assert (python.returncode, sql.returncode) == (1, 1)
    python_error = json.loads(python.stdout)["zero"]["error"]
    sql_error = json.loads(sql.stdout)["zero"]["error"]
    # The Python engine puts the row in front; the words after it are the same, in Thai.
    assert python_error.endswith(sql_error) and "`target`" in sql_error
    assert any("\u0e00" <= c <= "\u0e7f" for c in sql_error), sql_error
