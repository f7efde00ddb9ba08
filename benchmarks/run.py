"""kpirules benchmarks: one command, ``python benchmarks/run.py``.

Everything runs in one process, in interleaved rounds (every engine once per round, the order
rotating), and each figure is the median over the rounds. Before timing, every engine's levels are
checked against the others on every record: a fast wrong answer is not a result.

Sections:

1. indicator 1 of the 2565 catalogue (``developed / target * 100`` against 25, 40, 55, 70, 85):
   kpirules ``Indicator.evaluate``, a hand-written ``Decimal`` function (the baseline),
   ``rule-engine`` and ``zen-engine``;
2. the whole 7-indicator scorecard: ``RuleSet.evaluate`` against hand-written Python;
3. ``import kpirules`` against a bare interpreter (fresh subprocesses);
4. parsing and compiling a generated file of 1,000 indicators;
5. the SQL backend on DuckDB at 1M rows (``--rows``; ``--large`` for 10M) against hand-written SQL,
   for indicator 1 and for the whole scorecard, with and without the table's column types
   (``types=``);
6. the language server (:mod:`lsp_latency`): a 50-indicator file, the time from an edit to its
   diagnostics (median of 200 edits, ``--edits``) beside ``kpirules.parse`` and ``kpirules.check``.

The optional engines are installed with ``pip install -r benchmarks/requirements.txt``; a missing one
is reported and skipped.
"""

from __future__ import annotations

import argparse
import decimal
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if (ROOT / "src" / "kpirules").is_dir():
    sys.path.insert(0, str(ROOT / "src"))

from cli_engine import bench_cli  # noqa: E402
from dialects import bench_dialects, bench_growth  # noqa: E402

import kpirules  # noqa: E402

INSTALL = f"pip install -r {os.path.relpath(HERE / 'requirements.txt')}"

