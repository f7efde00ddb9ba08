"""Section 9 of ``benchmarks/run.py`` (``--only cli``): ``kpirules eval --engine duckdb`` on a
national-scale long records file, beside the bare query.

The file is the shipped example records repeated (``examples/records.csv``, 6 subjects and 111
rows; 40,000 copies are 240,000 subjects and 4.44 million rows, each copy's subjects renamed).
Each command runs in a fresh interpreter, as a user runs it, in interleaved rounds (median):

- *the bare query*: ``python -c`` that imports DuckDB and runs ``COPY (RuleSet.to_sql(form="long")
  over read_csv(FILE)) TO out.csv``: the scoring query alone, reading the file with the same
  options as the engine, writing DuckDB's own CSV of the query's columns;
- ``kpirules eval cdd-2565-r1 FILE --engine duckdb -o out.csv`` (and ``.json``, ``.parquet``):
  the whole command (argument checks, the header check, reading the file as the Python engine
  does, the rows it sets aside, subjects in file order, the reasons of rejected subjects, the
  output in the Python writers' bytes, written by DuckDB);
- for scale, once: ``--engine duckdb -o out.txt`` (the text output, written by the Python writer)
  and the Python engine to ``out.csv``.

Then the same records in the wide layout, as a warehouse would export them: a Parquet file of one
row per subject with typed columns (INTEGER counts, DECIMAL(18, 4) numbers, BOOLEAN milestones),
which the engine hands to the query's typed fast path, beside the bare typed query over it
(``RuleSet.to_sql(types=...)``, the file's own column types).

Before anything is timed, the engine's CSV output is compared byte for byte with the Python
engine's, for both files.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import kpirules

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "records.csv"

READ = ("read_csv('{path}', header = true, all_varchar = true, delim = ',', quote = '\"', "
        "escape = '\"', null_padding = true, strict_mode = false)")


def records_file(path: Path, copies: int) -> int:
    """The example records repeated ``copies`` times into ``path``; returns the row count."""
    import duckdb

    connection = duckdb.connect()
    try:
        connection.execute(
            f"COPY (SELECT subject || '-' || k AS subject, indicator, measure, value FROM "
            f"(SELECT *, row_number() OVER () AS r FROM read_csv('{EXAMPLES}', "
            f"all_varchar = true)) AS t, range({copies}) AS g(k) ORDER BY k, r) "
            f"TO '{path}' (HEADER, DELIMITER ',')")
        return int(connection.execute(f"SELECT count(*) FROM read_csv('{path}')").fetchone()[0])
    finally:
        connection.close()


def wide_file(source: Path, target: Path, rules: kpirules.RuleSet) -> dict[str, str]:
    """The long records of ``source`` as a typed wide Parquet file; returns its column types."""
    import duckdb

    from kpirules.sql import column_name, milestone_column

    kinds = {"count": "INTEGER", "number": "DECIMAL(18, 4)", "flag": "BOOLEAN"}
    columns = []
    for indicator in rules:
        for measure in indicator.measures:
            name = column_name(indicator.id, measure.name)
            columns.append(
                f"max(CASE WHEN indicator = '{indicator.id}' AND measure = '{measure.name}' "
                f"THEN CAST(value AS {kinds[measure.kind]}) END) AS \"{name}\"")
        for level in indicator.levels:
            if level.is_milestone:
                name = milestone_column(indicator.id, level.number)
                columns.append(f"bool_or(indicator = '{indicator.id}' AND measure = 'milestones' "
                               f"AND value = '{level.number}') AS \"{name}\"")
    connection = duckdb.connect()
    try:
        connection.execute(
            f"COPY (SELECT subject, {', '.join(columns)} FROM (SELECT *, row_number() OVER () "
            f"AS r FROM read_csv('{source}', all_varchar = true)) GROUP BY subject "
            f"ORDER BY min(r)) TO '{target}' (FORMAT parquet)")
        return {str(name): str(kind) for name, kind, *_ in connection.execute(
            f"DESCRIBE SELECT * FROM read_parquet('{target}')").fetchall() if name != "subject"}
    finally:
        connection.close()


def _bare(script: Path, source: str, query: str, out: Path) -> Path:
    """A Python script that runs ``query`` over the table ``records`` read from ``source`` and
    writes its rows with DuckDB's own CSV writer: the bare query, as a user would run it."""
    target = "'" + str(out).replace("'", "''") + "'"
    script.write_text(
        "import duckdb\nconnection = duckdb.connect()\n"
        f"connection.execute('CREATE VIEW records AS SELECT * FROM ' + {source!r})\n"
        f"connection.execute('COPY (' + {query!r} + ') TO ' + {target!r} + ' (HEADER)')\n",
        encoding="utf-8")
    return script


