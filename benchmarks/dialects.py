"""The SQL query on every engine side by side, and DuckDB as the table grows.

Section 7 of ``benchmarks/run.py`` (``--only dialects``; not in the default run, which stays
short): indicator 1 on the same rows in DuckDB, SQLite, PostgreSQL (a throw-away server, as in
the tests) and a local Spark session, each beside its own hand-written exact query. Section 8
(``--only growth``): the typed scorecard on DuckDB at 1 M, 10 M and (``--huge``) 100 M rows, out
of core (a memory limit below the table's size, ``--memory-limit``), with the process's memory
and what DuckDB spilled. Every engine's levels are checked against the hand-written query's
before anything is timed.
"""

from __future__ import annotations

import contextlib
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import kpirules

ROOT = Path(__file__).resolve().parents[1]


def _quote(name: str, dialect: str) -> str:
    return f"`{name}`" if dialect == "spark" else '"' + name.replace('"', '""') + '"'


def handwritten_1(dialect: str) -> str:
    """Indicator 1 as the best plain exact SQL we know, in ``dialect``: cross-multiplied
    integers, no division, the same input checks as kpirules' query makes of integer columns."""
    t, d = (_quote(f"1.{m}_households", dialect) for m in ("target", "developed"))
    ladder = " ".join(f"WHEN {d} * 100 >= {x} * {t} THEN {k}"
                      for k, x in ((5, 85), (4, 70), (3, 55), (2, 40), (1, 25)))
    return (f"SELECT subject, CASE WHEN {t} IS NULL OR {d} IS NULL OR {t} <= 0 OR {d} < 0 "
            f"THEN NULL {ladder} ELSE 0 END AS level FROM records")


def _rows(count: int) -> list[tuple[int, int, int]]:
    """The same rows for every engine: a target of 1-2000 households, and developed ones from 0
    to a little more than the target (so every level, and some impossible percentages, occur)."""
    state = 2565
    rows = []
    for subject in range(count):
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        target = 1 + (state >> 33) % 2000
        rows.append((subject, target, (state >> 13) % (target + 2)))
    return rows


