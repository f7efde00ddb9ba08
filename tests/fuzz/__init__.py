"""Fuzzing kpirules with mutated shipped rule files (see the documentation page "Limits").

:func:`mutate` makes a rule text from a shipped one by a few random edits, some of them hostile
(huge numbers and level numbers, deep nesting, long runs of `and`, CR line ends, control
characters, reserved names); :func:`try_text` runs one text through every stage and returns what
went wrong, or None. ``tests/test_fuzz.py`` drives them with Hypothesis; for a long run::

    python -m tests.fuzz --cases 100000 --seed 1
"""

from __future__ import annotations

import random
import sqlite3
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import kpirules
from kpirules.sql import indicator_sql

ROOT = Path(__file__).resolve().parents[2]
CORPUS = sorted(
    [*ROOT.glob("catalogues/*.kpi"), *ROOT.glob("docs/rules/**/*.kpi"), *ROOT.glob("tests/check/*.kpi")]
)

# Pieces a hostile or careless author might write.
PIECES = [
    "level", "measure", "let", "indicator", "weight", "milestone", "if", "and", "or", "not",
    "ระดับ", "ตัวชี้วัด", "และ", "หรือ", "count", "flag", "number", "in", "..", "policy highest",
    "score interpolate", "(", ")", "+", "-", "*", "/", ">=", "<", "==", "!=", "=", "#", '"', "\\",
    "\r", "\r\n", "\n", "\t", "\x1b[2J", "\u202e", "\x00", "milestones", "9" * 45, "1" * 5000,
    "99999999999", "0.000000000000000000000000000001", "1_000", "๑๒๓", "level 99999999999 if x >= 1",
    "measure milestones count", "x" * 300, "(" * 200 + "x" + ")" * 200,
    " and ".join(["a >= 1"] * 300), " + ".join(["a"] * 200), "=1+2", "<script>",
]


def mutate(text: str, rng: random.Random, edits: int = 3) -> str:
    """``text`` after ``edits`` random edits: delete, duplicate or move a span, insert a piece."""
    for _ in range(edits):
        size = len(text)
        start = rng.randrange(size + 1)
        end = min(size, start + rng.choice((1, 2, 5, 20, 80)))
        kind = rng.randrange(5)
        if kind == 0:
            text = text[:start] + text[end:]
        elif kind == 1:
            text = text[:start] + text[start:end] * rng.choice((2, 3, 50)) + text[end:]
        elif kind == 2:
            text = text[:start] + rng.choice(PIECES) + text[start:]
        elif kind == 3:
            text = text[:start] + " " + rng.choice(PIECES) + " " + text[end:]
        else:
            other = rng.randrange(size + 1)
            text = text[:other] + text[start:end] + text[other:]
    return text


def records(rules: kpirules.RuleSet, rng: random.Random) -> dict[str, dict[str, Any]]:
    """One record per indicator with plain values (numbers of 0..120, flags, done milestones)."""
    out: dict[str, dict[str, Any]] = {}
    for indicator in rules:
        record: dict[str, Any] = {}
        for measure in indicator.measures:
            if measure.kind == "flag":
                record[measure.name] = rng.random() < 0.5
            else:
                low = 0 if measure.low is None else max(int(measure.low), 0)
                high = 120 if measure.high is None else int(measure.high)
                record[measure.name] = Decimal(rng.randint(low, max(low, high)))
        done = [level.number for level in indicator.levels if level.is_milestone]
        if done:
            record["milestones"] = [k for k in done if rng.random() < 0.5]
        out[indicator.id] = record
    return out