def _timed(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-500:]}")
    return took


def bench_cli(copies: int, rounds: int, table: Callable[..., str]) -> list[str]:
    rules = kpirules.catalogue.load("cdd-2565-r1")
    kpirules_command = [sys.executable, "-m", "kpirules", "eval", "cdd-2565-r1"]
    with tempfile.TemporaryDirectory(prefix="kpirules-cli-") as folder:
        base = Path(folder)
        source = base / "records.csv"
        rows = records_file(source, copies)
        subjects = 6 * copies
        query = rules.to_sql(table="records", form="long", dialect="duckdb")
        bare_script = _bare(base / "bare.py", READ.format(path=source), query, base / "bare.csv")
        # The outputs agree before anything is timed.
        _timed([*kpirules_command, str(source), "-o", str(base / "python.csv")])
        _timed([*kpirules_command, str(source), "--engine", "duckdb", "-o",
                str(base / "engine.csv")])
        if (base / "python.csv").read_bytes() != (base / "engine.csv").read_bytes():
            raise AssertionError("eval --engine duckdb wrote other bytes than the Python engine")
        wide = base / "wide.parquet"
        types = wide_file(source, wide, rules)
        typed_query = rules.to_sql(table="records", dialect="duckdb", types=types)
        wide_script = _bare(base / "bare_wide.py", f"read_parquet('{wide}')", typed_query,
                            base / "bare_wide.csv")
        _timed([*kpirules_command, str(wide), "-o", str(base / "python_wide.csv")])
        _timed([*kpirules_command, str(wide), "--engine", "duckdb", "-o",
                str(base / "engine_wide.csv")])
        if (base / "python_wide.csv").read_bytes() != (base / "engine_wide.csv").read_bytes():
            raise AssertionError("the wide Parquet file: the engines wrote other bytes")
        if (base / "python_wide.csv").read_bytes() != (base / "python.csv").read_bytes():
            raise AssertionError("the wide Parquet file scores otherwise than the long file")
        commands = {
            "bare query (COPY to CSV)": [sys.executable, str(bare_script)],
            "eval --engine duckdb -o out.csv": [*kpirules_command, str(source), "--engine",
                                                "duckdb", "-o", str(base / "out.csv")],
            "eval --engine duckdb -o out.json": [*kpirules_command, str(source), "--engine",
                                                 "duckdb", "-o", str(base / "out.json")],
            "eval --engine duckdb -o out.parquet": [*kpirules_command, str(source), "--engine",
                                                    "duckdb", "-o", str(base / "out.parquet")],
            "wide typed Parquet: bare typed query (COPY to CSV)": [sys.executable,
                                                                    str(wide_script)],
            "wide typed Parquet: eval --engine duckdb -o out.csv": [
                *kpirules_command, str(wide), "--engine", "duckdb", "-o", str(base / "w.csv")],
        }
        samples: dict[str, list[float]] = {name: [] for name in commands}
        names = list(commands)
        for number in range(rounds):
            shift = number % len(names)
            for name in names[shift:] + names[:shift]:
                samples[name].append(_timed(commands[name]))
        once = {
            "eval --engine duckdb -o out.txt (Python writer)": _timed(
                [*kpirules_command, str(source), "--engine", "duckdb", "-o",
                 str(base / "out.txt")]),
            "eval (Python engine) -o out.csv": _timed(
                [*kpirules_command, str(source), "-o", str(base / "python.csv")]),
        }
    bare = statistics.median(samples[names[0]])
    bare_wide = statistics.median(samples["wide typed Parquet: bare typed query (COPY to CSV)"])
    table_rows = [(name, f"{statistics.median(times):.2f} s",
                   f"{statistics.median(times) / (bare_wide if 'wide' in name else bare):.2f}x")
                  for name, times in samples.items()]
    table_rows += [(f"{name} (once)", f"{took:.2f} s", f"{took / bare:.2f}x")
                   for name, took in once.items()]
    return [table(f"9. kpirules eval on a long CSV file of {rows:,} rows ({subjects:,} subjects), "
                  f"median of {rounds} rounds, each command in a fresh interpreter",
                  table_rows, ("command", "wall time", "vs the bare query (its own file's)"))]
