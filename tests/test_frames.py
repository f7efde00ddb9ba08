"""kpirules.frames.score on pandas and polars DataFrames (the documentation page "Data in and
out"); expected numbers worked out by hand from the catalogue's rules."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kpirules
from kpirules import catalogue, frames

ROOT = Path(__file__).resolve().parent.parent
RULES = catalogue.load("cdd-2565-r1")
# By hand from examples/records.json (points = weight × level / 5):
# เชียงใหม่ every indicator at its top level: 100.
# ขอนแก่น 1: 280/400 = 70 % → 4 (16); 2: 1, 2, 4, 5 → 2 (8); 3: 84.9 → 3 (9); 4: 0 % → 3 (9);
#   5: 99.99 → 4 (8); 6: 11 → 1 (2); 7: 3, 5 → 0 (0): 52.
EXPECTED = {"เชียงใหม่": (Decimal(100), [5, 5, 5, 5, 5, 5, 5]),
            "ขอนแก่น": (Decimal(52), [4, 2, 3, 3, 4, 1, 0])}


def records() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "examples" / "records.json").read_text("utf-8"),
                                      parse_float=Decimal)
    return data


def wide_table(data: dict[str, Any]) -> dict[str, list[Any]]:
    """The example records in the wide layout, column by column (milestone columns as bools)."""
    table: dict[str, list[Any]] = {"subject": []}
    for name, by_id in data.items():
        table["subject"].append(name)
        for indicator in RULES:
            record = by_id[indicator.id]
            for measure in indicator.measures:
                table.setdefault(f"{indicator.id}.{measure.name}", []).append(
                    Decimal(record[measure.name]))  # one type a column, as polars wants
            for level in indicator.levels:
                if level.is_milestone:
                    table.setdefault(f"{indicator.id}.milestones.{level.number}", []).append(
                        level.number in record.get("milestones", []))
    return table


def floats(table: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {name: [float(v) if isinstance(v, Decimal) else v for v in values]
            for name, values in table.items()}


def check_expected(rows: dict[str, dict[str, Any]]) -> None:
    for name, (total, levels) in EXPECTED.items():
        row = rows[name]
        assert row["total"] == total and isinstance(row["total"], Decimal)
        assert row["error"] is None
        assert [row[f"{k}.level"] for k in "1234567"] == levels


def pandas_rows(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    return {row["subject"]: {k: (None if v is pd.NA else v) for k, v in row.items()}
            for row in frame.to_dict("records")}


def polars_rows(frame: pl.DataFrame) -> dict[str, dict[str, Any]]:
    return {row["subject"]: row for row in frame.to_dicts()}


def test_the_catalogue_scores_a_pandas_frame_in_one_call() -> None:
    frame = pd.DataFrame(floats(wide_table(records())))  # float64 columns, as pandas reads a CSV
    out = frames.score(RULES, frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == frames.columns(RULES)
    assert list(out["subject"]) == list(records())
    check_expected(pandas_rows(out))
    assert str(out["1.level"].dtype) == "Int64" and out["total"].dtype == object


def test_the_catalogue_scores_a_polars_frame_in_one_call() -> None:
    frame = pl.DataFrame(wide_table(records()))  # Decimal columns where the JSON has fractions
    out = frames.score(RULES, frame)
    assert isinstance(out, pl.DataFrame)
    assert out.columns == frames.columns(RULES)
    check_expected(polars_rows(out))
    assert out.schema["total"] == pl.Decimal(38, 0)
    assert out.schema["1.level"] == pl.Int64


def test_frames_agree_with_evaluate_all() -> None:
    data = records()
    wanted = RULES.evaluate_all(data)
    for out in (frames.score(RULES, pd.DataFrame(wide_table(data))),
                frames.score(RULES, pl.DataFrame(wide_table(data)))):
        rows = pandas_rows(out) if isinstance(out, pd.DataFrame) else polars_rows(out)
        for name, card in wanted.items():
            assert isinstance(card, kpirules.Scorecard)
            assert rows[name]["total"] == card.total
            for result in card:
                ident = result.indicator.id
                assert (rows[name][f"{ident}.score"], rows[name][f"{ident}.points"]) == (
                    result.score, result.points)


def test_polars_decimal_columns_keep_every_digit() -> None:
    rules = kpirules.parse('indicator 1 "t"\n  weight 100\n  measure x number\n  score interpolate\n'
                           '  level 1 if x >= 0\n  level 2 if x >= 3\n  level 3 if x >= 6\n')
    out = frames.score(rules, pl.DataFrame({"subject": ["a"], "1.x": [1]}))
    # score 1 + 1/3 = 1.3333 (4 places); points 100 × 1.3333 / 3 = 44.4433333… (28 digits)
    assert out["1.score"][0] == Decimal("1.3333")
    assert out["1.points"][0] == Decimal("44.44333333333333333333333333")
    assert out["total"][0] == Decimal("44.44333333333333333333333333")


def test_rejected_subjects_are_rows_with_an_error() -> None:
    data = records()
    table = wide_table(data)
    table["1.developed_households"][1] = None  # ขอนแก่น
    table["6.online_sales_growth_percent"][2] = "many"
    for out in (frames.score(RULES, pd.DataFrame(table)), frames.score(RULES, pl.DataFrame(
            floats(table) | {"6.online_sales_growth_percent": [str(v) for v in
                                                             table["6.online_sales_growth_percent"]]}))):
        rows = pandas_rows(out) if isinstance(out, pd.DataFrame) else polars_rows(out)
        assert len(rows) == len(data)
        assert rows["ขอนแก่น"]["error"].startswith(
            "indicator 1: the record has no value for measure `developed_households`")
        assert rows["สงขลา"]["error"].startswith(
            "indicator 6: `online_sales_growth_percent` must be a number, not the text 'many'")
        assert rows["ขอนแก่น"]["total"] is None and rows["ขอนแก่น"]["1.level"] is None
        assert rows["เชียงใหม่"]["total"] == Decimal(100)


def test_a_missing_indicator_rejects_every_subject() -> None:
    table = {k: v for k, v in wide_table(records()).items() if not k.startswith("7.")}
    out = frames.score(RULES, pd.DataFrame(table))
    assert set(out["error"]) == {"no record for indicator 7"}


def test_unknown_columns_of_an_indicator_are_refused_unless_not_strict() -> None:
    table = wide_table(records()) | {"6.online_sales_growth_percnt": [1] * 6, "note": ["x"] * 6}
    out = frames.score(RULES, pd.DataFrame(table))
    assert "unknown measure `online_sales_growth_percnt`; did you mean" in out["error"][0]
    relaxed = frames.score(RULES, pd.DataFrame(table), strict=False)
    assert relaxed["error"].isna().all()


def test_milestone_cells() -> None:
    table = wide_table(records())
    table["2.milestones.1"] = ["yes", "ใช่", 1, None, "maybe", "no"]
    out = frames.score(RULES, pd.DataFrame(table))
    assert out["error"][4] == ("indicator 2: `2.milestones.1` says whether milestone 1 is done: "
                               "write true or false (yes/no, 1/0, ใช่/ไม่ใช่), not 'maybe'")
    # นครราชสีมา (row 3) reports milestones 2 … but not 1: level 0.
    assert out["2.level"][3] == 0 and out["2.level"][0] == 5


def test_the_long_layout() -> None:
    with open(ROOT / "examples" / "records.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows.reverse()  # subjects' rows need not be together or in order
    frame = pd.DataFrame(rows)
    out = frames.score(RULES, frame, layout="long")
    check_expected(pandas_rows(out))
    assert list(out["subject"]) == list(dict.fromkeys(row["subject"] for row in rows))
    out = frames.score(RULES, pl.DataFrame(rows), layout="long")
    check_expected(polars_rows(out))


def test_the_long_layout_names_the_frames_row() -> None:
    frame = pd.DataFrame({"subject": ["a", "a"], "indicator": ["9", "1"], "measure": ["x", "y"],
                          "value": [1, 2]})
    rules = kpirules.parse('indicator 1 "t"\n  weight 100\n  measure y count\n  level 1 if y >= 1\n')
    out = frames.score(rules, frame, layout="long")
    assert out["error"][0].startswith("row 0: indicator `9` is not in the rules")


def test_bad_calls() -> None:
    with pytest.raises(TypeError, match="pandas or polars DataFrame, not dict"):
        frames.score(RULES, {"subject": []})
    with pytest.raises(TypeError, match=r"\.collect\(\)"):
        frames.score(RULES, pl.DataFrame({"subject": []}).lazy())
    with pytest.raises(kpirules.KpiRulesError, match="no `subject` column"):
        frames.score(RULES, pd.DataFrame({"name": ["a"]}))
    with pytest.raises(ValueError, match='"wide" or "long"'):
        frames.score(RULES, pd.DataFrame({"subject": ["a"]}), layout="tall")  # type: ignore[arg-type]
    with pytest.raises(kpirules.KpiRulesError, match="no `value` column"):
        frames.score(RULES, pd.DataFrame({"subject": ["a"], "indicator": [1], "measure": ["x"]}),
                     layout="long")


def test_an_empty_frame_gives_an_empty_frame() -> None:
    out = frames.score(RULES, pl.DataFrame({"subject": []}))
    assert out.height == 0 and out.columns == frames.columns(RULES)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 10**6), st.integers(0, 10**6),
                          st.decimals(-100, 100, places=2)), min_size=1, max_size=8))
def test_frames_score_is_evaluate_all(cases: list[tuple[int, int, Decimal]]) -> None:
    base = records()["เชียงใหม่"]
    data = {f"s{k}": base | {"1": {"target_households": t, "developed_households": d},
                             "6": {"online_sales_growth_percent": g}}
            for k, (t, d, g) in enumerate(cases)}
    wanted = RULES.evaluate_all(data)
    out = pandas_rows(frames.score(RULES, pd.DataFrame(wide_table(data))))
    for name, card in wanted.items():
        if isinstance(card, kpirules.Scorecard):
            assert out[name]["total"] == card.total
        else:
            assert out[name]["error"] == str(card)


def test_decimal_columns_are_read_exactly() -> None:
    import pyarrow as pa  # pandas' Arrow types need it (the dev extra brings it)
    rules = kpirules.parse('indicator 1 "t"\n  weight 100\n  measure x number\n'
                           '  level 1 if x * 3 >= 254.97\n')  # 84.99 × 3 = 254.97 exactly
    values = [Decimal("84.99"), Decimal("84.98")]
    arrow = pd.DataFrame({"subject": ["a", "b"],
                          "1.x": pd.array(values, dtype=pd.ArrowDtype(pa.decimal128(10, 2)))})
    assert frames.score(rules, arrow)["1.level"].tolist() == [1, 0]
    exact = pl.DataFrame({"subject": ["a", "b"], "1.x": pl.Series(values, dtype=pl.Decimal(10, 2))})
    assert frames.score(rules, exact)["1.level"].to_list() == [1, 0]
    text = pd.DataFrame({"subject": ["a", "b"], "1.x": ["84.99", "84.98"]})
    assert frames.score(rules, text)["1.level"].tolist() == [1, 0]


def test_importing_kpirules_imports_no_dataframe_library() -> None:
    import subprocess
    import sys

    code = ("import sys, kpirules, kpirules.frames, kpirules._wide; "
            "kpirules.catalogue.load('cdd-2565-r1')['6'].evaluate("
            "{'online_sales_growth_percent': 12}); "
            "print(sorted(m for m in ('numpy', 'pandas', 'polars') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
