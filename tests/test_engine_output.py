"""`kpirules eval --engine duckdb` writing CSV, JSON and Parquet with DuckDB itself: the same
bytes (CSV, JSON) and the same schema and rows (Parquet) as the Python writers write from the
same scorecards, for any subject name and any mix of scored and rejected subjects."""

from __future__ import annotations

import csv
import io
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
from kpirules import _engine_output, cli
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
  level 1 if growth >= 11
  level 2 if growth >= 12
  score interpolate
"""

# Names a CSV cell, a JSON string or a spreadsheet treats specially, and Thai.
NAME_ALPHABET = 'ab,"\n\r\t =+-@\'\\/:;{}0๑5.ก่\x01\x1f\x7f\u2028\u00a0\u200b'
NAME = st.one_of(st.text(NAME_ALPHABET, min_size=1, max_size=8),
                 st.sampled_from(["ไทย", "-5", "=1", "+๑๒", "-1.5", "@x", "a,b"]))
NAMES = st.lists(NAME, min_size=1, max_size=6, unique_by=lambda name: name.strip())
VALUES = st.fixed_dictionaries({
    "target": st.sampled_from(["400", "0", "7", "x", None]),
    "developed": st.sampled_from(["130", "400", "1", "-1", None]),
    "milestones": st.lists(st.sampled_from(["1", "2", "0", "3", "๒"]), max_size=2),
    "growth": st.sampled_from(["11.5", "12", "11.3333", "10", "abc", None]),
})


def _records(path: Path, subjects: list[tuple[str, dict[str, object]]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["subject", "indicator", "measure", "value"])
        for name, values in subjects:
            for measure, indicator in (("target", "1"), ("developed", "1"), ("growth", "3")):
                if values[measure] is not None:
                    writer.writerow([name, indicator, measure, values[measure]])
            for done in values["milestones"]:  # type: ignore[attr-defined]
                writer.writerow([name, "2", "milestones", done])


def _python_written(run: DuckDBRun, rules: kpirules.RuleSet, chosen: str, output: str) -> None:
    """The same scorecards written by the Python writers (the path of text and Excel output)."""
    cli._write_scores(run.scores(), chosen, output, rules, cli.Report(run.path))


def _written_alike(run: DuckDBRun, rules: kpirules.RuleSet, folder: Path) -> None:
    """Each output file written by the engine and by the Python writers: the same bytes (CSV,
    JSON), the same schema and rows (Parquet). The files stay in ``folder``."""
    for chosen in ("csv", "json", "parquet"):
        engine, python = folder / f"engine.{chosen}", folder / f"python.{chosen}"
        _engine_output.write(run, rules, chosen, str(engine))
        _python_written(run, rules, chosen, str(python))
        if chosen == "parquet":
            assert _parquet(engine) == _parquet(python)
        else:
            assert engine.read_bytes() == python.read_bytes(), chosen


def _scored(tmp_path: Path, subjects: list[tuple[str, dict[str, object]]],
            rules: kpirules.RuleSet) -> DuckDBRun:
    records = tmp_path / "records.csv"
    _records(records, subjects)
    run = DuckDBRun(rules, str(records), header=lambda: 1)
    run.read()
    run.score()
    return run


def _parquet(path: Path) -> tuple[list[tuple[str, str]], list[tuple[object, ...]]]:
    connection = duckdb.connect()
    try:
        schema = [(row[0], row[1]) for row in connection.execute(
            f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()]
        rows = connection.execute(f"SELECT * FROM read_parquet('{path}')").fetchall()
    finally:
        connection.close()
    return schema, rows


@settings(max_examples=int(os.environ.get("KPIRULES_ENGINE_EXAMPLES", "40")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(subjects=NAMES.flatmap(lambda names: st.tuples(*(
    st.tuples(st.just(name), VALUES) for name in names))))
def test_the_engine_writes_what_the_python_writers_write(
        tmp_path: Path, subjects: tuple[tuple[str, dict[str, object]], ...]) -> None:
    rules = kpirules.parse(RULES)
    assert _engine_output.engine_writes(rules, "csv")
    run = _scored(tmp_path, list(subjects), rules)
    try:
        _written_alike(run, rules, tmp_path)
        for chosen in ("csv", "json"):
            out, expected = io.StringIO(), io.StringIO()
            _engine_output.write(run, rules, chosen, None, stdout=out)
            _python_to(expected, run, rules, chosen)
            assert out.getvalue() == expected.getvalue(), chosen
    finally:
        run.close()


def _python_to(out: io.StringIO, run: DuckDBRun, rules: kpirules.RuleSet, chosen: str) -> None:
    stdout = sys.stdout
    sys.stdout = out
    try:
        cli._write_scores(run.scores(), chosen, None, rules, cli.Report(run.path))
    finally:
        sys.stdout = stdout


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kpirules", *args], capture_output=True,
                          text=True, cwd=ROOT, encoding="utf-8")


@pytest.mark.parametrize("output", ["out.csv", "out.json", "-csv", "-json"])
def test_the_catalogue_examples_come_out_byte_for_byte_as_on_the_python_engine(
        tmp_path: Path, output: str) -> None:
    written = {}
    for engine in ("python", "duckdb"):
        if output.startswith("-"):
            got = run("eval", "cdd-2565-r1", "examples/records.csv", "--format", output[1:],
                      "--engine", engine)
            assert got.returncode == 0, got.stderr
            written[engine] = got.stdout.encode("utf-8")
        else:
            target = tmp_path / f"{engine}-{output}"
            got = run("eval", "cdd-2565-r1", "examples/records.csv", "-o", str(target),
                      "--engine", engine)
            assert got.returncode == 0, got.stderr
            written[engine] = target.read_bytes()
    assert written["duckdb"] == written["python"]
    if output == "out.csv":
        # The file starts with a byte order mark, and เชียงใหม่ reaches every top level
        # (examples/README.md): 20 points of indicator 1, a total of 100.
        assert written["duckdb"].startswith("\ufeffsubject,indicator,level".encode())
        assert "เชียงใหม่,1,5,5,20,100,\n".encode() in written["duckdb"]


def test_the_catalogue_examples_as_parquet_are_the_same_table(tmp_path: Path) -> None:
    python, engine = tmp_path / "python.parquet", tmp_path / "engine.parquet"
    assert run("eval", "cdd-2565-r1", "examples/records.csv", "-o", str(python)).returncode == 0
    got = run("eval", "cdd-2565-r1", "examples/records.csv", "-o", str(engine), "--engine",
              "duckdb")
    assert got.returncode == 0, got.stderr
    assert _parquet(engine) == _parquet(python)
    schema, rows = _parquet(engine)
    assert schema[:4] == [("subject", "VARCHAR"), ("total", "DECIMAL(18,0)"),
                          ("error", "VARCHAR"), ("1.level", "INTEGER")]
    assert rows[0][:3] == ("เชียงใหม่", Decimal(100), None)


THIRDS = """indicator 1 "thirds"
  weight 100
  measure n
  level 1 if n >= 1
  level 2 if n >= 2
  level 3 if n >= 3
