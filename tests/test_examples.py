"""The example records in `examples/`: every subject scores, to the totals worked out by hand in
`examples/README.md`, and the JSON and CSV files hold the same records."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import kpirules
from kpirules import catalogue

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# Levels per indicator 1..7, worked out by hand from the thresholds (see examples/README.md).
LEVELS = {
    "เชียงใหม่": [5, 5, 5, 5, 5, 5, 5],
    "ขอนแก่น": [4, 2, 3, 3, 4, 1, 0],
    "สงขลา": [3, 4, 1, 0, 2, 4, 3],
    "นครราชสีมา": [2, 0, 4, 4, 3, 3, 1],
    "อุบลราชธานี": [1, 3, 2, 1, 0, 2, 4],
    "พิษณุโลก": [0, 1, 0, 2, 1, 0, 2],
}
# weight × level / 5 with weights 20, 20, 15, 15, 10, 10, 10, i.e. 4, 4, 3, 3, 2, 2, 2 per level
TOTALS = {
    "เชียงใหม่": Decimal(20 + 20 + 15 + 15 + 10 + 10 + 10),                     # 100
    "ขอนแก่น": Decimal(4 * 4 + 4 * 2 + 3 * 3 + 3 * 3 + 2 * 4 + 2 * 1 + 2 * 0),   # 52
    "สงขลา": Decimal(4 * 3 + 4 * 4 + 3 * 1 + 3 * 0 + 2 * 2 + 2 * 4 + 2 * 3),     # 49
    "นครราชสีมา": Decimal(4 * 2 + 4 * 0 + 3 * 4 + 3 * 4 + 2 * 3 + 2 * 3 + 2 * 1),  # 46
    "อุบลราชธานี": Decimal(4 * 1 + 4 * 3 + 3 * 2 + 3 * 1 + 2 * 0 + 2 * 2 + 2 * 4),  # 37
    "พิษณุโลก": Decimal(4 * 0 + 4 * 1 + 3 * 0 + 3 * 2 + 2 * 1 + 2 * 0 + 2 * 2),   # 16
}
Records = dict[str, dict[str, dict[str, Any]]]


@pytest.fixture(scope="module")
def rules() -> kpirules.RuleSet:
    return catalogue.load("cdd-2565-r1")


def json_records() -> Records:
    with open(EXAMPLES / "records.json", encoding="utf-8") as handle:
        records: Records = json.load(handle)
    return records


def csv_records() -> Records:
    """The long CSV format of SPEC §7, read with nothing but the csv module."""
    records: Records = {}
    with open(EXAMPLES / "records.csv", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        assert next(reader) == ["subject", "indicator", "measure", "value"]
        for row in reader:
            subject, indicator, measure, value = row
            record = records.setdefault(subject, {}).setdefault(indicator, {})
            if measure == "milestones":
                record.setdefault("milestones", []).append(int(value))
            else:
                assert measure not in record, row
                record[measure] = value
    return records


def exact(records: Records) -> Records:
    """Every value as the Decimal kpirules takes it for (a JSON float by its shortest repr)."""
    return {
        subject: {
            indicator: {
                measure: ([int(n) for n in value] if measure == "milestones"
                          else Decimal(str(value)))
                for measure, value in record.items()
            }
            for indicator, record in indicators.items()
        }
        for subject, indicators in records.items()
    }


def test_the_hand_totals_add_up() -> None:
    weights = [20, 20, 15, 15, 10, 10, 10]
    for subject, levels in LEVELS.items():
        points = [Decimal(w) * level / 5 for w, level in zip(weights, levels, strict=True)]
        assert TOTALS[subject] == sum(points)
    assert [TOTALS[s] for s in LEVELS] == [100, 52, 49, 46, 37, 16]


def test_every_level_of_every_indicator_is_shown() -> None:
    for column in zip(*LEVELS.values(), strict=True):
        assert sorted(column) == [0, 1, 2, 3, 4, 5]


def test_at_least_four_provinces() -> None:
    assert len(json_records()) >= 4
    assert set(json_records()) == set(LEVELS)


@pytest.mark.parametrize("subject", list(LEVELS))
def test_each_json_subject_scores_as_worked_by_hand(
    rules: kpirules.RuleSet, subject: str
) -> None:
    card = rules.evaluate(json_records()[subject])
    assert [result.level for result in card] == LEVELS[subject]
    assert card.total == TOTALS[subject]


@pytest.mark.parametrize("subject", list(LEVELS))
def test_each_csv_subject_scores_the_same(rules: kpirules.RuleSet, subject: str) -> None:
    card = rules.evaluate(csv_records()[subject])
    assert [result.level for result in card] == LEVELS[subject]
    assert card.total == TOTALS[subject]


def test_every_record_is_complete(rules: kpirules.RuleSet) -> None:
    for subject, indicators in json_records().items():
        assert list(indicators) == rules.ids(), subject
        for indicator in rules:
            record = indicators[indicator.id]
            assert {m.name for m in indicator.measures} <= set(record), (subject, indicator.id)
            if any(level.is_milestone for level in indicator.levels):
                assert record["milestones"], (subject, indicator.id)


def test_the_csv_holds_the_same_records_as_the_json() -> None:
    assert exact(csv_records()) == exact(json_records())
    # and in the same order, so that reports list the subjects alike
    assert list(csv_records()) == list(json_records())
