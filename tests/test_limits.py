"""Hostile and huge input (issue 14): each documented limit, and each finding of the audit, in the
order of the audit's list. Expected values are worked out from the limits page, not from output."""

from __future__ import annotations

import collections
import csv
import io
import itertools
import os
import sqlite3
import time
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kpirules
from kpirules import cli, limits
from kpirules._safe import markdown_text, spreadsheet_cell, terminal_text


def parse_error(text: str) -> kpirules.ParseError:
    with pytest.raises(kpirules.ParseError) as caught:
        kpirules.parse(text)
    return caught.value


def evaluation_error(rules: kpirules.RuleSet, record: object) -> kpirules.EvaluationError:
    with pytest.raises(kpirules.EvaluationError) as caught:
        rules["1"].evaluate(record)  # type: ignore[arg-type]
    return caught.value


# 1. A huge level number is refused as it is read, before any list of levels is made.


def test_huge_level_number_is_refused_at_once() -> None:
    started = time.monotonic()
    error = parse_error('indicator 1 "t"\n  level 99999999999 if x >= 1\n')
    assert time.monotonic() - started < 5
    assert (error.code, error.line, error.column) == ("limit-level-number", 2, 9)
    assert "99999999999" in error.message and "100" in error.message
    assert len(str(error)) < 500


def test_level_numbers_up_to_the_limit_load() -> None:
    levels = "".join(f"  level {k} if x >= {k}\n" for k in range(1, limits.MAX_LEVELS + 1))
    rules = kpirules.parse('indicator 1 "t"\n' + levels)
    assert rules["1"].evaluate({"x": 100}).level == 100
    assert parse_error('indicator 1 "t"\n  level 101 if x >= 1\n').code == "limit-level-number"


# 2. One cell of 5,000 digits rejects its subject; the batch goes on.


RULES = 'indicator 1 "a"\n  weight 50\n  measure n count\n  level 1 if n >= 1\n  level 2 milestone "m"\n' \
        'indicator 2 "b"\n  weight 50\n  measure x\n  level 1 if x >= 1\n'


