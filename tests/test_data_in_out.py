"""Data as other libraries hand it over (NumPy, pandas) and results as data (to_dict, dumps,
evaluate_all): the documentation page "Data in and out"; numbers worked out by hand."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kpirules
from kpirules import catalogue

RULES = catalogue.load("cdd-2565-r1")
IND1 = RULES["1"]  # developed / target * 100 >= 25, 40, 55, 70, 85; weight 20


def households(target: Any, developed: Any) -> dict[str, Any]:
    return {"target_households": target, "developed_households": developed}


# NumPy scalars and 0-d arrays read as the Python value they stand for


@pytest.mark.parametrize("target", [np.int64(400), np.int32(400), np.uint16(400), np.array(400)])
def test_numpy_integers_are_counts(target: Any) -> None:
    result = IND1.evaluate(households(target, 230))  # 230 / 400 = 57.5 %: level 3
    assert (result.level, result.values["target_households"]) == (3, Decimal(400))


def test_numpy_float_is_read_by_its_shortest_repr() -> None:
    rule = RULES["6"]  # online_sales_growth_percent >= 11, 12, 13, 14, 15
    assert rule.evaluate({"online_sales_growth_percent": np.float64(12.5)}).values == {
        "online_sales_growth_percent": Decimal("12.5")}
    assert rule.evaluate({"online_sales_growth_percent": np.float64(0.1)}).values == {
        "online_sales_growth_percent": Decimal("0.1")}
    # np.float32(0.1) stands for the Python float 0.10000000149011612, which is what is read.
    assert rule.evaluate({"online_sales_growth_percent": np.float32(0.1)}).values == {
        "online_sales_growth_percent": Decimal("0.10000000149011612")}
    assert rule.evaluate({"online_sales_growth_percent": np.array(14.0)}).level == 4


def test_numpy_bool_is_a_flag_and_not_a_number() -> None:
    rules = kpirules.parse('indicator 1 "t"\n  measure ok flag\n  level 1 if ok\n')
    assert rules["1"].evaluate({"ok": np.True_}).level == 1
    assert rules["1"].evaluate({"ok": np.bool_(False)}).level == 0
    with pytest.raises(kpirules.EvaluationError, match="true/false is not a number"):
        IND1.evaluate(households(np.True_, 1))


def test_numpy_count_is_checked_as_a_count() -> None:
    with pytest.raises(kpirules.EvaluationError, match="whole number 0 or more, not -1"):
        IND1.evaluate(households(400, np.int64(-1)))
    with pytest.raises(kpirules.EvaluationError, match=r"not 2\.5"):
        IND1.evaluate(households(400, np.float64(2.5)))


def test_a_numpy_array_of_more_than_one_value_is_refused() -> None:
    with pytest.raises(kpirules.EvaluationError, match="ndarray"):
        IND1.evaluate(households(np.array([400, 1]), 230))


@pytest.mark.parametrize(
    "done",
    [np.array([1, 2, 3]), pd.Series([1, 2, 3]), (n for n in (1, 2, 3)), range(1, 4),
     np.array([3, 1, 2], dtype=np.int8), pd.array([1, 2, 3], dtype="Int64")],
)
def test_milestones_may_be_any_iterable_of_integers(done: Any) -> None:
    assert RULES["2"].evaluate({"milestones": done}).level == 3


def test_a_milestone_that_is_not_a_level_is_named_as_a_number() -> None:
    with pytest.raises(kpirules.EvaluationError) as caught:
        RULES["2"].evaluate({"milestones": np.array([1, 9])})
    assert "holds 9, which is not a milestone level" in str(caught.value)
    with pytest.raises(kpirules.EvaluationError, match="holds True"):
        RULES["2"].evaluate({"milestones": np.array([True])})


# missing values


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, np.float32("nan"), pd.NA, pd.NaT,
                                     np.datetime64("NaT")])
def test_missing_values_are_no_value(missing: Any) -> None:
    with pytest.raises(kpirules.EvaluationError) as caught:
        IND1.evaluate(households(400, missing))
    assert "has no value for measure `developed_households`" in str(caught.value)
    assert (caught.value.indicator, caught.value.measure) == ("1", "developed_households")


def test_a_missing_flag_is_no_value() -> None:
    rules = kpirules.parse('indicator 1 "t"\n  measure ok flag\n  level 1 if ok\n')
    with pytest.raises(kpirules.EvaluationError, match="no value for measure `ok`"):
        rules["1"].evaluate({"ok": pd.NA})


def test_missing_milestones_are_none_done() -> None:
    assert RULES["2"].evaluate({"milestones": None}).level == 0
    assert RULES["2"].evaluate({"milestones": float("nan")}).level == 0


def test_the_message_is_in_thai_for_a_thai_rule_set() -> None:
    thai = kpirules.parse('indicator 6 "t"\n  measure growth number\n  level 1 if growth >= 11\n',
                          language="th")
    with pytest.raises(kpirules.EvaluationError) as caught:
        thai["6"].evaluate({"growth": np.nan})
    assert str(caught.value) == "ตัวชี้วัด 6: ไม่มีค่าของตัววัด `growth`"


# Result.to_dict and Scorecard.to_dict


def test_result_to_dict() -> None:
    result = IND1.evaluate(households(400, 230))
    assert result.to_dict() == {"indicator": "1", "level": 3, "score": Decimal(3),
                                "points": Decimal(12)}  # 20 × 3 / 5
    assert result.to_dict(values=True)["values"] == {
        "target_households": Decimal(400), "developed_households": Decimal(230),
        "developed_percent": Decimal("57.5")}


def example_records() -> dict[str, Any]:
    with open("examples/records.json", encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle, parse_float=Decimal)
    return data


def test_scorecard_to_dict_is_the_command_lines_shape() -> None:
    card = RULES.evaluate(example_records()["เชียงใหม่"])  # every indicator at its top level
    data = card.to_dict()
    assert data["total"] == Decimal(100)
    assert list(data["indicators"]) == ["1", "2", "3", "4", "5", "6", "7"]
    assert data["indicators"]["1"] == {"level": 5, "score": Decimal(5), "points": Decimal(20)}
    assert "values" in card.to_dict(values=True)["indicators"]["3"]


# kpirules.dumps


def test_dumps_writes_exact_bare_numbers() -> None:
    rules = kpirules.parse('indicator 1 "t"\n  weight 10\n  level 1 if x >= 1\n  level 2 if x >= 2\n'
                           '  level 3 if x >= 3\n')
    card = rules.evaluate({"1": {"x": 1}})  # points 10 × 1 / 3 = 3.333… (28 digits)
    text = kpirules.dumps(card)
    third = "3." + "3" * 27
    assert text == (f'{{"total": {third}, "indicators": {{"1": {{"level": 1, "score": 1, '
                    f'"points": {third}}}}}}}')
    assert json.loads(text, parse_float=Decimal)["total"] == Decimal(third)


def test_dumps_of_a_mapping_with_errors_and_options() -> None:
    outcome = RULES.evaluate_all({"ก": example_records()["ขอนแก่น"], "ข": {}})
    text = kpirules.dumps(outcome, indent=2, sort_keys=True)
    data = json.loads(text, parse_float=Decimal)
    assert data["ข"] == {"error": "no record for indicator 1"}
    # ขอนแก่น, by hand: 1: 280/400 = 70 % → 4 (16); 2: milestones 1, 2, 4, 5 → 2 (8);
    # 3: 84.9 > 80 and 100 ≥ 90 → 3, not 4 (84.9 < 85) (9); 4: milestones, reduction 0 % → 3 (9);
    # 5: milestones, 99.99 ≥ 95 → 4 (8); 6: 11 → 1 (2); 7: milestones 3, 5 without 1 → 0 (0).
    assert data["ก"]["total"] == Decimal(52)
    assert [data["ก"]["indicators"][k]["level"] for k in "1234567"] == [4, 2, 3, 3, 4, 1, 0]
    assert "\n" in text and "ขอนแก่น" not in text and '"ก"' in text  # Thai kept, not \u escapes


def test_dumps_without_options_is_json_dumps_with_default_options() -> None:
    outcome = RULES.evaluate_all({name: records for name, records in example_records().items()})
    fast = kpirules.dumps(outcome)
    slow = kpirules.dumps(outcome, separators=(", ", ": "))  # the placeholder path
    assert fast == slow


def test_dumps_result_and_a_name_that_looks_like_a_placeholder() -> None:
    result = IND1.evaluate(households(400, 230))
    assert json.loads(kpirules.dumps({"kpirules-number-0": result}, indent=None)) == {
        "kpirules-number-0": {"indicator": "1", "level": 3, "score": 3, "points": 12}}


def test_dumps_refuses_its_own_number_writer_being_replaced() -> None:
    with pytest.raises(TypeError, match="default"):
        kpirules.dumps(IND1.evaluate(households(400, 230)), default=str)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 10**6), st.integers(0, 10**6)), min_size=1, max_size=5),
       st.integers(0, 4))
def test_dumps_round_trips_exactly(pairs: list[tuple[int, int]], indent: int) -> None:
    subjects = {f"s{k}": {**{str(i): {} for i in range(2, 8)},
                          "1": households(target, min(developed, target))}
                for k, (target, developed) in enumerate(pairs)}
    outcome = RULES.evaluate_all(subjects)
    options: dict[str, Any] = {"indent": indent} if indent else {}
    back = json.loads(kpirules.dumps(outcome, **options), parse_float=Decimal)
    for name, card in outcome.items():
        if isinstance(card, kpirules.Scorecard):
            assert back[name] == card.to_dict()
        else:
            assert back[name] == {"error": str(card)}


# RuleSet.evaluate_all


def test_evaluate_all_keeps_input_order_and_every_subject() -> None:
    records = example_records()
    names = list(reversed(records))
    outcome = RULES.evaluate_all({name: records[name] for name in names} | {"x": {"1": {}}})
    assert list(outcome) == [*names, "x"]
    assert isinstance(outcome["x"], kpirules.EvaluationError)
    assert outcome["เชียงใหม่"].total == Decimal(100)  # type: ignore[union-attr]


def test_evaluate_all_takes_a_mapping() -> None:
    with pytest.raises(TypeError, match="evaluate_many takes a list"):
        RULES.evaluate_all([{}])  # type: ignore[arg-type]


@given(st.integers(0, 10**9), st.integers(0, 10**9))
def test_numpy_integers_score_as_python_integers(target: int, developed: int) -> None:
    if target == 0:
        return
    python = IND1.evaluate(households(target, developed))
    numpy = IND1.evaluate(households(np.int64(target), np.int64(developed)))
    assert (numpy.level, numpy.values) == (python.level, python.values)


@given(st.floats(-1e12, 1e12, allow_nan=False))
def test_numpy_floats_score_as_python_floats(value: float) -> None:
    rule = RULES["6"]
    python = rule.evaluate({"online_sales_growth_percent": value})
    numpy = rule.evaluate({"online_sales_growth_percent": np.float64(value)})
    assert (numpy.level, numpy.values) == (python.level, python.values)
