"""A records file scored by a database: the engines of ``kpirules eval --engine duckdb`` and
``--engine spark``.

The file (CSV or Parquet, in the long or, on DuckDB, the wide layout of the command line's
records) is read by the database itself, as the Python engine reads it (see "eval --engine
duckdb" in the command line's documentation page), and scored by
:func:`~kpirules.sql.ruleset_sql`. DuckDB keeps the scorecards in a table of its connection, from
which the command line has the outputs written by DuckDB too; this module gives the scorecards,
the reasons of rejected subjects and what the reading set aside.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import attrs

from kpirules import nodes
from kpirules._columns import VALUE, is_wide, wide_columns
from kpirules._messages import Items, message
from kpirules._scoring import MILESTONES, THAI_DIGIT_CHARACTERS, milestone_levels
from kpirules.errors import KpiRulesError
from kpirules.sql._dialects import _DIALECTS
from kpirules.sql._query import _HasNode, _node, ruleset_sql
from kpirules.sql._text import LONG_COLUMNS, column_name, milestone_column, quote, string
from kpirules.sql._types import _declared

__all__ = ["PROBLEMS", "SCORED", "DuckDBRun", "FileScores", "spark_score_file"]

_BATCH = 10_000
_WATCH_EVERY = 0.1  # seconds between looks at a running statement's progress

PRESENT = "_present"
"""The column that lists the indicators of milestones only a subject has rows for (only when
the rules have such indicators): the query takes no rows as none done, where the command line's
records reader rejects the subject (its rule for missing indicators)."""

PROBLEMS = "_problems"
"""The column beside the query's with every reason a subject cannot be scored, or NULL: the first
error when it is about the whole subject, each indicator's error, then each indicator of
milestones only the subject has no rows for (the Python engine says the last kind where the
indicator comes in the rules' order)."""

ZEROS = ("0", THAI_DIGIT_CHARACTERS[0])  # the digits a value of none done is written with

SCORED = "_kpi_scored"
"""The table of a :class:`DuckDBRun`'s scorecards."""


@attrs.frozen
class FileScores:
    """The query's rows over one file, and the rows the reading set aside.

    ``columns`` names the row's values (those of :func:`~kpirules.sql.ruleset_sql`, then
    :data:`PROBLEMS`); ``unowned`` counts rows with no subject; ``apart`` counts rows of a
    subject after its run of rows had ended, ``apart_names`` the first few of those subjects.
    Neither kind is scored."""

    columns: list[str]
    unowned: int
    apart: int
    apart_names: list[str]
    batches: Iterator[list[tuple[Any, ...]]]
    """The rows in the order the file first names their subjects, a batch at a time."""
    again: int = 0
    """Rows of a subject that has a row already (the wide layout), not scored."""
    again_names: list[str] = attrs.Factory(list)


def _fetched(cursor: Any) -> Iterator[list[tuple[Any, ...]]]:
    while rows := cursor.fetchmany(_BATCH):
        yield rows


Watch = Callable[[float | None], None]
"""Told, a few times a second while a statement runs, how far it is (0 to 1; None when DuckDB
cannot say)."""


class DuckDBRun:
    """A records file (``.csv`` or ``.parquet``, in the long or the wide layout of the command
    line's records) read and scored by DuckDB, the scorecards kept in the table ``SCORED`` of
    :attr:`connection`: the query's columns (:func:`~kpirules.sql.ruleset_sql`),
    :data:`PROBLEMS`, and ``_first``, the row where the file first names the subject (the order
    of the outputs).

    ``header`` checks a CSV file's header as the Python engine does and gives its row number
    (1 unless blank rows come first); ``encoding`` must be UTF-8; ``language`` is that of the
    error texts; ``undecodable`` raises the Python engine's error for a file DuckDB finds not to
    be UTF-8 (said better than DuckDB says it). Raises :class:`~kpirules.KpiRulesError` for a
    file that cannot be used."""

    def __init__(self, rules: Iterable[nodes.IndicatorNode | _HasNode], path: str, *,
                 header: Callable[[], int], strict: bool = True, encoding: str = "utf-8",
                 language: str = "en", undecodable: Callable[[], None] | None = None) -> None:
        kind = _usable(path, "duckdb", encoding, language)
        try:
            duckdb = import_duckdb()
        except ImportError:
            raise KpiRulesError(message("engine-needs", engine="duckdb", package="DuckDB",
                                        extra="duckdb"), language) from None
        if any(mark in path for mark in "*?"):
            raise KpiRulesError(message("engine-pattern-path", path=path), language)
        self.path = path
        self.error = duckdb.Error
        self.indicators = [_node(indicator) for indicator in rules]
        self.language = language
        literal = "'" + path.replace("'", "''") + "'"
        self.header_row = 1
        if kind == ".csv":
            first = self.header_row = header()
            # The file in the csv module's own dialect: commas, double quotes, short rows padded,
            # extra cells ignored; blank rows before the header skipped.
            source = (f"read_csv({literal}, header = true, all_varchar = true, delim = ',', "
                      "quote = '\"', escape = '\"', null_padding = true, strict_mode = false"
                      # (only then: DuckDB's sniffer takes an explicit skip = 0 as a constraint)
                      + (f", skip = {first - 1}" if first > 1 else ""))
            sources = [source + ")", source + ", parallel = false)"]
        else:
            sources = [f"read_parquet({literal})"]
        self.strict = strict
        self.undecodable = undecodable
        self.parquet = kind == ".parquet"
        self.scoring = ""
        self.again = 0
        self.again_names: list[str] = []
        self.types: dict[str, str] = {}
        """The column types declared to the query (a wide Parquet file's)."""
        self.sources = sources
        self.unowned, self.apart = 0, 0
        self.apart_names: list[str] = []
        self.connection = duckdb.connect()
        # A file larger than memory spills to a folder of its own, not to DuckDB's default
        # `.tmp` in the user's working folder.
        self.spill = tempfile.mkdtemp(prefix="kpirules-duckdb-")
        self.connection.execute(f"SET temp_directory = {string(self.spill)}")
        # The progress of a statement is read while it runs (see run()); DuckDB prints nothing.
        self.connection.execute("SET enable_progress_bar = true")
        self.connection.execute("SET enable_progress_bar_print = false")

    def read(self, watch: Watch | None = None) -> None:
        """Reads the file into the connection, with the rows it sets aside counted
        (:attr:`unowned`, :attr:`apart` and :attr:`apart_names` of :class:`FileScores`; in the
        wide layout, :attr:`again` rows of a subject that has a row already, some of them named
        in :attr:`again_names`)."""

        def execute(statement: str) -> Any:
            return self._execute(statement, watch)

        try:
            try:
                self._read(execute, self.sources[0])
            except self.error as error:
                # DuckDB's parallel reader cannot pad short rows in a file with line breaks
                # inside quoted cells; its single-threaded one can.
                if len(self.sources) == 1 or "null_padding" not in str(error):
                    raise
                self._read(execute, self.sources[1])
        except self.error as error:
            if self.undecodable is not None and "unicode" in str(error).lower():
                self.undecodable()
            raise self._cannot_use(error) from None

    def _read(self, execute: Callable[[str], Any], source: str) -> None:
        execute(f"CREATE OR REPLACE VIEW file AS SELECT * FROM {source}")
        described = [(str(row[0]), str(row[1])) for row in execute("DESCRIBE file").fetchall()]
        names = [name.strip().lstrip("\ufeff") for name, _ in described]
        if is_wide(names, [node.id for node in self.indicators]):
            self._read_wide(execute, described, names)
            return
        self.unowned, (self.apart, self.apart_names) = _read_records(
            execute, self.path, described, self.language)
        query = ruleset_sql(self.indicators, table="records", form="long", dialect="duckdb",
                            strict=self.strict, language=self.language)
        present, join = _present(self.indicators, "duckdb", "list")
        problems = _problems(self.indicators, "duckdb", self.language, bool(present))
        # Subjects come out in the order the file first names them, as on the Python path.
        self.scoring = (
            f"CREATE OR REPLACE TEMPORARY TABLE {SCORED} AS SELECT scored.*, {problems} AS "
            f"{PROBLEMS}, seen.first AS _first FROM ({query}) AS scored JOIN (SELECT subject, "
            "min(_row) AS first FROM grouped GROUP BY subject) AS seen ON scored.subject = "
            f"seen.subject {join}")

    def _read_wide(self, execute: Callable[[str], Any], described: list[tuple[str, str]],
                   names: list[str]) -> None:
        """The wide layout (a row per subject, a column per measure and milestone level), read
        as the Python engine reads it (:mod:`kpirules._columns`); a Parquet file's column types
        are declared to the query (``types=``: no text parser, 64-bit arithmetic)."""
        found = wide_columns(self.indicators, names)
        if found.subject is None:
            raise KpiRulesError(message("wide-no-subject-column", path=self.path,
                                        row=self.header_row), self.language)
        if self.strict and found.unknown:
            odd = found.unknown[0]
            raise KpiRulesError(message("sql-wide-unknown-column", path=self.path,
                                        column=names[odd.index], indicator=odd.indicator),
                                self.language)
        raw = [quote(name) for name, _ in described]
        types: dict[str, str] = {}
        columns = []
        for node in self.indicators:
            wanted = [column_name(node.id, measure.name) for measure in node.measures]
            wanted += [milestone_column(node.id, level) for level in milestone_levels(node)]
            for name in wanted:
                slot = next((s for s in found.slots if names[s.index] == name), None)
                if slot is None:
                    # No column: a measure without a value, a milestone not done.
                    columns.append(f"CAST(NULL AS VARCHAR) AS {quote(name)}")
                    continue
                kind = described[slot.index][1]
                cell = _missing_as_null(raw[slot.index], kind)
                declared = _declared(kind)
                if slot.kind != VALUE and declared != "BOOLEAN" and kind != "VARCHAR":
                    # A number as a flag or milestone cell: 1 is true, 0 false (as the Python
                    # engine reads 1.0), anything else its text, which is refused. (A flag's
                    # slot has the kind FLAG, a milestone's MILESTONE.)
                    cell = (f"CASE WHEN {cell} = 1 THEN 'true' WHEN {cell} = 0 THEN 'false' "
                            f"ELSE CAST({cell} AS VARCHAR) END")
                elif self.parquet and declared is not None:
                    types[name] = kind
                columns.append(f"{cell} AS {quote(name)}")
        subject = f"NULLIF({_strip(_key_text(raw[found.subject], described[found.subject][1]))}, '')"
        # In file order, numbered by rowid (as the long layout is read).
        execute(f"CREATE OR REPLACE TABLE _file AS SELECT {subject} AS subject, "
                f"{', '.join(columns)} FROM file")
        execute("CREATE OR REPLACE VIEW keyed AS SELECT *, rowid AS _row FROM _file")
        blank = " AND ".join(
            f"coalesce({_strip(f'CAST({_missing_as_null(column, kind)} AS VARCHAR)')}, '') = ''"
            for column, (_, kind) in zip(raw, described, strict=True))
        self.unowned = execute(f"SELECT count(*) FROM file WHERE coalesce({subject}, '') = '' "
                               f"AND NOT ({blank})").fetchone()[0]
        execute("CREATE OR REPLACE VIEW records AS SELECT * FROM keyed WHERE subject IS NOT NULL")
        again = execute("SELECT count(*) - count(DISTINCT subject) FROM records").fetchone()[0]
        if again:
            # A subject's first row is scored; the Python engine refuses the others.
            self.again = again
            self.again_names = execute(
                "SELECT list(DISTINCT subject ORDER BY subject)[:3] FROM (SELECT subject FROM "
                "records GROUP BY subject HAVING count(*) > 1)").fetchone()[0]
            execute("CREATE OR REPLACE VIEW records AS SELECT * FROM keyed WHERE subject IS NOT "
                    "NULL QUALIFY row_number() OVER (PARTITION BY subject ORDER BY _row) = 1")
        self.types = types
        query = ruleset_sql(self.indicators, table="records", form="wide", dialect="duckdb",
                            strict=self.strict, language=self.language, types=types or None)
        # An indicator with no column at all has no record: every subject is rejected.
        absent = [message("missing-indicator", indicator=node.id).render(self.language)
                  for node in self.indicators if node.id not in found.indicators]
        problems = _problems([node for node in self.indicators if node.id in found.indicators],
                             "duckdb", self.language, False, first=absent)
        self.scoring = (
            f"CREATE OR REPLACE TEMPORARY TABLE {SCORED} AS SELECT scored.*, {problems} AS "
            f"{PROBLEMS}, records._row AS _first FROM ({query}) AS scored JOIN records "
            "ON scored.subject = records.subject")

    def run(self, statement: str, watch: Watch | None = None) -> Any:
        """Runs ``statement``; with ``watch``, in a thread of its own while this one tells
        ``watch`` how far it is. Raises :class:`~kpirules.KpiRulesError` if DuckDB fails."""
        try:
            return self._execute(statement, watch)
        except self.error as error:
            raise self._cannot_use(error) from None

    def _cannot_use(self, error: Exception) -> KpiRulesError:
        return KpiRulesError(message("engine-cannot-use", path=self.path, engine="DuckDB",
                                     error=str(error)), self.language)

    def _execute(self, statement: str, watch: Watch | None) -> Any:
        if watch is None:
            try:
                return self.connection.execute(statement)
            except (RuntimeError, self.error) as error:
                if "interrupt" in str(error).lower():
                    raise KeyboardInterrupt from None  # Ctrl-C, as DuckDB reports it
                raise
        outcome: list[Any] = []
        finished = threading.Event()

        def work() -> None:
            try:
                outcome.append(self.connection.execute(statement))
            except BaseException as error:  # handed to the waiting thread
                outcome.append(error)
            finally:
                finished.set()

        worker = threading.Thread(target=work, name="kpirules-duckdb", daemon=True)
        started = False
        with _ctrl_c_held():
            # A Ctrl-C while the thread starts would leave its query running unwatched.
            worker.start()
            started = True
        try:
            # An Event, not Thread.join(): a Ctrl-C inside join() can leave the thread marked
            # as ended while its query still runs.
            while not finished.wait(_WATCH_EVERY):
                done = self.connection.query_progress()
                watch(done / 100 if done >= 0 else None)
        except BaseException:
            # Ctrl-C (or a failing watch) stops the query rather than leaving it running, and
            # the connection is free again before anything else uses it. Said again until the
            # query ends: the first may come before the query has begun.
            while started:
                try:
                    if finished.wait(_WATCH_EVERY):
                        break
                    self.connection.interrupt()
                except KeyboardInterrupt:
                    continue  # one more Ctrl-C (or DuckDB's own word of it): still waiting
            raise
        watch(1.0)
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]

    def score(self, watch: Watch | None = None) -> None:
        """Scores every subject into the table :data:`SCORED`."""
        self.run(self.scoring, watch)

    def scores(self) -> FileScores:
        """The scored rows, in the order the file first names their subjects."""
        cursor = self.run(f"SELECT * EXCLUDE (_first) FROM {SCORED} ORDER BY _first")
        columns = [column[0] for column in cursor.description]
        return FileScores(columns, self.unowned, self.apart, self.apart_names, _fetched(cursor),
                          self.again, self.again_names)

    def rejected(self, limit: int) -> tuple[int, int, int, list[tuple[str, list[str]]]]:
        """How many subjects there are, how many are rejected and with how many problems in all,
        and the first ``limit`` rejected ones with their problems."""
        subjects, rejected, problems = self.run(
            f"SELECT count(*), count({PROBLEMS}), coalesce(sum(len({PROBLEMS})), 0) "
            f"FROM {SCORED}").fetchone()
        first = self.run(f"SELECT subject, {PROBLEMS} FROM {SCORED} WHERE {PROBLEMS} IS NOT NULL "
                         f"ORDER BY _first LIMIT {int(limit)}").fetchall()
        return (int(subjects), int(rejected), int(problems),
                [(str(name), list(said)) for name, said in first])

    def close(self) -> None:
        self.connection.close()
        shutil.rmtree(self.spill, ignore_errors=True)