def test_a_five_thousand_digit_cell_does_not_stop_a_csv_batch(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]
                                                              ) -> None:
    rules = tmp_path / "rules.kpi"
    rules.write_text(RULES, encoding="utf-8")
    big = "9" * 5000
    records = tmp_path / "records.csv"
    records.write_text(
        "subject,indicator,measure,value\n"
        f"s1,1,n,1\ns1,1,milestones,{big}\ns1,2,x,1\n"
        f"s2,1,n,{big}\ns2,2,x,1\n"
        f"s3,1,n,1\ns3,2,x,{'1' * 200_000}\n"
        "s4,1,n,1\ns4,2,x,2\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert cli.main(["eval", str(rules), str(records), "-o", str(out)]) == 1
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    by_subject = {row[0]: row for row in rows[1:]}
    assert by_subject["s4"][2] == "1" and by_subject["s4"][5] == "75"
    assert "milestone" in by_subject["s1"][6]
    assert "limit of 1000" in by_subject["s2"][6]
    assert "internal error" not in capsys.readouterr().err


def test_a_five_thousand_digit_json_integer_rejects_only_its_subject(tmp_path: Path) -> None:
    rules = tmp_path / "rules.kpi"
    rules.write_text(RULES, encoding="utf-8")
    records = tmp_path / "records.json"
    records.write_text('{"a": {"1": {"n": %s}, "2": {"x": 1}}, "b": {"1": {"n": 1}, "2": {"x": 1}}}'
                       % ("9" * 5000), encoding="utf-8")
    out = tmp_path / "out.json"
    assert cli.main(["eval", str(rules), str(records), "-o", str(out)]) == 1
    text = out.read_text(encoding="utf-8")
    assert '"b": {"total": 75' in text
    assert "5000 characters" in text


# 3-4. Huge digits in the checker and in a weight: a ParseError naming the limit.


@pytest.mark.parametrize("statement", [
    "level 1 if x >= 1" + "1" * 90,
    "measure x in 0.." + "9" * 100,
    "weight 1" + "0" * 1_000_002,
])
def test_numbers_with_too_many_digits_are_refused(statement: str) -> None:
    error = parse_error(f'indicator 1 "t"\n  {statement}\n  level 2 if x >= 2\n')
    assert error.code == "limit-digits"
    assert error.line == 2
    assert str(limits.MAX_DIGITS) in error.message


def test_forty_digits_are_checked_without_error() -> None:
    rules = kpirules.parse('indicator 1 "t"\n  measure x in 0..' + "9" * 40 +
                           '\n  level 1 if x >= ' + "1" * 40 + '\n  level 2 if x >= 2' + "0" * 39 + "\n")
    assert all(d.code != "non-monotone" for d in kpirules.check(rules))


# 5. `milestones` cannot name a measure.


@pytest.mark.parametrize("text", [
    'indicator 1 "t"\n  measure milestones count\n  level 1 if milestones >= 1\n',
    'indicator 1 "t"\n  level 1 if milestones >= 1\n',
])
def test_milestones_is_reserved(text: str) -> None:
    error = parse_error(text)
    assert error.code == "reserved-measure-name"
    assert "`milestones`" in error.message


# 6. One reading of line ends.


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_parse_and_load_read_every_line_end_alike(tmp_path: Path, end: str) -> None:
    text = end.join(['indicator 1 "t"', "  level 1 if x >= 1 # a comment", "  level 2 if x >= 2",
                     ""])
    path = tmp_path / "rules.kpi"
    path.write_bytes(text.encode("utf-8"))
    parsed, loaded = kpirules.parse(text), kpirules.load(path)
    assert len(parsed["1"].levels) == len(loaded["1"].levels) == 2
    assert parsed.node.indicators == loaded.node.indicators


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_fmt_keeps_the_files_line_ends(tmp_path: Path, end: str) -> None:
    path = tmp_path / "rules.kpi"
    path.write_bytes(end.join(['indicator 1 "t"', "level 1 if x>=1 # c", ""]).encode())
    assert cli.main(["fmt", str(path)]) == 0
    assert path.read_bytes() == end.join(['indicator 1 "t"', "  level 1 if x >= 1  # c",
                                          ""]).encode()


# 7. The checker's time budget; no RecursionError or MemoryError in the compiler.


def test_check_gives_up_when_its_budget_runs_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "CHECK_SECONDS", 0.0)
    monkeypatch.setattr(limits, "CHECK_SECONDS_PER_STATEMENT", 0.0)
    levels = "".join(f"  level {k} if x >= {k} and x < {k + 1} and y > {k}\n" for k in range(1, 31))
    rules = kpirules.parse('indicator 1 "t"\n  policy highest\n' + levels)
    started = time.monotonic()
    found = kpirules.check(rules)
    assert time.monotonic() - started < 5
    incomplete = [d for d in found if d.code == "check-incomplete"]
    assert len(incomplete) == 1
    assert incomplete[0].severity == "warning" and incomplete[0].indicator == "1"
    assert incomplete[0].line == 1


def test_the_budget_grows_linearly_with_the_file() -> None:
    assert limits.check_seconds(0) == limits.CHECK_SECONDS
    assert limits.check_seconds(2000) - limits.check_seconds(1000) == pytest.approx(
        limits.check_seconds(1000) - limits.check_seconds(0))


def test_lets_past_the_limit_are_refused() -> None:
    lets = "".join(f"  let v{i} = v{i - 1} + 1\n" for i in range(1, limits.MAX_LETS + 2))
    error = parse_error(f'indicator 1 "t"\n  measure v0\n{lets}  level 1 if v1 >= 1\n')
    assert (error.code, error.line) == ("limit-lets", limits.MAX_LETS + 3)


def test_a_hundred_levels_compile_and_score() -> None:
    levels = "".join(f"  level {k} if x >= {k} and y < {k + 2}\n" for k in range(1, 101))
    rules = kpirules.parse('indicator 1 "t"\n' + levels)
    assert rules["1"].evaluate({"x": 50, "y": 1}).level == 50


# 8. Records: huge flags, endless milestones, Counter and defaultdict, underflow.


FLAGS = kpirules.parse('indicator 1 "t"\n  measure f flag\n  level 1 if f\n  level 2 milestone "m"\n')


def test_a_huge_int_flag_is_an_evaluation_error() -> None:
    error = evaluation_error(FLAGS, {"f": 10**10000})
    assert error.measure == "f" and "1.000000E+10000" in error.message


def test_an_endless_milestones_iterator_is_refused() -> None:
    error = evaluation_error(FLAGS, {"f": True, "milestones": itertools.repeat(2)})
    assert error.code == "limit-milestones"