class _Engine:
    """One database holding the table ``records``: runs a query and gives its rows."""

    name = ""

    def run(self, query: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class _DuckDB(_Engine):
    name = "DuckDB"

    def __init__(self, parquet: Path) -> None:
        import duckdb

        self.con = duckdb.connect()
        self.con.execute(f"CREATE TABLE records AS SELECT * FROM read_parquet('{parquet}')")
        self.version = duckdb.__version__

    def run(self, query: str) -> list[tuple[Any, ...]]:
        return list(self.con.execute(query).fetchall())


class _SQLite(_Engine):
    name = "SQLite"

    def __init__(self, rows: list[tuple[int, int, int]]) -> None:
        import sqlite3

        self.con = sqlite3.connect(":memory:")
        self.con.execute('CREATE TABLE records (subject INTEGER, "1.target_households" INTEGER, '
                         '"1.developed_households" INTEGER)')
        self.con.executemany("INSERT INTO records VALUES (?, ?, ?)", rows)
        self.version = sqlite3.sqlite_version

    def run(self, query: str) -> list[tuple[Any, ...]]:
        return self.con.execute(query).fetchall()


class _Postgres(_Engine):
    name = "PostgreSQL"

    def __init__(self, rows: list[tuple[int, int, int]]) -> None:
        sys.path.insert(0, str(ROOT))
        from tests.engines import PostgresServer

        self.server = PostgresServer()
        self.con = self.server.connect()
        self.con.execute('CREATE TABLE records (subject BIGINT, "1.target_households" BIGINT, '
                         '"1.developed_households" BIGINT)')
        with self.con.cursor() as cursor, cursor.copy("COPY records FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        self.con.execute("ANALYZE records")
        self.version = str(self.con.execute("SHOW server_version").fetchone()[0])

    def run(self, query: str) -> list[tuple[Any, ...]]:
        return list(self.con.execute(query).fetchall())

    def close(self) -> None:
        self.con.close()
        self.server.stop()


class _Spark(_Engine):
    name = "Spark (local)"

    def __init__(self, parquet: Path) -> None:
        from pyspark.sql import SparkSession

        self.session = (SparkSession.builder.master("local[*]").appName("kpirules-bench")
                        .config("spark.ui.enabled", "false")
                        .config("spark.ui.showConsoleProgress", "false")
                        .config("spark.sql.ansi.enabled", "false").getOrCreate())
        self.session.sparkContext.setLogLevel("ERROR")
        # Cached in memory, as the other engines hold the table: the query is timed, not Parquet.
        frame = self.session.read.parquet(str(parquet)).cache()
        frame.count()
        frame.createOrReplaceTempView("records")
        self.version = self.session.version

    def run(self, query: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.session.sql(query).collect()]

    def close(self) -> None:
        self.session.stop()


def bench_dialects(rules: kpirules.RuleSet, count: int, rounds: int,
                   table: Callable[..., str]) -> list[str]:
    """Section 7: indicator 1 on every engine, each beside its own hand-written exact query."""
    rows = _rows(count)
    out = []
    with tempfile.TemporaryDirectory() as directory:
        parquet = Path(directory) / "records.parquet"
        import duckdb

        staging = duckdb.connect()
        staging.execute('CREATE TABLE r (subject BIGINT, "1.target_households" BIGINT, '
                        '"1.developed_households" BIGINT)')
        staging.execute("INSERT INTO r SELECT * FROM (SELECT unnest($1) AS subject, "
                        "unnest($2), unnest($3))",
                        [[r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]])
        staging.execute(f"COPY r TO '{parquet}' (FORMAT parquet)")
        staging.close()
        makers: list[tuple[str, Callable[[], _Engine]]] = [
            ("duckdb", lambda: _DuckDB(parquet)), ("sqlite", lambda: _SQLite(rows)),
            ("postgres", lambda: _Postgres(rows)), ("spark", lambda: _Spark(parquet))]
        results = []
        for dialect, make in makers:
            try:
                engine = make()
            except Exception as error:  # a missing engine is reported, not fatal
                results.append((dialect, None, None, f"skipped: {type(error).__name__}: "
                                                     f"{str(error).splitlines()[0][:80]}"))
                continue
            try:
                ours = rules["1"].to_sql(table="records", dialect=dialect)
                hand = handwritten_1(dialect)
                mine = {r[0]: r[1] for r in engine.run(f"SELECT subject, level FROM ({ours}) q")}
                theirs = {r[0]: r[1] for r in engine.run(hand)}
                assert mine == theirs, f"{dialect}: kpirules SQL disagrees with hand-written SQL"
                queries = {"hand": f"SELECT count(*), sum(level) FROM ({hand}) q",
                           "ours": f"SELECT count(*), sum(level), sum(score), sum(points), "
                                   f"count(error) FROM ({ours}) q"}
                times: dict[str, list[float]] = {key: [] for key in queries}
                for number in range(rounds):  # interleaved, the order alternating
                    for key in sorted(queries, reverse=number % 2 == 1):
                        start = time.perf_counter()
                        engine.run(queries[key])
                        times[key].append(time.perf_counter() - start)
                medians = {key: statistics.median(values) for key, values in times.items()}
                results.append((f"{engine.name} {engine.version}", medians["ours"],
                                medians["hand"], ""))
            finally:
                engine.close()
    table_rows = []
    for name, ours_time, hand_time, note in results:
        if ours_time is None or hand_time is None:
            table_rows.append((name, "", "", note))
            continue
        table_rows.append((name, f"{count / ours_time:,.0f}", f"{count / hand_time:,.0f}",
                           f"{hand_time / ours_time:.2f}x"))
    out.append(table(f"7. Indicator 1 on every engine, the same {count:,} rows, median of "
                     f"{rounds} rounds (levels agree with each engine's hand-written exact query "
                     "on every row)", table_rows,
                     ("engine", "kpirules rows/s", "hand-written rows/s", "vs hand-written")))
    return out


def _peak_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _bytes_in(directory: Path) -> int:
    return sum(f.stat().st_size for f in directory.rglob("*") if f.is_file())


class _Watch:
    """While a query runs, samples in a thread the process's resident memory (Linux's
    /proc/self/statm) and the bytes in DuckDB's temporary directory, and keeps the largest of
    each: the temporary files are removed when the query ends, so they are seen only meanwhile."""

    def __init__(self, spill: Path) -> None:
        self.spill, self.rss_mb, self.spilled = spill, 0.0, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while True:
            with contextlib.suppress(OSError, ValueError):
                resident = int(Path("/proc/self/statm").read_text().split()[1]) * page
                self.rss_mb = max(self.rss_mb, resident / 2**20)
            with contextlib.suppress(OSError):
                self.spilled = max(self.spilled, _bytes_in(self.spill))
            if self._done.wait(0.1):
                return

    def __enter__(self) -> _Watch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def bench_growth(rules: kpirules.RuleSet, sizes: Sequence[int], rows_sql: str,
                 column_types: Callable[[Any], dict[str, str]],
                 table: Callable[..., str], rounds: int = 1,
                 memory_limit: str | None = None) -> list[str]:
    """Section 8: the typed scorecard query on DuckDB as the table grows, in an on-disk database
    under ``memory_limit`` (DuckDB's own is 80% of the machine's memory), with the database's
    size, the process's resident memory during the query and at most, and the most that DuckDB
    wrote to its temporary directory (what it spilled) while the query ran."""
    import duckdb

    table_rows = []
    with tempfile.TemporaryDirectory() as directory:
        database, spill = Path(directory) / "growth.duckdb", Path(directory) / "spill"
        con = duckdb.connect(str(database))
        con.execute(f"SET temp_directory = '{spill}'")
        if memory_limit:
            con.execute(f"SET memory_limit = '{memory_limit}'")
        for size in sizes:
            con.execute(rows_sql.format(rows=size))
            con.execute("CHECKPOINT")
            query = rules.to_sql(table="records", dialect="duckdb", types=column_types(con))
            times = []
            with _Watch(spill) as watch:
                for _ in range(rounds):
                    start = time.perf_counter()
                    con.execute(f"SELECT count(*), sum(total), count(error) FROM ({query})")
                    con.fetchall()
                    times.append(time.perf_counter() - start)
            took = statistics.median(times)
            table_rows.append((f"{size:,}", f"{took:.2f} s", f"{size / took:,.0f}",
                               f"{database.stat().st_size / 2**30:,.2f} GiB",
                               f"{watch.rss_mb:,.0f} MB", f"{_peak_mb():,.0f} MB",
                               f"{watch.spilled / 2**20:,.0f} MB"))
        limit = con.execute("SELECT current_setting('memory_limit')").fetchone()
        con.close()
    return [table(f"8. The typed scorecard on DuckDB {duckdb.__version__} as the table grows, "
                  f"median of {rounds} runs (an on-disk database; memory_limit "
                  f"{limit[0] if limit else '?'})",
                  table_rows, ("rows", "query", "rows/s", "database file",
                               "resident in query", "process peak", "spilled"))]
