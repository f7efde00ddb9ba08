"""What the language server asks of the syntax tree (:mod:`kpirules._editor`), in-process: the
per-indicator memo of the checker, and the small text helpers. The protocol itself is exercised in
``test_lsp.py``."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kpirules
from kpirules import _check
from kpirules._editor import CheckMemo, word_end

# Indicator bodies with findings of every kind and without: an implicit measure, an unused one,
# an unreachable level, a level that drops as the measure rises, and clean ones.
BODIES = [
    "  measure growth\n  level 1 if growht >= 11\n",
    "  measure a count\n  measure b count\n  level 1 if a >= 1\n",
    "  measure p in 0..100\n  level 1 if p >= 40\n  level 2 if p >= 25\n",
    "  measure p in 0..100\n  level 1 if p >= 25\n  level 2 if p >= 55 and p < 70\n",
    "  measure t count\n  measure d count\n  let r = d / t * 100\n  level 1 if r >= 25\n",
    '  level 1 milestone "plan"\n  level 2 milestone "done"\n',
]

FILES = st.lists(
    st.tuples(st.sampled_from(range(len(BODIES))), st.integers(0, 40),
              st.sampled_from(["", "\n", "# a note\n", "\n\n"])),
    min_size=1, max_size=6)


def write(blocks: list[tuple[int, int, str]]) -> str:
    out = []
    for number, (body, weight, gap) in enumerate(blocks, start=1):
        out.append(f'{gap}indicator {number} "i{number}"\n  weight {weight}\n{BODIES[body]}')
    return "".join(out)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(FILES, st.sampled_from([None, "en", "th"])), min_size=1, max_size=5))
def test_the_memo_finds_what_check_finds_edit_after_edit(
        edits: list[tuple[list[tuple[int, int, str]], str | None]]) -> None:
    memo = CheckMemo()
    for blocks, language in edits:
        text = write(blocks)
        rules = kpirules.parse(text)
        found = memo.findings(rules, text.split("\n"), language)
        expected = kpirules.check(rules, language=language)
        assert found == expected
        assert [d.language for d in found] == [d.language for d in expected]  # not in ==


def test_the_memo_moves_kept_findings_with_their_indicator() -> None:
    memo = CheckMemo()
    text = 'indicator 1 "a"\n  weight 100\n  measure growth\n  level 1 if growht >= 11\n'
    first = memo.findings(kpirules.parse(text), text.split("\n"))
    assert [(d.code, d.line) for d in first] == [("unused-measure", 3), ("implicit-measure", 4)]
    moved = "# two lines\n# above\n" + text
    again = memo.findings(kpirules.parse(moved), moved.split("\n"))
    assert [(d.code, d.line) for d in again] == [("unused-measure", 5), ("implicit-measure", 6)]


def test_words() -> None:
    assert word_end("ab", 3) == 3  # past the end: nothing to cover
    assert word_end("x1_ก่ y", 1) == 6  # x 1 _ ก ่: five characters


def test_the_memo_checks_only_the_indicator_that_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    real = _check.indicator_findings

    def counting(indicator: kpirules.Indicator) -> list[_check.Diagnostic]:
        checked.append(indicator.id)
        return real(indicator)

    monkeypatch.setattr(_check, "indicator_findings", counting)
    memo = CheckMemo()
    blocks = [(0, 50, ""), (4, 50, "\n"), (5, 0, "\n")]
    text = write(blocks)
    memo.findings(kpirules.parse(text), text.split("\n"))
    assert checked == ["1", "2", "3"]
    checked.clear()
    edited = text.replace("r >= 25", "r >= 30")  # indicator 2 only
    memo.findings(kpirules.parse(edited), edited.split("\n"))
    assert checked == ["2"]
