"""The SQL backend against the Python evaluator, on DuckDB and on SQLite.

The property tests generate small rule files and records, score the records with
:meth:`kpirules.Indicator.evaluate` and with the generated SQL in both dialects and both table forms,
and check that they give the same levels, scores, points and errors.

The SQL is exact rational arithmetic; the Python evaluator rounds each operation to 28 significant
digits. Where that rounding decides a result (``x / 3 * 3 >= x``), the SQL gives the exact answer,
so the oracle for the SQL is an exact evaluation with :class:`fractions.Fraction`, and the Python
evaluator must agree with that oracle except where its own rounding was involved.
"""

from __future__ import annotations

import decimal
import itertools
import os
import re
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import kpirules
from kpirules import nodes, sql
from kpirules._compile import CONTEXT
from kpirules._records import RecordReader, Subject
from kpirules._scoring import interpolation
from kpirules._semantics import describe_expr
from kpirules.model import Indicator, RuleSet
from tests.engines import PostgresServer, missing, postgres_problem, spark_session

# KPI_SQL_EXAMPLES raises the number of generated cases for a long run (CI keeps the default).
SETTINGS = settings(max_examples=int(os.environ.get("KPI_SQL_EXAMPLES", "40")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
DIALECTS = ("duckdb", "sqlite", "postgres")
"""The dialects whose engines the property tests here run (Spark's, which starts slowly and plans
each query in about a second, in test_sql_spark, with fewer examples)."""
EVERY_DIALECT = (*DIALECTS, pytest.param("spark", marks=pytest.mark.slow))
"""The dialects of the example tests."""
FORMS = ("wide", "long")
TOO_LARGE = "too large for exact"

# ------------------------------------------------------------------------------------------------
# Running the SQL


def run(dialect: str, form: str, rules: RuleSet, rows: list[dict[str, Any]],
        query: Callable[..., str], columns: dict[str, str] | None = None,
        **options: Any) -> dict[str, dict[str, Any]]:
    """Load ``rows`` (dicts of column → value, in the given form) into a fresh database, run
    ``query(dialect=..., form=..., table="records")`` and return the rows by subject."""
    columns = columns or _columns(rules, form)
    text = query(dialect=dialect, form=form, table="records", **options)
    if dialect == "spark":
        session = spark_session()
        schema = ", ".join(f"{sql.quote(name).replace(chr(34), '`')} {_spark_type(kind)}"
                           for name, kind in columns.items())
        data = [tuple(_spark_value(row.get(name), kind) for name, kind in columns.items())
                for row in rows]
        session.createDataFrame(data, schema).createOrReplaceTempView("records")
        return {row[0]: row.asDict() for row in session.sql(text).collect()}
    if dialect == "postgres":
        con = _postgres()
        con.execute("DROP TABLE IF EXISTS records")
        con.execute("CREATE TABLE records (" + ", ".join(
            f"{sql.quote(name)} {_postgres_type(kind)}" for name, kind in columns.items()) + ")")
        # Typed marks: psycopg sends a None as text, which PostgreSQL will not put in a BOOLEAN.
        marks = ", ".join(f"%s::{_postgres_type(kind)}" for kind in columns.values())
        data = [tuple(row.get(name) for name in columns) for row in rows]
        if data:
            with con.cursor() as insert:
                insert.executemany(f"INSERT INTO records VALUES ({marks})", data)
        cursor = con.execute(text)
    elif dialect == "duckdb":
        con: Any = _duckdb()
        con.execute("CREATE OR REPLACE TABLE records (" + ", ".join(
            f"{sql.quote(name)} {kind}" for name, kind in columns.items()) + ")")
        marks = ", ".join("?" for _ in columns)
        data = [tuple(row.get(name) for name in columns) for row in rows]
        if data:
            con.executemany(f"INSERT INTO records VALUES ({marks})", data)
        cursor = con.execute(text)
    else:
        con = sqlite3.connect(":memory:")
        con.execute("CREATE TABLE records (" + ", ".join(sql.quote(name) for name in columns) + ")")
        marks = ", ".join("?" for _ in columns)
        con.executemany(f"INSERT INTO records VALUES ({marks})",
                        [tuple(_sqlite_value(row.get(name)) for name in columns) for row in rows])
        cursor = con.execute(text)
    names = [d[0] for d in cursor.description]
    result = {row[0]: dict(zip(names, row)) for row in cursor.fetchall()}
    if dialect == "sqlite":
        con.close()
    return result


_CONNECTION: list[Any] = []
_SERVERS: list[tuple[PostgresServer, Any]] = []


def _postgres() -> Any:
    """A connection to the throw-away PostgreSQL server, started on first use (see
    :func:`_servers`); skips the test, or fails it in CI, where no server can be started."""
    if not _SERVERS:
        problem = postgres_problem()
        if problem is not None:
            missing(problem)
        server = PostgresServer()
        _SERVERS.append((server, server.connect()))
    return _SERVERS[0][1]


@pytest.fixture(scope="module", autouse=True)
def _servers() -> Iterator[None]:
    """Stops the PostgreSQL server, if a test started one, once the module's tests are done."""
    yield
    for server, connection in _SERVERS:
        connection.close()
        server.stop()
    _SERVERS.clear()


def engines() -> tuple[str, ...]:
    """The dialects a property test runs: all of them, except PostgreSQL where its server cannot
    be started on a contributor's machine (its own tests then skip with the reason)."""
    if postgres_problem() is not None and not os.environ.get("CI"):
        return tuple(d for d in DIALECTS if d != "postgres")
    return DIALECTS


def _spark_type(kind: str) -> str:
    return {"VARCHAR": "STRING"}.get(kind, kind)


def _spark_value(value: Any, kind: str) -> Any:
    """``value`` as Spark takes it into a column of ``kind`` (it converts nothing itself)."""
    if value is None:
        return None
    if kind == "VARCHAR":
        return str(value)
    if kind == "DOUBLE":
        return float(value)
    if kind.startswith("DECIMAL"):
        return Decimal(value)
    return value


def _postgres_type(kind: str) -> str:
    return {"VARCHAR": "TEXT", "DOUBLE": "DOUBLE PRECISION"}.get(kind, kind)


def _duckdb() -> Any:
    """One in-memory DuckDB for the whole module: connecting costs more than a small query."""
    if not _CONNECTION:
        _CONNECTION.append(duckdb.connect())
    return _CONNECTION[0]


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return value


def _columns(rules: RuleSet, form: str) -> dict[str, str]:
    if form == "long":
        return {"subject": "VARCHAR", "indicator": "VARCHAR", "measure": "VARCHAR",
                "value": "VARCHAR"}
    columns = {"subject": "VARCHAR"}
    for indicator in rules:
        for index, measure in enumerate(indicator.measures):
            name = sql.column_name(indicator.id, measure.name)
            if measure.kind == "flag":
                columns[name] = "BOOLEAN"
            elif measure.kind == "count":
                columns[name] = ("BIGINT", "VARCHAR")[index % 2]
            else:
                columns[name] = ("DECIMAL(18, 4)", "VARCHAR", "DOUBLE")[index % 3]
        for level in indicator.levels:
            if level.is_milestone:
                columns[sql.milestone_column(indicator.id, level.number)] = "BOOLEAN"
    return columns


def typed_columns(rules: RuleSet) -> dict[str, str]:
    """Wide-form columns that are all typed: counts INTEGER, BIGINT or DECIMAL(18, 4), numbers
    DECIMAL(18, 4), flags and milestones BOOLEAN (what ``types=`` is for)."""
    columns = {"subject": "VARCHAR"}
    for indicator in rules:
        for index, measure in enumerate(indicator.measures):
            name = sql.column_name(indicator.id, measure.name)
            if measure.kind == "flag":
                columns[name] = "BOOLEAN"
            elif measure.kind == "count":
                columns[name] = ("INTEGER", "BIGINT", "DECIMAL(18,4)")[index % 3]
            else:
                columns[name] = "DECIMAL(18,4)"
        for level in indicator.levels:
            if level.is_milestone:
                columns[sql.milestone_column(indicator.id, level.number)] = "BOOLEAN"
    return columns


def wide_rows(rules: RuleSet, records: dict[str, dict[str, dict[str, Any]]],
              typed: bool = False) -> list[dict[str, Any]]:
    """Rows for :func:`_columns` (or, if ``typed``, :func:`typed_columns`)."""
    rows = []
    for subject, by_indicator in records.items():
        row: dict[str, Any] = {"subject": subject}
        for indicator in rules:
            record = by_indicator.get(indicator.id, {})
            for measure in indicator.measures:
                value = record.get(measure.name)
                kind = _columns(rules, "wide")[sql.column_name(indicator.id, measure.name)]
                if typed:
                    pass
                elif value is not None and kind == "VARCHAR":
                    value = str(value)
                elif value is not None and kind == "DOUBLE":
                    value = float(value)
                row[sql.column_name(indicator.id, measure.name)] = value
            done = set(record.get("milestones", ()))
            for level in indicator.levels:
                if level.number in done:
                    row[sql.milestone_column(indicator.id, level.number)] = True
                elif level.is_milestone and (sum(map(ord, subject)) + level.number) % 2:
                    # Not done: false in some rows, NULL (no value) in the others.
                    row[sql.milestone_column(indicator.id, level.number)] = False
        rows.append(row)
    return rows


def long_rows(records: dict[str, dict[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    rows = []
    for subject, by_indicator in records.items():
        for indicator_id, record in by_indicator.items():
            for name, value in record.items():
                values = value if name == "milestones" else [value]
                for item in values:
                    text = ("true" if item else "false") if isinstance(item, bool) else str(item)
                    rows.append({"subject": subject, "indicator": indicator_id, "measure": name,
                                 "value": text})
    return rows


# ------------------------------------------------------------------------------------------------
# The exact oracle


class Division(Exception):
    """A division by zero, with the Python evaluator's message."""


def exact_value(expr: nodes.Expr, env: dict[str, Any], indicator: str) -> Any:
    if isinstance(expr, nodes.Number):
        return Fraction(expr.value)
    if isinstance(expr, nodes.Name):
        return env[expr.name]
    if isinstance(expr, nodes.Negate):
        return -exact_value(expr.operand, env, indicator)
    if isinstance(expr, nodes.Not):
        return not exact_value(expr.operand, env, indicator)
    if isinstance(expr, nodes.BinaryOp):
        left = exact_value(expr.left, env, indicator)
        right = exact_value(expr.right, env, indicator)
        if expr.op == "/" and right == 0:
            raise Division(f"indicator {indicator}: division by zero in `{describe_expr(expr)}`: "
                           f"`{describe_expr(expr.right)}` is 0")
        return {"+": left + right, "-": left - right, "*": left * right,
                "/": left / right if right else None}[expr.op]
    if isinstance(expr, nodes.Compare):
        values = [exact_value(operand, env, indicator) for operand in expr.operands]
        checks = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
                  ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
                  "==": lambda a, b: a == b, "!=": lambda a, b: a != b}
        return all(checks[op](a, b) for a, op, b in zip(values, expr.ops, values[1:]))
    assert isinstance(expr, nodes.BoolOp)
    results = [exact_value(operand, env, indicator) for operand in expr.operands]
    return all(results) if expr.op == "and" else any(results)


def exact_result(indicator: Indicator, record: Mapping[str, Any]) -> tuple[int, Decimal]:
    """(level, score) by exact rational arithmetic; raises :class:`Division`. The record must be
    one that the Python evaluator accepts."""
    node = indicator.node
    env: dict[str, Any] = {}
    for measure in node.measures:
        value = record[measure.name]
        env[measure.name] = value if measure.kind == "flag" else Fraction(Decimal(str(value)))
    for let in node.lets:
        env[let.name] = exact_value(let.expr, env, node.id)
    done = set(record.get("milestones", ()))
    milestones = [level.number for level in node.levels if level.is_milestone]
    holds = []
    for level in node.levels:
        if level.is_milestone:
            needed = [level.number]
            if node.policy == "highest":
                needed = [m for m in milestones if m <= level.number]
            holds.append(all(m in done for m in needed))
        else:
            assert level.condition is not None
            holds.append(bool(exact_value(level.condition, env, node.id)))
    if node.policy == "highest":
        level_number = max((k for k, held in enumerate(holds, 1) if held), default=0)
    else:
        level_number = next((k for k, held in enumerate(holds) if not held), len(holds))
    shape = interpolation(node) if node.interpolate else None
    if shape is None:
        return level_number, Decimal(level_number)
    x = exact_value(shape.expr, env, node.id)
    thresholds = [Fraction(t) for t in shape.thresholds]
    k = level_number
    if k == 0 or k == len(thresholds):
        return level_number, Decimal(k)
    # The score's integer part is its level: a fraction that rounds up to 1 stays at 0.9999.
    fraction = (x - thresholds[k - 1]) / (thresholds[k] - thresholds[k - 1])
    scaled = (2 * fraction.numerator * 10**4 + fraction.denominator) // (2 * fraction.denominator)
    return level_number, k + Decimal(min(scaled, 10**4 - 1)).scaleb(-4)


def integer_bound(indicator: Indicator, record: Mapping[str, Any], scale: int = 4) -> int:
    """An upper bound on the integers the SQL computes for ``record``: it keeps fractions
    unreduced (``a/b + c/d = (ad + cb) / bd``) and cross-multiplies comparisons, and cancels
    constant factors, which only makes its integers smaller than these."""
    node = indicator.node
    env: dict[str, tuple[int, int]] = {}
    largest = [0]

    def seen(*numbers: int) -> None:
        largest[0] = max(largest[0], *numbers)

    def bound(expr: nodes.Expr) -> tuple[int, int]:
        if isinstance(expr, nodes.Number):
            value = Fraction(expr.value)
            return abs(value.numerator), value.denominator
        if isinstance(expr, nodes.Name):
            return env[expr.name]
        if isinstance(expr, nodes.Negate):
            return bound(expr.operand)
        assert isinstance(expr, nodes.BinaryOp)
        (a, b), (c, d) = bound(expr.left), bound(expr.right)
        result = {"+": (a * d + c * b, b * d), "-": (a * d + c * b, b * d),
                  "*": (a * c, b * d), "/": (a * d, b * c)}[expr.op]
        seen(*result)
        return result

    def condition(expr: nodes.Expr) -> None:
        if isinstance(expr, nodes.Compare):
            sides = [bound(operand) for operand in expr.operands]
            for (a, b), (c, d) in itertools.pairwise(sides):
                seen(a * d, c * b)
        elif isinstance(expr, nodes.Not):
            condition(expr.operand)
        elif isinstance(expr, nodes.BoolOp):
            for operand in expr.operands:
                condition(operand)

    for measure in node.measures:
        if measure.kind != "flag" and measure.name in record:
            places = 0 if measure.kind == "count" else scale
            scaled = Fraction(Decimal(str(record[measure.name]))) * 10**places
            env[measure.name] = (abs(int(scaled)), 10**places)
            seen(*env[measure.name])
    for let in node.lets:
        env[let.name] = bound(let.expr)
    for level in node.levels:
        if level.condition is not None:
            condition(level.condition)
    shape = interpolation(node) if node.interpolate else None
    if shape is not None:
        x, xd = bound(shape.expr)
        for low, high in zip(shape.thresholds, shape.thresholds[1:]):
            t, step = Fraction(low), abs(Fraction(high - low))
            seen(x * t.denominator, abs(t.numerator) * xd)
            p = (x * t.denominator + abs(t.numerator) * xd) * step.denominator
            q = xd * t.denominator * step.numerator
            seen(2 * 10**4 * p + q, 2 * q)
    return largest[0]


LIMITS = {"duckdb": 2**127, "sqlite": 2**63, "postgres": 10**131072, "spark": 10**38}
"""Where each dialect's integers end (PostgreSQL's NUMERIC has 131072 digits before the point)."""


def python_result(indicator: Indicator, record: Mapping[str, Any]
                  ) -> tuple[tuple[int, Decimal] | str, bool]:
    """((level, score) or the error message, whether the Python evaluator rounded)."""
    CONTEXT.clear_flags()
    try:
        result = indicator.evaluate(record)
    except kpirules.EvaluationError as error:
        return str(error), bool(CONTEXT.flags[decimal.Inexact])
    rounded = bool(CONTEXT.flags[decimal.Inexact])
    return (result.level, result.score), rounded


Want = tuple[tuple[int, Decimal] | str, int]


def expected(indicator: Indicator, record: Mapping[str, Any]
             ) -> tuple[Want, tuple[int, Decimal] | str]:
    """((what the SQL must give, the bound on its integers), what Python gives); results are a
    (level, score) pair or an error message."""
    python, rounded = python_result(indicator, record)
    if isinstance(python, str) and "division by zero" not in python:
        return (python, 0), python
    try:
        exact: tuple[int, Decimal] | str = exact_result(indicator, record)
    except Division as error:
        exact = str(error)
    if python != exact:
        # Only the Python evaluator's 28-digit rounding may part it from exact arithmetic.
        assert rounded, (python, exact)
        event("Python's rounding decided a result; SQL gave the exact one")
    return (exact, integer_bound(indicator, record)), python


def check_row(row: Mapping[str, Any], wanted: Want, dialect: str, prefix: str = "") -> None:
    want, bound = wanted
    error = row[prefix + "error"]
    event("error" if isinstance(want, str) else f"level {want[0]}, score {want[1] % 1 != 0}")
    if isinstance(want, str):
        assert error is not None, (row, want)
        if "division by zero" in want or "no value for measure" in want:
            assert error == want
        return
    if error is not None and TOO_LARGE in error:
        assert bound >= LIMITS[dialect], (row, want, bound)
        event(f"{dialect}: too large for exact arithmetic")
        return
    assert error is None, (row, want)
    level, score = want
    assert row[prefix + "level"] == level, (row, want)
    assert _decimal(row[prefix + "score"]) == score, (row, want)


def _decimal(value: Any) -> Decimal:
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


# ------------------------------------------------------------------------------------------------
# Generated rules and records

NAMES = ("m0", "m1", "m2")
OPS = (">=", ">", "<=", "<", "==")
constants = st.one_of(
    st.integers(-5, 100).map(str),
    st.decimals(min_value=-10, max_value=100, places=2).map(lambda d: f"{d.normalize():f}"),
)


def number_expr(names: list[str], depth: int = 2) -> st.SearchStrategy[str]:
    leaf = st.one_of(st.sampled_from(names), constants) if names else constants
    if depth == 0:
        return leaf
    sub = number_expr(names, depth - 1)
    return st.one_of(
        leaf,
        st.tuples(sub, st.sampled_from("+-*/"), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
    )


@st.composite
def conditions(draw: st.DrawFn, numbers: list[str], flags: list[str], depth: int = 1) -> str:
    choice = draw(st.integers(0, 5 if depth else 2))
    if choice == 0 and flags:
        return draw(st.sampled_from(flags))
    if choice == 1:
        low, high = sorted(draw(st.tuples(st.integers(-5, 60), st.integers(-5, 60))))
        return f"{low} <= {draw(number_expr(numbers, 1))} < {high}"
    if choice >= 3 and depth:
        kind = draw(st.sampled_from(("and", "or", "not")))
        if kind == "not":
            return f"not ({draw(conditions(numbers, flags, depth - 1))})"
        parts = draw(st.lists(conditions(numbers, flags, depth - 1), min_size=2, max_size=3))
        return "(" + f" {kind} ".join(parts) + ")"
    left = draw(number_expr(numbers))
    right = draw(st.one_of(constants, number_expr(numbers, 1)))
    return f"{left} {draw(st.sampled_from(OPS))} {right}"


@st.composite
def indicators(draw: st.DrawFn, ident: str) -> str:
    lines = [f'indicator {ident} "Indicator {ident}"']
    if draw(st.booleans()):
        lines.append(f"  weight {draw(st.integers(1, 40))}")
    count = draw(st.integers(1, 3))
    numbers, flags = [], []
    for name in NAMES[:count]:
        kind = draw(st.sampled_from(("number", "number", "count", "flag")))
        bounds = draw(st.sampled_from(("", "", " in 0..", " in -50..100")))
        if kind == "flag":
            lines.append(f"  measure {name} flag")
            flags.append(name)
        else:
            lines.append(f"  measure {name} {kind}{bounds if kind == 'number' else ''}")
            numbers.append(name)
    for index in range(draw(st.integers(0, 2))):
        if not numbers:
            break
        lines.append(f"  let l{index} = {draw(number_expr(numbers, 1))}")
        numbers.append(f"l{index}")
    interpolate = bool(numbers) and draw(st.integers(0, 3)) == 0
    top = draw(st.integers(1, 4))
    if interpolate:
        name = draw(st.sampled_from(numbers))
        expr = draw(st.one_of(
            st.just(name),
            st.tuples(st.sampled_from("+-*/"), number_expr(numbers, 0)).map(
                lambda t: f"{name} {t[0]} {t[1]}"),
        ))
        thresholds = sorted(draw(st.sets(st.integers(-5, 120), min_size=top, max_size=top)))
        rising = draw(st.booleans())
        if not rising:
            thresholds.reverse()
        ops = (">=", ">") if rising else ("<=", "<")
        for number, threshold in enumerate(thresholds, 1):
            lines.append(f"  level {number} if {expr} {draw(st.sampled_from(ops))} {threshold}")
        lines.append("  score interpolate")
    else:
        for number in range(1, top + 1):
            if (not numbers and not flags) or draw(st.integers(0, 3)) == 0:
                lines.append(f'  level {number} milestone "step {number}"')
            else:
                lines.append(f"  level {number} if {draw(conditions(numbers, flags))}")
    if draw(st.booleans()):
        lines.append("  policy highest")
    return "\n".join(lines)


RARELY = st.sampled_from([False] * 20 + [True])
values = st.one_of(
    st.sampled_from([0, 1, 2, 3, 5, 10, 100]),
    st.integers(-20, 200),
    st.decimals(min_value=-100, max_value=100, places=4),
    st.decimals(min_value=0, max_value=100, places=1),
)


@st.composite
def records(draw: st.DrawFn, indicator: Indicator) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for measure in indicator.measures:
        if draw(RARELY):
            continue  # missing
        if measure.kind == "flag":
            record[measure.name] = draw(st.booleans())
        elif measure.kind == "count":
            record[measure.name] = draw(st.one_of(st.integers(0, 200), st.just(0)))
        else:
            value = Decimal(draw(values))
            if measure.low is not None and not draw(RARELY):
                value = max(value, measure.low)  # mostly inside the range
            if measure.high is not None and not draw(RARELY):
                value = min(value, measure.high)
            record[measure.name] = value
    milestones = [level.number for level in indicator.levels if level.is_milestone]
    if milestones:
        record["milestones"] = sorted(draw(st.sets(st.sampled_from(milestones))))
    return record


@st.composite
def cases(draw: st.DrawFn, size: int) -> tuple[RuleSet, dict[str, dict[str, dict[str, Any]]]]:
    text = "\n".join(draw(indicators(str(i))) for i in range(1, size + 1))
    rules = kpirules.parse(text)
    subjects = draw(st.integers(1, 6))
    data = {f"s{n}": {ind.id: draw(records(ind)) for ind in rules} for n in range(subjects)}
    return rules, data


# ------------------------------------------------------------------------------------------------
# Properties


@SETTINGS
@given(cases(1))
def test_indicator_query_gives_the_python_evaluators_levels(
    case: tuple[RuleSet, dict[str, dict[str, dict[str, Any]]]],
) -> None:
    rules, data = case
    indicator = next(iter(rules))
    wants = {subject: expected(indicator, by_id[indicator.id])[0]
             for subject, by_id in data.items()}
    for dialect in engines():
        for form in FORMS:
            rows = wide_rows(rules, data) if form == "wide" else long_rows(data)
            got = run(dialect, form, rules, rows, indicator.to_sql)
            assert set(got) == {row["subject"] for row in rows}
            for subject, wanted in wants.items():
                if subject not in got:
                    continue
                check_row(got[subject], wanted, dialect)
                want = wanted[0]
                if isinstance(want, tuple) and got[subject]["error"] is None and \
                        indicator.weight is not None:
                    points = Decimal(indicator.weight) * want[1] / indicator.top
                    assert _decimal(got[subject]["points"]) == _round10(points)


@SETTINGS
@given(cases(2))
def test_ruleset_query_gives_the_python_scorecard(
    case: tuple[RuleSet, dict[str, dict[str, dict[str, Any]]]],
) -> None:
    rules, data = case
    for dialect in engines():
        for form in FORMS:
            rows = wide_rows(rules, data) if form == "wide" else long_rows(data)
            got = run(dialect, form, rules, rows, rules.to_sql)
            assert set(got) == {row["subject"] for row in rows}
            for subject, by_id in data.items():
                if subject not in got:
                    continue
                row = got[subject]
                if form == "long":  # no rows: no data, unless milestones are all there is
                    by_id = {key: record for key, record in by_id.items()
                             if not rules[key].measures
                             or any(name != "milestones" or value
                                    for name, value in record.items())}
                wants = []
                for indicator in rules:
                    if indicator.id in by_id:
                        wanted = expected(indicator, by_id[indicator.id])[0]
                    else:
                        needs = ", ".join(f"`{m.name}`" for m in indicator.measures)
                        wanted = (f"no rows for indicator {indicator.id} (it needs {needs})", 0)
                    wants.append(wanted[0])
                    check_row(row, wanted, dialect, prefix=f"{indicator.id}.")
                if row["error"] is not None and TOO_LARGE in row["error"]:
                    continue
                first_error = _first_error(rules, wants)
                if first_error is not None:
                    assert row["error"] is not None and row["total"] is None
                    if "division by zero" in first_error or "no rows" in first_error:
                        assert row["error"] == first_error
                    continue
                assert row["error"] is None, row
                total = sum((Decimal(ind.weight or 0) * want[1] / ind.top
                             for ind, want in zip(rules, wants) if isinstance(want, tuple)),
                            Decimal(0))
                assert _decimal(row["total"]) == _round10(total)


def assert_same_error(got: str | None, want: str) -> None:
    """The SQL error is Python's, but for how the offending value is written (```-1.0000``` in
    SQL, ``-1`` in Python)."""
    assert got is not None, want
    if want.endswith("has no weight"):  # as _first_error abbreviates it
        assert got.startswith(want + ", so"), (got, want)
    elif ", not " in want:
        assert got.startswith(want.rsplit(", not ", 1)[0] + ", not "), (got, want)
    else:
        assert got == want, (got, want)


@SETTINGS
@given(cases(1))
def test_typed_indicator_query_gives_the_python_evaluators_levels(
    case: tuple[RuleSet, dict[str, dict[str, dict[str, Any]]]],
) -> None:
    """``types=`` on a DuckDB table of INTEGER, BIGINT, DECIMAL(18, 4) and BOOLEAN columns."""
    rules, data = case
    indicator = next(iter(rules))
    columns = typed_columns(rules)
    rows = wide_rows(rules, data, typed=True)
    got = run("duckdb", "wide", rules, rows, indicator.to_sql, columns, types=columns)
    assert set(got) == set(data)
    for subject, by_id in data.items():
        wanted = expected(indicator, by_id[indicator.id])[0]
        check_row(got[subject], wanted, "duckdb")
        want = wanted[0]
        if isinstance(want, str):
            assert_same_error(got[subject]["error"], want)
        elif indicator.weight is not None:
            points = Decimal(indicator.weight) * want[1] / indicator.top
            assert _decimal(got[subject]["points"]) == _round10(points)


@SETTINGS
@given(cases(2))
def test_typed_ruleset_query_gives_the_python_scorecard(
    case: tuple[RuleSet, dict[str, dict[str, dict[str, Any]]]],
) -> None:
    rules, data = case
    columns = typed_columns(rules)
    rows = wide_rows(rules, data, typed=True)
    got = run("duckdb", "wide", rules, rows, rules.to_sql, columns, types=columns)
    default = run("duckdb", "wide", rules, rows, rules.to_sql, columns)
    assert got == default  # the same answers as without types=, on every row
    for subject, by_id in data.items():
        row = got[subject]
        wants = []
        for indicator in rules:
            wanted = expected(indicator, by_id[indicator.id])[0]
            wants.append(wanted[0])
            check_row(row, wanted, "duckdb", prefix=f"{indicator.id}.")
        first_error = _first_error(rules, wants)
        if first_error is not None:
            assert row["error"] is not None and row["total"] is None
            assert_same_error(row["error"], first_error)
            continue
        assert row["error"] is None, row
        total = sum((Decimal(ind.weight or 0) * want[1] / ind.top
                     for ind, want in zip(rules, wants) if isinstance(want, tuple)), Decimal(0))
        assert _decimal(row["total"]) == _round10(total)


def _first_error(rules: RuleSet, wants: list[tuple[int, Decimal] | str]) -> str | None:
    """The error RuleSet.evaluate raises first: a missing weight before any record's error."""
    for indicator in rules:
        if indicator.weight is None:
            return f"indicator {indicator.id} has no weight"
    return next((want for want in wants if isinstance(want, str)), None)


def _round10(value: Decimal) -> Decimal:
    with decimal.localcontext() as context:
        context.prec = 60
        return value.quantize(Decimal("1e-10"), rounding=ROUND_HALF_UP)


# ------------------------------------------------------------------------------------------------
# Examples


CATALOGUE_1 = """
indicator 1 "ร้อยละของครัวเรือนยากจนเป้าหมายที่มีรายได้ต่ำกว่าเกณฑ์ จปฐ. ได้รับการพัฒนา"
  weight 20
  measure target_households "ครัวเรือนยากจนเป้าหมาย" count
  measure developed_households "ครัวเรือนเป้าหมายที่ได้รับการพัฒนา" count
  let developed_percent = developed_households / target_households * 100
  level 1 if developed_percent >= 25
  level 2 if developed_percent >= 40
  level 3 if developed_percent >= 55
  level 4 if developed_percent >= 70
  level 5 if developed_percent >= 85
"""


def one(dialect: str, rules_text: str, row: dict[str, Any], **options: Any) -> dict[str, Any]:
    rules = kpirules.parse(rules_text)
    indicator = next(iter(rules))
    types = {int: "BIGINT", float: "DOUBLE", str: "VARCHAR", type(None): "BIGINT"}
    columns = {"subject": "VARCHAR", **{name: types[type(v)] for name, v in row.items()}}
    got = run(dialect, "wide", rules, [{"subject": "s", **row}], indicator.to_sql, columns,
              **options)
    return got["s"]


@pytest.mark.parametrize("dialect", EVERY_DIALECT)
def test_percentages_are_exact_where_binary_floats_are_not(dialect: str) -> None:
    # 57 / 100 * 100 is 56.99999999999999 in binary floating point.
    row = one(dialect, CATALOGUE_1, {"1.target_households": 100, "1.developed_households": 57})
    assert (row["level"], row["error"]) == (3, None)


@pytest.mark.parametrize("dialect", EVERY_DIALECT)
def test_large_counts_stay_exact(dialect: str) -> None:
    big = 10**12
    row = one(dialect, CATALOGUE_1, {"1.target_households": big,
                                     "1.developed_households": big * 85 // 100 - 1})
    assert (row["level"], row["error"]) == (4, None)


@pytest.mark.parametrize("dialect", EVERY_DIALECT)
def test_missing_values_and_zero_divisors_are_errors_not_levels(dialect: str) -> None:
    rules = kpirules.parse(CATALOGUE_1)
    missing = one(dialect, CATALOGUE_1, {"1.target_households": 10,
                                         "1.developed_households": None})
    with pytest.raises(kpirules.EvaluationError) as python:
        rules["1"].evaluate({"target_households": 10})
    assert missing["level"] is None and missing["error"] == str(python.value)
    zero = one(dialect, CATALOGUE_1, {"1.target_households": 0, "1.developed_households": 0})
    with pytest.raises(kpirules.EvaluationError) as python:
        rules["1"].evaluate({"target_households": 0, "developed_households": 0})
    assert zero["level"] is None and zero["error"] == str(python.value)


@pytest.mark.parametrize("dialect", EVERY_DIALECT)
@pytest.mark.parametrize("value", ["12.34567", "1e3", "1,000", "abc", "", "5.", "--1"])
def test_text_sql_cannot_read_exactly_is_an_error(dialect: str, value: str) -> None:
    rules = 'indicator 1 "t"\n  measure x\n  level 1 if x >= 5\n'
    row = one(dialect, rules, {"1.x": value})
    assert row["level"] is None and "`x`" in row["error"]


@pytest.mark.parametrize("dialect", EVERY_DIALECT)
@pytest.mark.parametrize(("value", "level"), [(" ๑๒.๕ ", 1), ("+5", 1), ("-.5", 0), ("4.9999", 0),
                                              ("5.00000", 1), (5, 1), (4.9999, 0)])
def test_plain_decimals_thai_digits_and_floats_are_read_exactly(
    dialect: str, value: Any, level: int
) -> None:
    rules = 'indicator 1 "t"\n  measure x\n  level 1 if x >= 5\n'
    row = one(dialect, rules, {"1.x": value})
    assert (row["level"], row["error"]) == (level, None)


@pytest.mark.parametrize("dialect", EVERY_DIALECT)
def test_rounding_in_python_is_exact_in_sql(dialect: str) -> None:
    # Python: 1 / 3 = 0.333…3 (28 digits), × 3 = 0.999…9 < 1, so level 0. Exactly, 1 / 3 × 3 = 1.
    rules = 'indicator 1 "t"\n  measure x\n  level 1 if x / 3 * 3 >= x\n'
    assert kpirules.parse(rules)["1"].evaluate({"x": 1}).level == 0
    assert one(dialect, rules, {"1.x": 1})["level"] == 1


def test_sqlite_overflow_is_reported_not_scored() -> None:
    rules = 'indicator 1 "t"\n  measure x\n  level 1 if x * x * x >= 5\n'
    row = one("sqlite", rules, {"1.x": 10**6})
    assert row["level"] is None and TOO_LARGE in row["error"]
    assert one("duckdb", rules, {"1.x": 10**6})["level"] == 1


@pytest.mark.parametrize("dialect", EVERY_DIALECT)
def test_interpolated_scores_round_half_up_to_four_places(dialect: str) -> None:
    rules = ('indicator 1 "t"\n  weight 10\n  measure x\n  level 1 if x >= 0\n'
             "  level 2 if x >= 3\n  level 3 if x >= 6\n  score interpolate\n")
    row = one(dialect, rules, {"1.x": "1.0001"})
    assert _decimal(row["score"]) == Decimal("1.3334")
    # 1 + 1.00035 / 3 = 1.33345: half up gives 1.3335 (half even would give 1.3334).
    python = kpirules.parse(rules)["1"].evaluate({"x": Decimal("1.00035")})
    row = one(dialect, rules, {"1.x": "1.00035"}, scale=5)
    assert _decimal(row["score"]) == python.score == Decimal("1.3335")
    assert _decimal(row["points"]) == _round10(python.points or Decimal(0))


def test_long_form_rejects_unknown_measures_and_repeated_values() -> None:
    rules = kpirules.parse(CATALOGUE_1)
    rows = [
        {"subject": "a", "indicator": "1", "measure": "target_households", "value": "10"},
        {"subject": "a", "indicator": "1", "measure": "developed", "value": "5"},
        {"subject": "b", "indicator": "1", "measure": "target_households", "value": "10"},
        {"subject": "b", "indicator": "1", "measure": "target_households", "value": "11"},
        {"subject": "b", "indicator": "1", "measure": "developed_households", "value": "5"},
        {"subject": "c", "indicator": "9", "measure": "x", "value": "5"},
    ]
    for dialect in engines():
        got = run(dialect, "long", rules, rows, rules.to_sql)
        assert "unknown measure `developed`" in got["a"]["error"]
        assert "appears more than once" in got["b"]["error"]
        assert got["c"]["error"] == "unknown indicator `9`"
        lenient = run(dialect, "long", rules, rows, rules["1"].to_sql, strict=False)
        assert "no value for measure `developed_households`" in lenient["a"]["error"]


MILESTONES_AND_FLAG = """
indicator 6 "growth"
  weight 60
  measure g
  measure ok flag
  level 1 if g >= 11 and ok
  level 2 if g >= 12 and ok
indicator 7 "steps"
  weight 40
  level 1 milestone "one"
  level 2 milestone "two"
"""

# (subject, indicator, measure, value) as a records file holds them: spaces around ids and
# names, milestone levels written every way the command line reads them, and flags.
ODD_ROWS = [
    ("a", " 6", "g ", "12"), ("a", "6", " ok", "yes"), ("a", "7 ", "milestones", "1.0"),
    ("a", "7", "milestones", "+2"),
    ("b", "6", "g", "11"), ("b", "6", "ok", "ใช่"), ("b", "7", "milestones", " 01 "),
    ("c", "6", "g", "13"), ("c", "6", "ok", "y"), ("c", "7", "milestones", "1"),
    ("d", "6", "g", "13"), ("d", "6", "ok", "TRUE"), ("d", "7", "milestones", "1.5"),
    ("e", "6", "g", "13"), ("e", "6", "ok", "0"), ("e", "7", "milestones", "๒"),
    ("f", "6", "g", "13"), ("f", "6", "ok", "1"), ("f", "7", "milestones", "1."),
    ("g", "6", "g", "12\t"), ("g", "6", "ok", "๑"), ("g", "7", "milestones", "1\u3000"),
    ("h", "6", "g", "12"), ("h", "6", "ok", "1"), ("h", "7", "", "1"),
    ("i", "6", "g", "12"), ("i", "6", "ok", "1"), ("i", "", "", ""),
    ("j", "6", "g", "12"), ("j", "6", "ok", "1"), ("j", "6", "milestones", "1"),
]


@pytest.mark.parametrize("dialect", ["duckdb", "sqlite"])
def test_long_form_reads_rows_as_the_command_line_does(dialect: str, tmp_path: Any) -> None:
    rules = kpirules.parse(MILESTONES_AND_FLAG)
    path = tmp_path / "records.csv"
    path.write_text("subject,indicator,measure,value\n"
                    + "".join(",".join(row) + "\n" for row in ODD_ROWS), encoding="utf-8")
    python: dict[str, Any] = {}
    for subject in RecordReader(str(path), rules):
        assert isinstance(subject, Subject)
        try:
            python[subject.name] = rules.evaluate(subject.records) if not subject.problems \
                else subject.problems[0].text()
        except kpirules.EvaluationError as error:
            python[subject.name] = str(error)
    rows = [dict(zip(("subject", "indicator", "measure", "value"), row)) for row in ODD_ROWS]
    got = run(dialect, "long", rules, rows, rules.to_sql)
    # By hand: a has g 12 with ok (level 2) and milestones 1.0 and +2 (level 2); b g 11 (level
    # 1), milestone 01 (level 1); c and d and f are refused ("y" is not a flag word; 1.5 and "1."
    # are not levels); e is not ok (level 0) with milestone ๒ alone (level 0: 1 is not done);
    # g, with a tab, ๑ for true and an ideographic space, is levels 2 and 1 (60 + 20); h has a
    # row with no measure, i one with no indicator, j milestones for indicator 6, which has none.
    assert {name: (card.total if isinstance(card, kpirules.Scorecard) else None)
            for name, card in python.items()} == {
        "a": Decimal(100), "b": Decimal(50), "c": None, "d": None, "e": Decimal(0), "f": None,
        "g": Decimal(80), "h": None, "i": None, "j": None}
    for name, card in python.items():
        row = got[name]
        if isinstance(card, kpirules.Scorecard):
            assert row["error"] is None, (name, row)
            assert [row["6.level"], row["7.level"]] == [r.level for r in card.results]
            assert _decimal(row["total"]) == card.total
        else:
            assert row["error"] is not None and row["total"] is None, (name, row)


def test_long_form_reads_a_numeric_value_column() -> None:
    """A Parquet file's ``value`` column may be DOUBLE or DECIMAL: ``1.0`` is milestone 1 and,
    for a flag, true (as a JSON record's ``1.0`` is)."""
    rules = kpirules.parse(MILESTONES_AND_FLAG)
    for kind in ("DOUBLE", "DECIMAL(18, 4)"):
        columns = {"subject": "VARCHAR", "indicator": "VARCHAR", "measure": "VARCHAR",
                   "value": kind}
        rows = [{"subject": "a", "indicator": "6", "measure": "g", "value": Decimal("12.5")},
                {"subject": "a", "indicator": "6", "measure": "ok", "value": Decimal(1)},
                {"subject": "a", "indicator": "7", "measure": "milestones", "value": Decimal(1)},
                {"subject": "a", "indicator": "7", "measure": "milestones", "value": Decimal(2)}]
        got = run("duckdb", "long", rules, rows, rules.to_sql, columns)["a"]
        assert got["error"] is None, (kind, got)
        assert (got["6.level"], got["7.level"], _decimal(got["total"])) == (2, 2, Decimal(100))
    reals = [{**row, "value": float(row["value"])} for row in rows]  # SQLite REAL values
    got = run("sqlite", "long", rules, reals, rules.to_sql)["a"]
    assert got["error"] is None, got
    assert (got["6.level"], got["7.level"], _decimal(got["total"])) == (2, 2, Decimal(100))


@pytest.mark.parametrize("dialect", sql.DIALECTS)
def test_every_dialect_writes_a_query(dialect: str) -> None:
    rules = kpirules.parse(CATALOGUE_1)
    for form in FORMS:
        text = rules.to_sql(dialect=dialect, form=form)
        name = "`{}`" if dialect == "spark" else '"{}"'  # Spark reads "x" as a string
        assert text.startswith("WITH ")
        assert name.format("1.level") in text and name.format("total") in text


@pytest.mark.parametrize(("option", "value"), [("dialect", "oracle"), ("form", "tall"),
                                               ("scale", -1), ("scale", 1.5), ("table", "")])
def test_bad_options_are_refused(option: str, value: Any) -> None:
    with pytest.raises(ValueError, match=option):
        kpirules.parse(CATALOGUE_1).to_sql(**{option: value})



@pytest.mark.parametrize(("kind", "value", "level"), [
    ("DECIMAL(18, 6)", Decimal("5.000000"), 1), ("DECIMAL(18, 6)", Decimal("4.999999"), None),
    ("DECIMAL(4, 1)", Decimal("4.9"), 0), ("UBIGINT", 7, 1), ("TINYINT", -3, 0),
    ("HUGEINT", 10**30, 1), ("HUGEINT", 10**36, None), ("DECIMAL(38, 2)", Decimal(10**25), 1),
    ("REAL", 4.5, 0), ("BOOLEAN", True, None), ("DECIMAL(18, 4)", Decimal(10**10), 1),
    ("DECIMAL(18, 4)", Decimal(-10**13), 0),
])
def test_duckdb_column_types(kind: str, value: Any, level: int | None) -> None:
    rules = kpirules.parse('indicator 1 "t"\n  measure x\n  level 1 if x >= 5\n')
    got = run("duckdb", "wide", rules, [{"subject": "s", "1.x": value}], rules["1"].to_sql,
              {"subject": "VARCHAR", "1.x": kind})["s"]
    assert got["level"] == level
    assert (got["error"] is None) == (level is not None)


def test_types_is_for_duckdb_wide_tables() -> None:
    rules = kpirules.parse(CATALOGUE_1)
    for options in ({"dialect": "sqlite"}, {"form": "long"}, {"types": {"x": 1}}):
        with pytest.raises(ValueError, match="types"):
            rules.to_sql(**{"types": {"1.target_households": "INTEGER"}, **options})


@pytest.mark.parametrize(("target", "developed", "level", "error"), [
    (400, 130, 1, None), (0, 5, None, "division by zero"), (-1, 5, None, "0 or more"),
    (None, 5, None, "no value"), (10**17, 10**17, 5, None),
    (2**62, 2**62, None, TOO_LARGE),  # beyond the range guard: an error, never a wrong level
])
def test_typed_bigint_columns_keep_every_error(target: int | None, developed: int,
                                               level: int | None, error: str | None) -> None:
    columns = {"subject": "VARCHAR", "1.target_households": "BIGINT",
               "1.developed_households": "BIGINT"}
    row = one("duckdb", CATALOGUE_1, {"1.target_households": target,
                                      "1.developed_households": developed}, types=columns)
    assert row["level"] == level
    assert (row["error"] is None) if error is None else (error in row["error"])
    query = kpirules.parse(CATALOGUE_1).to_sql(types=columns)
    assert "TRY(" not in query and "regexp" not in query


# Typed columns compared with a constant are compared as they are (no scaling): every integer
# and DECIMAL type, constants with more places than the column or beyond its range, negative and
# fractional factors, the constant on either side.
TYPED_KINDS = {"TINYINT": (0, -128, 127), "SMALLINT": (0, -2**15, 2**15 - 1),
               "INTEGER": (0, -2**31, 2**31 - 1), "BIGINT": (0, -2**63, 2**63 - 1),
               "UTINYINT": (0, 0, 255), "UBIGINT": (0, 0, 2**64 - 1),
               "DECIMAL(4,1)": (1, -999, 999), "DECIMAL(9,2)": (2, -10**9 + 1, 10**9 - 1),
               "DECIMAL(18,4)": (4, -10**18 + 1, 10**18 - 1),
               "DECIMAL(38,3)": (3, -10**23, 10**23)}


@st.composite
def typed_comparisons(draw: st.DrawFn) -> tuple[str, str, Decimal]:
    kind = draw(st.sampled_from(sorted(TYPED_KINDS)))
    places, low, high = TYPED_KINDS[kind]
    scaled = draw(st.one_of(st.integers(low, high), st.sampled_from([low, high, 0]),
                            st.integers(max(low, -2000), min(high, 2000))))
    value = Decimal(scaled).scaleb(-places)
    constant = draw(st.one_of(
        st.decimals(-300, 300, places=draw(st.integers(0, 5))),
        st.sampled_from([Decimal(2**63), Decimal(-2**63), Decimal(10**20), Decimal(256),
                         Decimal(-129), Decimal("99.95")]),
        st.just(value)))
    factor = draw(st.sampled_from(["", "-", "3 * ", "-2 * ", "0.5 * ", "10 * "]))
    op = draw(st.sampled_from((*OPS, "!=")))
    shown = f"({constant})" if constant < 0 else str(constant)
    condition = (f"{factor}x {op} {shown}" if draw(st.booleans())
                 else f"{shown} {op} {factor}x")
    return kind, condition, value


@SETTINGS
@given(typed_comparisons())
def test_typed_columns_are_compared_with_constants_as_they_are(
        case: tuple[str, str, Decimal]) -> None:
    kind, condition, value = case
    rules = kpirules.parse(f'indicator 1 "t"\n  measure x\n  level 1 if {condition}\n')
    python = rules["1"].evaluate({"x": value})
    columns = {"subject": "VARCHAR", "1.x": kind}
    for options in ({"types": columns}, {}):
        got = run("duckdb", "wide", rules, [{"subject": "s", "1.x": value}], rules["1"].to_sql,
                  columns, **options)["s"]
        if got["error"] is not None:
            assert TOO_LARGE in got["error"], got
            continue
        assert got["level"] == python.level, (kind, condition, value, options, got)


def test_typed_catalogue_query_selects_rows_without_not() -> None:
    """Speed, not meaning: DuckDB computes ``NOT m`` into a vector of its own before it selects
    rows, but selects on ``m = FALSE`` directly, so every negated condition of a ladder is
    written without NOT (milestone ladders ran more than twice as fast). The catalogue with
    warehouse types then has no NOT anywhere; its levels stay those of the Python evaluator."""
    rules = kpirules.catalogue.load("cdd-2565-r1")
    columns = {"subject": "VARCHAR"}
    for indicator in rules:
        for measure in indicator.measures:
            kind = "INTEGER" if measure.kind == "count" else "DECIMAL(15, 2)"
            columns[sql.column_name(indicator.id, measure.name)] = kind
        for level in indicator.levels:
            if level.is_milestone:
                columns[sql.milestone_column(indicator.id, level.number)] = "BOOLEAN"
    query = rules.to_sql(table="records", dialect="duckdb", types=columns)
    code = re.sub(r"'(?:[^']|'')*'", "''", query)  # the error texts say "not"
    assert re.search(r"\bNOT\b", code, re.IGNORECASE) is None
    row: dict[str, Any] = {"subject": "s", "1.target_households": 200,
                           "1.developed_households": 110, "3.bpm_recorded_percent": Decimal(80),
                           "3.gvh_reported_percent": Decimal(90),
                           "4.baseline_overdue_debt": Decimal(1000),
                           "4.overdue_debt": Decimal(900), "5.trained_percent": Decimal(95),
                           "6.online_sales_growth_percent": Decimal("12.5"),
                           "2.milestones.1": True, "2.milestones.2": False,
                           "4.milestones.1": True, "4.milestones.2": True,
                           "5.milestones.1": True, "5.milestones.2": None,
                           "7.milestones.1": True, "7.milestones.2": True}
    got = run("duckdb", "wide", rules, [row], rules.to_sql, columns, types=columns)["s"]
    # By hand from the source page: 110/200 = 55% is level 3; milestone 1 done, 2 not: level 1;
    # BPM 80% is not > 80 (level 2 needs > 75 and GVH >= 85: level 2); debt down 10%: level 5;
    # training milestone 2 not done: level 1; sales up 12.5%: level 2 (>= 12, < 13);
    # milestones 1 and 2 of 7: level 2.
    assert [got[f"{k}.level"] for k in "1234567"] == [3, 1, 2, 5, 1, 2, 2]


@pytest.mark.parametrize("dialect", ["duckdb", "sqlite"])
def test_the_scorecard_error_is_the_one_python_raises_first(dialect: str) -> None:
    rules = kpirules.parse('indicator 1 "a"\n  weight 50\n  measure t count\n  measure d count\n'
                           '  level 1 if d / t >= 1\n'
                           'indicator 2 "b"\n  measure x\n  level 1 if x >= 1\n')
    record = {"1": {"t": 0, "d": 1}, "2": {"x": 2}}
    with pytest.raises(kpirules.EvaluationError) as raised:
        rules.evaluate(record)
    assert "indicator 2 has no weight" in str(raised.value)
    row = {"subject": "s", "1.t": 0, "1.d": 1, "2.x": 2}
    got = run(dialect, "wide", rules, [row], rules.to_sql)["s"]
    assert got["error"] == str(raised.value) and got["total"] is None
    assert got["1.error"] is not None and "division by zero" in got["1.error"]


def test_a_quoted_table_name_is_used_as_written() -> None:
    rules = kpirules.parse(CATALOGUE_1)
    con = duckdb.connect()
    con.execute('CREATE TABLE "odd.name" (subject VARCHAR, "1.target_households" INTEGER, '
                '"1.developed_households" INTEGER)')
    con.execute("""INSERT INTO "odd.name" VALUES ('a', 200, 110)""")
    query = rules["1"].to_sql(table='"odd.name"', dialect="duckdb")
    assert con.execute(query).fetchall()[0][:2] == ("a", 3)  # 55% is level 3
    con.execute("CREATE SCHEMA s")
    con.execute('CREATE TABLE s.t AS SELECT * FROM "odd.name"')
    assert con.execute(rules["1"].to_sql(table="s.t", dialect="duckdb")).fetchall()[0][1] == 3


def test_sqlite_shows_a_real_it_refuses_as_python_would() -> None:
    """SQLite prints 0.1 + 0.2 as 0.3 (15 digits), which is not the value it refuses."""
    rules = kpirules.parse('indicator 1 "t"\n  measure x\n  level 1 if x >= 0.3\n')
    got = run("sqlite", "wide", rules, [{"subject": "a", "1.x": 0.1 + 0.2},
                                        {"subject": "b", "1.x": 0.5}], rules["1"].to_sql,
              {"subject": "VARCHAR", "1.x": "DOUBLE"})
    assert got["a"]["error"].endswith(f"not `{0.1 + 0.2!r}`")  # 0.30000000000000004
    assert (got["b"]["level"], got["b"]["error"]) == (1, None)


def test_a_table_name_with_a_stray_quote_is_refused() -> None:
    rules = kpirules.parse(CATALOGUE_1)
    for table in ('x"; DROP TABLE t; --', 'a"b', "a..b"):
        with pytest.raises(ValueError, match="is not a name"):
            rules.to_sql(table=table)
    assert '"s"."a""b"' in rules.to_sql(table='s."a""b"')


def test_long_form_numeric_values_are_read_exactly() -> None:
    """A DOUBLE or DECIMAL value column's numbers as they are: 1.00000000001 is not milestone 1
    nor a true flag (Python refuses both), 12.50000 is 12.5."""
    rules = kpirules.parse(MILESTONES_AND_FLAG)
    for kind, near in (("DOUBLE", 1.00000000001), ("DECIMAL(38, 20)", Decimal("1.00000000001"))):
        columns = {"subject": "VARCHAR", "indicator": "VARCHAR", "measure": "VARCHAR",
                   "value": kind}
        good = [{"subject": "a", "indicator": "6", "measure": "g", "value": Decimal("12.5")},
                {"subject": "a", "indicator": "6", "measure": "ok", "value": Decimal(1)}]
        rows = [*good, {"subject": "a", "indicator": "7", "measure": "milestones", "value": 1},
                *({**row, "subject": "b"} for row in good),
                {"subject": "b", "indicator": "7", "measure": "milestones", "value": near},
                {"subject": "c", "indicator": "6", "measure": "g", "value": Decimal("12.5")},
                {"subject": "c", "indicator": "6", "measure": "ok", "value": near}]
        got = run("duckdb", "long", rules, rows, rules.to_sql, columns)
        assert (got["a"]["6.level"], got["a"]["7.level"], got["a"]["error"]) == (2, 1, None)
        assert "not a milestone level" in got["b"]["error"], (kind, got["b"])
        assert "flag" in got["c"]["error"], (kind, got["c"])


@pytest.mark.parametrize("dialect", DIALECTS)
def test_error_texts_come_in_the_language_asked_for(dialect: str) -> None:
    """The texts the Python engine also gives come from the same message catalogue, in either
    language; compared with the Python engine's own, not typed again here."""
    rules = kpirules.parse(CATALOGUE_1)
    for language in ("en", "th"):
        row = one(dialect, CATALOGUE_1, {"1.target_households": 0,
                                         "1.developed_households": 0}, language=language)
        with pytest.raises(kpirules.EvaluationError) as python:
            rules["1"].evaluate({"target_households": 0, "developed_households": 0})
        assert row["error"] == python.value.in_language(language).message
    thai = one(dialect, CATALOGUE_1, {"1.target_households": 0, "1.developed_households": 0},
               language="th")["error"]
    assert any("\u0e00" <= c <= "\u0e7f" for c in thai), thai
    with pytest.raises(ValueError, match="language"):
        rules.to_sql(language="fr")
