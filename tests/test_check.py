"""The static checker: golden files for every code, the shipped catalogue and the SPEC example
checking clean, the interval and region logic, and property tests that hold the checker to the real
evaluator (no false proof of monotonicity, no counterexample that is not one, no reachable level
called unreachable)."""

from __future__ import annotations

import itertools
import pickle
import re
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kpirules
from kpirules._check import Diagnostic, counterexamples, format_diagnostic
from kpirules._intervals import Interval, Region, bounds, cells, pick, pick_near_high, pick_near_low
from kpirules._messages import read_po

CHECK = Path(__file__).parent / "check"
CASES = sorted(path.stem for path in CHECK.glob("*.kpi"))
D = Decimal


def diagnostics_of(text: str) -> list[Diagnostic]:
    return kpirules.check(kpirules.parse(text))


def codes(text: str) -> list[tuple[str, int]]:
    return [(d.code, d.line) for d in diagnostics_of(text)]


# Golden files


def test_every_code_has_a_golden_file() -> None:
    found = set()
    for case in CASES:
        for line in (CHECK / f"{case}.expected").read_text(encoding="utf-8").splitlines():
            found.add(re.search(r"\[([a-z-]+)\]", line).group(1))  # type: ignore[union-attr]
    assert found == {"non-monotone", "unreachable-level", "weights-total", "implicit-measure",
                     "unused-measure"}


def shown(path: Path, language: str | None) -> str:
    rules = kpirules.load(path)
    return "".join(format_diagnostic(d, path.name) + "\n"
                   for d in kpirules.check(rules, language=language))


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    path = CHECK / f"{case}.kpi"
    assert shown(path, "en") == (CHECK / f"{case}.expected").read_text(encoding="utf-8")


THAI_CASES = sorted(path.name.removesuffix(".th.expected") for path in CHECK.glob("*.th.expected"))


@pytest.mark.parametrize("case", THAI_CASES)
def test_golden_in_thai(case: str) -> None:
    # The same findings, in Thai: the same lines, positions and codes, every message in Thai.
    path = CHECK / f"{case}.kpi"
    thai = shown(path, "th")
    assert thai == (CHECK / f"{case}.th.expected").read_text(encoding="utf-8")
    english = (CHECK / f"{case}.expected").read_text(encoding="utf-8")
    assert [line.split("]: ")[0] for line in thai.splitlines()] == \
        [line.split("]: ")[0] for line in english.splitlines()]
    for line in thai.splitlines():
        said = line.split("]: ", 1)[1]
        assert re.search("[\u0e00-\u0e7f]", said), line
        for word in ("level", "raising", "lowering", "because", "whenever", " and ", " not ",
                     "records", "weights", "declared"):
            assert word not in said, (word, line)


def test_every_golden_has_its_thai_twin() -> None:
    assert THAI_CASES == CASES


def test_messages_follow_the_rule_file_language() -> None:
    thai_file = kpirules.load(CHECK / "thai_keywords.kpi")
    assert thai_file.language == "th"
    assert kpirules.check(thai_file) == kpirules.check(thai_file, language="th")
    english_file = kpirules.load(CHECK / "non_monotone_upper_bound.kpi")
    assert kpirules.check(english_file) == kpirules.check(english_file, language="en")
    with pytest.raises(ValueError, match="language"):
        kpirules.check(english_file, language="fr")


def test_a_diagnostic_says_itself_in_either_language() -> None:
    found = kpirules.check(kpirules.load(CHECK / "unreachable_range.kpi"))
    english = found[0]
    thai = english.in_language("th")
    assert (thai.severity, thai.code, thai.indicator, thai.line, thai.column) == \
        (english.severity, english.code, english.indicator, english.line, english.column)
    assert (english.language, thai.language) == ("en", "th")
    assert thai.message == ("ไม่มีข้อมูลใดได้ระดับ 3 เพราะเงื่อนไข `trained_percent > 100` ของระดับนี้"
                            "เป็นจริงไม่ได้เลย เนื่องจากประกาศ `trained_percent` ไว้ `ช่วง 0..100`")
    assert thai.in_language("en") == english
    assert thai.in_language("en").message == english.message
    assert english.problem is not None and english.problem.code == "check-unreachable"
    assert english.parts["level"] == 3
    assert pickle.loads(pickle.dumps(thai)).in_language("en").message == english.message


def test_every_checker_message_has_both_languages() -> None:
    catalogue = read_po((Path(kpirules.__file__).parent / "locale" / "th" / "LC_MESSAGES"
                         / "kpirules.po").read_text(encoding="utf-8"))
    source = (Path(kpirules.__file__).parent / "_check.py").read_text(encoding="utf-8")
    used = set(re.findall(r'"(check-[a-z-]+)"', source))
    assert len(used) > 30
    for code in used:
        english, thai = catalogue[code]
        assert english and thai, code
        fields = sorted(re.findall(r"{([a-z_.]+)}", english))
        assert fields == sorted(re.findall(r"{([a-z_.]+)}", thai)), code