def _usable(path: str, engine: str, encoding: str, language: str) -> str:
    """The file's kind (``.csv`` or ``.parquet``), once it is found usable by ``engine``."""
    kind = os.path.splitext(path)[1].lower()
    if kind not in (".csv", ".parquet"):
        raise KpiRulesError(message("engine-file-kind", path=path, engine=engine), language)
    if codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig"):
        raise KpiRulesError(message("engine-utf8-only", path=path, engine=engine,
                                    encoding=encoding), language)
    if not os.path.isfile(path):
        raise KpiRulesError(message("no-such-file", path=path), language)
    return kind


def spark_score_file(rules: Iterable[nodes.IndicatorNode | _HasNode], path: str, *,
                     header: Callable[[], int], strict: bool = True, encoding: str = "utf-8",
                     master: str | None = None, language: str = "en") -> FileScores:
    """Scores the records file ``path`` on ``rules`` with Spark SQL, as :class:`DuckDBRun` does
    with DuckDB. The session is a local one unless ``master`` names a cluster, or the
    ``SPARK_REMOTE`` environment variable a Spark Connect server (which PySpark then uses).

    Spark reads the file in parallel, so two things the other engines do are not done: blank
    rows before the header are refused rather than skipped, and a subject's rows need not be in
    one run of the file (all of them are scored together)."""
    kind = _usable(path, "spark", encoding, language)
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise KpiRulesError(message("engine-needs", engine="spark", package="PySpark",
                                    extra="spark"), language) from None
    if kind == ".csv" and header() > 1:
        raise KpiRulesError(message("engine-spark-blank-rows", path=path), language)
    builder = SparkSession.builder.appName("kpirules").config(
        "spark.ui.showConsoleProgress", "false")
    if master is not None:
        builder = builder.master(master)
    elif not os.environ.get("SPARK_REMOTE"):
        builder = builder.master("local[*]")
    try:
        session = builder.getOrCreate()
        if not os.environ.get("SPARK_REMOTE"):
            session.sparkContext.setLogLevel("ERROR")
        # A DECIMAL overflow must be NULL, which the query reports for its subject; under ANSI
        # mode it would stop the whole query (see the documentation page on SQL).
        session.conf.set("spark.sql.ansi.enabled", "false")
        location = os.path.abspath(path)
        if kind == ".csv":
            frame = session.read.csv(location, header=True, encoding="UTF-8", multiLine=True,
                                     escape='"', inferSchema=False)
        else:
            frame = session.read.parquet(location)
        found = _long_columns(path, frame.columns, language)
        frame.createOrReplaceTempView("_kpi_file")
        spark = _DIALECTS["spark"]
        subject, indicator, measure, value = ("`" + found[name].replace("`", "``") + "`"
                                              for name in LONG_COLUMNS)
        stripped = spark.finish(spark.strip(f"CAST({subject} AS STRING)"))
        session.sql(
            f"SELECT NULLIF({stripped}, '') AS subject, {indicator} AS indicator, "
            f"{measure} AS measure, {value} AS value, monotonically_increasing_id() AS _row "
            "FROM _kpi_file").createOrReplaceTempView("_kpi_keyed")
        blank = " AND ".join(
            "coalesce(" + spark.finish(spark.strip(f"CAST({column} AS STRING)")) + ", '') = ''"
            for column in (indicator, measure, value))
        unowned = session.sql(
            f"SELECT count(*) FROM _kpi_file WHERE coalesce({stripped}, '') = '' "
            f"AND NOT ({blank})").collect()[0][0]
        session.sql("SELECT * FROM _kpi_keyed WHERE subject IS NOT NULL"
                    ).createOrReplaceTempView("grouped")
        session.sql("SELECT subject, indicator, measure, value FROM grouped WHERE NOT coalesce("
                    f"{spark.finish(_none_done('spark'))}, false)").createOrReplaceTempView(
                        "records")
        indicators = [_node(indicator) for indicator in rules]
        query = ruleset_sql(indicators, table="records", form="long", dialect="spark", strict=strict,
                            language=language)
        present, join = _present(indicators, "spark", "collect_set")
        problems = _problems(indicators, "spark", language, bool(present))
        # The query is written for Spark already: only the text around it is re-quoted.
        ordered = session.sql(
            spark.finish(f"SELECT scored.*, {problems} AS {PROBLEMS} FROM (") + query + spark.finish(
                ") AS scored JOIN (SELECT subject, min(_row) AS first FROM grouped GROUP BY "
                f"subject) AS seen ON scored.subject = seen.subject {join}ORDER BY seen.first"))
        columns = list(ordered.columns)
        rows = ordered.toLocalIterator()
    except KpiRulesError:
        raise
    except Exception as error:  # PySpark's errors have no common base below Exception
        raise KpiRulesError(message("engine-cannot-use", path=path, engine="Spark",
                                    error=str(error)), language) from None
    return FileScores(columns, int(unowned), 0, [], _batched(rows))