DIVISION = kpirules.parse('indicator 1 "t"\n  level 1 if a / b >= 1\n')


@pytest.mark.parametrize("record", [collections.Counter({"a": 1}),
                                    collections.defaultdict(int, {"a": 1})])
def test_a_counter_or_defaultdict_record_reports_the_missing_measure(record: object) -> None:
    error = evaluation_error(DIVISION, record)
    assert error.code == "missing-measure" and error.measure == "b"


def test_underflow_is_an_error_not_zero() -> None:
    error = evaluation_error(DIVISION, {"a": 1, "b": Decimal("1e99999999")})
    assert error.code == "number-too-small"


# 9. SQLite: refused before the database sees the query, or run.


def sqlite_row(rules: kpirules.RuleSet, columns: list[str]) -> tuple[object, ...]:
    from kpirules.sql import quote

    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE TABLE records (subject, {', '.join(quote(c) for c in columns)})")
    db.execute(f"INSERT INTO records VALUES ({', '.join('?' * (len(columns) + 1))})",
               ["s", *["1"] * len(columns)])
    row: tuple[object, ...] = db.execute(rules.to_sql(dialect="sqlite")).fetchone()
    return row


def test_sqlite_refuses_what_its_parser_cannot_take() -> None:
    rules = kpirules.parse('indicator 1 "t"\n  weight 100\n  level 1 if ' +
                           " + ".join(f"x{i}" for i in range(87)) + " >= 1\n")
    with pytest.raises(kpirules.KpiRulesError) as caught:
        rules.to_sql(dialect="sqlite")
    assert caught.value.code == "sqlite-too-deep"
    assert "SQLite" in caught.value.message
    assert "WITH" in rules.to_sql(dialect="duckdb")


def test_sqlite_runs_a_sum_of_fifty_measures() -> None:
    rules = kpirules.parse('indicator 1 "t"\n  weight 100\n  level 1 if ' +
                           " + ".join(f"x{i}" for i in range(50)) + " >= 50\n")
    assert sqlite_row(rules, [f"1.x{i}" for i in range(50)])[1] == 1


def test_sqlite_refuses_too_many_indicators_for_one_query() -> None:
    rules = kpirules.parse("".join(f'indicator {i} "t"\n  weight 1\n  level 1 if x >= 1\n'
                                   for i in range(200)))
    with pytest.raises(kpirules.KpiRulesError) as caught:
        rules.to_sql(dialect="sqlite")
    assert caught.value.code.startswith("sqlite-too-many")


def test_a_flat_sum_is_not_called_nested() -> None:
    error = parse_error('indicator 1 "t"\n  level 1 if ' + " + ".join(["a"] * 151) + " >= 1\n")
    assert error.code == "limit-chain" and "nested" not in error.message


# 10. Safe output.