"""


def test_points_that_do_not_end_are_written_by_python_as_on_the_python_engine(
        tmp_path: Path) -> None:
    # 100 × 1 / 3 has no end: Python's 28 digits are written, which the SQL does not compute.
    rules = tmp_path / "rules.kpi"
    rules.write_text(THIRDS, encoding="utf-8")
    records = tmp_path / "records.csv"
    records.write_text("subject,indicator,measure,value\na,1,n,1\nb,1,n,3\nc,1,n,x\n",
                       encoding="utf-8")
    assert not _engine_output.engine_writes(kpirules.parse(THIRDS), "csv")
    outputs = {}
    for engine in ("python", "duckdb"):
        target = tmp_path / f"{engine}.json"
        got = run("eval", str(rules), str(records), "-o", str(target), "--engine", engine)
        assert got.returncode == 1 and "c" in got.stderr
        outputs[engine] = json.loads(target.read_text(encoding="utf-8"), parse_float=Decimal)
    assert outputs["duckdb"]["a"] == outputs["python"]["a"]
    assert outputs["duckdb"]["a"]["total"] == Decimal("33.33333333333333333333333333")
    assert outputs["duckdb"]["b"]["total"] == 100


@pytest.mark.parametrize(("weights", "levels", "writes"), [
    ((20, 80), 5, True),          # 4 and 16 points a level
    ((10, 90), 8, True),          # 1.25 a level: 2 places, and 4 of an interpolated score
    ((100,), 3, False),           # 33.333… never ends
    ((Decimal("0.5"), Decimal("99.5")), 2, True),
    ((Decimal("0.001"), Decimal("99.999")), 16, False),  # 0.0000625: 7 places, 11 with a
                                                         # score's 4, beyond the SQL's 10
])
def test_when_the_engine_writes(weights: tuple[object, ...], levels: int, writes: bool) -> None:
    text = "".join(
        f'indicator {k + 1} "i"\n  weight {weight}\n  measure m\n'
        + "".join(f"  level {n} if m >= {n}\n" for n in range(1, levels + 1))
        for k, weight in enumerate(weights))
    rules = kpirules.parse(text)
    assert _engine_output.engine_writes(rules, "csv") is writes
    assert not _engine_output.engine_writes(rules, "text")
    assert not _engine_output.engine_writes(rules, "xlsx")


def test_rejected_subjects_are_reported_and_counted_as_on_the_python_engine(
        tmp_path: Path) -> None:
    rules = tmp_path / "rules.kpi"
    rules.write_text(RULES, encoding="utf-8")
    records = tmp_path / "records.csv"
    # 150 subjects with a count that is not a number, 2 scored.
    _records(records, [(f"s{k}", {"target": "x", "developed": "1", "milestones": ["1"],
                                  "growth": "12"}) for k in range(150)]
             + [(f"ok{k}", {"target": "400", "developed": "400", "milestones": ["1", "2"],
                            "growth": "12"}) for k in range(2)])
    python = run("eval", str(rules), str(records), "-o", str(tmp_path / "p.csv"))
    engine = run("eval", str(rules), str(records), "-o", str(tmp_path / "e.csv"),
                 "--engine", "duckdb")
    assert (python.returncode, engine.returncode) == (1, 1)
    python_lines, engine_lines = python.stderr.splitlines(), engine.stderr.splitlines()
    # 100 messages, then what was left out and the count of rejected subjects.
    assert len(engine_lines) == len(python_lines) == 102
    assert engine_lines[-2:] == python_lines[-2:]
    assert "150 of 152 subjects rejected" in engine_lines[-1]
    assert engine_lines[0].endswith('subject "s0": indicator 1: `target` must be a whole number 0 '
                                    "or more, not `x`")
    totals = [line.split(",")[5] for line in
              (tmp_path / "e.csv").read_text(encoding="utf-8-sig").splitlines()[1:]]
    assert totals.count("100") == 6  # ok0 and ok1 reach every top level: 3 rows each


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("language", "said"), [("en", "scoring"), ("th", "กำลังคิดคะแนน")])
def test_the_engine_shows_how_far_it_is_on_a_terminal(language: str, said: str) -> None:
    pytest.importorskip("tqdm", reason="the progress bar needs tqdm: pip install 'kpirules[progress]'")
    cli._speech.choose(language)
    try:
        stream = _Terminal()
        progress = cli.EngineProgress(stream, after=0)
        assert progress.watch is not None
        progress.step("progress-scoring")
        progress.watch(1.0)  # the end of the statement before, as DuckDB may still say
        progress.watch(0.42)
        progress.watch(None)  # DuckDB cannot always say: the bar stays where it was
        progress.bar.refresh()
        shown = stream.getvalue()
        assert f"kpirules: {said}  42%|" in shown
        progress.clear()
        assert progress.bar is None
    finally:
        cli._speech.choose(None)


def test_the_engine_runs_without_a_thread_when_nothing_is_shown() -> None:
    assert cli.EngineProgress(io.StringIO()).watch is None


def test_a_watched_run_scores_as_an_unwatched_one(tmp_path: Path) -> None:
    rules = kpirules.parse(RULES)
    records = tmp_path / "records.csv"
    _records(records, [(f"s{k}", {"target": "400", "developed": str(k), "milestones": ["1"],
                                  "growth": "11.5"}) for k in range(2000)])
    seen: list[float | None] = []
    watched = DuckDBRun(rules, str(records), header=lambda: 1)
    watched.read(seen.append)
    watched.score(seen.append)
    plain = DuckDBRun(rules, str(records), header=lambda: 1)
    plain.read()
    plain.score()
    try:
        assert all(done is None or 0 <= done <= 1 for done in seen)
        rows = [row for batch in watched.scores().batches for row in batch]
        assert rows == [row for batch in plain.scores().batches for row in batch]
        assert len(rows) == 2000
    finally:
        watched.close()
        plain.close()


def test_an_output_through_a_link_replaces_the_file_it_points_to(tmp_path: Path) -> None:
    target = tmp_path / "results.csv"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "latest.csv"
    link.symlink_to(target)
    got = run("eval", "cdd-2565-r1", "examples/records.csv", "-o", str(link), "--engine",
              "duckdb")
    assert got.returncode == 0, got.stderr
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8-sig").startswith("subject,indicator,level")


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_an_output_that_is_a_folder_is_refused_alike(tmp_path: Path, engine: str) -> None:
    folder = tmp_path / "out.csv"
    folder.mkdir()
    got = run("eval", "cdd-2565-r1", "examples/records.csv", "-o", str(folder), "--engine",
              engine)
    assert got.returncode == 2
    assert "is a folder" in got.stderr and got.stdout == ""


def test_the_first_line_is_the_header_however_duckdb_orders_its_work(tmp_path: Path) -> None:
    # The first subject's first row is row 0 of the file: the header must still come first
    # (it once shared its place with that subject and came out after it now and then).
    rules = kpirules.parse(RULES)
    run = _scored(tmp_path, [(f"s{k}", {"target": "400", "developed": "1", "milestones": [],
                                        "growth": "12"}) for k in range(3)], rules)
    try:
        for _ in range(30):
            for chosen, first in (("json", "{"), ("csv", "subject,indicator,level")):
                out = io.StringIO()
                _engine_output.write(run, rules, chosen, None, stdout=out)
                lines = out.getvalue().splitlines()
                assert lines[0].startswith(first) and lines[1].startswith(("  \"s0\"", "s0,"))
    finally:
        run.close()


ODD_IDS = '''indicator "@x" "formula-like"
  weight 50
  measure m
  level 1 if m >= 1
  level 2 if m >= 2
indicator "a:b{c}'d\\"" "format-like"
  weight 50
  level 1 milestone "one"
'''


def test_odd_indicator_ids_are_written_alike(tmp_path: Path) -> None:
    rules = kpirules.parse(ODD_IDS)
    ids = rules.ids()
    assert ids == ["@x", "a:b{c}'d\""]
    records = tmp_path / "records.csv"
    with records.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["subject", "indicator", "measure", "value"])
        writer.writerows([["s", ids[0], "m", "2"], ["s", ids[1], "milestones", "1"],
                          ["t", ids[0], "m", "x"], ["t", ids[1], "milestones", "0"]])
    run_ = DuckDBRun(rules, str(records), header=lambda: 1)
    run_.read()
    run_.score()
    try:
        _written_alike(run_, rules, tmp_path)
        # The spreadsheet rule holds for ids as for names: '@x, never @x.
        assert "s,'@x,2,2,50,100,\n" in (tmp_path / "engine.csv").read_text(encoding="utf-8-sig")
        card = json.loads((tmp_path / "engine.json").read_text(encoding="utf-8"))["s"]
        assert card["indicators"][ids[1]] == {"level": 1, "score": 1, "points": 50}
    finally:
        run_.close()


def test_ctrl_c_stops_a_watched_query_and_frees_the_connection(tmp_path: Path) -> None:
    import signal
    import threading
    import time

    rules = kpirules.parse(RULES)
    records = tmp_path / "records.csv"
    _records(records, [("a", {"target": "1", "developed": "1", "milestones": [],
                              "growth": "12"})])
    run_ = DuckDBRun(rules, str(records), header=lambda: 1)
    seen: list[float | None] = []

    def interrupt() -> None:
        time.sleep(0.5)
        signal.raise_signal(signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run_.run("SELECT count(*) FROM range(100000000000) AS t(x) WHERE x % 7 = 3", seen.append)
    try:
        assert time.monotonic() - started < 30  # the query was stopped, not waited for
        assert seen  # it was watched
        assert run_.run("SELECT 42").fetchone() == (42,)  # the connection is free again
    finally:
        run_.close()


def test_duckdb_spills_into_a_folder_of_its_own_that_is_removed(tmp_path: Path) -> None:
    rules = kpirules.parse(RULES)
    run_ = _scored(tmp_path, [("a", {"target": "400", "developed": "1", "milestones": [],
                                     "growth": "12"})], rules)
    spill = Path(run_.spill)
    try:
        assert run_.run("SELECT current_setting('temp_directory')").fetchone() == (str(spill),)
        assert spill.is_dir() and not spill.is_relative_to(Path.cwd())
    finally:
        run_.close()
    assert not spill.exists()


@pytest.mark.parametrize(("lang", "said"), [
    ("en", "reads .csv or .parquet records"), ("th", "อ่านข้อมูลได้เฉพาะไฟล์ .csv หรือ .parquet")])
def test_the_engines_refusals_speak_the_readers_language(lang: str, said: str) -> None:
    for engine in ("duckdb", "spark"):
        got = run("eval", "cdd-2565-r1", "examples/records.json", "--engine", engine,
                  "--lang", lang)
        assert got.returncode == 2 and said in got.stderr and "Traceback" not in got.stderr
