"""`kpirules eval --engine duckdb`: the same outputs and exit codes as the Python path."""

from __future__ import annotations

import json
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


def test_no_milestone_rows_is_no_milestone_done_on_both_engines(tmp_path: Path) -> None:
    records = tmp_path / "records.csv"
    lines = [line for line in (ROOT / "examples" / "records.csv").read_text(
        encoding="utf-8").splitlines() if ",milestones," not in line]
    records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    python, sql = both("cdd-2565-r1", str(records))
    assert (python.returncode, sql.returncode) == (0, 0), sql.stderr
    python_out, sql_out = json.loads(python.stdout), json.loads(sql.stdout)
    assert sql_out == python_out
    for scorecard in sql_out.values():  # indicators 2 and 7 are milestones only
        indicators = scorecard["indicators"]
        assert indicators["2"]["level"] == indicators["7"]["level"] == 0


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
