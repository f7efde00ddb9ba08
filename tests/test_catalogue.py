"""The shipped catalogue `cdd-2565-r1` against the source page and SPEC §6.

Expected levels and totals are worked out by hand from the source page's thresholds and the weights
(20, 20, 15, 15, 10, 10, 10; points = weight × level / 5), never copied from the library's output.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import kpirules
from kpirules import catalogue
from kpirules._semantics import describe_expr

NAME = "cdd-2565-r1"
REPO = Path(__file__).resolve().parents[1]
# The source page, kept in the repository so that the suite runs in any clone; the original sits
# in ../shared/seed beside the project's own checkout.
SEED = REPO / "tests" / "data" / "seed" / "000_82d5909d5636f598.txt"
ORIGINAL_SEED = REPO.parent / "shared" / "seed" / SEED.name
SEED_SHA256 = "1b6d8746f13fa31ac5b72a7c3ce6ab6520fef69ee6784e8ad1362f5827fb3176"


@pytest.fixture(scope="module")
def rules() -> kpirules.RuleSet:
    return catalogue.load(NAME)


def test_the_kept_page_is_the_source_page() -> None:
    """The copy is byte for byte the page it was taken from (its digest was taken from the
    original), and where the original is at hand, the two are compared directly."""
    kept = SEED.read_bytes()
    assert hashlib.sha256(kept).hexdigest() == SEED_SHA256
    if ORIGINAL_SEED.is_file():
        assert kept == ORIGINAL_SEED.read_bytes()


# --------------------------------------------------------------------------- the source page


@dataclass
class SeedRow:
    id: str
    heading: str  # "STRATEGY TITLE": the page runs the two cells together with one space
    levels: list[str]  # without the leading "ระดับ N "
    weight: Decimal
    year: int
    round: int


@dataclass
class Seed:
    title: str
    year: int
    round: int
    rows: list[SeedRow]
    total: str


def read_seed() -> Seed:
    """The source page, cut into its cells.

    The page is the text of a web table: one line per indicator holding "#", the strategy, the
    title and level 1, then one line per further level, then the weight, year and round alone on
    their lines, and at the end "รวม" and the total.
    """
    lines = SEED.read_text(encoding="utf-8").splitlines()
    heading = next(m for line in lines if (m := re.fullmatch(r"(.+) รอบ (\d+) ปี (\d+)", line)))
    start = next(i for i, line in enumerate(lines) if line.startswith("# ")) + 1
    rows: list[SeedRow] = []
    i = start
    while i < len(lines) and lines[i] != "รวม":
        first = re.fullmatch(r"(\d+) (.+?) ระดับ 1 (.+)", lines[i])
        assert first, f"unexpected line {i + 1} in the source page: {lines[i]!r}"
        levels = [first.group(3)]
        i += 1
        while (more := re.fullmatch(r"ระดับ (\d+) (.+)", lines[i])) is not None:
            assert int(more.group(1)) == len(levels) + 1
            levels.append(more.group(2))
            i += 1
        weight, year, round_ = lines[i : i + 3]
        rows.append(SeedRow(first.group(1), first.group(2), levels, Decimal(weight), int(year),
                            int(round_)))
        i += 3
    return Seed(heading.group(1), int(heading.group(3)), int(heading.group(2)), rows,
                lines[i + 1])


def test_the_source_page_reads_as_seven_indicators_of_five_levels() -> None:
    seed = read_seed()
    assert [row.id for row in seed.rows] == ["1", "2", "3", "4", "5", "6", "7"]
    assert all(len(row.levels) == 5 for row in seed.rows)
    assert seed.total == "100%"


def test_header_is_the_pages_heading(rules: kpirules.RuleSet) -> None:
    seed = read_seed()
    assert rules.id == NAME
    assert rules.title == seed.title == "ตัวชี้วัดบุคคล (สำหรับตำแหน่งพัฒนาการจังหวัด)"
    assert (rules.year, rules.round) == (seed.year, seed.round) == (2565, 1)
    assert rules.position == "พัฒนาการจังหวัด"


def test_every_indicator_row_is_the_pages_row_word_for_word(rules: kpirules.RuleSet) -> None:
    seed = read_seed()
    assert rules.ids() == [row.id for row in seed.rows]
    for row in seed.rows:
        indicator = rules[row.id]
        assert indicator.strategy is not None
        # The page does not mark where the strategy ends and the title begins; both are compared
        # through the joined text, and every title begins with one of the page's two title forms.
        assert f"{indicator.strategy} {indicator.title}" == row.heading, row.id
        assert indicator.title.startswith(("ร้อยละ", "ระดับความสำเร็จ")), row.id
        assert [level.description for level in indicator.levels] == row.levels, row.id
        assert indicator.weight == row.weight
        assert (indicator.year or rules.year, indicator.round or rules.round) == (row.year,
                                                                                   row.round)
        assert indicator.team is None


def test_the_sources_typos_are_kept(rules: kpirules.RuleSet) -> None:
    descriptions = [level.description or "" for level in rules["3"].levels]
    assert [("เตามแผนปฏิบัติการ" in text) for text in descriptions] == [True, True, True, False, True]
    assert "ของจำนวนหมู่บ้านตามแผนปฏิบัติการ" in descriptions[3]


def test_weights_total_100(rules: kpirules.RuleSet) -> None:
    weights = [indicator.weight for indicator in rules]
    assert weights == [Decimal(w) for w in (20, 20, 15, 15, 10, 10, 10)]
    assert sum(w for w in weights if w is not None) == Decimal(100)


def test_every_measure_has_a_thai_description(rules: kpirules.RuleSet) -> None:
    for indicator in rules:
        for measure in indicator.measures:
            assert not measure.implicit, (indicator.id, measure.name)
            assert measure.description and re.search("[\u0e00-\u0e7f]", measure.description)


# --------------------------------------------------------------------------- SPEC §6 structure


def _measures(indicator: kpirules.Indicator) -> list[tuple[Any, ...]]:
    return [(m.name, m.kind, m.low, m.high) for m in indicator.measures]


def test_measures_are_the_specs(rules: kpirules.RuleSet) -> None:
    hundred, zero = Decimal(100), Decimal(0)
    assert _measures(rules["1"]) == [("target_households", "count", None, None),
                                     ("developed_households", "count", None, None)]
    assert _measures(rules["2"]) == []
    assert _measures(rules["3"]) == [("bpm_recorded_percent", "number", zero, hundred),
                                     ("gvh_reported_percent", "number", zero, hundred)]
    assert _measures(rules["4"]) == [("baseline_overdue_debt", "number", zero, None),
                                     ("overdue_debt", "number", zero, None)]
    assert [m.unit for m in rules["4"].measures] == ["บาท", "บาท"]
    assert _measures(rules["5"]) == [("trained_percent", "number", zero, hundred)]
    assert _measures(rules["6"]) == [("online_sales_growth_percent", "number", None, None)]
    assert _measures(rules["7"]) == []


def test_lets_are_the_specs(rules: kpirules.RuleSet) -> None:
    assert [(let.name, describe_expr(let.expr)) for let in rules["1"].lets] == [
        ("developed_percent", "developed_households / target_households * 100")]
    assert [(let.name, describe_expr(let.expr)) for let in rules["4"].lets] == [
        ("overdue_reduction_percent",
         "(baseline_overdue_debt - overdue_debt) / baseline_overdue_debt * 100")]
    assert all(not rules[i].lets for i in ("2", "3", "5", "6", "7"))


def _conditions(indicator: kpirules.Indicator) -> list[str]:
    return ["milestone" if level.is_milestone or level.condition is None
            else describe_expr(level.condition) for level in indicator.levels]


def test_levels_are_the_specs(rules: kpirules.RuleSet) -> None:
    assert _conditions(rules["1"]) == [f"developed_percent >= {t}" for t in (25, 40, 55, 70, 85)]
    assert _conditions(rules["2"]) == ["milestone"] * 5
    assert _conditions(rules["3"]) == [
        "bpm_recorded_percent > 70 and gvh_reported_percent >= 80",
        "bpm_recorded_percent > 75 and gvh_reported_percent >= 85",
        "bpm_recorded_percent > 80 and gvh_reported_percent >= 90",
        "bpm_recorded_percent >= 85 and gvh_reported_percent >= 95",
        "bpm_recorded_percent > 90 and gvh_reported_percent >= 100",
    ]
    assert _conditions(rules["4"]) == ["milestone"] * 2 + [
        f"overdue_reduction_percent >= {t}" for t in (0, 5, 10)]
    assert _conditions(rules["5"]) == ["milestone"] * 2 + [
        f"trained_percent >= {t}" for t in (85, 95, 100)]
    assert _conditions(rules["6"]) == [
        f"online_sales_growth_percent >= {t}" for t in (11, 12, 13, 14, 15)]
    assert _conditions(rules["7"]) == ["milestone"] * 5
    assert all(indicator.policy == "ordered" and not indicator.interpolate for indicator in rules)


# --------------------------------------------------------------------------- thresholds


def level(rules: kpirules.RuleSet, indicator: str, record: dict[str, Any]) -> int:
    return rules[indicator].evaluate(record).level


@pytest.mark.parametrize(
    ("developed", "expected"),
    [
        # out of 400 target households: 1% is 4 households
        (0, 0), (99, 0), (100, 1),    # 24.75% | 25%
        (159, 1), (160, 2),           # 39.75% | 40%
        (219, 2), (220, 3),           # 54.75% | 55%
        (279, 3), (280, 4),           # 69.75% | 70%
        (339, 4), (340, 5),           # 84.75% | 85%
        (400, 5),
    ],
)
def test_indicator_1_thresholds(rules: kpirules.RuleSet, developed: int, expected: int) -> None:
    record = {"target_households": 400, "developed_households": developed}
    assert level(rules, "1", record) == expected


@pytest.mark.parametrize(
    ("target", "developed", "expected"),
    [
        (300, 164, 2),  # 54.666...% never reaches 55
        (300, 165, 3),  # 55% exactly
        (20, 17, 5),    # 85% exactly; in binary floats 17 / 20 * 100 is 85.00000000000001
        (7, 4, 3),      # 57.142857...%
        (100, 57, 3),   # 57 / 100 * 100 is 56.99999999999999 in binary floats
    ],
)
def test_indicator_1_is_exact(
    rules: kpirules.RuleSet, target: int, developed: int, expected: int
) -> None:
    record = {"target_households": target, "developed_households": developed}
    assert level(rules, "1", record) == expected


def test_indicator_1_percent_is_a_decimal(rules: kpirules.RuleSet) -> None:
    result = rules["1"].evaluate({"target_households": 100, "developed_households": 57})
    assert result.values["developed_percent"] == Decimal(57)
    result = rules["1"].evaluate({"target_households": 20, "developed_households": 17})
    assert result.values["developed_percent"] == Decimal(85)


@pytest.mark.parametrize("bad", [{"target_households": 0, "developed_households": 0},
                                 {"target_households": 10.5, "developed_households": 3},
                                 {"target_households": 10, "developed_households": -1},
                                 {"target_households": 10}])
def test_indicator_1_refuses_bad_records(rules: kpirules.RuleSet, bad: dict[str, Any]) -> None:
    with pytest.raises(kpirules.EvaluationError) as caught:
        rules["1"].evaluate(bad)
    assert caught.value.indicator == "1"


@pytest.mark.parametrize(
    ("bpm", "expected"),
    [
        # GVH held at 100, so only the BPM share decides; "มากกว่า" is `>`, "ไม่น้อยกว่า" `>=`
        ("70", 0), ("70.01", 1),
        ("75", 1), ("75.1", 2),
        ("80", 2), ("80.1", 3),
        ("84.99", 3), ("85", 4),      # level 4 is "ไม่น้อยกว่าร้อยละ 85": 85 itself counts
        ("90", 4), ("90.01", 5),
        ("100", 5),
    ],
)
def test_indicator_3_bpm_thresholds(rules: kpirules.RuleSet, bpm: str, expected: int) -> None:
    record = {"bpm_recorded_percent": Decimal(bpm), "gvh_reported_percent": 100}
    assert level(rules, "3", record) == expected


@pytest.mark.parametrize(
    ("gvh", "expected"),
    [
        # BPM held at 100, so only the GVH share decides
        ("79.99", 0), ("80", 1),
        ("84.99", 1), ("85", 2),
        ("89.99", 2), ("90", 3),
        ("94.99", 3), ("95", 4),
        ("99.99", 4), ("100", 5),
    ],
)
def test_indicator_3_gvh_thresholds(rules: kpirules.RuleSet, gvh: str, expected: int) -> None:
    record = {"bpm_recorded_percent": 100, "gvh_reported_percent": Decimal(gvh)}
    assert level(rules, "3", record) == expected


@pytest.mark.parametrize(
    ("bpm", "gvh", "expected"),
    [
        (85, 94.99, 3),   # BPM good enough for 4, GVH only for 3
        (80, 95, 2),      # GVH good enough for 4, BPM not more than 80
        (95, 79.9, 0),    # BPM alone gives nothing
        (0, 0, 0),
    ],
)
def test_indicator_3_needs_both_shares(
    rules: kpirules.RuleSet, bpm: float, gvh: float, expected: int
) -> None:
    record = {"bpm_recorded_percent": bpm, "gvh_reported_percent": gvh}
    assert level(rules, "3", record) == expected


@pytest.mark.parametrize("bad", [{"bpm_recorded_percent": 100, "gvh_reported_percent": 100.01},
                                 {"bpm_recorded_percent": -1, "gvh_reported_percent": 100}])
def test_indicator_3_percentages_stay_in_0_to_100(
    rules: kpirules.RuleSet, bad: dict[str, Any]
) -> None:
    with pytest.raises(kpirules.EvaluationError) as caught:
        rules["3"].evaluate(bad)
    assert caught.value.indicator == "3"


@pytest.mark.parametrize(
    ("baseline", "overdue", "expected"),
    [
        # milestones 1 and 2 reported; the baseline is the debt of 1 October 2564
        ("1000000", "1000001", 2),     # the debt grew: not even "ได้เท่าเดิม"
        ("1000000", "1000000", 3),     # exactly unchanged
        ("1000000", "950100", 3),      # 4.99% lower
        ("1000000", "950001", 3),      # 4.9999% lower
        ("1000000", "950000", 4),      # exactly 5% lower
        ("1000000", "900001", 4),      # 9.9999% lower
        ("1000000", "900000", 5),      # exactly 10% lower
        ("1000000", "0", 5),           # all repaid
        ("123456.78", "117283.941", 4),  # 6172.839 / 123456.78 = 5% exactly
        ("123456.78", "111111.102", 5),  # 12345.678 / 123456.78 = 10% exactly
        ("123456.78", "111111.103", 4),  # one thousandth of a baht short of 10%
    ],
)
def test_indicator_4_thresholds(
    rules: kpirules.RuleSet, baseline: str, overdue: str, expected: int
) -> None:
    record = {"baseline_overdue_debt": baseline, "overdue_debt": overdue, "milestones": [1, 2]}
    assert level(rules, "4", record) == expected


def test_indicator_4_without_a_baseline_is_refused(rules: kpirules.RuleSet) -> None:
    with pytest.raises(kpirules.EvaluationError):
        rules["4"].evaluate({"baseline_overdue_debt": 0, "overdue_debt": 0, "milestones": [1, 2]})
    with pytest.raises(kpirules.EvaluationError) as caught:
        rules["4"].evaluate({"baseline_overdue_debt": 10, "overdue_debt": -1, "milestones": [1]})
    assert caught.value.measure == "overdue_debt"


@pytest.mark.parametrize(
    ("trained", "expected"),
    [
        # milestones 1 and 2 reported
        ("0", 2), ("84.99", 2), ("85", 3),
        ("94.99", 3), ("95", 4),
        ("99.99", 4), ("100", 5),
    ],
)
def test_indicator_5_thresholds(rules: kpirules.RuleSet, trained: str, expected: int) -> None:
    assert level(rules, "5", {"trained_percent": trained, "milestones": [1, 2]}) == expected


def test_indicator_5_cannot_train_more_than_everyone(rules: kpirules.RuleSet) -> None:
    with pytest.raises(kpirules.EvaluationError) as caught:
        rules["5"].evaluate({"trained_percent": "100.01", "milestones": [1, 2]})
    assert caught.value.measure == "trained_percent"


@pytest.mark.parametrize(
    ("growth", "expected"),
    [
        ("-3.5", 0), ("0", 0), ("10.99", 0), ("11", 1),
        ("11.99", 1), ("12", 2),
        ("12.99", 2), ("13", 3),
        ("13.99", 3), ("14", 4),
        ("14.999", 4), ("15", 5),
        ("250", 5),
    ],
)
def test_indicator_6_thresholds(rules: kpirules.RuleSet, growth: str, expected: int) -> None:
    assert level(rules, "6", {"online_sales_growth_percent": growth}) == expected


# --------------------------------------------------------------------------- checklists


@pytest.mark.parametrize("indicator", ["2", "7"])
@pytest.mark.parametrize(
    ("done", "expected"),
    [
        ([], 0),
        ([1], 1),
        ([1, 2], 2),
        ([1, 2, 3], 3),
        ([1, 2, 3, 4], 4),
        ([1, 2, 3, 4, 5], 5),
        ([5, 4, 3, 2, 1], 5),   # the order they are reported in does not matter
        ([1, 2, 4, 5], 2),      # 3 missing: 4 and 5 do not count
        ([2, 3], 0),            # 1 missing: nothing counts
        ([2, 3, 4, 5], 0),
        ([1, 3], 1),
        ([1, 2, 3, 5], 3),
        ([5], 0),
        ([1, 1, 2], 2),         # a milestone reported twice is still one milestone
    ],
)
def test_full_checklists_count_in_order(
    rules: kpirules.RuleSet, indicator: str, done: list[int], expected: int
) -> None:
    assert level(rules, indicator, {"milestones": done}) == expected


@pytest.mark.parametrize(
    ("done", "expected"),
    [
        # the debt is 10% lower, enough for level 5 once both milestones are reported
        ([], 0), ([2], 0), ([1], 1), ([1, 2], 5), ([2, 1], 5),
    ],
)
def test_indicator_4_thresholds_need_the_checklist(
    rules: kpirules.RuleSet, done: list[int], expected: int
) -> None:
    record = {"baseline_overdue_debt": 100, "overdue_debt": 90, "milestones": done}
    assert level(rules, "4", record) == expected


@pytest.mark.parametrize(
    ("done", "expected"),
    [
        # everyone trained, enough for level 5 once both milestones are reported
        ([], 0), ([2], 0), ([1], 1), ([1, 2], 5), ([2, 1], 5),
    ],
)
def test_indicator_5_thresholds_need_the_checklist(
    rules: kpirules.RuleSet, done: list[int], expected: int
) -> None:
    assert level(rules, "5", {"trained_percent": 100, "milestones": done}) == expected


@pytest.mark.parametrize(
    ("indicator", "record"),
    [
        ("2", {"milestones": [6]}),
        ("2", {"milestones": [0]}),
        ("7", {"milestones": [1, 2, 6]}),
        ("4", {"baseline_overdue_debt": 100, "overdue_debt": 90, "milestones": [1, 2, 3]}),
        ("5", {"trained_percent": 100, "milestones": [3]}),
    ],
)
def test_a_milestone_that_is_not_a_milestone_level_is_refused(
    rules: kpirules.RuleSet, indicator: str, record: dict[str, Any]
) -> None:
    with pytest.raises(kpirules.EvaluationError) as caught:
        rules[indicator].evaluate(record)
    assert caught.value.indicator == indicator


# --------------------------------------------------------------------------- scorecards


def test_scorecard_worked_by_hand(rules: kpirules.RuleSet) -> None:
    card = rules.evaluate({
        "1": {"target_households": 400, "developed_households": 220},     # 55% → 3
        "2": {"milestones": [1, 2, 4, 5]},                                 # 3 missing → 2
        "3": {"bpm_recorded_percent": "80.1", "gvh_reported_percent": 90},  # >80, >=90 → 3
        "4": {"baseline_overdue_debt": 1_000_000, "overdue_debt": 950_000,
              "milestones": [1, 2]},                                       # 5% lower → 4
        "5": {"trained_percent": 95, "milestones": [1, 2]},                # 95% → 4
        "6": {"online_sales_growth_percent": 12},                          # 12% → 2
        "7": {"milestones": [1, 2, 3, 4, 5]},                              # all → 5
    })
    assert [result.level for result in card] == [3, 2, 3, 4, 4, 2, 5]
    points = [Decimal(20) * 3 / 5, Decimal(20) * 2 / 5, Decimal(15) * 3 / 5, Decimal(15) * 4 / 5,
              Decimal(10) * 4 / 5, Decimal(10) * 2 / 5, Decimal(10) * 5 / 5]
    assert points == [12, 8, 9, 12, 8, 4, 10]
    assert [result.points for result in card] == points
    assert card.total == Decimal(12 + 8 + 9 + 12 + 8 + 4 + 10) == Decimal(63)


def test_scorecard_with_zeros_worked_by_hand(rules: kpirules.RuleSet) -> None:
    card = rules.evaluate({
        "1": {"target_households": 400, "developed_households": 399},      # 99.75% → 5
        "2": {"milestones": []},                                           # nothing done → 0
        "3": {"bpm_recorded_percent": 75, "gvh_reported_percent": 100},    # 75 is not >75 → 1
        "4": {"baseline_overdue_debt": 500, "overdue_debt": 400,
              "milestones": [1]},                                          # milestone 2 missing → 1
        "5": {"trained_percent": "84.99", "milestones": [1, 2]},           # short of 85 → 2
        "6": {"online_sales_growth_percent": "14.999"},                    # short of 15 → 4
        "7": {"milestones": [3, 2, 1]},                                    # → 3
    })
    assert [result.level for result in card] == [5, 0, 1, 1, 2, 4, 3]
    # 20×5/5 + 20×0/5 + 15×1/5 + 15×1/5 + 10×2/5 + 10×4/5 + 10×3/5
    assert card.total == Decimal(20 + 0 + 3 + 3 + 4 + 8 + 6) == Decimal(44)


def test_top_everywhere_is_100(rules: kpirules.RuleSet) -> None:
    card = rules.evaluate({
        "1": {"target_households": 20, "developed_households": 17},
        "2": {"milestones": [1, 2, 3, 4, 5]},
        "3": {"bpm_recorded_percent": "90.5", "gvh_reported_percent": 100},
        "4": {"baseline_overdue_debt": 10, "overdue_debt": 9, "milestones": [1, 2]},
        "5": {"trained_percent": 100, "milestones": [1, 2]},
        "6": {"online_sales_growth_percent": 15},
        "7": {"milestones": [1, 2, 3, 4, 5]},
    })
    assert card.total == Decimal(100)


def test_a_scorecard_needs_every_indicator(rules: kpirules.RuleSet) -> None:
    with pytest.raises(kpirules.EvaluationError) as caught:
        rules.evaluate({"1": {"target_households": 20, "developed_households": 17}})
    assert caught.value.indicator == "2"


# --------------------------------------------------------------------------- the module


def test_names_lists_the_shipped_files() -> None:
    assert NAME in catalogue.names()
    assert catalogue.names() == sorted(catalogue.names())
    folder = catalogue.path(NAME).parent
    assert catalogue.names() == sorted(p.stem for p in folder.glob("*.kpi"))


def test_path_and_text() -> None:
    assert catalogue.path(NAME).name == f"{NAME}.kpi"
    assert catalogue.path(NAME).is_file()
    assert catalogue.text(NAME) == catalogue.path(NAME).read_text(encoding="utf-8")


def test_load_is_cached_and_the_same_as_loading_the_file() -> None:
    assert catalogue.load(NAME) is catalogue.load(NAME)
    fresh = kpirules.load(catalogue.path(NAME))
    assert fresh.node == catalogue.load(NAME).node
    assert kpirules.parse(catalogue.text(NAME)).node == fresh.node


@pytest.mark.parametrize("function", [catalogue.load, catalogue.path, catalogue.text])
def test_an_unknown_name_lists_the_shipped_ones(function: Any) -> None:
    with pytest.raises(kpirules.KpiRulesError) as caught:
        function("cdd-2565-r9")
    message = str(caught.value)
    assert "cdd-2565-r9" in message
    assert f"did you mean '{NAME}'" in message
    assert all(name in message for name in catalogue.names())


@pytest.mark.parametrize("name", ["", "nothing-like-it", f"../catalogues/{NAME}", f"{NAME}.kpi"])
def test_names_that_are_not_catalogues(name: str) -> None:
    with pytest.raises(kpirules.KpiRulesError, match="shipped catalogues are"):
        catalogue.load(name)


def test_the_catalogue_period_is_round_1_of_2565(rules: kpirules.RuleSet) -> None:
    import datetime

    assert rules.period == (datetime.date(2021, 10, 1), datetime.date(2022, 3, 31))


# --------------------------------------------------------------------------- the file's layout


def _indicator_blocks(text: str) -> Iterator[list[str]]:
    block: list[str] = []
    for line in text.splitlines():
        if line.startswith("indicator "):
            if block:
                yield block
            block = [line]
        elif block:
            block.append(line)
    yield block


def test_the_file_is_laid_out_canonically() -> None:
    text = catalogue.text(NAME)
    lines = text.splitlines()
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert all(line == line.rstrip() and "\t" not in line for line in lines)
    first_indicator = next(i for i, line in enumerate(lines) if line.startswith("indicator "))
    header = [line for line in lines[:first_indicator] if line and not line.startswith("#")]
    assert [line.split(" ", 1)[0] for line in header] == [
        "catalogue", "title", "position", "year", "round"]
    for i, line in enumerate(lines):
        if line.startswith("indicator "):
            assert lines[i - 1] == "", f"line {i + 1}: a blank line goes before `indicator`"
    blocks = list(_indicator_blocks(text))
    assert len(blocks) == 7
    for block in blocks:
        statements = block[1:-1] if block[-1] == "" else block[1:]
        for line in statements:
            assert line.startswith("  ") and not line.startswith("   "), line
    measure = re.compile(r'  measure [a-z_]+ "[^"]+"'
                         r'(?: (?:number|count|flag))?(?: in \d*\.\.\d*)?(?: unit "[^"]+")?')
    level = re.compile(r'  level [1-5] (?:milestone "[^"]+"|if [^"]+ "[^"]+")')
    for line in lines:
        if line.startswith("  measure "):
            assert measure.fullmatch(line), line
        if line.startswith("  level "):
            assert level.fullmatch(line), line


def test_the_file_is_already_formatted() -> None:
    text = catalogue.text(NAME)
    assert kpirules.format(text) == text


def test_the_catalogue_checks_clean(rules: kpirules.RuleSet) -> None:
    assert kpirules.check(rules) == []
