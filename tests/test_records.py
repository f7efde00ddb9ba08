"""Reading records files (kpirules._records): layouts, conversions, row numbers, grouping."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import kpirules
from kpirules._records import (
    RecordReader,
    RecordsError,
    StrayRow,
    Subject,
    flag_value,
)

DATA = Path(__file__).parent / "data" / "cli"
RULES = kpirules.load(DATA / "rules.kpi")
HEADER = "subject,indicator,measure,value\n"


def read(tmp_path: Path, text: str, name: str = "records.csv", **options: Any
         ) -> list[Subject | StrayRow]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return list(RecordReader(str(path), RULES, **options))


def subjects(items: list[Subject | StrayRow]) -> dict[str, Subject]:
    return {item.name: item for item in items if isinstance(item, Subject)}


def messages(subject: Subject) -> list[tuple[int | None, str]]:
    return [(problem.row, problem.text()) for problem in subject.problems]


A_ROWS = """A,1,target,400
A,1,developed,230
A,2,milestones,1
A,2,milestones,2
A,2,trained,90
A,3,online,true
A,3,growth,12.5
"""


@pytest.mark.parametrize(("cell", "expected"), [
    ("true", True), ("TRUE", True), (" Yes ", True), ("1", True), ("ใช่", True), ("๑", True),
    ("false", False), ("No", False), ("0", False), ("ไม่ใช่", False), (" ๐ ", False),
    (True, True), (False, False), (1, True), (0, False), (1.0, True), (0.0, False),
    ("maybe", None), ("", None), ("2", None), (2, None), (None, None), ("y", None),
])
def test_flag_cells(cell: Any, expected: bool | None) -> None:
    assert flag_value(cell) is expected


def test_csv_subject_records_are_converted_by_measure_kind(tmp_path: Path) -> None:
    [a] = read(tmp_path, HEADER + A_ROWS)
    assert isinstance(a, Subject)
    assert a.name == "A"
    assert a.problems == []
    # numbers stay text for the library to convert; flags become bool; milestones become ints
    assert a.records == {
        "1": {"target": "400", "developed": "230"},
        "2": {"milestones": [1, 2], "trained": "90"},
        "3": {"online": True, "growth": "12.5"},
    }
    assert (a.first_row, a.last_row) == (2, 8)
    assert a.rows[("1", "developed")] == 3
    assert a.row_of("3", "growth") == 8
    assert a.row_of("1", None) == 2


def test_header_is_found_in_any_order_case_and_with_extra_columns(tmp_path: Path) -> None:
    text = " Value ,Note,SUBJECT,measure,Indicator\n400,x,A,target,1\n230,,A,developed,1\n"
    [a] = read(tmp_path, text)
    assert isinstance(a, Subject)
    assert a.records["1"] == {"target": "400", "developed": "230"}


def test_blank_rows_are_skipped_but_counted(tmp_path: Path) -> None:
    text = "\n" + HEADER + "A,1,target,400\n,,,\n\nA,1,developed,x\n" + A_ROWS.split("\n", 2)[2]
    [a] = read(tmp_path, text)
    assert isinstance(a, Subject)
    # the header is row 2 here; the bad value is on row 6 (rows 4 and 5 are blank)
    assert a.rows[("1", "developed")] == 6


def test_missing_header_column_is_unusable(tmp_path: Path) -> None:
    with pytest.raises(RecordsError, match=r"records.csv:1: the header has no `value` column"):
        read(tmp_path, "subject,indicator,measure\nA,1,target\n")


def test_header_with_repeated_column_is_unusable(tmp_path: Path) -> None:
    with pytest.raises(RecordsError, match="two `value` columns"):
        read(tmp_path, "subject,indicator,measure,value,value\n")


def test_empty_file_is_unusable(tmp_path: Path) -> None:
    with pytest.raises(RecordsError, match="the file is empty"):
        read(tmp_path, "")


def test_header_only_gives_no_subjects(tmp_path: Path) -> None:
    assert read(tmp_path, HEADER) == []


def test_short_row_is_a_missing_value(tmp_path: Path) -> None:
    [a] = read(tmp_path, HEADER + "A,1,target\n" + A_ROWS.split("\n", 1)[1])
    assert isinstance(a, Subject)
    assert messages(a) == [(2, "indicator 1: the row has no value for `target`")]


@pytest.mark.parametrize(("row", "message"), [
    ("A,9,x,1", "indicator `9` is not in the rules; the indicators are `1`, `2`, `3`"),
    ("A,,x,1", "the row has no indicator"),
    ("A,1,,1", "indicator 1: the row has no measure"),
    ("A,1,targt,1", "indicator 1: unknown measure `targt`; did you mean `target`?"),
    ("A,2,milestones,3", "indicator 2: `milestones` must be the number of a milestone level "
                         "(1, 2), not '3'"),
    ("A,2,milestones,one", "indicator 2: `milestones` must be the number of a milestone level "
                           "(1, 2), not 'one'"),
    ("A,1,milestones,1", "indicator 1 has no milestone levels, so it takes no `milestones` rows"),
    ("A,1,target,5", "indicator 1: a second value for `target` (the first is on row 2); keep one"),
])
def test_rejected_rows_name_their_row(tmp_path: Path, row: str, message: str) -> None:
    [a] = read(tmp_path, HEADER + A_ROWS + row + "\n")
    assert isinstance(a, Subject)
    assert messages(a) == [(9, message)]


def test_a_flag_that_is_not_one(tmp_path: Path) -> None:
    [a] = read(tmp_path, HEADER + A_ROWS.replace("A,3,online,true", "A,3,online,maybe"))
    assert isinstance(a, Subject)
    assert messages(a) == [(7, "indicator 3: `online` is a flag: write true or false (yes/no, 1/0, "
                               "ใช่/ไม่ใช่), not 'maybe'")]


def test_unknown_measure_is_skipped_without_strict(tmp_path: Path) -> None:
    [a] = read(tmp_path, HEADER + A_ROWS + "A,1,targt,1\n", strict=False)
    assert isinstance(a, Subject)
    assert a.problems == []
    assert a.records["1"] == {"target": "400", "developed": "230"}


def test_milestone_values_accept_thai_digits_and_whole_decimals(tmp_path: Path) -> None:
    rows = A_ROWS.replace("A,2,milestones,1", "A,2,milestones, ๑ ").replace(
        "A,2,milestones,2", "A,2,milestones,2.0")
    [a] = read(tmp_path, HEADER + rows + "A,2,milestones,1\n")
    assert isinstance(a, Subject)
    assert a.problems == []
    assert a.records["2"]["milestones"] == [1, 2]


def test_milestone_only_indicator_without_rows_means_none_done(tmp_path: Path) -> None:
    rules = kpirules.parse('indicator 7 "Big data"\n  weight 100\n  level 1 milestone "a"\n'
                           '  level 2 milestone "b"\n')
    path = tmp_path / "records.csv"
    path.write_text(HEADER + "A,7,milestones,1\nB,7,milestones,2\n", encoding="utf-8")
    items = list(RecordReader(str(path), rules))
    assert [(s.name, s.records, s.problems) for s in items if isinstance(s, Subject)] == [
        ("A", {"7": {"milestones": [1]}}, []), ("B", {"7": {"milestones": [2]}}, [])]


def test_indicator_with_measures_and_no_rows_is_rejected(tmp_path: Path) -> None:
    rows = "\n".join(line for line in A_ROWS.splitlines() if not line.startswith("A,3")) + "\n"
    [a] = read(tmp_path, HEADER + rows)
    assert isinstance(a, Subject)
    assert messages(a) == [(2, "no rows for indicator 3 (it needs `online`, `growth`)")]


def test_subjects_are_grouped_as_they_come(tmp_path: Path) -> None:
    b_rows = A_ROWS.replace("A,", "B,")
    items = read(tmp_path, HEADER + A_ROWS + b_rows)
    assert [item.name for item in items if isinstance(item, Subject)] == ["A", "B"]


def test_a_subject_whose_rows_come_back_is_not_merged(tmp_path: Path) -> None:
    b_rows = A_ROWS.replace("A,", "B,")
    items = read(tmp_path, HEADER + A_ROWS + b_rows + "A,1,target,1\n")
    assert [type(item).__name__ for item in items] == ["Subject", "Subject", "StrayRow"]
    stray = items[2]
    assert isinstance(stray, StrayRow)
    assert (stray.row, stray.subject) == (16, "A")
    assert "rows must be together, but they ended on row 8" in stray.text()
    assert subjects(items)["A"].records["1"]["target"] == "400"


def test_a_row_without_subject_is_stray_and_does_not_end_the_group(tmp_path: Path) -> None:
    lines = A_ROWS.splitlines(keepends=True)
    items = read(tmp_path, HEADER + lines[0] + ",1,target,5\n" + "".join(lines[1:]))
    assert [type(item).__name__ for item in items] == ["StrayRow", "Subject"]
    assert (items[0].row, items[0].subject, items[0].text()) == (3, None, "the row has no subject")
    assert isinstance(items[1], Subject) and items[1].problems == []


def test_only_reads_one_subject_and_remembers_the_others(tmp_path: Path) -> None:
    bad_b = "B,1,target,x\nB,9,y,1\n"
    path = tmp_path / "records.csv"
    path.write_text(HEADER + bad_b + A_ROWS + "C,1,target,1\n", encoding="utf-8")
    reader = RecordReader(str(path), RULES, only="A")
    items = list(reader)
    assert [item.name for item in items if isinstance(item, Subject)] == ["A"]
    assert reader.names == ["B", "C"]


def test_xlsx_first_sheet_with_numbers_in_cells(tmp_path: Path) -> None:
    import openpyxl
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [("subject", "indicator", "measure", "value"), (101, 1, "target", 400),
                (101, 1, "developed", 230.0), (101, 2, "milestones", 1),
                (101, 2, "milestones", 2.0), (101, 2, "trained", 90), (None, None, None, None),
                (101, 3, "online", True), (101, "3", "growth", 12.5)]:
        sheet.append(row)
    book.create_sheet("notes").append(["not read"])
    path = tmp_path / "records.xlsx"
    book.save(path)
    [subject] = list(RecordReader(str(path), RULES))
    assert isinstance(subject, Subject)
    assert subject.name == "101"
    assert subject.records == {
        "1": {"target": 400, "developed": 230.0},
        "2": {"milestones": [1, 2], "trained": 90},
        "3": {"online": True, "growth": 12.5},
    }
    assert subject.rows[("3", "growth")] == 9


def test_json_numbers_are_decimals_from_their_digits(tmp_path: Path) -> None:
    text = ('{"A": {"1": {"target": 400, "developed": 230}, "2": {"milestones": [1, 2], '
            '"trained": 90.10}, "3": {"online": true, "growth": 0.1}}}')
    [a] = read(tmp_path, text, "records.json")
    assert isinstance(a, Subject)
    assert a.problems == []
    assert a.records["2"]["trained"] == Decimal("90.10")
    assert str(a.records["3"]["growth"]) == "0.1"
    assert a.records["3"]["online"] is True


def test_json_repeated_keys_are_rejected(tmp_path: Path) -> None:
    text = ('{"A": {"1": {"target": 1, "target": 2, "developed": 1}, "2": {"trained": 1}, '
            '"2": {"trained": 2}, "3": {"online": true, "growth": 1}}, "A": {}}')
    [a] = read(tmp_path, text, "records.json")
    assert isinstance(a, Subject)
    found = [problem.text() for problem in a.problems]
    assert 'subject "A" appears more than once in the file; keep one' in found


def test_json_inner_repeated_keys_are_rejected(tmp_path: Path) -> None:
    text = ('{"A": {"1": {"target": 1, "target": 2, "developed": 1}, "2": {"trained": 1}, '
            '"2": {"trained": 2}, "3": {"online": true, "growth": 1}}}')
    [a] = read(tmp_path, text, "records.json")
    assert isinstance(a, Subject)
    assert [problem.text() for problem in a.problems] == [
        "indicator 2 appears more than once; keep one",
        "indicator 1: `target` appears more than once; keep one",
    ]


@pytest.mark.parametrize(("subject_json", "message"), [
    ("[1]", "a subject must be an object of indicator ids to records, not a list"),
    ('{"1": 5}', "indicator 1: a record must be an object of measures to values, not a number"),
    ('{"9": {}}', "indicator `9` is not in the rules; the indicators are `1`, `2`, `3`"),
])
def test_json_subject_shapes(tmp_path: Path, subject_json: str, message: str) -> None:
    [a] = read(tmp_path, '{"A": ' + subject_json + "}", "records.json")
    assert isinstance(a, Subject)
    assert message in [problem.text() for problem in a.problems]


def test_json_missing_indicator(tmp_path: Path) -> None:
    text = '{"A": {"1": {"target": 1, "developed": 1}, "2": {"trained": 1}}}'
    [a] = read(tmp_path, text, "records.json")
    assert isinstance(a, Subject)
    assert messages(a) == [(None, "no record for indicator 3")]


@pytest.mark.parametrize(("name", "text", "message"), [
    ("records.json", "", "the file is empty"),
    ("records.json", "[1, 2]", "the top level must be a JSON object of subjects"),
    ("records.json", '{"A": ', r"records.json:1:7: not valid JSON"),
    ("records.txt", "", r"records must be a .json, .csv, .xlsx or .parquet file, not .txt"),
    ("records.xls", "", r"save it from Excel as .xlsx or .csv"),
    ("records", "", r"records: records must be a .json, .csv, .xlsx or .parquet file$"),
])
def test_unusable_files(tmp_path: Path, name: str, text: str, message: str) -> None:
    with pytest.raises(RecordsError, match=message):
        read(tmp_path, text, name)


def test_missing_file_and_unknown_encoding(tmp_path: Path) -> None:
    with pytest.raises(RecordsError, match="no such file"):
        RecordReader(str(tmp_path / "nothing.csv"), RULES)
    (tmp_path / "r.csv").write_text(HEADER)
    with pytest.raises(RecordsError, match="unknown encoding `klingon`"):
        RecordReader(str(tmp_path / "r.csv"), RULES, encoding="klingon")


def test_encodings(tmp_path: Path) -> None:
    text = HEADER + A_ROWS.replace("A,", "ก,")
    path = tmp_path / "records.csv"
    path.write_text(text, encoding="cp874")
    with pytest.raises(RecordsError, match=r"line 2 is not valid UTF-8 text.*--encoding cp874"):
        list(RecordReader(str(path), RULES))
    [subject] = list(RecordReader(str(path), RULES, encoding="cp874"))
    assert isinstance(subject, Subject) and subject.name == "ก"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RecordsError, match="the file is UTF-8 text, not cp874"):
        list(RecordReader(str(path), RULES, encoding="cp874"))
    path.write_text(text, encoding="utf-8-sig")
    [subject] = list(RecordReader(str(path), RULES, encoding="utf-8"))
    assert isinstance(subject, Subject) and subject.name == "ก" and subject.problems == []