def test_expressions_are_quoted_with_the_readers_keywords() -> None:
    text = ('indicator 1 "t"\n  measure x\n  measure ok flag\n  level 1 if x >= 1\n'
            "  level 2 if x >= 60 and x < 50 or not ok and x < 0\n")
    thai = kpirules.check(kpirules.parse(text), language="th")[0].message
    assert "`x >= 60 และ x < 50 หรือ ไม่ ok และ x < 0`" in thai
    english = kpirules.check(kpirules.parse(text), language="en")[0].message
    assert "`x >= 60 and x < 50 or not ok and x < 0`" in english


@pytest.mark.parametrize("case", CASES)
def test_golden_positions_point_into_the_file(case: str) -> None:
    path = CHECK / f"{case}.kpi"
    lines = path.read_text(encoding="utf-8").split("\n")
    for diagnostic in kpirules.check(kpirules.load(path), language="en"):
        text = lines[diagnostic.line - 1]
        assert text[diagnostic.column - 1 :].strip(), diagnostic
        if diagnostic.code == "unreachable-level":
            assert text[diagnostic.column - 1 :].split()[0] in ("level", "ระดับ")
        if diagnostic.code == "non-monotone":
            quoted = re.search(r"look at `(?:not \()?([^`)]+)\)?`", diagnostic.message)
            assert quoted is not None
            assert text[diagnostic.column - 1 :].startswith(quoted.group(1).split()[0])


# The checker translates the scoring core


def test_the_checker_reads_the_scoring_core_and_sits_below_the_model() -> None:
    from tests.test_layers import GRAPH, PACKAGE

    for module in ("kpirules._check", "kpirules._intervals"):
        assert not GRAPH[module] & {"kpirules.model", "kpirules.cli", "kpirules.testing",
                                    "kpirules"}, module
        source = PACKAGE.joinpath(module.split(".")[-1] + ".py").read_text(encoding="utf-8")
        for copy in ("is_milestone", ".policy", "operator.", "_compile"):
            assert copy not in source, (module, copy)
    assert "kpirules._scoring" in GRAPH["kpirules._check"]


# The shipped catalogue and the SPEC example


def test_shipped_catalogue_checks_clean() -> None:
    assert kpirules.check(kpirules.catalogue.load("cdd-2565-r1")) == []


SPEC_EXAMPLE = """
catalogue "cdd-2565-r1"
title "ตัวชี้วัดบุคคล (สำหรับตำแหน่งพัฒนาการจังหวัด)"
year 2565
round 1

indicator 1 "ร้อยละของครัวเรือนยากจนเป้าหมายที่มีรายได้ต่ำกว่าเกณฑ์ จปฐ. ได้รับการพัฒนา"
  strategy "สร้างสรรค์ชุมชนให้พึ่งตนเองได้"
  weight 20
  measure target_households "ครัวเรือนยากจนเป้าหมาย" count
  measure developed_households "ครัวเรือนเป้าหมายที่ได้รับการพัฒนา" count
  let developed_percent = developed_households / target_households * 100
  level 1 if developed_percent >= 25 "ไม่น้อยกว่าร้อยละ 25 ของครัวเรือนยากจนเป้าหมาย..."
  level 2 if developed_percent >= 40 "ไม่น้อยกว่าร้อยละ 40 ..."
  level 3 if developed_percent >= 55
  level 4 if developed_percent >= 70
  level 5 if developed_percent >= 85

indicator 4 "ระดับความสำเร็จการบริหารจัดการหนี้ กองทุนพัฒนาบทบาทสตรี (สกส.)"
  weight 15
  measure baseline_overdue_debt "หนี้เกินกำหนดชำระ ณ วันที่ 1 ตุลาคม 2564" number in 0.. unit "บาท"
  measure overdue_debt "หนี้เกินกำหนดชำระ ณ สิ้นรอบ" number in 0.. unit "บาท"
  let overdue_reduction_percent = (baseline_overdue_debt - overdue_debt) / baseline_overdue_debt * 100
  level 1 milestone "จังหวัดจัดทำและตรวจสอบฐานข้อมูลทะเบียนลูกหนี้เกินกำหนดชำระ ..."
  level 2 milestone "จังหวัดจัดทำแผนการบริหารจัดการหนี้ ..."
  level 3 if overdue_reduction_percent >= 0 "... ได้เท่าเดิม ..."
  level 4 if overdue_reduction_percent >= 5
  level 5 if overdue_reduction_percent >= 10
"""


