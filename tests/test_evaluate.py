"""SPEC §3 semantics, one rule per test, with numbers worked out by hand."""

from __future__ import annotations

import decimal
import pickle
from collections.abc import Iterator
from decimal import Decimal
from types import MappingProxyType

import pytest

import kpirules

LADDER = """
indicator 1 "ร้อยละของครัวเรือนยากจนเป้าหมายที่ได้รับการพัฒนา"
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


def one(text: str) -> kpirules.Indicator:
    rules = kpirules.parse(text)
    return next(iter(rules))


def ladder() -> kpirules.Indicator:
    return kpirules.parse(LADDER)["1"]


def households(target: object, developed: object) -> dict[str, object]:
    return {"target_households": target, "developed_households": developed}


# exact arithmetic


def test_57_percent_is_57_exactly() -> None:
    indicator = one('indicator 1 "t"\n  level 1 if a / 100 * 100 >= 57\n')
    assert indicator.evaluate({"a": 57}).level == 1
    assert 57 / 100 * 100 < 57  # what binary floats would have said


def test_floats_are_taken_by_their_shortest_repr() -> None:
    indicator = one('indicator 1 "t"\n  level 1 if x * 3 >= 0.3\n')
    assert indicator.evaluate({"x": 0.1}).level == 1  # 0.1 * 3 is exactly 0.3 in decimal
    assert indicator.evaluate({"x": 0.1}).values["x"] == Decimal("0.1")


def test_division_keeps_28_significant_digits() -> None:
    indicator = one('indicator 1 "t"\n  let third = a / 3\n  level 1 if third >= 0\n')
    assert indicator.evaluate({"a": 1}).values["third"] == Decimal("0." + "3" * 28)


def test_a_callers_decimal_context_does_not_change_a_level() -> None:
    indicator = one('indicator 1 "t"\n  level 1 if a / 3 * 3 >= 1\n')
    with decimal.localcontext(decimal.Context(prec=2)):
        result = indicator.evaluate({"a": 1})
    # 1/3 to 28 digits, times 3, is 0.999…9 < 1, whatever the caller's context says.
    assert result.level == 0


@pytest.mark.parametrize(
    ("target", "developed", "level"),
    [
        (400, 99, 0),  # 24.75 %
        (400, 100, 1),  # 25 % exactly
        (400, 159, 1),  # 39.75 %
        (400, 160, 2),  # 40 %
        (400, 219, 2),  # 54.75 %
        (400, 220, 3),  # 55 %
        (400, 280, 4),  # 70 %
        (400, 339, 4),  # 84.75 %
        (400, 340, 5),  # 85 %
        (400, 400, 5),
        (3, 1, 1),  # 33.33… %
    ],
)
def test_ladder_levels(target: int, developed: int, level: int) -> None:
    assert ladder().evaluate(households(target, developed)).level == level


# accepted values


@pytest.mark.parametrize(
    "value",
    [220, Decimal("220"), 220.0, "220", " 220 ", "๒๒๐", "220.0", "2.2e2"],
)
def test_numbers_are_accepted_in_every_documented_form(value: object) -> None:
    assert ladder().evaluate(households(400, value)).level == 3


def test_thousands_separators_in_text() -> None:
    indicator = one('indicator 1 "t"\n  level 1 if x >= 1000\n')
    assert indicator.evaluate({"x": "1,234.50"}).values["x"] == Decimal("1234.50")


# bad input: every case of SPEC §3 names the indicator and the measure


@pytest.mark.parametrize(
    ("record", "measure", "words"),
    [
        ({"target_households": 400}, "developed_households", "no value"),
        ({**households(400, 3), "developed_househlds": 1}, "developed_househlds", "did you mean"),
        (households(400, float("nan")), "developed_households", "no value"),
        (households(400, float("inf")), "developed_households", "finite"),
        (households(400, Decimal("NaN")), "developed_households", "finite"),
        (households(400, Decimal("-Infinity")), "developed_households", "finite"),
        (households(400, "many"), "developed_households", "text"),
        (households(400, "NaN"), "developed_households", "text"),
        (households(400, True), "developed_households", "true/false"),
        (households(400, -1), "developed_households", "whole number 0 or more"),
        (households(400, 2.5), "developed_households", "whole number 0 or more"),
        (households(400, None), "developed_households", "no value"),
        (households(400, [1]), "developed_households", "list"),
        ({**households(400, 3), "milestones": [1]}, "milestones", "not a milestone level"),
    ],
)
def test_bad_input_raises_naming_indicator_and_measure(
    record: dict[str, object], measure: str, words: str
) -> None:
    with pytest.raises(kpirules.EvaluationError) as caught:
        ladder().evaluate(record)
    assert caught.value.indicator == "1"
    assert caught.value.measure == measure
    assert words in str(caught.value)


def test_unknown_keys_are_ignored_when_not_strict() -> None:
    record = {**households(400, 220), "note": "late"}
    assert ladder().evaluate(record, strict=False).level == 3


def test_division_by_zero_names_the_expression() -> None:
    with pytest.raises(kpirules.EvaluationError) as caught:
        ladder().evaluate(households(0, 0))
    assert caught.value.indicator == "1"
    assert caught.value.measure is None
    assert "developed_households / target_households" in str(caught.value)


def test_range_is_enforced_on_both_ends() -> None:
    indicator = one('indicator 1 "t"\n  measure p number in 0..100\n  level 1 if p >= 50\n')
    assert indicator.evaluate({"p": 100}).level == 1
    assert indicator.evaluate({"p": 0}).level == 0
    for bad in (-0.01, "100.5"):
        with pytest.raises(kpirules.EvaluationError, match=r"0\.\.100") as caught:
            indicator.evaluate({"p": bad})
        assert caught.value.measure == "p"


def test_flags_take_bools_only() -> None:
    indicator = one('indicator 1 "t"\n  measure done flag\n  level 1 if done\n')
    assert indicator.evaluate({"done": True}).level == 1
    assert indicator.evaluate({"done": False}).level == 0
    assert indicator.evaluate({"done": True}).values == {"done": True}
    for bad in (1, "true", None):
        with pytest.raises(kpirules.EvaluationError) as caught:
            indicator.evaluate({"done": bad})
        assert caught.value.measure == "done"


def test_a_record_must_be_a_mapping() -> None:
    with pytest.raises(kpirules.EvaluationError, match="mapping"):
        ladder().evaluate([400, 220])  # type: ignore[arg-type]
    assert ladder().evaluate(MappingProxyType(households(400, 220))).level == 3


def test_evaluation_never_changes_the_record() -> None:
    record = {**households("400", 220.0), "milestones": (x for x in [])}
    before = dict(record)
    ladder().evaluate(record)
    assert record == before


def test_evaluation_error_survives_pickling() -> None:
    with pytest.raises(kpirules.EvaluationError) as caught:
        ladder().evaluate({"target_households": 1})
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.indicator, copy.measure, str(copy)) == (
        "1", "developed_households", str(caught.value))


# levels and milestones

CHECKLIST = 'indicator 2 "t"\n' + "".join(
    f'  level {k} milestone "step {k}"\n' for k in range(1, 6))


@pytest.mark.parametrize(
    ("done", "ordered", "highest"),
    [
        ([], 0, 0),
        ([1], 1, 1),
        ([1, 2, 4, 5], 2, 2),  # 4 and 5 need 3 before them under both policies
        ([2, 3, 4, 5], 0, 0),
        ([5, 4, 3, 2, 1], 5, 5),
        ({1, 2, 3}, 3, 3),
    ],
)
def test_milestones_count_only_in_order(done: list[int], ordered: int, highest: int) -> None:
    assert one(CHECKLIST).evaluate({"milestones": done}).level == ordered
    highest_rules = CHECKLIST.replace('"t"\n', '"t"\n  policy highest\n')
    assert one(highest_rules).evaluate({"milestones": done}).level == highest


def test_milestones_must_be_a_list_of_ints() -> None:
    for bad in ("12", 3, {"1": True}, [True], ["1"]):
        with pytest.raises(kpirules.EvaluationError) as caught:
            one(CHECKLIST).evaluate({"milestones": bad})
        assert caught.value.measure == "milestones"


MIXED = """
indicator 4 "debt"
  measure baseline number in 0..
  measure overdue number in 0..
  let reduction = (baseline - overdue) / baseline * 100
  level 1 milestone "register"
  level 2 milestone "plan"
  level 3 if reduction >= 0
  level 4 if reduction >= 5
  level 5 if reduction >= 10
