"""The SQL query on Spark SQL (a local session, started once: it takes seconds), against the
Python evaluator: the property tests of ``test_sql`` with fewer examples, the shipped catalogue
on the example records, and what Spark's 38-digit DECIMAL cannot hold."""

from __future__ import annotations

import decimal
import os
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import kpirules
from kpirules import sql
from kpirules.model import RuleSet
from tests.engines import missing, spark_problem, spark_session
from tests.test_sql import (
    TOO_LARGE,
    _columns,
    _decimal,
    _first_error,
    _round10,
    cases,
    check_row,
    expected,
    long_rows,
    wide_rows,
)

pytestmark = pytest.mark.slow

# Spark plans each query in about a second: fewer examples than the other dialects.
SETTINGS = settings(max_examples=int(os.environ.get("KPI_SPARK_EXAMPLES", "12")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

_SESSION: list[Any] = []


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    problem = spark_problem()
    if problem is not None:
        missing(problem)
    session = spark_session()
    _SESSION.append(session)
    yield session
    session.stop()
    _SESSION.clear()


_TYPES = {"VARCHAR": "STRING", "BIGINT": "BIGINT", "DOUBLE": "DOUBLE", "BOOLEAN": "BOOLEAN",
          "DECIMAL(18, 4)": "DECIMAL(18, 4)"}


def run(rules: RuleSet, form: str, rows: list[dict[str, Any]], query: Any,
        columns: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """``rows`` as the table ``records`` of the session, and the query's rows by subject."""
    session = _SESSION[0]
    columns = columns or _columns(rules, form)
    schema = ", ".join(f"{sql.quote(name).replace(chr(34), '`')} {_TYPES[kind]}"
                       for name, kind in columns.items())
    data = [tuple(row.get(name) for name in columns) for row in rows]
    session.createDataFrame(data, schema).createOrReplaceTempView("records")
    got = session.sql(query(dialect="spark", form=form, table="records")).collect()
    return {row[0]: row.asDict() for row in got}


@SETTINGS
@given(cases(1))
def test_indicator_query_gives_the_python_evaluators_levels(
    spark: Any, case: tuple[RuleSet, dict[str, dict[str, dict[str, Any]]]],
) -> None:
    rules, data = case
    indicator = next(iter(rules))
    wants = {subject: expected(indicator, by_id[indicator.id])[0]
             for subject, by_id in data.items()}
    for form in ("wide", "long"):
        rows = wide_rows(rules, data) if form == "wide" else long_rows(data)
        got = run(rules, form, rows, indicator.to_sql)
        assert set(got) == {row["subject"] for row in rows}
        for subject, wanted in wants.items():
            if subject in got:
                check_row(got[subject], wanted, "spark")
                want = wanted[0]
                if isinstance(want, tuple) and got[subject]["error"] is None and \
                        indicator.weight is not None:
                    points = Decimal(indicator.weight) * want[1] / indicator.top
                    assert _decimal(got[subject]["points"]) == _round10(points)


@SETTINGS
@given(cases(2))
def test_ruleset_query_gives_the_python_scorecard(
    spark: Any, case: tuple[RuleSet, dict[str, dict[str, dict[str, Any]]]],
) -> None:
    rules, data = case
    for form in ("wide", "long"):
        rows = wide_rows(rules, data) if form == "wide" else long_rows(data)
        got = run(rules, form, rows, rules.to_sql)
        for subject, by_id in data.items():
            if subject not in got:
                continue
            row = got[subject]
            if form == "long":
                by_id = {key: record for key, record in by_id.items()
                         if not rules[key].measures
                         or any(name != "milestones" or value for name, value in record.items())}
            wants = []
            for indicator in rules:
                if indicator.id in by_id:
                    wanted = expected(indicator, by_id[indicator.id])[0]
                else:
                    needs = ", ".join(f"`{m.name}`" for m in indicator.measures)
                    wanted = (f"no rows for indicator {indicator.id} (it needs {needs})", 0)
                wants.append(wanted[0])
                check_row(row, wanted, "spark", prefix=f"{indicator.id}.")
            if row["error"] is not None and TOO_LARGE in row["error"]:
                continue
            first_error = _first_error(rules, wants)
            if first_error is not None:
                assert row["error"] is not None and row["total"] is None
                continue
            assert row["error"] is None, row
            total = sum((Decimal(ind.weight or 0) * want[1] / ind.top
                         for ind, want in zip(rules, wants) if isinstance(want, tuple)),
                        Decimal(0))
            assert _decimal(row["total"]) == _round10(total)


def test_the_catalogue_scores_the_example_records_as_python_does(spark: Any) -> None:
    import csv

    rules = kpirules.catalogue.load("cdd-2565-r1")
    with open("examples/records.csv", encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    columns = {name: "VARCHAR" for name in ("subject", "indicator", "measure", "value")}
    got = run(rules, "long", rows, rules.to_sql, columns)
    subjects = sorted({row["subject"] for row in rows})
    assert sorted(got) == subjects
    for name in subjects:
        by_id: dict[str, dict[str, Any]] = {}
        for row in rows:
            if row["subject"] == name:
                record = by_id.setdefault(row["indicator"], {})
                if row["measure"] == "milestones":
                    record.setdefault("milestones", []).append(int(row["value"]))
                else:
                    record[row["measure"]] = row["value"]
        card = rules.evaluate(by_id)
        assert got[name]["error"] is None, got[name]
        for result in card:
            assert got[name][f"{result.indicator.id}.level"] == result.level
            assert got[name][f"{result.indicator.id}.score"] == result.score
        assert got[name]["total"] == card.total.quantize(Decimal("1E-10"),
                                                         rounding=decimal.ROUND_HALF_UP)