def _sqlite_level(indicator: kpirules.Indicator, record: dict[str, Any]) -> Any:
    from kpirules.sql import column_name, milestone_column, quote

    columns = {column_name(indicator.id, m.name): record[m.name] for m in indicator.measures}
    for level in indicator.levels:
        if level.is_milestone:
            columns[milestone_column(indicator.id, level.number)] = (
                level.number in record.get("milestones", ()))
    names = ["subject", *columns]
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE TABLE records ({', '.join(quote(n) for n in names)})")
    values = ["s"] + [v if isinstance(v, bool) else str(v) for v in columns.values()]
    db.execute(f"INSERT INTO records VALUES ({', '.join('?' for _ in names)})", values)
    query = indicator_sql(indicator, dialect="sqlite")
    return db.execute(query).fetchone()


def try_text(text: str, rng: random.Random, bound: float = 60.0, sql: bool = True) -> str | None:
    """What is wrong with kpirules on ``text``, or None. Checks: only KpiRulesError escapes;
    a ParseError points inside the text; ``format`` is faithful and idempotent; ``check`` ends
    within ``bound`` seconds; evaluation raises only EvaluationError; SQLite gives the level
    Python gives (where both accept the record)."""
    started = time.monotonic()
    try:
        rules = kpirules.parse(text)
    except kpirules.ParseError as error:
        lines = kpirules._parser.one_reading(text.removeprefix("\ufeff")).split("\n")
        if error.code.startswith("limit-rule-size"):
            return None
        if not (1 <= error.line <= len(lines) and 1 <= error.column <= len(lines[error.line - 1]) + 1):
            return f"position {error.line}:{error.column} outside the text"
        if len(error.message) > 2000:
            return f"a message of {len(error.message)} characters"
        return None
    except kpirules.KpiRulesError:
        return None
    except BaseException as error:
        return f"parse raised {type(error).__name__}: {str(error)[:200]}"
    try:
        formatted = kpirules.format(text)
        if kpirules.parse(formatted).node != rules.node:
            return "parse(format(t)) != parse(t)"
        if kpirules.format(formatted) != formatted:
            return "format is not idempotent"
        kpirules.check(rules)
    except BaseException as error:
        return f"format/check raised {type(error).__name__}: {str(error)[:200]}"
    if time.monotonic() - started > bound:
        return f"took {time.monotonic() - started:.0f} s"
    values = records(rules, rng)
    for indicator in rules:
        try:
            result = indicator.evaluate(values[indicator.id])
        except kpirules.EvaluationError:
            continue
        except BaseException as error:
            return f"evaluate raised {type(error).__name__}: {str(error)[:200]}"
        if not sql:
            continue
        try:
            row = _sqlite_level(indicator, values[indicator.id])
        except kpirules.KpiRulesError:
            continue  # the SQL writer refused SQLite for these rules, with a message
        except sqlite3.Error as error:
            return f"SQLite failed on indicator {indicator.id}: {error}"
        except BaseException as error:
            return f"the SQL writer raised {type(error).__name__}: {str(error)[:200]}"
        if row[4] is None and row[1] != result.level:
            return f"indicator {indicator.id}: SQLite level {row[1]}, Python {result.level}"
    return None


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tests.fuzz")
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pause", type=float, default=0.0, help="seconds to sleep per case")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    texts = [path.read_text(encoding="utf-8") for path in CORPUS]
    found = parsed = 0
    started = time.monotonic()
    for case in range(1, args.cases + 1):
        text = mutate(rng.choice(texts), rng, rng.choice((1, 1, 2, 3, 5)))
        try:
            kpirules.parse(text)
            parsed += 1
        except BaseException:
            pass
        problem = try_text(text, rng)
        if problem is not None:
            found += 1
            print(f"case {case}: {problem}\n  {text[:300]!r}", flush=True)
        if case % 1000 == 0:
            print(f"{case} cases, {parsed} parsed, {found} findings, "
                  f"{time.monotonic() - started:.0f} s", flush=True)
        if args.pause:
            time.sleep(args.pause)
    print(f"done: {args.cases} cases, {parsed} parsed, {found} findings, "
          f"{time.monotonic() - started:.0f} s")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