"""


@pytest.mark.parametrize(
    ("overdue", "milestones", "level"),
    [
        (1000, [1, 2], 3),  # unchanged debt: reduction 0
        (1001, [1, 2], 2),  # debt grew
        (950, [1, 2], 4),  # exactly 5 % lower
        (951, [1, 2], 3),  # 4.9 % lower
        (900, [1, 2], 5),  # exactly 10 % lower
        (900, [2], 0),  # the register was never made
        (900, [1], 1),
    ],
)
def test_milestones_then_thresholds(overdue: int, milestones: list[int], level: int) -> None:
    record = {"baseline": 1000, "overdue": overdue, "milestones": milestones}
    assert one(MIXED).evaluate(record).level == level


def test_ordered_versus_highest() -> None:
    text = 'indicator 1 "t"\n  level 1 if a >= 1\n  level 2 if b >= 1\n  level 3 if c >= 1\n'
    record = {"a": 0, "b": 1, "c": 1}
    assert one(text).evaluate(record).level == 0
    highest = text.replace('"t"\n', '"t"\n  policy highest\n')
    assert one(highest).evaluate(record).level == 3
    assert one(highest).evaluate({"a": 1, "b": 1, "c": 0}).level == 2


def test_chained_comparison_and_boolean_operators() -> None:
    text = ('indicator 1 "t"\n  measure ok flag\n'
            "  level 1 if 40 <= x < 55 or not ok\n  level 2 if (x >= 40 and ok) or x == 99\n")
    indicator = one(text)
    assert indicator.evaluate({"x": 40, "ok": True}).level == 2
    assert indicator.evaluate({"x": 55, "ok": True}).level == 0
    assert indicator.evaluate({"x": 10, "ok": False}).level == 1


def test_implicit_measures_are_inputs() -> None:
    indicator = one('indicator 1 "t"\n  level 1 if growth >= 11\n')
    assert [(m.name, m.kind, m.implicit) for m in indicator.measures] == [
        ("growth", "number", True)]
    with pytest.raises(kpirules.EvaluationError) as caught:
        indicator.evaluate({})
    assert caught.value.measure == "growth"


# scores


INTERPOLATED = """
indicator 1 "t"
  weight 20
  score interpolate
  level 1 if p >= 25
  level 2 if p >= 40
  level 3 if p >= 55
  level 4 if p >= 70
  level 5 if p >= 85
