"""Examples inside rule files (`example level 3: …`): parsing, load-time checks in both languages,
`check`'s example-fails, `kpirules test`, `assert_examples`, the formatter and the lexer."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kpirules
from kpirules import catalogue
from kpirules.testing import assert_examples, rule_files

HOUSEHOLDS = '''indicator 1 "Households developed"
  measure target_households count
  measure developed_households count
  let developed_percent = developed_households / target_households * 100
  level 1 if developed_percent >= 25
  level 2 if developed_percent >= 40
  level 3 if developed_percent >= 55
'''

SCREENING = '''indicator 2 "Screening"
  measure screened_percent in 0..100
  measure reported flag
  score interpolate
  level 1 if screened_percent >= 60
  level 2 if screened_percent >= 70
  level 3 if screened_percent >= 80
  level 4 if screened_percent >= 90
  level 5 if screened_percent >= 100
'''

PLAN = '''indicator 3 "Plan"
  level 1 milestone "a plan"
  level 2 milestone "a budget"
  level 3 if done_percent >= 50
'''


def _parse(text: str, language: str | None = None) -> kpirules.RuleSet:
    return kpirules.parse(text, source="rules.kpi", language=language)


def test_the_forms_of_the_language_reference() -> None:
    rules = _parse(HOUSEHOLDS + """
  example level 3: target_households = 400, developed_households = 230
  example level 0: target_households = 400, developed_households = 0
  example rejected: target_households = 0, developed_households = 0
""" + SCREENING + """
  example score 3.5: screened_percent = 85, reported = true
""" + PLAN + """
  example level 2: milestones = [1, 2], done_percent = 10
""")
    three, zero, rejected = rules["1"].examples
    assert three.record == {"target_households": Decimal(400), "developed_households": Decimal(230)}
    assert (three.level, three.score, three.rejected, three.line) == (3, None, False, 9)
    assert (zero.level, rejected.rejected, rejected.level) == (0, True, None)
    (score,) = rules["2"].examples
    assert score.score == Decimal("3.5") and score.level is None
    assert score.record["reported"] is True
    (milestones,) = rules["3"].examples
    assert milestones.record == {"milestones": [1, 2], "done_percent": Decimal(10)}
    assert isinstance(three, kpirules.Example)
    assert kpirules.check(rules) == [d for d in kpirules.check(rules) if d.code != "example-fails"]


def test_thai_keywords_give_the_same_examples() -> None:
    english = _parse(SCREENING + """
  example score 3.5: screened_percent = 85, reported = true
  example level 0: screened_percent = 10, reported = false
  example rejected: screened_percent = 101, reported = false
""")
    thai = _parse(SCREENING + """
  ตัวอย่าง คะแนน 3.5: screened_percent = 85, reported = จริง
  ตัวอย่าง ระดับ ๐: screened_percent = 10, reported = เท็จ
  ตัวอย่าง ปฏิเสธ: screened_percent = 101, reported = เท็จ