def _batched(rows: Iterator[Any]) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(tuple(row))
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _strip(text: str) -> str:
    """``text`` (SQL) without the white space around it, as Python's ``str.strip()``."""
    return _DIALECTS["duckdb"].strip(text)


def _long_columns(path: str, names: Iterable[str], language: str) -> dict[str, str]:
    """The long layout's columns of a file, found by their names as the Python engine's header
    check finds them: each column's name by the name it stands for."""
    found: dict[str, str] = {}
    for name in names:
        found.setdefault(name.strip().lstrip("\ufeff").casefold(), name)
    missing = [name for name in LONG_COLUMNS if name not in found]
    if missing:
        raise KpiRulesError(message("engine-no-columns", path=path,
                                    columns=Items(tuple(f"`{m}`" for m in missing)),
                                    header=",".join(LONG_COLUMNS)), language)
    return found


def _read_records(execute: Callable[[str], Any], path: str, described: list[tuple[str, str]],
                  language: str) -> tuple[int, tuple[int, list[str]]]:
    """The table ``records`` (subject, indicator, measure, value) for the SQL query, from the
    view ``file`` (its columns ``described``), as the Python engine reads the file: the columns
    found by their names as its header check finds them, subjects as text without the white
    space around them, a subject's rows in one run of the file. Returns the number of rows with
    no subject, and the number of rows after their subject's run had ended with the first few
    of those subjects' names (such rows are not scored)."""
    found = _long_columns(path, [name for name, _ in described], language)
    subject, indicator, measure, value = (quote(found[name]) for name in LONG_COLUMNS)
    # Read once, in file order (DuckDB keeps the order rows are inserted in): a row's rowid is
    # its place in the file, which numbering the rows with a window would cost as much again.
    kinds = dict(described)
    execute(
        f"CREATE OR REPLACE TABLE _file AS SELECT "
        f"NULLIF({_strip(_key_text(subject, kinds[found['subject']]))}, '') AS subject, "
        f"{indicator} AS indicator, {measure} AS measure, {value} AS value FROM file")
    execute("CREATE OR REPLACE VIEW keyed AS SELECT *, rowid AS _row FROM _file")
    blank = " AND ".join(f"coalesce({_strip(f'CAST({name} AS VARCHAR)')}, '') = ''"
                         for name in LONG_COLUMNS[1:])
    unowned = execute(
        f"SELECT count(*) FROM keyed WHERE subject IS NULL AND NOT ({blank})").fetchone()[0]
    execute("CREATE OR REPLACE VIEW grouped AS SELECT * FROM keyed "
                       "WHERE subject IS NOT NULL")
    # The Python engine streams subjects, so rows after a subject's run has ended are not
    # scored. A quick test first: each subject's rows in one span of the file.
    apart: tuple[int, list[str]] = (0, [])
    if execute(
            "SELECT count(*) FROM (SELECT count(*) <> max(_row) - min(_row) + 1 AS split "
            "FROM grouped GROUP BY subject) WHERE split").fetchone() != (0,):
        execute(
            "CREATE OR REPLACE TABLE _runs AS SELECT *, min(_run) OVER (PARTITION BY "
            "subject) AS _first FROM (SELECT *, sum(_new) OVER (ORDER BY _row) AS _run FROM ("
            "SELECT *, CASE WHEN subject IS DISTINCT FROM lag(subject) OVER (ORDER BY _row) "
            "THEN 1 ELSE 0 END AS _new FROM keyed WHERE subject IS NOT NULL))")
        count, names = execute(
            "SELECT count(*), list(DISTINCT subject ORDER BY subject)[:3] FROM _runs "
            "WHERE _run > _first").fetchone()
        apart = (count, names)
        execute("CREATE OR REPLACE VIEW grouped AS SELECT * FROM _runs WHERE _run = _first")
    execute("CREATE OR REPLACE VIEW records AS SELECT subject, indicator, measure, "
                       f"value FROM grouped WHERE NOT coalesce({_none_done('duckdb')}, false)")
    return unowned, apart


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """Ctrl-C held back for the block (and said when it ends), where the main thread can hold
    signals back; elsewhere the block runs as it is."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
            signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def import_duckdb() -> Any:
    """The duckdb module, loaded with Ctrl-C held back: an interrupt while its extension loads
    aborts the interpreter."""
    with _ctrl_c_held():
        import duckdb
    return duckdb


def _missing_as_null(column: str, kind: str) -> str:
    """A cell as the Python engine reads it: an empty text, or a NaN, is a missing value."""
    if kind == "VARCHAR":
        return f"NULLIF({_strip(column)}, '')"
    if kind in ("DOUBLE", "FLOAT"):
        return f"CASE WHEN isnan({column}) THEN NULL ELSE {column} END"
    return column


def _key_text(column: str, kind: str) -> str:
    """A subject cell as text, as the Python engine reads it: a whole number held as a float
    (a spreadsheet's or pandas' 1001.0) is written without its point."""
    if kind in ("DOUBLE", "FLOAT"):
        return (f"CASE WHEN isnan({column}) THEN NULL WHEN {column} = trunc({column}) AND "
                f"abs({column}) < 1e38 THEN CAST(CAST({column} AS HUGEINT) AS VARCHAR) "
                f"ELSE CAST({column} AS VARCHAR) END")
    return f"CAST({column} AS VARCHAR)"


def _present(rules: list[nodes.IndicatorNode], dialect: str, collect: str) -> tuple[str, str]:
    """The column :data:`PRESENT` and the join that gives it, or nothing when no indicator is
    of milestones only. ``collect`` is the dialect's aggregate of distinct values into a list."""
    ids = [node.id for node in rules if not node.measures]
    if not ids:
        return "", ""
    d = _DIALECTS[dialect]
    raw = f"CAST(indicator AS {d.text})"
    ident = d.strip(raw)
    known = ", ".join(string(i) for i in ids)
    # Only a row whose indicator holds one of the ids needs the white space around it taken
    # off (which costs a regular expression a row).
    holds = " OR ".join(f"instr({raw}, {string(i)}) > 0" for i in ids)
    return (f", present.{PRESENT}",
            f"LEFT JOIN (SELECT subject, {collect}(DISTINCT {ident}) AS {PRESENT} FROM grouped "
            f"WHERE CASE WHEN {holds} THEN {ident} IN ({known}) ELSE FALSE END GROUP BY subject) "
            "AS present ON scored.subject = present.subject ")


