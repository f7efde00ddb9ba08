"""The fuzzing suite (issue 14): mutated shipped rule files through every stage.

Quick by default (``KPIRULES_FUZZ_EXAMPLES``, 40 examples per property); CI sets it higher, and a
long run without Hypothesis's shrinking is ``python -m tests.fuzz --cases 100000``. Each example
asserts what :func:`tests.fuzz.try_text` checks: only KpiRulesError escapes, a ParseError points
inside the text, ``format`` is faithful and idempotent, ``check`` ends within its bound, and
SQLite gives the level Python gives on what both accept.
"""

from __future__ import annotations

import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kpirules
from tests.fuzz import CORPUS, PIECES, mutate, try_text

EXAMPLES = int(os.environ.get("KPIRULES_FUZZ_EXAMPLES", "40"))
TEXTS = [path.read_text(encoding="utf-8") for path in CORPUS]
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def test_the_corpus_is_the_shipped_files() -> None:
    assert len(CORPUS) >= 20
    assert any(path.name == "cdd-2565-r1.kpi" for path in CORPUS)
    for text in TEXTS:
        assert try_text(text, random.Random(0)) is None


@FUZZ
@given(st.sampled_from(TEXTS), st.integers(0, 2**32), st.integers(1, 8))
def test_mutated_files(text: str, seed: int, edits: int) -> None:
    rng = random.Random(seed)
    problem = try_text(mutate(text, rng, edits), rng, bound=120)
    assert problem is None, problem


@FUZZ
@given(st.sampled_from(TEXTS), st.lists(st.tuples(st.integers(0, 10**6),
                                                  st.sampled_from(PIECES)), max_size=4))
def test_hostile_pieces_inserted(text: str, inserts: list[tuple[int, str]]) -> None:
    for at, piece in inserts:
        at %= len(text) + 1
        text = text[:at] + piece + text[at:]
    problem = try_text(text, random.Random(0), bound=120)
    assert problem is None, problem


@FUZZ
@given(st.text(max_size=300))
def test_arbitrary_text(text: str) -> None:
    problem = try_text(text, random.Random(0), bound=120)
    assert problem is None, problem


def _parses(text: str) -> bool:
    try:
        kpirules.parse(text)
    except kpirules.ParseError:
        return False
    return True


@pytest.mark.parametrize("end", ["\r\n", "\r"])
def test_line_ends_do_not_change_meaning(end: str) -> None:
    texts = [text for text in TEXTS if _parses(text)]
    assert len(texts) >= 10
    for text in texts:
        assert kpirules.parse(text.replace("\n", end)).node == kpirules.parse(text).node


@pytest.mark.slow
def test_a_thousand_mutations_without_shrinking() -> None:
    rng = random.Random(14)
    problems = [try_text(mutate(rng.choice(TEXTS), rng, rng.choice((1, 2, 3, 5))), rng)
                for _ in range(1000)]
    assert [p for p in problems if p is not None] == []


def test_a_nul_character_is_refused_before_it_reaches_a_database() -> None:
    with pytest.raises(kpirules.ParseError) as caught:
        kpirules.parse('indicator "a\x00b" "t"\n  level 1 if x >= 1\n')
    assert (caught.value.code, caught.value.line, caught.value.column) == ("nul-character", 1, 13)


@pytest.mark.parametrize(("x", "flag", "level"), [(6, False, 1), (11, False, 2), (6, True, 0)])
def test_a_let_holding_a_condition_is_written_as_sql(x: int, flag: bool, level: int) -> None:
    # Found by the fuzzer: the SQL writer took every `let` for a number (AssertionError).
    import sqlite3

    rules = kpirules.parse('indicator 1 "t"\n  measure x\n  measure f flag\n'
                           "  let ok = x >= 5 and not f\n  let also = ok\n  let ratio = 10 / x\n"
                           "  level 1 if also\n  level 2 if ok and ratio < 1\n")
    db = sqlite3.connect(":memory:")
    db.execute('CREATE TABLE records (subject, "1.x", "1.f")')
    db.execute("INSERT INTO records VALUES ('s', ?, ?)", [str(x), flag])
    row = db.execute(rules["1"].to_sql(dialect="sqlite")).fetchone()
    assert row[1] == level == rules["1"].evaluate({"x": x, "f": flag}).level