""")
    assert english["2"].examples == thai["2"].examples
    assert kpirules.parse(PLAN + "  ตัวอย่าง ระดับ 2: ขั้นสำเร็จ = [1, 2], done_percent = 1\n")[
        "3"].examples[0].record["milestones"] == [1, 2]


def test_a_failing_example_is_an_example_fails_error_that_says_expected_got_and_why() -> None:
    rules = _parse(HOUSEHOLDS + "  example level 1: target_households = 400, "
                   "developed_households = 99\n")
    (found,) = kpirules.check(rules)
    assert (found.severity, found.code, found.indicator, found.line, found.column) == (
        "error", "example-fails", "1", 8, 3)
    # 99 of 400 is 24.75 %, 0.25 short of 25 % (worked out by hand).
    assert found.message.startswith("this example expects level 1 but gets level 0, score 0 (")
    assert "developed_percent = 24.75" in found.message and "0.25 short" in found.message


def test_a_failing_example_in_thai() -> None:
    rules = _parse(HOUSEHOLDS + "  example rejected: target_households = 4, "
                   "developed_households = 4\n", language="th")
    (found,) = kpirules.check(rules)
    assert found.code == "example-fails"
    assert found.message.startswith("ตัวอย่างนี้คาดว่าจะได้ให้ปฏิเสธข้อมูลนี้ แต่ผลที่ได้คือระดับ 3 คะแนน 3")


def test_an_expected_rejection_that_scores_says_so_and_a_rejection_that_was_not_expected() -> None:
    rules = _parse(HOUSEHOLDS + "  example level 2: target_households = 0, "
                   "developed_households = 0\n")
    (found,) = kpirules.check(rules)
    assert "expects level 2 but gets a rejection: " in found.message
    assert "division by zero" in found.message or "divid" in found.message


def test_an_interpolated_score_example() -> None:
    # 85 lies halfway between the thresholds 80 and 90: score 3.5.
    rules = _parse(SCREENING + "  example score 3.5: screened_percent = 85, reported = true\n"
                   "  example score 3.4: screened_percent = 85, reported = true\n")
    (found,) = [d for d in kpirules.check(rules) if d.code == "example-fails"]
    assert found.line == 11
    assert "expects score 3.4 but gets level 3, score 3.5" in found.message


@pytest.mark.parametrize(("line", "code", "column", "english", "thai"), [
    ("example level 4: target_households = 1, developed_households = 1",
     "example-level-out-of-range", 3, "indicator `1` has levels 0 to 3, so an example cannot "
     "expect level 4", "ตัวชี้วัด `1` มีระดับ 0 ถึง 3 ตัวอย่างจึงคาดหวังระดับ 4 ไม่ได้"),
    ("example level 1: target_households = 1, developed_houshold = 1",
     "example-unknown-measure", 43, "this example gives `developed_houshold`, but indicator `1` "
     "has no measure of that name; did you mean `developed_households`?",
     "ตัวอย่างนี้ให้ค่า `developed_houshold` แต่ตัวชี้วัด `1` ไม่มีตัววัดชื่อนี้ หมายถึง "
     "`developed_households` หรือไม่"),
    ("example level 1: developed_percent = 30",
     "example-names-let", 20, "`developed_percent` is computed by `let` from the measures; an "
     "example gives the measures only", "`developed_percent` เป็นค่าที่คำนวณด้วย `ให้` จากตัววัด "
     "ตัวอย่างให้ได้เฉพาะค่าของตัววัด"),
    ("example score 2.5: target_households = 1, developed_households = 1",
     "example-score-needs-interpolate", 3, "indicator `1` has no `score interpolate`, so its score "
     "is always its level; expect a level instead, as in `example level 2:`",
     "ตัวชี้วัด `1` ไม่มี `คะแนน เทียบส่วน` คะแนนจึงเท่ากับระดับเสมอ โปรดระบุระดับที่คาดหวังแทน "
     "เช่น `ตัวอย่าง ระดับ 2:`"),
    ("example level 1: target_households = 1, target_households = 2",
     "example-value-twice", 43, "`target_households` is given twice in this example; keep one",
     "ตัวอย่างนี้ให้ค่า `target_households` ซ้ำสองครั้ง โปรดเหลือไว้ค่าเดียว"),
    ("example level 1: milestones = [1], target_households = 1, developed_households = 1",
     "example-no-milestones", 20, "indicator `1` has no milestone levels, so an example cannot "
     "report milestones done", "ตัวชี้วัด `1` ไม่มีระดับแบบขั้นสำเร็จ ตัวอย่างจึงรายงานขั้นสำเร็จไม่ได้"),
    ("example level 1: target_households = true, developed_households = 1",
     "example-number-not-flag", 20, "`target_households` takes a number, not `true`",
     "`target_households` ต้องมีค่าเป็นตัวเลข ไม่ใช่ `จริง`"),
])
def test_load_time_mistakes_in_both_languages(line: str, code: str, column: int, english: str,
                                               thai: str) -> None:
    text = HOUSEHOLDS + "  " + line + "\n"
    for language, expected in (("en", english), ("th", thai)):
        with pytest.raises(kpirules.ParseError) as caught:
            _parse(text, language=language)
        error = caught.value
        assert (error.code, error.line, error.column) == (code, 8, column)
        assert error.message == expected
        assert str(error).startswith(f"rules.kpi:8:{column}: ")


def test_more_load_time_mistakes() -> None:
    cases = {
        SCREENING + "  example score 5.5: screened_percent = 1, reported = true\n":
            "example-score-out-of-range",
        SCREENING + "  example level 1: screened_percent = 1, reported = 1\n":
            "example-flag-needs-bool",
        PLAN + "  example level 1: milestones = [3], done_percent = 1\n":
            "example-unknown-milestone",
    }
    for text, code in cases.items():
        with pytest.raises(kpirules.ParseError) as caught:
            _parse(text)
        assert caught.value.code == code
    with pytest.raises(kpirules.ParseError) as caught:
        _parse(PLAN + "  example level 1: milestones = [3], done_percent = 1\n")
    assert caught.value.message == ("level 3 of indicator `3` is not a milestone; its milestones "
                                    "are levels 1 and 2")


@pytest.mark.parametrize(("line", "words"), [
    ("example level 2.5: x = 1", "a level is a whole number, not `2.5`"),
    ("example level 1 x = 1", "expected `:`"),
    ("example: x = 1", "expected `level`, `rejected` or `score` after `example`"),
    ("example level 1: x = [1]", "only `milestones` takes a list"),
    ("example level 1: x 1", "`=`"),
])
def test_syntax_mistakes_name_what_was_expected(line: str, words: str) -> None:
    with pytest.raises(kpirules.ParseError) as caught:
        _parse('indicator 1 "t"\n  level 1 if x >= 5\n  ' + line + "\n")
    assert caught.value.line == 3
    assert words in caught.value.message


def test_a_rejected_example_may_give_a_value_of_the_wrong_kind() -> None:
    rules = _parse(SCREENING + '  example rejected: screened_percent = true, reported = "yes"\n')
    assert [d.code for d in kpirules.check(rules)] == ["unused-measure"]  # `reported`


def test_assert_examples_lists_each_failure() -> None:
    rules = _parse(HOUSEHOLDS + "  example level 1: target_households = 400, "
                   "developed_households = 100\n"
                   "  example level 3: target_households = 400, developed_households = 219\n"
                   "  example rejected: target_households = 1, developed_households = 1\n")
    with pytest.raises(AssertionError) as caught:
        assert_examples(rules)
    lines = str(caught.value).splitlines()
    assert lines[0] == "2 examples failed:"
    assert lines[1].startswith("rules.kpi:9:3: indicator 1: this example expects level 3 but gets "
                               "level 2")
    assert lines[2].startswith("rules.kpi:10:3: indicator 1: this example expects the record to "
                               "be rejected but gets level 3")
    assert_examples(_parse(HOUSEHOLDS + "  example level 1: target_households = 400, "
                           "developed_households = 100\n"))


def test_the_shipped_catalogue_passes_its_examples() -> None:
    rules = catalogue.load("cdd-2565-r1")
    assert_examples(rules)
    assert all(len(indicator.examples) >= 6 for indicator in rules)
    # Every threshold of indicator 1 has an example at it and one just below (400 households).
    shown = {(int(e.record["developed_households"]), e.level) for e in rules["1"].examples
             if not e.rejected}
    for threshold, level in ((100, 1), (160, 2), (220, 3), (280, 4), (340, 5)):
        assert (threshold, level) in shown and (threshold - 1, level - 1) in shown
    assert any(e.rejected for e in rules["1"].examples)


def _kpirules(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kpirules", *args], capture_output=True,
                          text=True, encoding="utf-8", cwd=cwd, timeout=120)


def test_the_test_command(tmp_path: Path) -> None:
    good = tmp_path / "good.kpi"
    good.write_text(HOUSEHOLDS + "  example level 1: target_households = 4, "
                    "developed_households = 1\n", encoding="utf-8")
    bad = tmp_path / "bad.kpi"
    bad.write_text(HOUSEHOLDS + "  example level 2: target_households = 4, "
                   "developed_households = 1\n"
                   "  example level 0: target_households = 4, developed_households = 0\n",
                   encoding="utf-8")
    done = _kpirules("test", str(good), "cdd-2565-r1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"{1 + 74} examples passed, 0 failed"
    done = _kpirules("test", str(good), str(bad))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[-1] == "2 examples passed, 1 failed"
    assert lines[0].startswith(f"{bad}:8:3: error[example-fails]: this example expects level 2")
    done = _kpirules("check", str(bad))
    assert done.returncode == 1 and "error[example-fails]" in done.stdout


def test_the_test_command_with_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.kpi"
    broken.write_text('indicator 1 "t"\n  level 1 if x >=\n', encoding="utf-8")
    done = _kpirules("test", str(broken))
    assert done.returncode == 2
    assert done.stdout.splitlines()[-1] == "0 examples passed, 0 failed"


def test_the_formatter_keeps_examples_in_either_language() -> None:
    text = (SCREENING + "  example   score 3.5 :screened_percent=85,reported=true  # halfway\n"
            "  example rejected:\n    screened_percent = 1_01, reported = false\n")
    formatted = kpirules.format(text)
    assert ("  example score 3.5: screened_percent = 85, reported = true  # halfway\n"
            in formatted)
    assert "  example rejected: screened_percent = 1_01, reported = false\n" in formatted
    thai = kpirules.format(text, keywords="th")
    assert "  ตัวอย่าง คะแนน 3.5: screened_percent = 85, reported = จริง  # halfway\n" in thai
    assert "  ตัวอย่าง ปฏิเสธ: screened_percent = 1_01, reported = เท็จ\n" in thai
    for out in (formatted, thai):
        assert kpirules.format(out) == out
        assert kpirules.parse(out).node == kpirules.parse(text).node
    milestones = kpirules.format(PLAN + '  example level 2: milestones = [1,2], done_percent = 1\n'
                                 '  example level 0: milestone = [ ], done_percent = "x"\n')
    assert "  example level 2: milestones = [1, 2], done_percent = 1\n" in milestones
    assert '  example level 0: milestones = [], done_percent = "x"\n' in milestones
    assert "ขั้นสำเร็จ = [1, 2]" in kpirules.format(milestones, keywords="th")


def test_the_table_leaves_examples_out() -> None:
    rules = catalogue.load("cdd-2565-r1")
    for form in ("markdown", "html", "csv"):
        assert "example" not in kpirules.table(rules, format=form)


def test_the_lexer_highlights_examples() -> None:
    pytest.importorskip("pygments")
    from pygments.token import Error, Keyword, Punctuation

    from kpirules.pygments_lexer import KpiLexer

    tokens = [(kind, text) for kind, text in KpiLexer().get_tokens(
        "ตัวอย่าง ระดับ 2: milestones = [1, 2], ok = จริง\nexample rejected: x = false\n")
        if text.strip()]
    assert (Keyword, "ตัวอย่าง") in tokens and (Keyword, "example") in tokens
    assert (Keyword.Constant, "จริง") in tokens and (Keyword.Constant, "false") in tokens
    assert (Keyword.Constant, "rejected") in tokens
    assert (Punctuation, ":") in tokens and (Punctuation, "[") in tokens
    assert not any(kind in Error for kind, _ in tokens)


@st.composite
def _with_example(draw: st.DrawFn) -> str:
    """A generated rule file with an example of random values added to its last indicator."""
    text: str = draw(rule_files())
    last = list(kpirules.parse(text))[-1]
    parts = []
    for measure in last.measures:
        if not draw(st.booleans()):
            continue
        if measure.kind == "flag":
            value = draw(st.sampled_from(["true", "false", "จริง", "เท็จ"]))
        else:
            number = draw(st.decimals(-10_000, 10_000, places=draw(st.integers(0, 2)),
                                      allow_nan=False, allow_infinity=False))
            value = f"{number:f}"
        parts.append(f"{measure.name} = {value}")
    milestones = [level.number for level in last.levels if level.is_milestone]
    if milestones and draw(st.booleans()):
        done = draw(st.lists(st.sampled_from(milestones), unique=True))
        parts.insert(draw(st.integers(0, len(parts))), f"milestones = [{', '.join(map(str, done))}]")
    heads = [f"level {draw(st.integers(0, last.top))}", "rejected"]
    if last.interpolate:
        heads.append(f"score {draw(st.decimals(0, last.top, places=2)):f}")
    head = draw(st.sampled_from(heads))
    separator = draw(st.sampled_from([", ", ",", " ,\n    "]))
    return text.rstrip("\n") + f"\n  example {head}: {separator.join(parts)}\n"


@settings(max_examples=60, deadline=None)
@given(_with_example())
def test_generated_files_with_an_example_round_trip(text: str) -> None:
    tree = kpirules.parse(text).node
    assert any(indicator.examples for indicator in tree.indicators)
    for keywords in (None, "th", "en"):
        formatted = kpirules.format(text, keywords=keywords)
        assert kpirules.format(formatted) == formatted
        assert kpirules.parse(formatted).node == tree


def test_example_fails_says_itself_in_either_language() -> None:
    rules = _parse(HOUSEHOLDS + "  example level 1: target_households = 400, "
                   "developed_households = 99\n")
    (english,) = kpirules.check(rules)
    (thai,) = kpirules.check(rules, language="th")
    assert thai.code == english.code == "example-fails"
    assert thai.message.startswith("ตัวอย่างนี้คาดว่าจะได้ระดับ 1 แต่ผลที่ได้คือระดับ 0 คะแนน 0 (")
    assert "ระดับ 1 ไม่ผ่าน: developed_percent >= 25: ขณะนี้ 24.75 ยังขาดอีก 0.25" in thai.message
    assert thai.in_language("en") == english and thai.in_language("en").message == english.message
