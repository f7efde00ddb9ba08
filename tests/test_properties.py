"""The laws, checked by Hypothesis on generated rule files and records."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kpirules
from kpirules.testing import indicator_texts, records, rule_files
from tests import reference

RELAXED = settings(max_examples=150, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@RELAXED
@given(rule_files())
def test_format_is_idempotent(text: str) -> None:
    once = kpirules.format(text)
    assert kpirules.format(once) == once


@RELAXED
@given(rule_files())
def test_format_keeps_the_meaning(text: str) -> None:
    assert kpirules.parse(kpirules.format(text)).node == kpirules.parse(text).node


@RELAXED
@given(rule_files())
def test_format_keeps_every_comment(text: str) -> None:
    from kpirules._parser import iter_comments

    before = sorted(comment for _, _, comment in iter_comments(text))
    after = sorted(comment for _, _, comment in iter_comments(kpirules.format(text)))
    assert after == before


@RELAXED
@given(rule_files())
def test_thai_keywords_give_the_same_tree(text: str) -> None:
    thai = kpirules.format(text, keywords="th")
    assert kpirules.parse(thai).node == kpirules.parse(text).node
    back = kpirules.format(thai, keywords="en")
    assert back == kpirules.format(text, keywords="en")


@st.composite
def indicator_and_record(draw: Any) -> tuple[kpirules.Indicator, dict[str, Any]]:
    rules = kpirules.parse(draw(indicator_texts()))
    indicator = rules["1"]
    return indicator, draw(records(indicator))


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(indicator_and_record())
def test_compiled_evaluator_agrees_with_reference(case: tuple[kpirules.Indicator, dict[str, Any]]
                                                  ) -> None:
    indicator, record = case
    result = indicator.evaluate(record)
    level, score, values = reference.evaluate(indicator, record)
    assert (result.level, result.score) == (level, score)
    assert result.values == values


@st.composite
def indicator_and_any_record(draw: Any) -> tuple[kpirules.Indicator, dict[str, Any]]:
    """Records that may be wrong in every way SPEC §3 lists."""
    rules = kpirules.parse(draw(indicator_texts()))
    indicator = rules["1"]
    junk = st.one_of(st.none(), st.booleans(), st.floats(), st.text(max_size=5),
                     st.integers(-5, 5), st.decimals(allow_nan=True, allow_infinity=True),
                     st.sampled_from(["๑๒", " 7 ", "1,000", "1e3", "NaN", "-0"]))
    record: dict[str, Any] = {}
    for measure in indicator.measures:
        if draw(st.integers(0, 9)) > 0:
            record[measure.name] = draw(junk)
    if draw(st.booleans()):
        record["milestones"] = draw(st.lists(st.one_of(st.integers(-1, 6), st.booleans()),
                                             max_size=3))
    if draw(st.integers(0, 5)) == 0:
        record["unexpected"] = 1
    return indicator, record


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(indicator_and_any_record(), st.booleans())
def test_evaluators_agree_on_bad_input(case: tuple[kpirules.Indicator, dict[str, Any]],
                                       strict: bool) -> None:
    indicator, record = case
    snapshot = repr(record)
    try:
        expected = reference.evaluate(indicator, record, strict)
    except kpirules.EvaluationError as error:
        try:
            indicator.evaluate(record, strict)
        except kpirules.EvaluationError as compiled_error:
            assert compiled_error.indicator == "1"
            # Both refuse the record; when the reference blames one measure, so does the compiled
            # evaluator (it may find another problem first, but never blames nothing).
            if error.measure is not None:
                assert compiled_error.measure is not None
        else:
            raise AssertionError(f"compiled evaluator accepted {record!r}") from None
    else:
        result = indicator.evaluate(record, strict)
        assert (result.level, result.score) == expected[:2]
    assert repr(record) == snapshot  # evaluation never changes the record


@st.composite
def damaged_rule_files(draw: Any) -> str:
    """A generated rule file with a few characters cut, doubled or replaced."""
    text: str = draw(rule_files())
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, max(len(text) - 1, 0)))
        action = draw(st.sampled_from(["cut", "double", "replace"]))
        if action == "cut":
            text = text[:at] + text[at + 1 :]
        elif action == "double":
            text = text[:at] + text[at : at + 1] * 2 + text[at + 1 :]
        else:
            char = draw(st.sampled_from([*'"()#=<>!-+*/.,%\\\n ถ้าระดับ0๕', "\x00", "≥"]))
            text = text[:at] + char + text[at + 1 :]
    return text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(damaged_rule_files(), st.text(max_size=200)))
def test_parse_only_ever_raises_parse_errors(text: str) -> None:
    try:
        kpirules.parse(text, source="fuzz.kpi")
    except kpirules.ParseError as error:
        assert str(error).startswith(f"fuzz.kpi:{error.line}:{error.column}: ")
        assert error.line >= 1 and error.column >= 1
        assert "Traceback" not in str(error) and "lark" not in str(error).lower()
