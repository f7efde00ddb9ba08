"""Every output in the reader's language: the rule set's, or the one asked for.

Expected Thai texts here are read off the catalogue entries they come from (so a wording change
shows here as a diff a reviewer reads), and English ones are the texts the golden files show.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import kpirules
from kpirules import catalogue
from kpirules.cli import main

THAI_RULES = '''ชุดตัวชี้วัด "ทดสอบ"
ตัวชี้วัด 1 "ครัวเรือนที่ได้รับการพัฒนา"
  น้ำหนัก 100
  ตัววัด เป้าหมาย จำนวนนับ
  ตัววัด พัฒนาแล้ว จำนวนนับ
  ให้ ร้อยละ = พัฒนาแล้ว / เป้าหมาย * 100
  ระดับ 1 ถ้า ร้อยละ >= 25
  ระดับ 2 ถ้า ร้อยละ >= 40
'''


def test_a_thai_file_speaks_thai_and_an_english_one_english() -> None:
    assert kpirules.parse(THAI_RULES).language == "th"
    assert kpirules.parse('indicator 1 "t"\n  level 1 if x >= 1\n').language == "en"
    assert kpirules.parse(THAI_RULES, language="en").language == "en"
    with pytest.raises(kpirules.KpiRulesError, match='language must be "en" or "th"'):
        kpirules.parse(THAI_RULES, language="fr")


def test_evaluation_errors_speak_the_rule_sets_language() -> None:
    rules = kpirules.parse(THAI_RULES)
    with pytest.raises(kpirules.EvaluationError) as caught:
        rules["1"].evaluate({"เป้าหมาย": -1, "พัฒนาแล้ว": 0})
    error = caught.value
    assert error.code == "count-negative"
    assert error.message == ("ตัวชี้วัด 1: `เป้าหมาย` เป็นจำนวนนับ ค่าต้องเป็นจำนวนเต็มตั้งแต่ 0 "
                             "ขึ้นไป ไม่ใช่ -1")
    assert error.in_language("en").message == (
        "indicator 1: `เป้าหมาย` is a count and must be a whole number 0 or more, not -1")
    english = kpirules.parse(THAI_RULES, language="en")
    with pytest.raises(kpirules.EvaluationError, match="is a count"):
        english["1"].evaluate({"เป้าหมาย": -1, "พัฒนาแล้ว": 0})


def test_every_record_error_has_a_code_in_both_languages() -> None:
    rules = kpirules.parse(THAI_RULES)
    bad = [{}, {"เป้าหมาย": 4, "พัฒนาแล้ว": 1, "x": 1}, {"เป้าหมาย": "สี่", "พัฒนาแล้ว": 1},
           {"เป้าหมาย": 0, "พัฒนาแล้ว": 0}, {"เป้าหมาย": 1.5, "พัฒนาแล้ว": 0},
           {"เป้าหมาย": True, "พัฒนาแล้ว": 0}, {"เป้าหมาย": float("inf"), "พัฒนาแล้ว": 0},
           {"เป้าหมาย": float("nan"), "พัฒนาแล้ว": 0}]
    codes = []
    for record in bad:
        with pytest.raises(kpirules.EvaluationError) as caught:
            rules["1"].evaluate(record)
        codes.append(caught.value.code)
        assert caught.value.in_language("en").message != caught.value.message
    assert codes == ["missing-measure", "unknown-key", "text-not-number", "division-by-zero",
                     "count-fractional", "bool-not-number", "not-finite",
                     "missing-measure"]  # NaN is a missing value, as None is


def test_explain_in_either_language() -> None:
    rules = kpirules.parse(THAI_RULES)
    result = rules["1"].evaluate({"เป้าหมาย": 400, "พัฒนาแล้ว": 130})
    assert result.explain().splitlines() == [
        'ตัวชี้วัด 1 "ครัวเรือนที่ได้รับการพัฒนา": ได้ระดับ 1 จาก 2 ระดับ คะแนน 1',
        "  ค่าที่ใช้คำนวณ: เป้าหมาย = 400, พัฒนาแล้ว = 130, ร้อยละ = 32.5",
        "  ระดับ 1 ผ่าน: ร้อยละ >= 25 (ร้อยละ = 32.5)",
        "  ระดับ 2 ไม่ผ่าน: ร้อยละ >= 40: ขณะนี้ 32.5 ยังขาดอีก 7.5",
        "  เพื่อให้ได้ระดับ 2 ยังต้องผ่าน: ร้อยละ >= 40: ขณะนี้ 32.5 ยังขาดอีก 7.5",
    ]
    assert result.explain(language="en").splitlines()[3] == (
        "  level 2 not met: ร้อยละ >= 40: now 32.5, 7.5 short")
    card = rules.evaluate({"1": {"เป้าหมาย": 400, "พัฒนาแล้ว": 130}})
    assert card.explain().splitlines()[-1] == "คะแนนรวม 50"
    assert card.explain("en").splitlines()[-1] == "total 50"


def test_milestones_under_policy_highest_explain_what_is_missing() -> None:
    rules = kpirules.parse('indicator 1 "t"\n  policy highest\n  level 1 milestone "a"\n'
                           '  level 2 milestone "b"\n  level 3 milestone "c"\n')
    result = rules["1"].evaluate({"milestones": [1, 3]})
    # Level 3 needs milestones 1 to 3 under `highest`: 2 is missing, so the level is 1.
    assert result.level == 1
    assert result.explain().splitlines()[1:] == [
        "  level 1 met: milestone 1 reported done",
        "  level 2 not met: milestone 2 not reported done",
        "  level 3 not met: milestone 2 not reported done",
        "  level 2 needs milestone 2 reported done",
    ]


@pytest.mark.parametrize(
    ("value", "level", "score"),
    [
        # Worked by hand: level K is met above t_K (strictly); the score is
        # K + (x - t_K) / (t_{K+1} - t_K), its integer part always the level.
        ("70", 0, "0"),
        ("72.5", 1, "1.5"),
        ("75", 1, "1.9999"),      # not more than 75: level 1, and 2 would say level 2
        ("74.99999", 1, "1.9999"),  # 1.999998 rounds half up to 2.0000, kept below 2
        ("75.5", 2, "2.1"),
        ("80", 2, "2.9999"),
        ("80.5", 3, "3"),
    ],
)
def test_the_integer_part_of_an_interpolated_score_is_its_level(
        value: str, level: int, score: str) -> None:
    rules = kpirules.parse('indicator 3 "t"\n  level 1 if x > 70\n  level 2 if x > 75\n'
                           '  level 3 if x > 80\n  score interpolate\n')
    result = rules["3"].evaluate({"x": value})
    assert (result.level, result.score) == (level, Decimal(score))


def test_the_table_in_english_when_asked() -> None:
    rules = catalogue.load("cdd-2565-r1")
    thai = kpirules.table(rules, "csv").splitlines()
    english = kpirules.table(rules, "csv", language="en").splitlines()
    assert thai[0] == "#,ยุทธศาสตร์,ตัวชี้วัดการปฏิบัติงาน(KPI),ทีม,เกณฑ์การวัด (1-5 คะแนน),น้ำหนัก,ปี,รอบ"
    assert english[0] == "#,Strategy,Indicator (KPI),Team,Criteria (1-5 points),Weight,Year,Round"
    assert thai[-1] == "รวม,,,,,100,,"
    assert english[-1] == "Total,,,,,100,,"


# --- the command line -----------------------------------------------------------------------------


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def thai_files(tmp_path: Path) -> tuple[Path, Path]:
    rules = tmp_path / "rules.kpi"
    rules.write_text(THAI_RULES, encoding="utf-8")
    records = tmp_path / "records.json"
    records.write_text(json.dumps({"A": {"1": {"เป้าหมาย": 400, "พัฒนาแล้ว": 130}},
                                   "B": {"1": {"เป้าหมาย": 0, "พัฒนาแล้ว": 0}}},
                                  ensure_ascii=False), encoding="utf-8")
    return rules, records


def test_eval_speaks_the_rule_files_language(
        thai_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KPIRULES_LANG", raising=False)
    rules, records = thai_files
    code, out, err = run(["eval", str(rules), str(records)], capsys)
    assert code == 1
    assert "ระดับ  คะแนน" in out and "รวม" in out
    assert "ข้อผิดพลาด: ตัวชี้วัด 1: หารด้วยศูนย์" in out
    assert err.splitlines()[-1] == "kpirules: คิดคะแนนไม่ได้ 1 จาก 2 ราย คิดคะแนนได้ 1 ราย"


def test_lang_and_the_environment_override_the_file(
        thai_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    rules, records = thai_files
    monkeypatch.setenv("KPIRULES_LANG", "en")
    code, out, err = run(["eval", str(rules), str(records)], capsys)
    assert code == 1 and "level  score  points" in out
    assert err.splitlines()[-1] == "kpirules: 1 of 2 subjects rejected, 1 scored"
    # --lang wins over the environment, before or after the command.
    for args in (["--lang", "th", "eval", str(rules), str(records)],
                 ["eval", str(rules), str(records), "--lang", "th"]):
        code, out, err = run(args, capsys)
        assert code == 1 and "ระดับ  คะแนน" in out
        assert err.splitlines()[-1] == "kpirules: คิดคะแนนไม่ได้ 1 จาก 2 ราย คิดคะแนนได้ 1 ราย"


def test_a_bad_environment_language_is_a_usage_error(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPIRULES_LANG", "fr")
    code, _, err = run(["catalogues"], capsys)
    assert code == 2
    assert err == "kpirules: KPIRULES_LANG must be th or en, not `fr`\n"


def test_explain_and_parse_errors_on_the_command_line(
        thai_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KPIRULES_LANG", raising=False)
    rules, records = thai_files
    code, out, _ = run(["explain", str(rules), str(records), "--subject", "A", "--lang", "en"],
                       capsys)
    assert code == 0 and out.startswith('indicator 1 "')
    broken = rules.with_name("broken.kpi")
    broken.write_text('indicator 1 "t"\n  level 1 if x => 5\n', encoding="utf-8")
    code, _, err = run(["eval", str(broken), str(records), "--lang", "th"], capsys)
    assert code == 2
    assert 'ไม่มีเครื่องหมาย `=>` โปรดเขียน `>=` สำหรับ "ไม่น้อยกว่า"' in err


def test_fmt_converts_keywords(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "rules.kpi"
    path.write_text('indicator 1 "t"\n  weight 100\n  level 1 if x >= 1 and not y < 2\n',
                    encoding="utf-8")
    code, _, _ = run(["fmt", "--keywords", "th", str(path)], capsys)
    assert code == 0
    assert path.read_text(encoding="utf-8") == (
        'ตัวชี้วัด 1 "t"\n  น้ำหนัก 100\n  ระดับ 1 ถ้า x >= 1 และ ไม่ y < 2\n')
    code, _, _ = run(["fmt", "--keywords", "en", "--check", str(path)], capsys)
    assert code == 1


def test_table_headers_follow_lang(capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KPIRULES_LANG", raising=False)
    _, out, _ = run(["table", "cdd-2565-r1", "--format", "csv"], capsys)
    assert out.splitlines()[0].startswith("#,ยุทธศาสตร์")
    _, out, _ = run(["table", "cdd-2565-r1", "--format", "csv", "--lang", "en"], capsys)
    assert out.splitlines()[0].startswith("#,Strategy")


def test_python_m_kpirules_takes_lang() -> None:
    out = subprocess.run([sys.executable, "-m", "kpirules", "--lang", "th", "table", "nope"],
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.startswith("kpirules: `nope` ไม่ใช่ทั้งไฟล์เกณฑ์และชุดตัวชี้วัดที่มีให้")