def test_spec_example_levels_and_names_check_clean() -> None:
    # The example shows two of the seven indicators, so its weights total 35: that is the one
    # finding, and nothing about its levels or names.
    found = diagnostics_of(SPEC_EXAMPLE)
    assert [(d.code, d.severity, d.indicator, d.line) for d in found] == [
        ("weights-total", "error", None, 9)]
    assert "total 35, not 100" in found[0].message
    assert diagnostics_of(SPEC_EXAMPLE.replace("  weight 20\n", "").replace("  weight 15\n", "")) \
        == []


# One test per finding that the golden files do not show


def test_diagnostic_fields() -> None:
    found = diagnostics_of('indicator 7 "t"\n  measure x\n  level 1 if x == 5\n')
    assert found == [Diagnostic(
        "error", "non-monotone",
        "raising x from 5 to 6 lowers the level from 1 to 0, and lowering x from 5 to 4 lowers "
        "the level from 1 to 0; `x` is compared both ways and the level can drop whichever way "
        "it moves, so neither direction is the better one: look at `x == 5` in level 1",
        "7", 3, 14)]


def test_equal_at_the_bottom_of_a_range_rewards_lower() -> None:
    text = ('indicator 1 "t"\n  measure errors count\n  level 1 if errors <= 3\n'
            "  level 2 if errors == 0\n")
    assert diagnostics_of(text) == []


def test_not_equal_in_the_middle_is_non_monotone() -> None:
    found = diagnostics_of('indicator 1 "t"\n  measure x count\n  level 1 if x >= 1\n'
                           "  level 2 if x != 3\n")
    assert [d.code for d in found] == ["non-monotone"]
    assert found[0].message.startswith("raising x from 2 to 3 lowers the level from 2 to 1")


def test_vacuous_bound_gives_no_direction() -> None:
    # `<= 100` always holds in 0..100, so x is rewarded one way only.
    text = ('indicator 1 "t"\n  measure x in 0..100\n  level 1 if x >= 50 and x <= 100\n'
            "  level 2 if x >= 80\n")
    assert diagnostics_of(text) == []


def test_not_flips_the_direction() -> None:
    text = ('indicator 1 "t"\n  measure x\n  level 1 if x >= 10\n  level 2 if not (x < 20)\n'
            "  level 3 if not x < 30 and x >= 25\n")
    assert diagnostics_of(text) == []


def test_flag_used_only_negated_is_monotone_with_false_better() -> None:
    text = ('indicator 1 "t"\n  measure complaint flag\n  measure x\n  level 1 if x >= 10\n'
            "  level 2 if x >= 20 and not complaint\n")
    assert diagnostics_of(text) == []


def test_condition_let_is_read_through() -> None:
    text = ('indicator 1 "t"\n  measure x\n  let band = x >= 5 and x < 10\n  level 1 if x >= 1\n'
            "  level 2 if band\n")
    found = diagnostics_of(text)
    assert [(d.code, d.line, d.column) for d in found] == [("non-monotone", 3, 25)]


def test_a_let_and_its_formula_written_out_are_one_quantity() -> None:
    text = ('indicator 1 "t"\n  measure a count\n  measure b count\n  let p = a / b * 100\n'
            "  level 1 if p >= 25\n  level 2 if a / b * 100 >= 40 and p < 55\n"
            "  level 3 if p >= 55\n")
    assert ("non-monotone", 6) in codes(text)


def test_compared_expression_against_expression() -> None:
    # `done > planned` compares `done - planned` with 0: the same quantity as in `done - planned
    # < 5`, so the two compare it both ways.
    text = ('indicator 1 "t"\n  measure done count\n  measure planned count\n'
            "  level 1 if done >= planned\n  level 2 if done > planned and done - planned < 5\n")
    found = diagnostics_of(text)
    assert [d.code for d in found] == ["non-monotone"]
    assert found[0].message.startswith("raising done - planned from 4 to 5 lowers the level")
    example, = counterexamples(kpirules.parse(text)["1"])
    assert_real(example, kpirules.parse(text)["1"])


def test_different_expressions_are_different_quantities() -> None:
    # Raising `done` past `2 * planned` lowers the level, but it moves two compared quantities
    # (`done - planned` and `done - 2 * planned`), each rewarded one way only: not a finding.
    text = ('indicator 1 "t"\n  measure done count\n  measure planned count\n'
            "  level 1 if done >= planned\n  level 2 if done > planned and done < 2 * planned\n")
    assert diagnostics_of(text) == []


def test_highest_shadowed_by_several_levels() -> None:
    text = ('indicator 1 "t"\n  policy highest\n  measure x\n  level 1 if x >= 0\n'
            "  level 2 if x >= 10 and x < 20 or x >= 30\n  level 3 if x >= 10 and x < 20\n"
            "  level 4 if x >= 20\n")
    found = diagnostics_of(text)
    # x is compared both ways (`x < 20`), but the level only rises with it (0, 1, 3, 4 from 0,
    # 10 and 20 on), so that is not a finding.
    assert [(d.code, d.line) for d in found] == [("unreachable-level", 5)]
    assert "the condition of a higher level holds too" in found[0].message