"""


@pytest.mark.parametrize(
    ("p", "score"),
    [
        ("24.99", "0"),
        ("25", "1"),
        ("32.5", "1.5"),  # 1 + 7.5 / 15
        ("47.5", "2.5"),  # 2 + 7.5 / 15
        ("41", "2.0667"),  # 2 + 1 / 15 = 2.06666… rounded half up
        ("40.00075", "2.0001"),  # 2 + 0.00075 / 15 = 2.00005 → half up → 2.0001
        ("85", "5"),
        ("1000", "5"),
    ],
)
def test_interpolated_score(p: str, score: str) -> None:
    result = one(INTERPOLATED).evaluate({"p": p})
    assert result.score == Decimal(score)


def test_interpolation_falling_thresholds() -> None:
    text = ('indicator 1 "t"\n  score interpolate\n  level 1 if debt <= 100\n'
            "  level 2 if debt <= 50\n  level 3 if debt < 10\n")
    indicator = one(text)
    assert indicator.evaluate({"debt": 75}).score == Decimal("1.5")  # 1 + 25 / 50
    assert indicator.evaluate({"debt": 30}).score == Decimal("2.5")  # 2 + 20 / 40
    assert indicator.evaluate({"debt": 101}).score == 0
    assert indicator.evaluate({"debt": 5}).score == 3


def test_scorecard_total_is_weighted_by_top_level() -> None:
    text = LADDER + CHECKLIST.replace('"t"\n', '"t"\n  weight 80\n')
    rules = kpirules.parse(text)
    card = rules.evaluate({"1": households(400, 220), "2": {"milestones": [1, 2]}})
    # 20 × 3 / 5 = 12 and 80 × 2 / 5 = 32
    assert card["1"].points == Decimal(12)
    assert card["2"].points == Decimal(32)
    assert card.total == Decimal(44)
    full = rules.evaluate({"1": households(1, 1), "2": {"milestones": [1, 2, 3, 4, 5]}})
    assert full.total == 100


def test_scorecard_refuses_missing_and_unknown_indicators() -> None:
    rules = kpirules.parse(LADDER)
    with pytest.raises(kpirules.EvaluationError, match="no record") as caught:
        rules.evaluate({})
    assert caught.value.indicator == "1"
    with pytest.raises(kpirules.EvaluationError, match="unknown indicator") as caught:
        rules.evaluate({"1": households(4, 1), "9": {}})
    assert caught.value.indicator == "9"


def test_scorecard_needs_weights() -> None:
    rules = kpirules.parse('indicator 1 "t"\n  level 1 if x >= 1\n')
    with pytest.raises(kpirules.EvaluationError, match="no weight"):
        rules.evaluate({"1": {"x": 1}})


def test_result_values_hold_measures_and_lets() -> None:
    result = ladder().evaluate(households(400, 230))
    assert result.values == {
        "target_households": 400, "developed_households": 230, "developed_percent": Decimal("57.5")}
    assert result.level == 3


def test_explain_says_what_the_next_level_needs() -> None:
    text = ladder().evaluate(households(400, 230)).explain()
    assert "level 4 needs developed_percent >= 70: now 57.5, 12.5 short" in text
    assert "level 3 met" in text


def test_explain_milestones_and_order() -> None:
    text = one(CHECKLIST).evaluate({"milestones": [1, 2, 4]}).explain()
    assert "level 3 needs milestone 3 reported done" in text
    assert "level 4 holds, but does not count" in text


def test_evaluate_many_reports_bad_records_and_goes_on() -> None:
    results = list(ladder().evaluate_many([households(4, 1), {"x": 1}, households(4, 4)]))
    assert [getattr(r, "level", None) for r in results] == [1, None, 5]
    assert isinstance(results[1], kpirules.EvaluationError)


# the rule set


def test_ruleset_access() -> None:
    rules = kpirules.parse('catalogue "c"\ntitle "T"\nyear 2565\nround 1\n' + LADDER)
    assert (rules.id, rules.title, rules.year, rules.round) == ("c", "T", 2565, 1)
    assert len(rules) == 1 and [i.id for i in rules] == ["1"]
    assert rules[1] is rules["1"]
    with pytest.raises(KeyError):
        rules["2"]
    headerless = kpirules.parse(LADDER)
    assert (headerless.id, headerless.title, headerless.year, headerless.round) == (
        None, None, None, None)


def test_indicator_ids_are_text() -> None:
    text = ('indicator 2.1 "a"\n level 1 if x >= 1\nindicator kpi_07 "b"\n level 1 if x >= 1\n'
            'indicator "ตัวชี้วัด ก" "c"\n level 1 if x >= 1\n')
    assert kpirules.parse(text).ids() == ["2.1", "kpi_07", "ตัวชี้วัด ก"]


def test_indicator_fields() -> None:
    indicator = kpirules.parse(
        'indicator 4 "t"\n  strategy "s"\n  team "ทีม ก"\n  weight 15\n'
        '  measure debt "หนี้" number in 0.. unit "บาท"\n  level 1 if debt <= 5 "ไม่เกิน 5"\n'
    )["4"]
    assert (indicator.strategy, indicator.team, indicator.weight) == ("s", "ทีม ก", Decimal(15))
    (measure,) = indicator.measures
    assert (measure.name, measure.description, measure.kind, measure.low, measure.high,
            measure.unit) == ("debt", "หนี้", "number", Decimal(0), None, "บาท")
    (level,) = indicator.levels
    assert (level.number, level.description, level.is_milestone) == (1, "ไม่เกิน 5", False)


@pytest.mark.parametrize(
    "value",
    [Decimal("1E+999999999"), Decimal("76065013774104683195592286.4903581"), "1e999999", 1e308],
)
def test_huge_values_give_short_messages(value: object) -> None:
    indicator = one('indicator 1 "t"\n  measure x count in 0..100\n  level 1 if x >= 1\n')
    with pytest.raises(kpirules.EvaluationError) as caught:
        indicator.evaluate({"x": value})
    assert caught.value.measure == "x"
    assert len(str(caught.value)) < 200


def test_arithmetic_overflow_is_an_evaluation_error() -> None:
    indicator = one('indicator 1 "t"\n  level 1 if x * x >= 1\n')
    with pytest.raises(kpirules.EvaluationError, match="too large"):
        indicator.evaluate({"x": Decimal("1E+999990")})


def test_ruleset_evaluate_many_streams_and_reports_bad_subjects() -> None:
    rules = kpirules.parse(LADDER)  # weight 20: level 1 is 4 points, level 5 is 20
    seen: list[int] = []

    def subjects() -> Iterator[dict[str, object]]:
        for n, (target, developed) in enumerate([(4, 1), (0, 1), (4, 4)]):
            seen.append(n)
            yield {"1": households(target, developed)}
        seen.append(-1)
        yield {"9": households(4, 4)}

    results = rules.evaluate_many(subjects())
    first = next(results)
    assert seen == [0]  # lazy: one subject read per result
    assert isinstance(first, kpirules.Scorecard) and first.total == Decimal(4)
    rest = list(results)
    assert isinstance(rest[0], kpirules.EvaluationError) and "division by zero" in str(rest[0])
    assert isinstance(rest[1], kpirules.Scorecard) and rest[1].total == Decimal(20)
    assert isinstance(rest[2], kpirules.EvaluationError) and "unknown indicator `9`" in str(rest[2])
    # The same answers as one call each.
    assert rest[1].total == rules.evaluate({"1": households(4, 4)}).total


@pytest.mark.parametrize("reported", [[True], [1.0], [[1]], (1, 9), [0]])
def test_milestones_the_quick_reading_refuses_what_the_full_one_does(reported: object) -> None:
    rules = kpirules.parse('indicator 1 "t"\n  level 1 milestone "a"\n  level 2 milestone "b"\n')
    with pytest.raises(kpirules.EvaluationError) as caught:
        rules["1"].evaluate({"milestones": reported})
    assert caught.value.code == "unknown-milestone"


def test_milestones_as_a_list_or_a_tuple() -> None:
    rules = kpirules.parse('indicator 1 "t"\n  level 1 milestone "a"\n  level 2 milestone "b"\n')
    assert rules["1"].evaluate({"milestones": (2, 1)}).level == 2
    assert rules["1"].evaluate({"milestones": [2]}).level == 0
    assert rules["1"].evaluate({"milestones": [1, 1]}).milestones == frozenset({1})