INDICATOR_1 = """
indicator 1 "ร้อยละของครัวเรือนยากจนเป้าหมายที่มีรายได้ต่ำกว่าเกณฑ์ จปฐ. ได้รับการพัฒนา"
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


def catalogue() -> kpirules.RuleSet:
    """The shipped 2565 catalogue, or indicator 1 written inline when it is not shipped."""
    try:
        from kpirules import catalogue as shipped

        return shipped.load("cdd-2565-r1")
    except (ImportError, AttributeError, kpirules.KpiRulesError, OSError):
        return kpirules.parse(INDICATOR_1, source="indicator-1.kpi")


# ------------------------------------------------------------------------------------------------
# Timing


class Timings:
    """Median seconds per named engine over interleaved rounds."""

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = {}

    def run(self, engines: Mapping[str, Callable[[], object]], rounds: int) -> None:
        names = list(engines)
        for number in range(rounds):
            shift = number % len(names)
            for name in names[shift:] + names[:shift]:
                start = time.perf_counter()
                engines[name]()
                self.samples.setdefault(name, []).append(time.perf_counter() - start)

    def median(self, name: str) -> float:
        return statistics.median(self.samples[name])


def table(title: str, rows: Sequence[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(header, widths)),
             "  ".join("-" * w for w in widths)]
    for row in rows:
        lines.append("  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                               for i, (c, w) in enumerate(zip(row, widths))))
    return "\n".join(lines)


def rate_rows(timings: Timings, names: Iterable[str], count: int, baseline: str,
              unit: str = "records/s") -> list[tuple[str, ...]]:
    base = timings.median(baseline)
    rows: list[tuple[str, ...]] = []
    for name in names:
        seconds = timings.median(name)
        rows.append((name, f"{count / seconds:,.0f} {unit}", f"{seconds * 1e3:,.1f} ms",
                     f"{base / seconds:.2f}x"))
    return rows


# ------------------------------------------------------------------------------------------------
# 1. Indicator 1, record by record

_CONTEXT = decimal.Context(prec=28, traps=[decimal.DivisionByZero, decimal.InvalidOperation])
_THRESHOLDS = ((5, Decimal(85)), (4, Decimal(70)), (3, Decimal(55)), (2, Decimal(40)),
               (1, Decimal(25)))
_HUNDRED = Decimal(100)


def handwritten_1(record: Mapping[str, Any]) -> int:
    """Indicator 1 written by hand with Decimal, checking what a careful person would check."""
    target = record["target_households"]
    developed = record["developed_households"]
    if type(target) is not int or type(developed) is not int or target < 0 or developed < 0:
        raise ValueError("counts must be whole numbers 0 or more")
    if target == 0:
        raise ZeroDivisionError("target_households is 0")
    percent = _CONTEXT.multiply(_CONTEXT.divide(Decimal(developed), Decimal(target)), _HUNDRED)
    for level, threshold in _THRESHOLDS:
        if percent >= threshold:
            return level
    return 0


def records_1(count: int, seed: int = 2565) -> list[dict[str, int]]:
    """Indicator 1 records, including every threshold met exactly (57 / 100 style cases)."""
    rng = random.Random(seed)
    records = [{"target_households": 100, "developed_households": t} for t in (25, 40, 55, 70, 85)]
    records += [{"target_households": 20, "developed_households": 11},
                {"target_households": 3, "developed_households": 1}]
    while len(records) < count:
        target = rng.randint(1, 2000)
        developed = rng.randint(0, target)
        records.append({"target_households": target, "developed_households": developed})
    return records[:count]


_LADDER_1 = ("developed_households / target_households * 100 >= 85 ? 5 : "
             "developed_households / target_households * 100 >= 70 ? 4 : "
             "developed_households / target_households * 100 >= 55 ? 3 : "
             "developed_households / target_households * 100 >= 40 ? 2 : "
             "developed_households / target_households * 100 >= 25 ? 1 : 0")


def optional_engines() -> tuple[dict[str, Callable[[Mapping[str, Any]], int]], list[str]]:
    engines: dict[str, Callable[[Mapping[str, Any]], int]] = {}
    missing = []
    try:
        import rule_engine  # type: ignore[import-untyped]

        # rule-engine has no ternary chaining without parentheses; nest them.
        parts = _LADDER_1.split(" : ")
        text = parts[-1]
        for part in reversed(parts[:-1]):
            text = f"({part} : {text})"
        rule = rule_engine.Rule(text)
        engines["rule-engine"] = lambda record: int(rule.evaluate(record))
    except ImportError:
        missing.append("rule-engine")
    try:
        import zen

        expression = zen.compile_expression(_LADDER_1)
        engines["zen-engine"] = lambda record: int(expression.evaluate(dict(record)))
    except ImportError:
        missing.append("zen-engine")
    return engines, missing


def bench_indicator_1(rules: kpirules.RuleSet, count: int, rounds: int) -> list[str]:
    indicator = rules["1"]
    records = records_1(count)
    single: dict[str, Callable[[Mapping[str, Any]], int]] = {
        "hand-written Decimal": handwritten_1,
        "kpirules Indicator.evaluate": lambda record: indicator.evaluate(record).level,
    }
    extra, missing = optional_engines()
    single.update(extra)
    reference = [handwritten_1(record) for record in records]
    for name, engine in single.items():
        levels = [engine(record) for record in records]
        wrong = sum(a != b for a, b in zip(levels, reference))
        assert not wrong, f"{name} disagrees with the baseline on {wrong} records"
    many = [r.level for r in indicator.evaluate_many(records)]  # type: ignore[union-attr]
    assert many == reference, "evaluate_many disagrees"

    def loop(engine: Callable[[Mapping[str, Any]], int]) -> Callable[[], object]:
        return lambda: [engine(record) for record in records]

    engines: dict[str, Callable[[], object]] = {name: loop(e) for name, e in single.items()}
    engines["kpirules Indicator.evaluate_many"] = lambda: [
        r.level for r in indicator.evaluate_many(records)]  # type: ignore[union-attr]
    timings = Timings()
    timings.run(engines, rounds)
    rows = rate_rows(timings, engines, count, "hand-written Decimal")
    out = [table(f"1. Indicator 1, {count:,} records, all engines agree on every record",
                 rows, ("engine", "throughput", "median", "vs baseline"))]
    if missing:
        out.append(f"   skipped (not installed): {', '.join(missing)}; {INSTALL}")
    return out


# ------------------------------------------------------------------------------------------------
# 2. The whole scorecard


def handwritten_scorecard(records: Mapping[str, Mapping[str, Any]]) -> tuple[list[int], Decimal]:
    """The 2565 catalogue by hand: levels of indicators 1-7 and the weighted total."""

    def ordered(holds: Sequence[bool]) -> int:
        for number, held in enumerate(holds):
            if not held:
                return number
        return len(holds)

    def done(record: Mapping[str, Any]) -> set[int]:
        return set(record.get("milestones", ()))

    r1, r2, r3, r4, r5, r6, r7 = (records[str(i)] for i in range(1, 8))
    levels = [handwritten_1(r1)]
    m = done(r2)
    levels.append(ordered([k in m for k in range(1, 6)]))
    bpm, gvh = Decimal(r3["bpm_recorded_percent"]), Decimal(r3["gvh_reported_percent"])
    levels.append(ordered([bpm > 70 and gvh >= 80, bpm > 75 and gvh >= 85, bpm > 80 and gvh >= 90,
                           bpm >= 85 and gvh >= 95, bpm > 90 and gvh >= 100]))
    base, now = Decimal(r4["baseline_overdue_debt"]), Decimal(r4["overdue_debt"])
    reduction = _CONTEXT.multiply(_CONTEXT.divide(_CONTEXT.subtract(base, now), base), _HUNDRED)
    m = done(r4)
    levels.append(ordered([1 in m, 2 in m, reduction >= 0, reduction >= 5, reduction >= 10]))
    trained = Decimal(r5["trained_percent"])
    m = done(r5)
    levels.append(ordered([1 in m, 2 in m, trained >= 85, trained >= 95, trained >= 100]))
    growth = Decimal(r6["online_sales_growth_percent"])
    levels.append(ordered([growth >= t for t in (11, 12, 13, 14, 15)]))
    m = done(r7)
    levels.append(ordered([k in m for k in range(1, 6)]))
    weights = (20, 20, 15, 15, 10, 10, 10)
    total = sum((_CONTEXT.divide(Decimal(w * level), 5) for w, level in zip(weights, levels)),
                Decimal(0))
    return levels, total


def scorecards(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)

    def milestones(top: int) -> list[int]:
        return sorted(rng.sample(range(1, top + 1), rng.randint(0, top)))

    def percent() -> Decimal:
        return Decimal(rng.randint(6000, 10000)) / 100

    cards = []
    for record in records_1(count, seed):
        baseline = Decimal(rng.randint(1, 10**7)) / 100
        cards.append({
            "1": record,
            "2": {"milestones": milestones(5)},
            "3": {"bpm_recorded_percent": percent(), "gvh_reported_percent": percent()},
            "4": {"baseline_overdue_debt": baseline,
                  "overdue_debt": baseline * Decimal(rng.randint(80, 105)) / 100,
                  "milestones": milestones(2)},
            "5": {"trained_percent": percent(), "milestones": milestones(2)},
            "6": {"online_sales_growth_percent": Decimal(rng.randint(900, 1700)) / 100},
            "7": {"milestones": milestones(5)},
        })
    return cards


def bench_scorecard(rules: kpirules.RuleSet, count: int, rounds: int) -> list[str]:
    if len(rules) != 7:
        return ["2. Scorecard: skipped (the shipped catalogue cdd-2565-r1 is not installed)"]
    cards = scorecards(count)
    for card in cards:
        levels, total = handwritten_scorecard(card)
        result = rules.evaluate(card)
        assert [r.level for r in result.results] == levels, (card, levels)
        assert result.total == total, (card, result.total, total)
    batch = [card.total for card in rules.evaluate_many(cards)]  # type: ignore[union-attr]
    assert batch == [handwritten_scorecard(card)[1] for card in cards]
    engines: dict[str, Callable[[], object]] = {
        "hand-written Decimal": lambda: [handwritten_scorecard(card) for card in cards],
        "kpirules RuleSet.evaluate": lambda: [rules.evaluate(card).total for card in cards],
        "kpirules RuleSet.evaluate_many": lambda: [
            card.total for card in rules.evaluate_many(cards)],  # type: ignore[union-attr]
    }
    timings = Timings()
    timings.run(engines, rounds)
    rows = rate_rows(timings, engines, count, "hand-written Decimal", "scorecards/s")
    return [table(f"2. The 7-indicator scorecard, {count:,} subjects, totals agree exactly",
                  rows, ("engine", "throughput", "median", "vs baseline"))]


# ------------------------------------------------------------------------------------------------
# 3. Import time


def bench_import(runs: int) -> list[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                      env.get("PYTHONPATH", "")]))
    commands = {"python -c pass": "pass", "python -c 'import kpirules'": "import kpirules",
                "python -c 'import decimal'": "import decimal"}
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, code in commands.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=env)
            samples[name].append(time.perf_counter() - start)
    bare = statistics.median(samples["python -c pass"])
    rows = []
    for name, values in samples.items():
        median = statistics.median(values)
        rows.append((name, f"{median * 1e3:,.1f} ms", f"+{(median - bare) * 1e3:,.1f} ms",
                     f"{median / bare:.2f}x"))
    return [table(f"3. Start-up, median of {runs} fresh interpreters", rows,
                  ("command", "wall time", "over bare", "vs bare"))]


# ------------------------------------------------------------------------------------------------
# 4. Parsing and compiling 1,000 indicators


def generated_file(count: int) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    """A rule file of ``count`` indicators in four shapes, and one valid record for each."""
    lines = ['catalogue "generated"', "year 2565", "round 1"]
    records: list[tuple[str, dict[str, Any]]] = []
    for n in range(1, count + 1):
        shape = n % 4
        lines.append(f'indicator {n} "Generated indicator {n}"')
        lines.append(f"  weight {1 + n % 9}")
        if shape == 0:
            lines += ["  measure target count", "  measure done count",
                      "  let percent = done / target * 100"]
            lines += [f"  level {k} if percent >= {10 * k + n % 7}" for k in range(1, 6)]
            records.append((str(n), {"target": 200, "done": 130}))
        elif shape == 1:
            lines += ["  measure a number in 0..100", "  measure b number in 0..100"]
            lines += [f"  level {k} if a > {60 + 5 * k} and b >= {70 + 5 * k}" for k in range(1, 6)]
            records.append((str(n), {"a": Decimal("81.5"), "b": 90}))
        elif shape == 2:
            lines += ["  measure base number in 0..", "  measure now number in 0..",
                      "  let cut = (base - now) / base * 100",
                      '  level 1 milestone "database"', '  level 2 milestone "plan"',
                      "  level 3 if cut >= 0", "  level 4 if cut >= 5", "  level 5 if cut >= 10"]
            records.append((str(n), {"base": 1000, "now": 930, "milestones": [1, 2]}))
        else:
            lines += ["  measure growth number"]
            lines += [f"  level {k} if growth >= {10 + k}" for k in range(1, 6)]
            lines.append("  score interpolate")
            records.append((str(n), {"growth": Decimal("12.25")}))
    return "\n".join(lines) + "\n", records


def bench_parse(count: int, rounds: int) -> list[str]:
    text, records = generated_file(count)
    parse_times, compile_times = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        rules = kpirules.parse(text, source="generated.kpi")
        middle = time.perf_counter()
        for ident, record in records:  # the first evaluation compiles each indicator
            rules[ident].evaluate(record)
        end = time.perf_counter()
        parse_times.append(middle - start)
        compile_times.append(end - middle)
    parse, compile_ = statistics.median(parse_times), statistics.median(compile_times)
    rows = [("parse (text → checked RuleSet)", f"{parse * 1e3:,.0f} ms",
             f"{count / parse:,.0f} indicators/s"),
            ("compile (first evaluate of each)", f"{compile_ * 1e3:,.0f} ms",
             f"{count / compile_:,.0f} indicators/s"),
            ("parse + compile", f"{(parse + compile_) * 1e3:,.0f} ms",
             f"{count / (parse + compile_):,.0f} indicators/s")]
    size = len(text.encode())
    return [table(f"4. A generated file of {count:,} indicators ({size / 1024:,.0f} KiB, "
                  f"{text.count(chr(10)):,} lines), median of {rounds}", rows,
                  ("step", "time", "rate"))]


# ------------------------------------------------------------------------------------------------
# 5. SQL on DuckDB

_SQL_ROWS_1 = """
CREATE OR REPLACE TABLE records AS
SELECT i AS subject,
       1 + hash(i) % 2000 AS "1.target_households",
       hash(i * 7 + 3) % (2 + hash(i) % 2000) AS "1.developed_households"