def test_ordered_level_that_hands_on_only_with_the_levels_below() -> None:
    # Level 2 alone does not imply level 3, but together with level 1 it does.
    text = ('indicator 1 "t"\n  measure x\n  measure y\n  level 1 if y >= 5\n'
            "  level 2 if x >= 10 or y < 5\n  level 3 if x >= 10\n")
    found = diagnostics_of(text)
    # y is compared both ways (`y >= 5`, `y < 5`), but below 5 the level is 0 whatever x is:
    # the level never drops as y rises, so that is not a finding.
    assert [(d.code, d.line) for d in found] == [("unreachable-level", 5)]
    assert "whenever levels 1 to 2 all hold" in found[0].message


def test_milestone_levels_after_an_impossible_level_are_unreachable() -> None:
    text = ('indicator 1 "t"\n  measure x in 0..10\n  level 1 if x > 10\n'
            '  level 2 milestone "plan"\n')
    found = diagnostics_of(text)
    assert [(d.code, d.line) for d in found] == [("unreachable-level", 3), ("unreachable-level", 4)]
    assert "declared `in 0..10`" in found[0].message


def test_constant_comparisons() -> None:
    text = 'indicator 1 "t"\n  measure x\n  level 1 if x >= 1\n  level 2 if 1 > 2 and x >= 5\n'
    assert codes(text) == [("unreachable-level", 4)]
    text = 'indicator 1 "t"\n  measure x\n  let limit = 50 / 2\n  level 1 if x >= limit\n'
    assert diagnostics_of(text) == []


def test_constant_division_by_zero_leaves_the_levels_unchecked() -> None:
    text = 'indicator 1 "t"\n  measure x\n  level 1 if x >= 1 / 0\n'
    assert diagnostics_of(text) == []


def test_a_counterexample_says_when_no_milestone_is_done() -> None:
    text = ('indicator 1 "t"\n  policy highest\n  measure x\n  level 1 milestone "plan"\n'
            "  level 2 if x >= 5 and x < 10\n")
    found, = kpirules.check(kpirules.parse(text), language="en")
    assert found.message.startswith(
        "raising x from 9 to 10 lowers the level from 2 to 0 (others fixed: milestones done: "
        "none), and lowering x from 5 to 4 lowers the level from 2 to 0 (others fixed: "
        "milestones done: none)")
    assert "(ค่าอื่นคงเดิม: ยังไม่ได้รายงานว่าขั้นสำเร็จใดเสร็จ)" in found.in_language("th").message


def test_compared_both_ways_is_judged_by_the_levels() -> None:
    # `x == 10` over `x >= 5`: the level rises at 5 and 10 and drops past 10, so it drops both
    # ways. Within 0..10 there is no "past 10": the same ladder only rises, and checks clean.
    text = 'indicator 1 "t"\n  measure x{range}\n  level 1 if x >= 5\n  level 2 if x == 10\n'
    assert codes(text.format(range="")) == [("non-monotone", 4)]
    assert codes(text.format(range=" in 0..10")) == []
    # A pair of opposite comparisons that only ever reward a higher x, under either policy.
    text = ('indicator 1 "t"\n  policy {policy}\n  measure x\n  level 1 if 0 <= x\n'
            "  level 2 if x >= 10 and not x < 10\n")
    assert codes(text.format(policy="ordered")) == []
    assert codes(text.format(policy="highest")) == []


def test_implicit_measure_is_reported_once_per_indicator() -> None:
    text = ('indicator 1 "t"\n  level 1 if growth >= 1\n  level 2 if growth >= 2\n'
            'indicator 2 "u"\n  level 1 if growth >= 1\n')
    assert codes(text) == [("implicit-measure", 2), ("implicit-measure", 5)]


def test_measure_used_only_by_an_unused_let_is_unused() -> None:
    text = ('indicator 1 "t"\n  measure a\n  measure b\n  let p = a * 2\n  let q = p + 1\n'
            "  level 1 if b >= 1\n")
    assert codes(text) == [("unused-measure", 2), ("unused-measure", 4), ("unused-measure", 5)]


def test_weights_that_total_100_are_clean() -> None:
    text = ('indicator 1 "a"\n  weight 60.5\n  level 1 milestone "x"\n'
            'indicator 2 "b"\n  weight 39.5\n  level 1 milestone "x"\n')
    assert diagnostics_of(text) == []


