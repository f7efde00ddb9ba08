"""``kpirules.frames.score`` on a DataFrame against ``RuleSet.evaluate_all`` on the same records.

One command, from the repository root (pandas and polars from ``pip install -e ".[pandas,polars]"``)::

    python benchmarks/frames.py                 # 100,000 subjects, 3 rounds
    python benchmarks/frames.py --subjects 10000 --rounds 1

The records are those a pandas or polars user has after reading a CSV file: counts as 64-bit
integers, percentages as floats with two decimals, milestones as one boolean column per level. The
dict records for ``evaluate_all`` hold the same values as Python ``int``, ``float`` and a list of
the milestones done. Before timing, every subject's total from the frame is checked to be the
total ``evaluate_all`` gives: a fast wrong answer is not a result. Engines run in interleaved
rounds; each figure is the median over the rounds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if (HERE.parent / "src" / "kpirules").is_dir():
    sys.path.insert(0, str(HERE.parent / "src"))

import kpirules  # noqa: E402
from kpirules import catalogue, frames  # noqa: E402


def make_records(count: int, seed: int = 15) -> dict[str, dict[str, dict[str, Any]]]:
    """``count`` subjects of the 2565 catalogue with values spread over every level."""
    rng = random.Random(seed)

    def done(top: int) -> list[int]:
        return [level for level in range(1, top + 1) if rng.random() < 0.8]

    def percent(low: float, high: float) -> float:
        return round(rng.uniform(low, high), 2)

    subjects = {}
    for number in range(count):
        target = rng.randint(1, 5000)
        baseline = rng.randint(1, 2_000_000)
        subjects[f"subject-{number:06d}"] = {
            "1": {"target_households": target, "developed_households": rng.randint(0, target)},
            "2": {"milestones": done(5)},
            "3": {"bpm_recorded_percent": percent(60, 100),
                  "gvh_reported_percent": percent(70, 100)},
            "4": {"baseline_overdue_debt": baseline,
                  "overdue_debt": rng.randint(0, baseline), "milestones": done(2)},
            "5": {"trained_percent": percent(80, 100), "milestones": done(2)},
            "6": {"online_sales_growth_percent": percent(5, 20)},
            "7": {"milestones": done(5)},
        }
    return subjects


def wide_columns(rules: kpirules.RuleSet,
                 records: dict[str, dict[str, dict[str, Any]]]) -> dict[str, list[Any]]:
    """The records in the wide layout, column by column."""
    table: dict[str, list[Any]] = {"subject": list(records)}
    for indicator in rules:
        for measure in indicator.measures:
            table[f"{indicator.id}.{measure.name}"] = [
                subject[indicator.id][measure.name] for subject in records.values()]
        for level in indicator.levels:
            if level.is_milestone:
                table[f"{indicator.id}.milestones.{level.number}"] = [
                    level.number in subject[indicator.id]["milestones"]
                    for subject in records.values()]
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rules = catalogue.load("cdd-2565-r1")
    records = make_records(args.subjects)
    table = wide_columns(rules, records)
    engines: dict[str, Callable[[], Any]] = {
        "RuleSet.evaluate_all (dict of records)": lambda: rules.evaluate_all(records)}
    try:
        import pandas

        pandas_frame = pandas.DataFrame(table)
        engines["frames.score (pandas DataFrame)"] = lambda: frames.score(rules, pandas_frame)
    except ImportError:
        print("pandas is not installed: skipped (pip install pandas)")
    try:
        import polars

        polars_frame = polars.DataFrame(table)
        engines["frames.score (polars DataFrame)"] = lambda: frames.score(rules, polars_frame)
    except ImportError:
        print("polars is not installed: skipped (pip install polars)")

    wanted = [card.total for card in rules.evaluate_all(records).values()
              if isinstance(card, kpirules.Scorecard)]
    assert len(wanted) == args.subjects, "every generated subject scores"
    for name, engine in engines.items():
        if name.startswith("frames"):
            got = list(engine()["total"])
            assert got == wanted, f"{name} disagrees with evaluate_all"

    times: dict[str, list[float]] = {name: [] for name in engines}
    order = list(engines)
    for round_number in range(args.rounds):
        for name in order[round_number % len(order):] + order[:round_number % len(order)]:
            start = time.perf_counter()
            engines[name]()
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times[order[0]])
    print(f"{args.subjects:,} subjects of cdd-2565-r1, median of {args.rounds} rounds "
          f"(Python {sys.version.split()[0]})")
    print("| engine | seconds | subjects/s | vs evaluate_all |")
    print("| --- | ---: | ---: | ---: |")
    for name in order:
        median = statistics.median(times[name])
        print(f"| {name} | {median:.2f} | {args.subjects / median:,.0f} | {median / base:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
