"""What a test does when something only the system can bring is missing (CONTRIBUTING.md, "Tests:
markers and rules"): under CI it fails, so that a pipeline never passes by skipping what it was
meant to run; on a contributor's machine it skips, saying what to install.

    chromium = shutil.which("chromium")
    if chromium is None:
        engines.missing("Chromium", "apt-get install chromium")

It also holds the database engines the SQL tests run on that Python itself does not bring: a
throw-away PostgreSQL server and a local Spark session, each started once per test run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

POSTGRES_BIN = Path(os.environ.get("KPI_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))


def in_ci() -> bool:
    """Whether this run is CI's (the ``CI`` environment variable, as CI services set it)."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(what: str, install: str | None = None) -> NoReturn:
    """Stop the test because ``what`` is not on this machine: fail under CI, skip elsewhere.
    ``install`` says how to get it; without it, ``what`` is the whole reason."""
    message = what if install is None else f"{what} is not installed (install it with: {install})"
    if in_ci():
        pytest.fail(f"{message}; CI must run this test")
    pytest.skip(message)


class PostgresServer:
    """A PostgreSQL cluster in a temporary directory, reached by a unix socket in it, with fsync
    off (nothing in it needs to survive). As root, the server runs as the ``postgres`` user
    (PostgreSQL refuses to run as root)."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="kpirules-pg-"))
        self.data = self.directory / "data"
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user is not None:
            shutil.chown(self.directory, self.user)
        self.run("initdb", "-D", str(self.data), "-A", "trust", "-U", "kpirules",
                 "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
        options = (f"-k {self.directory} -c listen_addresses='' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        self.run("pg_ctl", "-D", str(self.data), "-o", options, "-l",
                 str(self.directory / "log"), "-w", "start")

    def run(self, program: str, *arguments: str) -> None:
        command = [str(POSTGRES_BIN / program), *arguments]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")

    def connect(self) -> Any:
        import psycopg

        return psycopg.connect(host=str(self.directory), user="kpirules", dbname="postgres",
                               autocommit=True)

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)


def postgres_problem() -> str | None:
    """Why a PostgreSQL server cannot be started here, or None."""
    if not (POSTGRES_BIN / "initdb").exists():
        return (f"PostgreSQL's server programs are not in {POSTGRES_BIN}: install them "
                "(apt-get install postgresql) or set KPI_POSTGRES_BIN")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return 'psycopg is not installed: pip install -e ".[dev]"'
    return None


@contextlib.contextmanager
def postgres_connection() -> Iterator[Any]:
    """A connection to a fresh server, stopped and removed afterwards."""
    server = PostgresServer()
    try:
        connection = server.connect()
        try:
            yield connection
        finally:
            connection.close()
    finally:
        server.stop()


def spark_problem() -> str | None:
    """Why a local Spark session cannot be started here, or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return 'PySpark is not installed: pip install -e ".[dev]"'
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Spark needs Java 17 or later: install it (apt-get install default-jre-headless)"
    return None


_SPARK: list[Any] = []


def spark_session() -> Any:
    """The local Spark session of this test run (one thread), started on first use: starting
    one takes seconds. Set as the SQL query needs (see the documentation page on SQL): ANSI mode
    off, so that a DECIMAL overflow is NULL, which the query reports. Skips the test, or fails
    it in CI, where Spark cannot run."""
    if _SPARK:
        return _SPARK[0]
    problem = spark_problem()
    if problem is not None:
        missing(problem)
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[1]").appName("kpirules-tests")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "1")
            .config("spark.sql.ansi.enabled", "false")
            .getOrCreate())
    _SPARK.append(session)
    return session