def test_weights_above_100() -> None:
    text = ('indicator 1 "a"\n  weight 60\n  level 1 milestone "x"\n'
            'indicator 2 "b"\n  weight 50\n  level 1 milestone "x"\n')
    found = diagnostics_of(text)
    assert [(d.code, d.indicator, d.line, d.column) for d in found] == [
        ("weights-total", None, 2, 3)]
    assert "total 110, not 100" in found[0].message and "above 100" in found[0].message


def test_many_quantities_are_reasoned_about_without_enumerating() -> None:
    measures = "".join(f"  measure m{j} in 0..100\n" for j in range(12))
    levels = "".join(
        f"  level {k} if " + " and ".join(f"m{j} >= {k * 10 + j}" for j in range(12)) + "\n"
        for k in range(1, 6))
    text = f'indicator 1 "t"\n{measures}{levels}  level 6 if m0 >= 60 and m1 < 50\n'
    found = diagnostics_of(text)  # 12 quantities of 12 cells: 12**12 combinations
    # m1 is compared both ways, but `m1 < 50` is in level 6, which no record reaches (level 5
    # needs m1 >= 51): the level only rises with m1.
    assert [(d.code, d.line) for d in found] == [("unreachable-level", 19)]


def test_deep_let_chain_does_not_crash() -> None:
    # As deep as the limits allow (kpirules.limits.MAX_LETS; a longer chain is refused at load).
    lets = "".join(f"  let v{i} = v{i - 1} + 1\n" for i in range(1, 101))
    text = f'indicator 1 "t"\n  measure v0\n{lets}  level 1 if v100 >= 1 and v1 < 5\n'
    assert isinstance(kpirules.check(kpirules.parse(text)), list)


def test_format_diagnostic() -> None:
    diagnostic = Diagnostic("error", "weights-total", "the weights total 35", None, 9, 3)
    assert format_diagnostic(diagnostic, "cdd.kpi") == \
        "cdd.kpi:9:3: error[weights-total]: the weights total 35"


# Intervals and regions


def test_cells_cover_the_domain_in_order() -> None:
    domain = Interval.closed(D(0), D(100))
    found = cells(domain, [D(100), D(40), D(-5), D(40), D(55)])
    assert [str(c) for c in found] == ["[0, 40)", "[40]", "(40, 55)", "[55]", "(55, 100)",
                                       "[100]"]
    assert [str(c) for c in cells(Interval(), [])] == ["(-∞, ∞)"]
    assert [str(c) for c in cells(Interval.at_least(D(0)), [D(0)], integer=True)] == [
        "[0]", "(0, ∞)"]
    # A count has no value strictly between 3 and 4.
    assert [str(c) for c in cells(Interval.at_least(D(0)), [D(3), D(4)], integer=True)] == [
        "[0, 3)", "[3]", "[4]", "(4, ∞)"]


def test_interval_basics() -> None:
    assert Interval.point(D(5)).is_point()
    assert Interval(D(5), D(5), True, False).is_empty()
    assert Interval.closed(D(3), D(2)).is_empty()
    assert not Interval.open(D("3.2"), D("3.9")).has_integer()
    assert Interval.open(D("3.2"), D(4)).has_integer() is False
    assert Interval(D("3.2"), D(4), False, True).has_integer()
    assert Interval.open(None, D(0)).has_integer()
    assert "5" not in Interval()
    both = Interval.closed(D(0), D(10)).intersect(Interval.open(D(0), D(20)))
    assert str(both) == "(0, 10]"


def test_picks_are_inside_and_round() -> None:
    gap = Interval.open(D(25), D(40))
    assert (pick(gap), pick_near_low(gap), pick_near_high(gap)) == (D(30), D(26), D(39))
    narrow = Interval.open(D("39.95"), D(40))
    assert pick_near_high(narrow) == D("39.99") and pick_near_low(narrow) == D("39.96")
    assert pick(Interval.open(D(3), D(4)), integer=True) is None
    assert pick(Interval.point(D("2.5")), integer=True) is None
    assert pick_near_low(Interval(D(0), None, True, False), integer=True) == 0
    assert pick_near_high(Interval.open(D("1E+2"), D(200))) == 199


@given(st.integers(-50, 50), st.integers(1, 60), st.booleans(), st.booleans(), st.booleans())
def test_picks_lie_in_their_cell(low: int, width: int, low_closed: bool, high_closed: bool,
                                 integer: bool) -> None:
    for scale in (D(1), D("0.01")):
        cell = Interval(D(low) * scale, D(low + width) * scale, low_closed, high_closed)
        for chooser in (pick, pick_near_low, pick_near_high):
            value = chooser(cell, integer)
            if value is None:
                assert integer and not cell.has_integer()
            else:
                assert value in cell
                assert not integer or value == value.to_integral_value()


