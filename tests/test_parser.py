"""Every statement and expression form of SPEC §2, parsed into the tree it means."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import pytest

import kpirules
from kpirules import nodes

# SPEC §2's example, kept in the repository so that the suite runs in any clone; SPEC.md itself
# sits in ../shared beside the project's own checkout.
EXAMPLE = Path(__file__).resolve().parent / "data" / "spec-example.kpi"
SPEC = Path(__file__).resolve().parents[2] / "shared" / "SPEC.md"
EXAMPLE_SHA256 = "67b6373f913bbf7217ff9726055e616439df081a13f98b0acd8c2aa88145a5ba"


def spec_example() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def test_the_kept_example_is_the_spec_example() -> None:
    kept = spec_example()
    assert hashlib.sha256(kept.encode("utf-8")).hexdigest() == EXAMPLE_SHA256
    if SPEC.is_file():
        text = SPEC.read_text(encoding="utf-8")
        start = text.index("```\n# The catalogue header") + 4
        assert kept == text[start : text.index("```", start)]


def test_the_spec_example_loads_as_written() -> None:
    rules = kpirules.parse(spec_example(), source="rules.kpi")
    assert rules.id == "cdd-2565-r1"
    assert rules.title == "ตัวชี้วัดบุคคล (สำหรับตำแหน่งพัฒนาการจังหวัด)"
    assert (rules.year, rules.round) == (2565, 1)
    assert rules.ids() == ["1", "4"]
    first = rules["1"]
    assert first.strategy == "สร้างสรรค์ชุมชนให้พึ่งตนเองได้"
    assert first.weight == 20
    assert [m.name for m in first.measures] == ["target_households", "developed_households"]
    assert [m.kind for m in first.measures] == ["count", "count"]
    assert [level.number for level in first.levels] == [1, 2, 3, 4, 5]
    assert first.levels[0].description.startswith("ไม่น้อยกว่าร้อยละ 25")
    assert first.levels[2].description is None
    fourth = rules["4"]
    assert [level.is_milestone for level in fourth.levels] == [True, True, False, False, False]
    assert fourth.measures[0].low == 0 and fourth.measures[0].high is None
    assert fourth.measures[0].unit == "บาท"
    record = {"baseline_overdue_debt": "1000", "overdue_debt": 950, "milestones": [1, 2]}
    assert fourth.evaluate(record).level == 4


def indicator(body: str) -> kpirules.Indicator:
    return kpirules.parse(f'indicator 1 "t"\n{body}\n')["1"]


def condition(text: str) -> nodes.Expr:
    found = indicator(f"  level 1 if {text}").levels[0].condition
    assert found is not None
    return found


N = nodes.Name


def num(text: str) -> nodes.Number:
    return nodes.Number(Decimal(text.replace("_", "")), text)


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("a >= 5", nodes.Compare((N("a"), num("5")), (">=",))),
        ("40 <= a < 55", nodes.Compare((num("40"), N("a"), num("55")), ("<=", "<"))),
        ("a + b * c >= 1",
         nodes.Compare((nodes.BinaryOp("+", N("a"), nodes.BinaryOp("*", N("b"), N("c"))),
                        num("1")), (">=",))),
        ("(a + b) * c >= 1",
         nodes.Compare((nodes.BinaryOp("*", nodes.BinaryOp("+", N("a"), N("b")), N("c")),
                        num("1")), (">=",))),
        ("a - b - c > 0",
         nodes.Compare((nodes.BinaryOp("-", nodes.BinaryOp("-", N("a"), N("b")), N("c")),
                        num("0")), (">",))),
        ("-a >= -5", nodes.Compare((nodes.Negate(N("a")), nodes.Negate(num("5"))), (">=",))),
        ("a > 1 or b > 1 and not c > 1",
         nodes.BoolOp("or", (nodes.Compare((N("a"), num("1")), (">",)),
                             nodes.BoolOp("and", (nodes.Compare((N("b"), num("1")), (">",)),
                                                  nodes.Not(nodes.Compare((N("c"), num("1")),
                                                                          (">",)))))))),
        ("a == 1_000", nodes.Compare((N("a"), num("1_000")), ("==",))),
        ("a != 55.5", nodes.Compare((N("a"), num("55.5")), ("!=",))),
        ("((a >= 1))", nodes.Compare((N("a"), num("1")), (">=",))),
    ],
)
def test_expressions(text: str, tree: nodes.Expr) -> None:
    assert condition(text) == tree


def test_thai_names_with_vowels_and_tone_marks() -> None:
    # `\w+` stops at the tone mark in ร้อยละ; names follow str.isidentifier instead.
    found = indicator("  measure ร้อยละ_ครัวเรือน\n  level 1 if ร้อยละ_ครัวเรือน >= 55")
    assert found.measures[0].name == "ร้อยละ_ครัวเรือน"
    assert found.evaluate({"ร้อยละ_ครัวเรือน": 55}).level == 1


def test_thai_digits_in_rule_text() -> None:
    found = indicator("  weight ๒๐\n  level 1 if x >= ๕๕")
    assert found.weight == 20
    assert found.evaluate({"x": 55}).level == 1


def test_string_escapes() -> None:
    found = indicator('  level 1 milestone "say \\"hi\\" \\\\ \\n\\t done"')
    assert found.levels[0].description == 'say "hi" \\ \n\t done'


def test_comments_and_free_layout() -> None:
    rules = kpirules.parse('# header\nindicator 1 "t" # one\n weight 5 level 1 if # why\n x >= 1\n')
    assert rules["1"].weight == 5
    assert rules["1"].evaluate({"x": 1}).level == 1


def test_description_on_the_next_line() -> None:
    found = indicator('  level 1 if x >= 25\n    "ไม่น้อยกว่าร้อยละ 25"')
    assert found.levels[0].description == "ไม่น้อยกว่าร้อยละ 25"


@pytest.mark.parametrize(
    ("range_text", "low", "high"),
    [("in 0..100", "0", "100"), ("in 0..", "0", None), ("in ..100", None, "100"),
     ("in -5..5", "-5", "5"), ("in 0.5..99.5", "0.5", "99.5")],
)
def test_measure_ranges(range_text: str, low: str | None, high: str | None) -> None:
    measure = indicator(f"  measure x {range_text}\n  level 1 if x >= 1").measures[0]
    assert measure.low == (None if low is None else Decimal(low))
    assert measure.high == (None if high is None else Decimal(high))


def test_levels_may_be_written_out_of_order() -> None:
    found = indicator("  level 2 if x >= 2\n  level 1 if x >= 1")
    assert [level.number for level in found.levels] == [1, 2]


def test_keywords_are_reserved() -> None:
    for name in ("count", "level", "if", "and", "ระดับ"):
        with pytest.raises(kpirules.ParseError, match="is a keyword"):
            indicator(f"  let {name} = 1\n  level 1 if x >= 1")


def test_names_that_start_with_keywords_are_names() -> None:
    found = indicator("  measure integer\n  measure levels\n  level 1 if integer + levels >= 1")
    assert [m.name for m in found.measures] == ["integer", "levels"]


def test_flag_on_its_own_is_a_condition() -> None:
    found = indicator("  measure done flag\n  measure late flag\n  level 1 if done and not late")
    assert found.levels[0].condition == nodes.BoolOp("and", (N("done"), nodes.Not(N("late"))))


def test_a_flag_compared_is_a_type_error() -> None:
    with pytest.raises(kpirules.ParseError, match="a number is needed"):
        indicator("  measure done flag\n  level 1 if done >= 1")


def test_a_let_that_is_a_condition() -> None:
    found = indicator("  let ok = x >= 5\n  level 1 if ok")
    assert found.evaluate({"x": 5}).level == 1
    assert found.evaluate({"x": 5}).values["ok"] is True


def test_byte_order_mark_is_ignored() -> None:
    assert kpirules.parse('\ufeffindicator 1 "t"\n level 1 if x >= 1\n').ids() == ["1"]


def test_empty_file_is_an_empty_ruleset() -> None:
    assert len(kpirules.parse("# nothing yet\n")) == 0


def test_import_does_not_load_lark() -> None:
    import subprocess
    import sys

    code = "import sys, kpirules; print('lark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_an_undeclared_name_is_a_number_so_it_cannot_stand_alone() -> None:
    with pytest.raises(kpirules.ParseError, match="a condition is needed"):
        indicator("  level 1 if late")


def test_import_leaves_the_authoring_tools_for_later() -> None:
    import subprocess
    import sys

    code = ("import sys, kpirules; print(sorted(m for m in ('kpirules._check', 'kpirules._format',"
            " 'kpirules._explain', 'difflib') if m in sys.modules)); "
            "print(kpirules.check.__module__, kpirules.catalogue.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["[]", "kpirules._check kpirules.catalogue"]
