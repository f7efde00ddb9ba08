"""The SQL query on Spark SQL (a local session, started once: it takes seconds), against the
Python evaluator: the property tests of ``test_sql`` with fewer examples, the shipped catalogue
on the example records, and what Spark's 38-digit DECIMAL cannot hold."""

from __future__ import annotations

import decimal
import os
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import kpirules
from kpirules.model import RuleSet
from tests.engines import spark_session
from tests.test_sql import (
    TOO_LARGE,
    _decimal,
    _first_error,
    _round10,
    cases,
    check_row,
    expected,
    long_rows,
    wide_rows,
)
from tests.test_sql import (
    run as run_sql,
)

pytestmark = pytest.mark.slow

# Spark plans each query in about a second: fewer examples than the other dialects.
SETTINGS = settings(max_examples=int(os.environ.get("KPI_SPARK_EXAMPLES", "12")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

@pytest.fixture(scope="module")
def spark() -> Any:
    return spark_session()


def run(rules: RuleSet, form: str, rows: list[dict[str, Any]], query: Any,
        columns: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    return run_sql("spark", form, rules, rows, query, columns)


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


def test_names_and_strings_are_written_as_spark_reads_them(spark: Any) -> None:
    from kpirules.sql._dialects import _spark_quoting

    query = 'SELECT \'it\'\'s \\ "not" a name\' AS "a ""b"" `c`"'
    assert _spark_quoting(query) == "SELECT 'it\\'s \\\\ \"not\" a name' AS `a \"b\" ``c```"
    (row,) = spark.sql(_spark_quoting(query)).collect()
    assert row.asDict() == {'a "b" `c`': 'it\'s \\ "not" a name'}


@pytest.mark.parametrize(("value", "level"), [
    # 10**33 × 10**4 (the value's scale) × 1000 needs 41 digits: beyond DECIMAL(38).
    (str(10**33), None),
    # 40 digits cannot even be read into DECIMAL(38, 4).
    ("9" * 40, None),
    # 10**20 × 10**4 × 1000 = 10**27: exact, and level 1 (worked out: 10**23 >= 5).
    (str(10**20), 1),
    ("-" + str(10**20), 0),
])
def test_what_38_digits_cannot_hold_is_too_large_never_a_level(
    spark: Any, value: str, level: int | None,
) -> None:
    rules = kpirules.parse('indicator 1 "t"\n  measure x\n  level 1 if x * 1000 >= 5\n')
    got = run(rules, "wide", [{"subject": "s", "1.x": value}], rules["1"].to_sql,
              {"subject": "VARCHAR", "1.x": "VARCHAR"})["s"]
    if level is None:
        assert got["level"] is None
        assert got["error"] == "indicator 1: a number is too large for exact spark arithmetic" or \
            got["error"].startswith("indicator 1: `x` is too large for exact spark arithmetic")
    else:
        assert (got["level"], got["error"]) == (level, None)


def test_a_score_on_the_edge_of_38_digits_is_reported_not_rounded(spark: Any) -> None:
    # `p >= 25` is written `developed * 4 >= target`: with 38-digit counts, 4 × developed needs
    # 39 digits. (With 37-digit ones it fits, and Python's level 2 is what Spark gives.)
    text = ('indicator 1 "t"\n  measure target count\n  measure developed count\n'
            '  let p = developed / target * 100\n  level 1 if p >= 25\n  level 2 if p >= 40\n'
            '  score interpolate\n')
    rules = kpirules.parse(text)
    big = 5 * 10**37
    fits = run(rules, "wide", [{"subject": "s", "1.target": str(10**36), "1.developed":
                                str(10**36)}], rules["1"].to_sql,
               {"subject": "VARCHAR", "1.target": "VARCHAR", "1.developed": "VARCHAR"})["s"]
    assert (fits["level"], fits["score"], fits["error"]) == (2, Decimal(2), None)
    got = run(rules, "wide", [{"subject": "s", "1.target": str(big), "1.developed": str(big)}],
              rules["1"].to_sql, {"subject": "VARCHAR", "1.target": "VARCHAR",
                                  "1.developed": "VARCHAR"})["s"]
    assert got["level"] is None and "too large for exact spark arithmetic" in got["error"]
    small = run(rules, "wide", [{"subject": "s", "1.target": "400", "1.developed": "130"}],
                rules["1"].to_sql, {"subject": "VARCHAR", "1.target": "VARCHAR",
                                    "1.developed": "VARCHAR"})["s"]
    # 130 / 400 = 32.5 %: level 1, and 1 + (32.5 - 25) / (40 - 25) = 1.5.
    assert (small["level"], small["score"], small["error"]) == (1, Decimal("1.5"), None)