def test_bounds() -> None:
    rules = kpirules.parse('indicator 1 "t"\n  measure a in 0..10\n  measure b in 1..4\n'
                           "  let p = a / b * 100 - -a\n  let q = (a - b) * -2\n"
                           "  level 1 if p >= 1 and q >= 1\n")
    domains = {"a": Interval.closed(D(0), D(10)), "b": Interval.closed(D(1), D(4))}
    indicator = rules["1"]
    p = kpirules._check._Model(indicator.node).expanded["p"]
    q = kpirules._check._Model(indicator.node).expanded["q"]
    assert str(bounds(p, domains)) == "[0, 1010]"
    assert str(bounds(q, domains)) == "[-18, 8]"
    # A divisor that may be 0 on either side bounds nothing.
    assert str(bounds(p, {"a": Interval.closed(D(1), D(2)), "b": Interval.closed(D(-1), D(1))})) \
        == "(-∞, ∞)"


sizes_strategy = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)


@st.composite
def regions(draw: st.DrawFn, sizes: tuple[int, ...], depth: int = 2) -> Region:
    kind = draw(st.sampled_from(["where", "and", "or", "not"] if depth else ["where"]))
    if kind == "where":
        quantity = draw(st.integers(0, len(sizes) - 1))
        allowed = draw(st.sets(st.integers(0, sizes[quantity] - 1)))
        return Region.where(sizes, quantity, allowed)
    if kind == "not":
        return ~draw(regions(sizes, depth - 1))
    a, b = draw(regions(sizes, depth - 1)), draw(regions(sizes, depth - 1))
    return a & b if kind == "and" else a | b


def every(sizes: tuple[int, ...]) -> Iterable[tuple[int, ...]]:
    return itertools.product(*(range(size) for size in sizes))


@settings(max_examples=150)
@given(st.data())
def test_regions_are_sets_of_combinations(data: st.DataObject) -> None:
    sizes = data.draw(sizes_strategy)
    a, b = data.draw(regions(sizes)), data.draw(regions(sizes))
    members = {combo for combo in every(sizes) if combo in a}
    assert set(a.points()) == members
    assert {c for c in every(sizes) if c in (a & b)} == members & set(b.points())
    assert {c for c in every(sizes) if c in (a | b)} == members | set(b.points())
    assert {c for c in every(sizes) if c in ~a} == set(every(sizes)) - members
    assert a.is_empty() == (not members)
    for corner in a.corners():
        assert corner in a
    quantity = data.draw(st.integers(0, len(sizes) - 1))
    cell = data.draw(st.integers(0, sizes[quantity] - 1))
    fixed = a.fix(quantity, cell)
    for combo in every(sizes):
        moved = (*combo[:quantity], cell, *combo[quantity + 1:])
        assert (combo in fixed) == (moved in a)


# Property tests against the real evaluator

NAMES = ("a", "b")
OPS = ("<", "<=", ">", ">=", "==", "!=")
GRID = [D(n) / 2 for n in range(-2, 23)]  # -1 .. 11 in halves: every cell of thresholds 0..10


@st.composite
def atoms(draw: st.DrawFn, kinds: dict[str, str]) -> str:
    name = draw(st.sampled_from(sorted(kinds)))
    if kinds[name] == "flag":
        return name if draw(st.booleans()) else f"not {name}"
    op = draw(st.sampled_from(OPS))
    threshold = draw(st.integers(0, 10))
    if draw(st.integers(0, 5)) == 0:
        upper = draw(st.integers(threshold, 10))
        return f"{threshold} {draw(st.sampled_from(['<', '<=']))} {name} " \
               f"{draw(st.sampled_from(['<', '<=']))} {upper}"
    if draw(st.booleans()):
        return f"{name} {op} {threshold}"
    return f"{threshold} {op} {name}"


@st.composite
def conditions(draw: st.DrawFn, kinds: dict[str, str], depth: int = 2) -> str:
    kind = draw(st.sampled_from(["atom", "atom", "and", "or", "not"] if depth else ["atom"]))
    if kind == "atom":
        return draw(atoms(kinds))
    if kind == "not":
        return f"not ({draw(conditions(kinds, depth - 1))})"
    parts = draw(st.lists(conditions(kinds, depth - 1), min_size=2, max_size=3))
    return f" {kind} ".join(f"({part})" for part in parts)


@st.composite
def indicators(draw: st.DrawFn) -> str:
    count = draw(st.integers(1, 2))
    kinds = {name: draw(st.sampled_from(["number", "count", "flag"])) for name in NAMES[:count]}
    lines = ['indicator 1 "generated"']
    if draw(st.booleans()):
        lines.append("  policy highest")
    for name, kind in kinds.items():
        declared = f"  measure {name} {kind}"
        if kind != "flag" and draw(st.booleans()):
            low = draw(st.integers(0, 5))
            high = draw(st.integers(low, 10))
            declared += f" in {low}..{high}"
        lines.append(declared)
    milestones = set(draw(st.sets(st.integers(1, 4), max_size=2)))
    for number in range(1, draw(st.integers(1, 4)) + 1):
        if number in milestones:
            lines.append(f'  level {number} milestone "step {number}"')
        else:
            lines.append(f"  level {number} if {draw(conditions(kinds))}")
    return "\n".join(lines) + "\n"