FROM range({rows}) AS r(i)
"""

_HANDWRITTEN_SQL_1 = """
SELECT subject,
  CASE WHEN t IS NULL OR d IS NULL OR t <= 0 OR d < 0 THEN NULL
       WHEN d * 100 >= 85 * t THEN 5 WHEN d * 100 >= 70 * t THEN 4 WHEN d * 100 >= 55 * t THEN 3
       WHEN d * 100 >= 40 * t THEN 2 WHEN d * 100 >= 25 * t THEN 1 ELSE 0 END AS level
FROM (SELECT subject, "1.target_households" AS t, "1.developed_households" AS d FROM records)
"""

_FLOAT_SQL_1 = """
SELECT subject,
  CASE WHEN p >= 85 THEN 5 WHEN p >= 70 THEN 4 WHEN p >= 55 THEN 3 WHEN p >= 40 THEN 2
       WHEN p >= 25 THEN 1 ELSE 0 END AS level
FROM (SELECT subject, CAST("1.developed_households" AS DOUBLE) / "1.target_households" * 100 AS p
      FROM records)
"""

# The scorecard's table has the types a warehouse would give these figures: INTEGER counts of
# households, DECIMAL(15, 2) percentages and baht, BOOLEAN milestones. (Indicator 1's table
# above keeps hash()'s UBIGINT counts, whose range needs kpirules' range guard.)
_SQL_ROWS_CARD = """
CREATE OR REPLACE TABLE records AS
SELECT subject, "1.target_households", "1.developed_households",
  "2.milestones.1", "2.milestones.2", "2.milestones.3", "2.milestones.4", "2.milestones.5",
  CAST(p1 AS DECIMAL(12, 0)) * 0.01 AS "3.bpm_recorded_percent",
  CAST(p2 AS DECIMAL(12, 0)) * 0.01 AS "3.gvh_reported_percent",
  CAST(debt AS DECIMAL(12, 0)) * 0.01 AS "4.baseline_overdue_debt",
  CAST(debt * cut // 100 AS DECIMAL(12, 0)) * 0.01 AS "4.overdue_debt",
  "4.milestones.1", "4.milestones.2",
  CAST(p3 AS DECIMAL(12, 0)) * 0.01 AS "5.trained_percent",
  "5.milestones.1", "5.milestones.2",
  CAST(growth AS DECIMAL(12, 0)) * 0.01 AS "6.online_sales_growth_percent",
  "7.milestones.1", "7.milestones.2", "7.milestones.3", "7.milestones.4", "7.milestones.5"
FROM (
  SELECT i AS subject,
    CAST(1 + hash(i) % 2000 AS INTEGER) AS "1.target_households",
    CAST(hash(i * 7 + 3) % (2 + hash(i) % 2000) AS INTEGER) AS "1.developed_households",
    hash(i + 1) % 2 = 0 AS "2.milestones.1", hash(i + 2) % 3 > 0 AS "2.milestones.2",
    hash(i + 3) % 2 = 0 AS "2.milestones.3", hash(i + 4) % 3 > 0 AS "2.milestones.4",
    hash(i + 5) % 2 = 0 AS "2.milestones.5",
    6000 + hash(i + 6) % 4001 AS p1, 6000 + hash(i + 7) % 4001 AS p2,
    1 + hash(i + 8) % 10000000 AS debt, 80 + hash(i + 9) % 26 AS cut,
    hash(i + 10) % 4 > 0 AS "4.milestones.1", hash(i + 11) % 4 > 0 AS "4.milestones.2",
    6000 + hash(i + 12) % 4001 AS p3,
    hash(i + 13) % 4 > 0 AS "5.milestones.1", hash(i + 14) % 4 > 0 AS "5.milestones.2",
    900 + hash(i + 15) % 801 AS growth,
    hash(i + 16) % 2 = 0 AS "7.milestones.1", hash(i + 17) % 3 > 0 AS "7.milestones.2",
    hash(i + 18) % 2 = 0 AS "7.milestones.3", hash(i + 19) % 3 > 0 AS "7.milestones.4",
    hash(i + 20) % 2 = 0 AS "7.milestones.5"
  FROM range({rows}) AS r(i)
)
"""


def _ladder(conditions: Sequence[str]) -> str:
    # A milestone is tested as `m = FALSE`, not `NOT m`: DuckDB selects rows on a comparison
    # directly but computes a NOT into a vector first, which makes a ladder of five milestones
    # more than twice as slow. (It rewrites `NOT (a >= b)` as `a < b` itself.)
    branches = " ".join(
        f"WHEN {c} = FALSE THEN {k}" if c.startswith("COALESCE") else f"WHEN NOT ({c}) THEN {k}"
        for k, c in enumerate(conditions))
    return f"CASE {branches} ELSE {len(conditions)} END"


def handwritten_scorecard_sql(checked: bool = True) -> str:
    """The 2565 scorecard in plain DuckDB SQL, exact (cross-multiplied, no division); without
    ``checked``, with no input checks at all (a lower bound on the work of any exact query)."""
    m = [[f'COALESCE("{i}.milestones.{k}", FALSE)' for k in range(1, 6)] for i in range(1, 8)]
    t, d = '"1.target_households"', '"1.developed_households"'
    bpm, gvh = '"3.bpm_recorded_percent"', '"3.gvh_reported_percent"'
    base, now = '"4.baseline_overdue_debt"', '"4.overdue_debt"'
    trained, growth = '"5.trained_percent"', '"6.online_sales_growth_percent"'
    levels = [
        _ladder([f"{d} * 100 >= {x} * {t}" for x in (25, 40, 55, 70, 85)]),
        _ladder(m[1]),
        _ladder([f"{bpm} > 70 AND {gvh} >= 80", f"{bpm} > 75 AND {gvh} >= 85",
                 f"{bpm} > 80 AND {gvh} >= 90", f"{bpm} >= 85 AND {gvh} >= 95",
                 f"{bpm} > 90 AND {gvh} >= 100"]),
        _ladder([m[3][0], m[3][1], *(f"({base} - {now}) * 100 >= {x} * {base}"
                                     for x in (0, 5, 10))]),
        _ladder([m[4][0], m[4][1], *(f"{trained} >= {x}" for x in (85, 95, 100))]),
        _ladder([f"{growth} >= {x}" for x in (11, 12, 13, 14, 15)]),
        _ladder(m[6]),
    ]
    valid = (f"{t} > 0 AND {d} >= 0 AND {base} > 0 AND {now} >= 0 AND {bpm} BETWEEN 0 AND 100 "
             f"AND {gvh} BETWEEN 0 AND 100 AND {trained} BETWEEN 0 AND 100 AND {growth} IS NOT NULL")
    columns = ",\n  ".join((f'CASE WHEN {valid} THEN {level} END' if checked else level)
                           + f' AS "l{i}"' for i, level in enumerate(levels, 1))
    total = " + ".join(f'"l{i}" * {w}' for i, w in enumerate((20, 20, 15, 15, 10, 10, 10), 1))
    return (f"SELECT *, CAST(({total}) AS DECIMAL(38, 0)) * 0.2 AS total FROM (\n"
            f"SELECT subject,\n  {columns}\nFROM records)")


def bench_duckdb(rules: kpirules.RuleSet, rows: int, rounds: int) -> list[str]:
    try:
        import duckdb
    except ImportError:
        return [f"5. SQL: skipped (duckdb is not installed; {INSTALL})"]
    con = duckdb.connect()
    out = []
    con.execute(_SQL_ROWS_1.format(rows=rows))

    def column_types() -> dict[str, str]:
        return {str(row[0]): str(row[1]) for row in con.execute("DESCRIBE records").fetchall()}

    ours = rules["1"].to_sql(table="records", dialect="duckdb")
    typed = rules["1"].to_sql(table="records", dialect="duckdb", types=column_types())
    for query in (ours, typed):
        wrong = con.execute(
            f"SELECT count(*) FROM ({query}) AS a JOIN ({_HANDWRITTEN_SQL_1}) AS b "
            "USING (subject) WHERE a.level IS DISTINCT FROM b.level").fetchone()
        assert wrong == (0,), f"kpirules SQL disagrees with hand-written SQL on {wrong} rows"
    wrong = con.execute(
        f"SELECT count(*) FROM ({ours}) AS a JOIN ({typed}) AS b USING (subject) WHERE "
        "(a.level, a.score, a.points, a.error) IS DISTINCT FROM (b.level, b.score, b.points, "
        "b.error)").fetchone()
    assert wrong == (0,), f"indicator_sql with types= disagrees on {wrong} rows"
    floats = con.execute(
        f"SELECT count(*) FROM ({_FLOAT_SQL_1}) AS a JOIN ({_HANDWRITTEN_SQL_1}) AS b "
        "USING (subject) WHERE a.level IS DISTINCT FROM b.level").fetchone()

    def consume(query: str, columns: str) -> Callable[[], object]:
        return lambda: con.execute(f"SELECT {columns} FROM ({query})").fetchall()

    engines = {
        "hand-written SQL (exact, cross-multiplied)": consume(_HANDWRITTEN_SQL_1,
                                                              "count(*), sum(level)"),
        "hand-written SQL (DOUBLE division)": consume(_FLOAT_SQL_1, "count(*), sum(level)"),
        "kpirules indicator_sql": consume(
            ours, "count(*), sum(level), sum(score), sum(points), count(error)"),
        "kpirules indicator_sql(types=...)": consume(
            typed, "count(*), sum(level), sum(score), sum(points), count(error)"),
    }
    timings = Timings()
    timings.run(engines, rounds)
    table_rows = rate_rows(timings, engines, rows, "hand-written SQL (exact, cross-multiplied)",
                           "rows/s")
    python_rows = min(rows, 200_000)
    records = [{"target_households": t, "developed_households": d} for t, d in con.execute(
        'SELECT "1.target_households", "1.developed_households" FROM records '
        f"LIMIT {python_rows}").fetchall()]
    indicator = rules["1"]
    start = time.perf_counter()
    for record in records:
        indicator.evaluate(record)
    python_rate = python_rows / (time.perf_counter() - start)
    sql_rate = rows / timings.median("hand-written SQL (exact, cross-multiplied)")
    table_rows.append(("kpirules Indicator.evaluate (Python, for scale)",
                       f"{python_rate:,.0f} rows/s", f"({python_rows:,} rows)",
                       f"{python_rate / sql_rate:.2f}x"))
    threads = con.execute("SELECT current_setting('threads')").fetchone()
    out.append(table(f"5a. SQL on DuckDB {duckdb.__version__}, indicator 1, {rows:,} rows, "
                     f"threads={threads[0] if threads else '?'}",
                     table_rows, ("query", "throughput", "median", "vs hand-written")))
    out.append(f"    kpirules SQL = hand-written exact SQL on all {rows:,} rows; the DOUBLE "
               f"version differs on {floats[0] if floats else '?'} rows")
    if len(rules) == 7:
        con.execute(_SQL_ROWS_CARD.format(rows=rows))
        card = rules.to_sql(table="records", dialect="duckdb")
        typed_card = rules.to_sql(table="records", dialect="duckdb", types=column_types())
        hand = handwritten_scorecard_sql()
        for query in (card, typed_card):
            wrong = con.execute(
                f"SELECT count(*) FROM ({query}) AS a JOIN ({hand}) AS b USING (subject) "
                "WHERE a.total IS DISTINCT FROM b.total").fetchone()
            assert wrong == (0,), f"kpirules scorecard SQL disagrees on {wrong} rows"
        wrong = con.execute(
            f"SELECT count(*) FROM ({card}) AS a JOIN ({typed_card}) AS b USING (subject) "
            "WHERE (a.total, a.error) IS DISTINCT FROM (b.total, b.error)").fetchone()
        assert wrong == (0,), f"ruleset_sql with types= disagrees on {wrong} rows"
        unchecked = handwritten_scorecard_sql(checked=False)
        wrong = con.execute(
            f"SELECT count(*) FROM ({unchecked}) AS a JOIN ({hand}) AS b USING (subject) "
            "WHERE a.total IS DISTINCT FROM b.total").fetchone()
        assert wrong == (0,), f"the unchecked scorecard SQL disagrees on {wrong} rows"
        engines = {
            "hand-written SQL": consume(hand, "count(*), sum(total)"),
            "hand-written SQL without input checks": consume(unchecked, "count(*), sum(total)"),
            "kpirules ruleset_sql": consume(card, "count(*), sum(total), count(error)"),
            "kpirules ruleset_sql(types=...)": consume(
                typed_card, "count(*), sum(total), count(error)"),
        }
        timings = Timings()
        timings.run(engines, rounds)
        out.append(table(f"5b. SQL on DuckDB, the 7-indicator scorecard, {rows:,} rows "
                         "(totals agree on every row)",
                         rate_rows(timings, engines, rows, "hand-written SQL", "rows/s"),
                         ("query", "throughput", "median", "vs hand-written")))
    con.close()
    return out


# ------------------------------------------------------------------------------------------------


def _column_types(con: Any) -> dict[str, str]:
    return {str(row[0]): str(row[1]) for row in con.execute("DESCRIBE records").fetchall()}


# 6. The language server


def bench_language_server(edits: int) -> list[str]:
    try:
        from lsp_latency import bench_lsp
    except ImportError as error:
        return [f"6. Language server: skipped ({error}); pip install -e \".[lsp]\""]
    return [table(*bench_lsp(edits))]


# ------------------------------------------------------------------------------------------------
def machine() -> str:
    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    packages = ", ".join(f"{name} {version(name)}" for name in
                         ("kpirules", "lark", "duckdb", "rule-engine", "zen-engine", "pygls"))
    return (f"machine: {platform.platform()}, {platform.machine()}, "
            f"{os.cpu_count()} logical cores, {platform.processor() or 'cpu unknown'}\n"
            f"python: {platform.python_implementation()} {platform.python_version()}\n"
            f"packages: {packages}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=20_000,
                        help="records per round for the Python engines (default 20,000)")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    parser.add_argument("--rows", type=int, default=1_000_000,
                        help="rows for the SQL benchmark (default 1,000,000)")
    parser.add_argument("--large", action="store_true", help="10,000,000 SQL rows")
    parser.add_argument("--indicators", type=int, default=1000,
                        help="indicators in the generated file (default 1,000)")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, to check that everything runs")
    parser.add_argument("--edits", type=int, default=200,
                        help="edits timed in the language server section (default 200)")
    parser.add_argument("--only", choices=("engines", "scorecard", "import", "parse", "sql", "lsp",
                                           "dialects", "growth", "cli"),
                        action="append", help="run only these sections (dialects, growth and "
                                              "cli, which take minutes, run only when named)")
    parser.add_argument("--copies", type=int, default=40_000,
                        help="cli: copies of the example records (default 40,000: 4.44 M rows)")
    parser.add_argument("--huge", action="store_true",
                        help="growth: also 100,000,000 rows (several GB of disk)")
    parser.add_argument("--memory-limit", default="1GB",
                        help="growth: DuckDB's memory_limit, below the larger tables' size so "
                             "that DuckDB works out of core (default 1GB; '' for DuckDB's own, "
                             "80%% of the memory)")
    args = parser.parse_args(argv)
    if args.quick:
        args.records, args.rounds, args.rows, args.indicators = 2000, 3, 20_000, 100
        args.edits = 20
        args.copies = 500
    if args.large:
        args.rows = 10_000_000
    sections = set(args.only or ("engines", "scorecard", "import", "parse", "sql", "lsp"))
    print(machine())
    print(f"optional engines: {INSTALL}\n")
    rules = catalogue()
    steps: list[tuple[str, Callable[[], list[str]]]] = [
        ("engines", lambda: bench_indicator_1(rules, args.records, args.rounds)),
        ("scorecard", lambda: bench_scorecard(rules, args.records // 4, args.rounds)),
        ("import", lambda: bench_import(max(args.rounds, 5) + 4)),
        ("parse", lambda: bench_parse(args.indicators, max(3, args.rounds // 2))),
        ("sql", lambda: bench_duckdb(rules, args.rows, max(3, args.rounds // 2))),
        ("lsp", lambda: bench_language_server(args.edits)),
        ("dialects", lambda: bench_dialects(rules, args.rows, args.rounds, table)),
        ("growth", lambda: bench_growth(
            rules, [args.rows, 10 * args.rows] + ([100 * args.rows] if args.huge else []),
            _SQL_ROWS_CARD, _column_types, table, max(3, args.rounds // 2),
            args.memory_limit)),
        ("cli", lambda: bench_cli(args.copies, max(3, args.rounds // 2), table)),
    ]
    for name, step in steps:
        if name in sections:
            print("\n".join(step()), end="\n\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
