"""`kpirules eval --engine duckdb` on the wide layout (a row per subject, a column per measure and
milestone level), as CSV and as typed Parquet: the same subjects scored with the same results and
the same subjects rejected as on the Python engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kpirules
from kpirules.sql.engine import DuckDBRun

ROOT = Path(__file__).resolve().parents[1]

RULES = """indicator 1 "ratio"
  weight 40
  measure target count
  measure developed count
  let percent = developed / target * 100
  level 1 if percent >= 10
  level 2 if percent >= 20
  level 3 if percent >= 40
  level 4 if percent >= 60
  level 5 if percent >= 80
indicator 2 "steps"
  weight 20
  level 1 milestone "drafted"
  level 2 milestone "approved"
indicator 3 "growth"
  weight 40
  measure growth "percent" number
  measure online flag
  level 1 if growth >= 11 and online
  level 2 if growth >= 12 and online
"""

COLUMNS = ("subject", "1.target", "1.developed", "2.milestones.1", "2.milestones.2", "3.growth",
           "3.online")
TYPES = ("VARCHAR", "INTEGER", "INTEGER", "BOOLEAN", "BOOLEAN", "DECIMAL(15, 2)", "BOOLEAN")

ROW = st.tuples(
    st.sampled_from(["a", "b", " c ", "ไทย", "d", "", "=1"]),
    st.sampled_from([400, 0, 7, None]),
    st.sampled_from([130, 400, 1, None]),
    st.sampled_from([True, False, None]),
    st.sampled_from([True, False, None]),
    st.sampled_from([Decimal("11.5"), Decimal("12"), Decimal("11.33"), Decimal("10"), None]),
    st.sampled_from([True, False, None]),
)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kpirules", *args], capture_output=True,
                          text=True, cwd=ROOT, encoding="utf-8")


def _write(folder: Path, rows: list[tuple[object, ...]], kind: str,
           columns: tuple[str, ...] = COLUMNS, types: tuple[str, ...] = TYPES) -> Path:
    connection = duckdb.connect()
    try:
        connection.execute("CREATE TABLE t (" + ", ".join(
            f'"{name}" {kind_ if kind == "parquet" else "VARCHAR"}'
            for name, kind_ in zip(columns, types, strict=True)) + ")")
        if rows:
            connection.executemany(
                f"INSERT INTO t VALUES ({', '.join('?' for _ in columns)})",
                [[None if value is None else value if kind == "parquet" else
                  str(value).lower() if isinstance(value, bool) else str(value)
                  for value in row] for row in rows])
        path = folder / f"wide.{kind}"
        options = "FORMAT parquet" if kind == "parquet" else "HEADER, DELIMITER ','"
        connection.execute(f"COPY (SELECT * FROM t ORDER BY rowid) TO '{path}' ({options})")
    finally:
        connection.close()
    return path


def _both(rules: Path, records: Path, *extra: str
          ) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    python = run("eval", str(rules), str(records), "--format", "json", *extra)
    engine = run("eval", str(rules), str(records), "--format", "json", "--engine", "duckdb",
                 *extra)
    return python, engine


def _same(python: subprocess.CompletedProcess[str],
          engine: subprocess.CompletedProcess[str]) -> dict[str, dict[str, object]]:
    assert python.returncode == engine.returncode, (python.stderr, engine.stderr)
    python_out = json.loads(python.stdout, parse_float=Decimal)
    engine_out = json.loads(engine.stdout, parse_float=Decimal)
    assert list(engine_out) == list(python_out)  # the same subjects, in the file's order
    for name, card in python_out.items():
        if "error" in card:
            assert "error" in engine_out[name], name  # the reasons may be worded otherwise
        else:
            assert engine_out[name] == card, name
    return engine_out  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def rules_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wide") / "rules.kpi"
    path.write_text(RULES, encoding="utf-8")
    return path


@settings(max_examples=int(os.environ.get("KPIRULES_ENGINE_EXAMPLES", "25")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=st.lists(ROW, max_size=6), kind=st.sampled_from(["csv", "parquet"]))
def test_wide_files_score_as_on_the_python_engine(
        tmp_path: Path, rules_file: Path, rows: list[tuple[object, ...]], kind: str) -> None:
    records = _write(tmp_path, rows, kind)
    python, engine = _both(rules_file, records)
    _same(python, engine)


def test_a_typed_parquet_file_is_read_by_its_types(tmp_path: Path) -> None:
    rules = kpirules.parse(RULES)
    rows = [("a", 400, 130, True, False, Decimal("11.5"), True)]
    typed = DuckDBRun(rules, str(_write(tmp_path, rows, "parquet")), header=lambda: 1)
    text = DuckDBRun(rules, str(_write(tmp_path, rows, "csv")), header=lambda: 1)
    try:
        for each in (typed, text):
            each.read()
            each.score()
        # The fast path: no text parser, 64-bit arithmetic (see the SQL page).
        assert typed.types == {"1.target": "INTEGER", "1.developed": "INTEGER",
                               "2.milestones.1": "BOOLEAN", "2.milestones.2": "BOOLEAN",
                               "3.growth": "DECIMAL(15,2)", "3.online": "BOOLEAN"}
        assert text.types == {}
        # 130/400 = 32.5 % is level 2 of 5 (16 points); milestone 1 of 2 (10); growth 11.5
        # online is level 1 of 2 (20): 46, by hand.
        for each in (typed, text):
            columns, rows_out = each.scores().columns, next(each.scores().batches)
            assert dict(zip(columns, rows_out[0], strict=True))["total"] == Decimal(46)
    finally:
        typed.close()
        text.close()


def test_a_subject_twice_and_a_row_with_no_subject_are_not_scored(
        tmp_path: Path, rules_file: Path) -> None:
    rows = [("a", 400, 400, True, True, Decimal(12), True), ("", 1, 1, None, None, None, None),
            ("a", 400, 0, None, None, None, None), ("b", 400, 40, True, None, Decimal(11), False)]
    python, engine = _both(rules_file, _write(tmp_path, rows, "csv"))
    out = _same(python, engine)
    assert python.returncode == 1
    # a: 100 % (40), both milestones (20), growth 12 online (40); b: 10 % is level 1 (8),
    # milestone 1 (10), offline: level 0. By hand.
    assert {name: card["total"] for name, card in out.items()} == {"a": 100, "b": 18}
    assert "1 row with no subject, not scored" in engine.stderr
    assert '1 row of subjects that have a row already ("a"), not scored' in engine.stderr
    assert "2 rows not scored" in python.stderr and "2 rows not scored" in engine.stderr


def test_an_indicator_with_no_column_rejects_every_subject_alike(
        tmp_path: Path, rules_file: Path) -> None:
    columns, types = COLUMNS[:3] + COLUMNS[5:], TYPES[:3] + TYPES[5:]
    records = _write(tmp_path, [("a", 400, 400, Decimal(12), True)], "parquet", columns, types)
    python, engine = _both(rules_file, records)
    out = _same(python, engine)
    assert python.returncode == 1
    assert out["a"]["error"] == "no record for indicator 2"


def test_an_unknown_column_is_refused_or_ignored(tmp_path: Path, rules_file: Path) -> None:
    records = _write(tmp_path, [("a", 400, 400, True, True, Decimal(12), True, "x")], "csv",
                     (*COLUMNS, "1.targte"), (*TYPES, "VARCHAR"))
    python, engine = _both(rules_file, records)
    # Every subject would be rejected (an unknown measure), so the engine refuses the file.
    assert (python.returncode, engine.returncode) == (1, 2)
    assert "`1.targte` is not a measure or a milestone level of indicator 1" in engine.stderr
    assert "unknown measure `targte`" in json.loads(python.stdout)["a"]["error"]
    python, engine = _both(rules_file, records, "--no-strict")
    assert _same(python, engine)["a"]["total"] == 100


def test_numbers_as_flags_and_milestones_nan_and_float_subjects_are_read_alike(
        tmp_path: Path, rules_file: Path) -> None:
    # What pandas writes for a column of integers with gaps: float64, NaN for the gaps.
    types = ("DOUBLE", "DOUBLE", "BIGINT", "DOUBLE", "FLOAT", "DECIMAL(15, 2)", "DOUBLE")
    nan = float("nan")
    rows = [(1001.0, 400.0, 130, 1.0, 0.0, Decimal("11.5"), 1.0),
            (1002.5, 400.0, 400, nan, 1.0, Decimal(12), 1.0),
            (1003.0, 400.0, 40, 2.0, nan, Decimal(12), 0.0),
            (nan, nan, None, nan, nan, None, nan)]
    records = _write(tmp_path, rows, "parquet", COLUMNS, types)
    python, engine = _both(rules_file, records)
    out = _same(python, engine)
    # 1001: 32.5 % is level 2 (16), milestone 1 (10), growth 11.5 online level 1 (20): 46.
    # 1002.5: 100 % (40), milestone 2 without 1: level 0, growth 12 online (40): 80.
    # 1003: milestone cell 2 is neither done nor not done: rejected. The last row is blank.
    assert {name: card.get("total") for name, card in out.items()} == {
        "1001": 46, "1002.5": 80, "1003": None}
    assert python.returncode == engine.returncode == 1
    assert "not scored" not in engine.stderr


def test_a_header_without_a_subject_column_is_refused_at_its_row(
        tmp_path: Path, rules_file: Path) -> None:
    records = tmp_path / "records.csv"
    records.write_text("\n\n1.target,1.developed\n400,130\n", encoding="utf-8")
    python, engine = _both(rules_file, records)
    assert python.returncode == engine.returncode == 2
    assert engine.stderr == python.stderr and ":3:" in engine.stderr