def domain_values(measure: kpirules.Measure) -> list[Any]:
    if measure.kind == "flag":
        return [False, True]
    values = [v for v in GRID if measure.kind != "count" or (v >= 0 and v == int(v))]
    return [v for v in values if (measure.low is None or v >= measure.low)
            and (measure.high is None or v <= measure.high)]


def all_records(indicator: kpirules.Indicator) -> list[dict[str, Any]]:
    measures = list(indicator.measures)
    milestones = [level.number for level in indicator.levels if level.is_milestone]
    done_sets = [list(c) for k in range(len(milestones) + 1)
                 for c in itertools.combinations(milestones, k)]
    records = []
    for values in itertools.product(*(domain_values(m) for m in measures)):
        for done in done_sets if milestones else [None]:
            record: dict[str, Any] = dict(zip((m.name for m in measures), values))
            if done is not None:
                record["milestones"] = done
            records.append(record)
    return records


def moves(indicator: kpirules.Indicator, records: list[dict[str, Any]],
          name: str) -> tuple[bool, bool]:
    """Whether, along measure ``name`` with everything else fixed, the level rises somewhere and
    whether it falls somewhere as ``name`` rises."""
    lines: dict[tuple[Any, ...], list[tuple[Any, int]]] = {}
    for record in records:
        key = tuple((k, str(v)) for k, v in record.items() if k != name)
        lines.setdefault(key, []).append((record[name], indicator.evaluate(record).level))
    rises = falls = False
    for line in lines.values():
        line.sort(key=lambda pair: pair[0])
        for (_, first), (_, second) in itertools.pairwise(line):
            rises |= first < second
            falls |= first > second
    return rises, falls


def assert_real(example: Any, indicator: kpirules.Indicator) -> None:
    """The counterexample's records score as it says, and the better one lower."""
    first = indicator.evaluate(example.first)
    second = indicator.evaluate(example.second)
    assert (first.level, second.level) == example.levels
    assert first.level > second.level
    if example.raising:
        assert example.before < example.after
    else:
        assert example.before > example.after


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(indicators())
def test_checker_agrees_with_the_evaluator_on_every_record(text: str) -> None:
    # Thresholds are whole numbers 0..10 and the records run over -1..11 in halves, so the records
    # meet every cell: what the checker says can be held to exactly what the evaluator does.
    rules = kpirules.parse(text)
    indicator = rules["1"]
    records = all_records(indicator)
    seen = {indicator.evaluate(record).level for record in records}
    found = kpirules.check(rules)
    unreachable = {int(re.match(r"level (\d+)", d.message).group(1))  # type: ignore[union-attr]
                   for d in found if d.code == "unreachable-level"}
    assert unreachable == set(range(1, indicator.top + 1)) - seen
    examples = {example.quantity: example for example in counterexamples(indicator)}
    assert len([d for d in found if d.code == "non-monotone"]) == len(examples)
    for measure in indicator.measures:
        rises, falls = moves(indicator, records, measure.name)
        # Non-monotone exactly when the level drops somewhere as the measure rises and
        # somewhere as it falls (docs/checker.rst).
        assert (measure.name in examples) == (rises and falls)
    for diagnostic in found:
        # Every finding says itself in Thai too, and back in English unchanged.
        thai = diagnostic.in_language("th")
        assert re.search("[\u0e00-\u0e7f]", thai.message) and "{" not in thai.message
        assert thai.in_language("en").message == diagnostic.message
    for example in examples.values():
        assert_real(example, indicator)
        assert example.opposite is not None
        assert_real(example.opposite, indicator)
        assert example.opposite.quantity == example.quantity
        assert example.opposite.raising != example.raising
        first, second = example.levels
        assert any(f" {example.quantity} from " in d.message
                   and f"lowers the level from {first} to {second}" in d.message for d in found)


