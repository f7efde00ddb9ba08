"""Golden tests: each file in tests/errors/ is a mistake a policy officer makes, beside the exact
message (position, line and caret) kpirules must give for it."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import kpirules
from tests import golden

ERRORS = Path(__file__).parent / "errors"
CASES = sorted(path.stem for path in ERRORS.glob("*.kpi"))


def test_there_are_at_least_25_distinct_mistakes() -> None:
    assert len(CASES) >= 25
    messages = {(ERRORS / f"{case}.expected").read_text(encoding="utf-8").split(": ", 1)[1]
                for case in CASES}
    assert len(messages) == len(CASES)


@pytest.mark.parametrize("case", CASES)
def test_golden_message(case: str) -> None:
    text = (ERRORS / f"{case}.kpi").read_text(encoding="utf-8")
    with pytest.raises(kpirules.ParseError) as caught:
        kpirules.parse(text, source=f"{case}.kpi", language="en")
    golden.compare(ERRORS / f"{case}.expected", str(caught.value), ending_newlines_matter=False)
    expected = (ERRORS / f"{case}.expected").read_text(encoding="utf-8").rstrip("\n")
    head = expected.split(": ", 1)[0]
    _, line, column = head.rsplit(":", 2)
    assert (caught.value.line, caught.value.column) == (int(line), int(column))
    assert caught.value.source == f"{case}.kpi"


@pytest.mark.parametrize("case", CASES)
def test_caret_points_at_the_reported_column(case: str) -> None:
    text = (ERRORS / f"{case}.kpi").read_text(encoding="utf-8")
    with pytest.raises(kpirules.ParseError) as caught:
        kpirules.parse(text, source=f"{case}.kpi", language="en")
    error = caught.value
    shown, caret = str(error).split("\n")[1:3]
    assert shown.strip() == text.split("\n")[error.line - 1].strip()
    # The caret sits under the first character of the offending token, counted in display
    # columns (Thai vowels above and below and tone marks take none).
    from kpirules._width import display_width

    line_text = text.split("\n")[error.line - 1]
    assert len(caret) - 4 - 1 == display_width(line_text[: error.column - 1])


def test_parse_error_survives_pickling() -> None:
    with pytest.raises(kpirules.ParseError) as caught:
        kpirules.parse('indicator 1 "t"\n  level 1 if x => 5\n', source="a.kpi")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert str(copy) == str(caught.value)
    assert (copy.source, copy.line, copy.column) == ("a.kpi", 2, 16)


def test_errors_are_one_family() -> None:
    assert issubclass(kpirules.ParseError, kpirules.KpiRulesError)
    assert issubclass(kpirules.EvaluationError, kpirules.KpiRulesError)


def test_ten_thousand_nested_parentheses_parse() -> None:
    text = 'indicator 1 "t"\n  level 1 if ' + "(" * 10_000 + "x" + ")" * 10_000 + " >= 1\n"
    rules = kpirules.parse(text)
    assert rules["1"].evaluate({"x": 1}).level == 1


def test_deep_unary_chain_is_a_parse_error_not_a_recursion_error() -> None:
    text = 'indicator 1 "t"\n  level 1 if ' + "-" * 10_000 + "x >= 1\n"
    with pytest.raises(kpirules.ParseError, match="nested more than"):
        kpirules.parse(text)


def test_deep_not_chain_is_a_parse_error() -> None:
    text = 'indicator 1 "t"\n  level 1 if ' + "not " * 5_000 + "x >= 1\n"
    with pytest.raises(kpirules.ParseError, match="nested more than"):
        kpirules.parse(text)


def test_unclosed_parentheses_at_depth() -> None:
    text = 'indicator 1 "t"\n  level 1 if ' + "(" * 10_000 + "x >= 1\n"
    with pytest.raises(kpirules.ParseError) as caught:
        kpirules.parse(text)
    assert caught.value.line == 2


@pytest.mark.slow
def test_five_megabyte_file_parses_or_fails_cleanly() -> None:
    block = 'indicator {i} "ร้อยละของครัวเรือน {i}"\n  weight 1\n  measure a count\n' \
            "  measure b count\n  let p = a / b * 100\n" + "".join(
                f"  level {k} if p >= {k * 10} \"ระดับ {k}\"\n" for k in range(1, 6))
    text = "".join(block.format(i=i) for i in range(15_000))
    assert len(text.encode("utf-8")) > 5_000_000
    rules = kpirules.parse(text)
    assert len(rules) == 15_000
    broken = text + "level"
    with pytest.raises(kpirules.ParseError) as caught:
        kpirules.parse(broken)
    assert caught.value.line == text.count("\n") + 1


def test_non_string_input() -> None:
    with pytest.raises(kpirules.KpiRulesError):
        kpirules.parse(b'indicator 1 "t"')  # type: ignore[arg-type]


def test_load_reports_missing_file(tmp_path: Path) -> None:
    with pytest.raises(kpirules.KpiRulesError, match="cannot read"):
        kpirules.load(tmp_path / "nope.kpi")


def test_load_reports_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "cp874.kpi"
    path.write_bytes('indicator 1 "ร้อยละ"\n  level 1 if x >= 1\n'.encode("cp874"))
    with pytest.raises(kpirules.ParseError, match="not UTF-8"):
        kpirules.load(path)