def _problems(rules: list[nodes.IndicatorNode], dialect: str, language: str,
              present: bool, first: Sequence[str] = ()) -> str:
    """The column :data:`PROBLEMS` over the query's columns (``scored``) and :data:`PRESENT`
    (``present``): a list of texts, or NULL when the subject is scored. ``first`` are problems
    of every subject (of the file's columns), said before the others; the errors of the
    indicators of ``rules`` follow."""
    d = _DIALECTS[dialect]
    error = 'scored."error"'
    errors = [f"scored.{quote(node.id + '.error')}" for node in rules]
    # The first error is said on its own only when no indicator says it (an unknown indicator).
    alone = " AND ".join(f"{error} IS DISTINCT FROM {e}" for e in errors) or "TRUE"
    if first:
        return d.present([string(text) for text in first] + errors)
    items = [f"CASE WHEN {alone} THEN {error} END", *errors]
    if present:
        # The rule for missing indicators (RuleSet.evaluate's): the query takes no rows for an
        # indicator of milestones only as none done; the command line rejects the subject.
        items += [f"CASE WHEN NOT coalesce({d.contains(f'present.{PRESENT}', string(node.id))}, "
                  f"FALSE) THEN "
                  f"{string(message('no-rows-milestones', indicator=node.id).render(language))} "
                  "END" for node in rules if not node.measures]
    conditions = [f"{item} IS NOT NULL" for item in (error, *items[len(errors) + 1:])]
    return f"CASE WHEN {' OR '.join(conditions)} THEN {d.present(items)} END"


def _none_done(dialect: str) -> str:
    """A ``milestones`` row whose value is 0 ("none done"): it counts as a row for the rule on
    missing indicators (:data:`PRESENT`) and is left out of the query's input."""
    d = _DIALECTS[dialect]
    measure = f"CAST(measure AS {d.text})"
    raw = f"CAST(value AS {d.text})"
    value = d.strip(d.digits(raw))
    zeros = " OR ".join(f"{raw} LIKE {string('%' + zero + '%')}" for zero in ZEROS)
    # The full test (white space, Thai digits, a regular expression) costs a second of every
    # 4 million rows; a row that names no milestones or holds no zero is known without it.
    return (f"CASE WHEN {measure} LIKE {string('%' + MILESTONES + '%')} AND ({zeros}) THEN "
            f"{d.strip(measure)} = {string(MILESTONES)} AND "
            f"{d.matches(value, '[+-]?0+([.]0*)?')} ELSE FALSE END")