@st.composite
def let_indicators(draw: st.DrawFn) -> str:
    lines = ['indicator 1 "generated"', "  measure part count", "  measure whole count",
             "  measure cost in 0..",
             "  let percent = part / whole * 100",
             "  let net = percent - cost"]
    if draw(st.booleans()):
        lines.append("  policy highest")
    kinds = {"percent": "number", "net": "number", "cost": "number", "part": "number"}
    for number in range(1, draw(st.integers(1, 4)) + 1):
        condition = draw(conditions(kinds)).replace(" 10", " 100").replace(" 5", " 50")
        lines.append(f"  level {number} if {condition}")
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(let_indicators())
def test_checker_claims_hold_for_lets(text: str) -> None:
    # With lets the checker cannot always decide; whatever it does say must be true.
    rules = kpirules.parse(text)
    indicator = rules["1"]
    values = [D(v) for v in (0, 1, 2, 3, 4, 5, 10, 20, 40, 50, 60, 100, 200)]
    seen = set()
    for part, whole, cost in itertools.product(values, values[1:], values):
        record = {"part": part, "whole": whole, "cost": cost}
        seen.add(indicator.evaluate(record).level)
    for diagnostic in kpirules.check(rules):
        if diagnostic.code == "unreachable-level":
            number = int(re.match(r"level (\d+)", diagnostic.message).group(1))  # type: ignore[union-attr]
            assert number not in seen
    for example in counterexamples(indicator):
        assert_real(example, indicator)
        assert example.opposite is not None
        assert_real(example.opposite, indicator)


@st.composite
def numbers(draw: st.DrawFn, depth: int = 2, names: tuple[str, ...] = ("a", "b", "c", "p")) -> str:
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from([*names, "2", "3", "0.5"]))
    if draw(st.integers(0, 4)) == 0:
        return f"-({draw(numbers(depth - 1, names))})"
    op = draw(st.sampled_from(["+", "-", "*", "/"]))
    return f"({draw(numbers(depth - 1, names))} {op} {draw(numbers(depth - 1, names))})"


@st.composite
def tangled_conditions(draw: st.DrawFn, depth: int = 2,
                       flags: tuple[str, ...] = ("f", "not f", "ok")) -> str:
    kind = draw(st.sampled_from(["compare", "compare", "and", "or", "not", "flag"] if depth
                                else ["compare", "flag"]))
    if kind == "flag":
        return draw(st.sampled_from(flags))
    if kind == "compare":
        ops = draw(st.lists(st.sampled_from(OPS), min_size=1, max_size=2))
        parts = [draw(numbers())]
        for op in ops:
            parts += [op, draw(st.one_of(numbers(), st.integers(-3, 12).map(str)))]
        return " ".join(parts)
    if kind == "not":
        return f"not ({draw(tangled_conditions(depth - 1, flags))})"
    return f" {kind} ".join(f"({draw(tangled_conditions(depth - 1, flags))})" for _ in range(2))


@st.composite
def tangled_indicators(draw: st.DrawFn) -> str:
    lines = ['indicator 1 "generated"', "  measure a count", "  measure b in 0..10",
             "  measure c", "  measure f flag", f"  let p = {draw(numbers(names=('a', 'b', 'c')))}",
             f"  let ok = {draw(tangled_conditions(1, ('f', 'not f')))}"]
    if draw(st.booleans()):
        lines.append("  policy highest")
    top = draw(st.integers(1, 4))
    milestones = draw(st.sets(st.integers(1, top), max_size=2))
    for number in range(1, top + 1):
        lines.append(f'  level {number} milestone "m"' if number in milestones
                     else f"  level {number} if {draw(tangled_conditions())}")
    return "\n".join(lines) + "\n"


TANGLED_VALUES: dict[str, list[Any]] = {
    "a": [D(v) for v in ("0", "1", "2", "3", "5", "10")],
    "b": [D(v) for v in ("0", "1", "2.5", "5", "10")],
    "c": [D(v) for v in ("-2", "0", "0.5", "1", "3", "12")],
    "f": [False, True],
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tangled_indicators())
def test_checker_claims_hold_for_tangled_expressions(text: str) -> None:
    # Products, quotients and shared measures: the checker proves little here, but it must not
    # fail, and what it claims must be true of the records it is tried on.
    rules = kpirules.parse(text)
    indicator = rules["1"]
    found = kpirules.check(rules)
    milestones = [level.number for level in indicator.levels if level.is_milestone]
    seen = set()
    names = [m.name for m in indicator.measures]
    for values in itertools.product(*(TANGLED_VALUES[name] for name in names)):
        for size in range(len(milestones) + 1):
            for done in itertools.combinations(milestones, size):
                record: dict[str, Any] = dict(zip(names, values))
                if milestones:
                    record["milestones"] = list(done)
                try:
                    seen.add(indicator.evaluate(record).level)
                except kpirules.EvaluationError:
                    pass
    for diagnostic in found:
        if diagnostic.code == "unreachable-level":
            number = int(re.match(r"level (\d+)", diagnostic.message).group(1))  # type: ignore[union-attr]
            assert number not in seen
    for example in counterexamples(indicator):
        assert_real(example, indicator)
        assert example.opposite is not None
        assert_real(example.opposite, indicator)