@pytest.mark.parametrize(("cell", "safe"), [
    ("=1+2", "'=1+2"), ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"), ("+1", "+1"),
    ("-5", "-5"), ("-1+1", "'-1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("north", "north"),
])
def test_spreadsheet_cells(cell: str, safe: str) -> None:
    assert spreadsheet_cell(cell) == safe


def test_eval_csv_neutralises_formulas(tmp_path: Path) -> None:
    rules = tmp_path / "rules.kpi"
    rules.write_text(RULES, encoding="utf-8")
    records = tmp_path / "records.csv"
    records.write_text("subject,indicator,measure,value\n"
                       '"=1+2",1,n,1\n"=1+2",2,x,1\n"@x",1,n,1\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    cli.main(["eval", str(rules), str(records), "-o", str(out)])
    cells = [row[0] for row in csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig")))]
    assert cells[1:] == ["'=1+2", "'=1+2", "'@x"]


def test_table_escapes_html_and_formulas() -> None:
    rules = kpirules.parse('indicator 1 "=HYPERLINK(1) <script>alert(1)</script>"\n'
                           '  weight 100\n  level 1 if x >= 1\n')
    assert "<script>" not in kpirules.table(rules, "markdown")
    assert "&lt;script>" in kpirules.table(rules, "markdown")
    row = list(csv.reader(io.StringIO(kpirules.table(rules, "csv"))))[1]
    assert "'=HYPERLINK(1) <script>alert(1)</script>" in row


@given(st.text())
def test_terminal_text_has_no_control_characters(text: str) -> None:
    shown = terminal_text(text)
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F or 0x202A <= ord(c) <= 0x202E
                   or 0x2066 <= ord(c) <= 0x2069 for c in shown)


@given(st.text())
def test_markdown_text_renders_no_html(text: str) -> None:
    assert "<" not in markdown_text(text)


def test_subject_names_reach_the_terminal_escaped(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules.kpi"
    rules.write_text(RULES, encoding="utf-8")
    records = tmp_path / "records.csv"
    records.write_text('subject,indicator,measure,value\n"a\x1b[2J\nkpirules: fake",1,n,1\n',
                       encoding="utf-8")
    cli.main(["eval", str(rules), str(records)])
    captured = capsys.readouterr()
    assert "\x1b" not in captured.out + captured.err
    assert "\nkpirules: fake" not in captured.out + captured.err
    assert "a\\x1b[2J\\nkpirules: fake" in captured.err


def test_a_rule_file_cannot_write_escapes_to_the_terminal(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    path = tmp_path / "rules.kpi"
    path.write_text('indicator 1 "t"\n  level 1 if x >= "\x1b[2J"\n', encoding="utf-8")
    assert cli.main(["check", str(path)]) == 1
    shown = capsys.readouterr().out
    assert "\x1b" not in shown and "\\x1b[2J" in shown


# 11. Bounded messages; a count reported as itself.


def test_a_ten_megabyte_value_gives_a_short_message() -> None:
    rules = kpirules.parse('indicator 1 "t"\n  level 1 if x >= 1\n')
    assert len(str(evaluation_error(rules, {"x": "y" * 10_000_000}))) < 500
    error = parse_error('indicator 1 "t"\n  level 1 if x >= 1 ' + "y" * 10_000_000 + " @\n")
    assert len(str(error)) < 2000


def test_a_fractional_count_is_reported_with_all_its_digits() -> None:
    rules = kpirules.parse('indicator 1 "t"\n  measure n count\n  level 1 if n >= 12\n')
    error = evaluation_error(rules, {"n": Decimal("12.00000000000000000000000000001")})
    assert "12.00000000000000000000000000001" in error.message


# 12. fmt keeps owner, mode and links; goes on; names the file.


MESSY = 'indicator 1 "t"\nlevel 1 if x>=1\n'
TIDY = 'indicator 1 "t"\n  level 1 if x >= 1\n'


def test_fmt_refuses_a_read_only_file_and_goes_on(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    locked, other = tmp_path / "locked.kpi", tmp_path / "other.kpi"
    locked.write_text(MESSY, encoding="utf-8")
    other.write_text(MESSY, encoding="utf-8")
    locked.chmod(0o444)
    assert cli.main(["fmt", str(locked), str(other)]) == 2
    assert locked.read_text(encoding="utf-8") == MESSY
    assert other.read_text(encoding="utf-8") == TIDY
    err = capsys.readouterr().err
    assert f"{locked}: the file is read-only" in err and ".tmp" not in err


def test_fmt_keeps_hard_links_and_mode(tmp_path: Path) -> None:
    path, link = tmp_path / "rules.kpi", tmp_path / "link.kpi"
    path.write_text(MESSY, encoding="utf-8")
    path.chmod(0o640)
    os.link(path, link)
    assert cli.main(["fmt", str(path)]) == 0
    assert link.read_text(encoding="utf-8") == TIDY
    assert os.path.samefile(path, link)
    assert path.stat().st_mode & 0o777 == 0o640


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another owner")
def test_fmt_keeps_the_owner(tmp_path: Path) -> None:
    path = tmp_path / "rules.kpi"
    path.write_text(MESSY, encoding="utf-8")
    os.chown(path, 12345, 12345)
    assert cli.main(["fmt", str(path)]) == 0
    assert (path.stat().st_uid, path.read_text(encoding="utf-8")) == (12345, TIDY)


def test_every_new_limit_message_is_in_both_languages() -> None:
    from kpirules._messages import catalogue

    codes = [code for code in catalogue() if code.startswith(("limit-", "sqlite-", "fmt-"))]
    codes += ["check-incomplete", "number-too-small", "reserved-measure-name"]
    assert len(codes) >= 15
    for code in codes:
        english, thai = catalogue()[code]
        assert english and thai and english != thai
