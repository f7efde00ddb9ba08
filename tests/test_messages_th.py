"""Error messages in Thai for files written with Thai keywords (kpirules._messages_th).

Golden files in tests/errors_th/ are mistakes written with Thai keywords, beside the exact Thai
message; the English golden cases of tests/errors/ must all come back in Thai, at the same place,
when Thai is asked for; and every message the parser and the load-time checks can build has a Thai
form.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kpirules
from kpirules import _parser
from kpirules._keywords import THAI
from kpirules._messages_th import _RULES, in_thai
from tests import golden

HERE = Path(__file__).parent
ERRORS = HERE / "errors"
ERRORS_TH = HERE / "errors_th"
ENGLISH_CASES = sorted(path.stem for path in ERRORS.glob("*.kpi"))
THAI_CASES = sorted(path.stem for path in ERRORS_TH.glob("*.kpi"))

_THAI_LETTER = re.compile("[\u0e01-\u0e4e]")
# Backticked code and quoted text come from the rule file and may be Thai in any language.
_QUOTED = re.compile(r'`[^`]*`|"[^"]*"')
# What an English message says in its own words, which a Thai message must not.
_ENGLISH_WORDS = re.compile(
    r"\b(?:expected|found|after|the end of the file|the start of the file|a name|a number|"
    r"a text|a comparison|a new statement|write|is|are|not|and|or)\b"
)


def _prose(message: str) -> str:
    """``message`` without its code and quoted text: the words the message itself chose."""
    return _QUOTED.sub(" ", message)


def _is_thai(message: str) -> bool:
    prose = _prose(message)
    return bool(_THAI_LETTER.search(prose)) and not _ENGLISH_WORDS.search(prose)


def _error(text: str, source: str, language: str | None = None) -> kpirules.ParseError:
    with pytest.raises(kpirules.ParseError) as caught:
        kpirules.parse(text, source=source, language=language)
    return caught.value


def _read(folder: Path, case: str) -> tuple[str, str]:
    text = (folder / f"{case}.kpi").read_text(encoding="utf-8")
    expected = (folder / f"{case}.expected").read_text(encoding="utf-8").rstrip("\n")
    return text, expected


# --- golden files written with Thai keywords --------------------------------------------------


def test_there_are_at_least_25_distinct_thai_mistakes() -> None:
    assert len(THAI_CASES) >= 25
    assert sorted(path.stem for path in ERRORS_TH.glob("*.expected")) == THAI_CASES
    messages = {_read(ERRORS_TH, case)[1].split("\n")[0].split(": ", 1)[1] for case in THAI_CASES}
    assert len(messages) >= 25


@pytest.mark.parametrize("case", THAI_CASES)
def test_thai_golden_case_is_written_with_thai_keywords(case: str) -> None:
    text, _ = _read(ERRORS_TH, case)
    assert _parser.keyword_language(text) == "th"


@pytest.mark.parametrize("case", THAI_CASES)
def test_thai_golden_message(case: str) -> None:
    text = (ERRORS_TH / f"{case}.kpi").read_text(encoding="utf-8")
    error = _error(text, f"{case}.kpi")
    golden.compare(ERRORS_TH / f"{case}.expected", str(error), ending_newlines_matter=False)
    expected = _read(ERRORS_TH, case)[1]
    head = expected.split(": ", 1)[0]
    _, line, column = head.rsplit(":", 2)
    assert (error.source, error.line, error.column) == (f"{case}.kpi", int(line), int(column))
    assert _is_thai(error.message), error.message


@pytest.mark.parametrize("case", THAI_CASES)
def test_thai_golden_message_is_the_english_one_translated_in_place(case: str) -> None:
    text, _ = _read(ERRORS_TH, case)
    thai = _error(text, f"{case}.kpi")
    english = _error(text, f"{case}.kpi", language="en")
    assert (thai.line, thai.column, thai.text) == (english.line, english.column, english.text)
    assert thai.message == in_thai(english.message)


# --- every English golden case, in Thai ---------------------------------------------------------


@pytest.mark.parametrize("case", ENGLISH_CASES)
def test_english_golden_case_in_thai_keeps_its_place(case: str) -> None:
    text = (ERRORS / f"{case}.kpi").read_text(encoding="utf-8")
    english = _error(text, f"{case}.kpi", language="en")
    thai = _error(text, f"{case}.kpi", language="th")
    assert (thai.source, thai.line, thai.column) == (english.source, english.line, english.column)
    assert thai.text == english.text
    assert thai.message != english.message
    assert _is_thai(thai.message), thai.message


# --- which language by default --------------------------------------------------------------------


def test_english_keywords_give_english_messages_and_thai_keywords_thai_ones() -> None:
    english = _error('indicator 1 "t"\n  level 0 if x >= 1\n', "a.kpi")
    assert english.message == "a level number is a whole number from 1 up, not `0`"
    thai = _error('ตัวชี้วัด 1 "t"\n  ระดับ 0 ถ้า x >= 1\n', "a.kpi")
    assert thai.message == "เลขระดับต้องเป็นจำนวนเต็มตั้งแต่ 1 ขึ้นไป ไม่ใช่ `0`"
    assert (english.line, english.column) == (thai.line, thai.column) == (2, 9)


def test_the_first_keyword_decides_even_after_a_thai_comment() -> None:
    english = _error('# ตัวชี้วัดบุคคล\nindicator 1 "t"\n  level 0 if x >= 1\n', "a.kpi")
    assert not _THAI_LETTER.search(english.message)
    thai = _error('# individual KPIs\nตัวชี้วัด 1 "t"\n  level 0 if x >= 1\n', "a.kpi")
    assert _is_thai(thai.message)


def test_language_overrides_the_keywords() -> None:
    text = 'ตัวชี้วัด 1 "t"\n  ระดับ 0 ถ้า x >= 1\n'
    assert not _THAI_LETTER.search(_prose(_error(text, "a.kpi", language="en").message))
    english_text = 'indicator 1 "t"\n  level 0 if x >= 1\n'
    assert _is_thai(_error(english_text, "a.kpi", language="th").message)


def test_load_gives_thai_messages_for_a_thai_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.kpi"
    path.write_text('ตัวชี้วัด 1 "t"\n  ระดับ 1 ถ้า x => 5\n', encoding="utf-8")
    with pytest.raises(kpirules.ParseError) as caught:
        kpirules.load(path)
    assert caught.value.message == 'ไม่มีเครื่องหมาย `=>` โปรดเขียน `>=` สำหรับ "ไม่น้อยกว่า"'
    assert (caught.value.source, caught.value.line, caught.value.column) == (str(path), 2, 17)


# --- mistakes the golden files do not reach, through the parser ----------------------------------

# English-keyword text whose message no golden case shows; asked for in Thai.
MORE_MISTAKES = {
    "invalid name": 'indicator 1 "t"\n  measure x€\n  level 1 if x >= 1\n',
    "empty id": 'indicator "" "t"\n  level 1 if x >= 1\n',
    "header field twice": 'title "a"\ntitle "b"\nindicator 1 "t"\n  level 1 if x >= 1\n',
    "condition in arithmetic": 'indicator 1 "t"\n  measure f flag\n'
                               "  level 1 if (x >= 1 and not f) * 2 >= 1\n",
    "two levels missing": 'indicator 1 "t"\n  level 1 if x >= 1\n  level 4 if x >= 4\n',
    "unknown statement": 'indicator 1 "t"\n  target 80\n  level 1 if x >= 1\n',
    "no id": 'indicator = "t"\n  level 1 if x >= 1\n',
    "threshold then bracket": 'indicator 1 "t"\n  level 1 if (x >= ) and x < 9\n',
    "threshold then end": 'indicator 1 "t"\n  level 1 if x >=\n',
    "level number then end": 'indicator 1 "t"\n  level 1 if x >= 1\n  level\n',
    "keyword after and": 'indicator 1 "t"\n  level 1 if x >= 1 and\nindicator 2 "u"\n'
                         "  level 1 if y >= 1\n",
    "no comparison": 'indicator 1 "t"\n  level 1 if x 5\n',
    "at the start": "= 3\n",
    "range in the wrong place": 'indicator 1 "t"\n  measure x in 0 100\n  level 1 if x >= 1\n',
    "policy": 'indicator 1 "t"\n  policy best\n  level 1 if x >= 1\n',
    "score": 'indicator 1 "t"\n  score linear\n  level 1 if x >= 1\n',
    "bad text after measure": 'indicator 1 "t"\n  measure x unit 5\n  level 1 if x >= 1\n',
    **{f"character {hint}": f'indicator 1 "t"\n  level 1 if x {hint} 5\n'
       for hint in ("=<", "≤", "≠", "||", "&", "|", "×", "÷", "!", "'")},
}


@pytest.mark.parametrize("name", sorted(MORE_MISTAKES))
def test_more_mistakes_in_thai(name: str) -> None:
    text = MORE_MISTAKES[name]
    english = _error(text, "a.kpi", language="en")
    thai = _error(text, "a.kpi", language="th")
    assert (thai.line, thai.column) == (english.line, english.column)
    assert thai.message == in_thai(english.message) != english.message
    assert _is_thai(thai.message), (english.message, thai.message)


@pytest.mark.parametrize(
    ("text", "thai"),
    [
        ('indicator 1 "t"\n  measure f flag\n  level 1 if (x >= 1 and not f) * 2 >= 1\n',
         "`x >= 1 และ ไม่ f` เป็นเงื่อนไข แต่ตรงนี้ต้องเป็นตัวเลข"),
        ('indicator 1 "t"\n  level 1 if x >= 1\n  level 4 if x >= 4\n',
         "ตัวชี้วัด `1` ขาดระดับ 2, 3 เลขระดับต้องเรียงตั้งแต่ 1 ถึง 4 โดยไม่ข้าม"),
        ('title "a"\ntitle "b"\nindicator 1 "t"\n  level 1 if x >= 1\n',
         "`ชื่อ` ซ้ำในส่วนหัวของชุดตัวชี้วัด (ครั้งแรกอยู่บรรทัดที่ 1) โปรดเหลือไว้บรรทัดเดียว"),
        ("= 3\n", "ที่ต้นไฟล์ ต้องเป็น คำสั่งใหม่ เช่น `ระดับ` แต่พบ `=`"),
        ('indicator 1 "t"\n  level 1 if x 5\n',
         "หลัง `x` ต้องเป็น การเปรียบเทียบ เช่น `>= 55` แต่พบ `5`"),
        ('indicator 1 "t"\n  target 80\n',
         "ไม่รู้จักคำสั่ง `target` คำสั่งต้องขึ้นต้นด้วยคำสงวน เช่น `ระดับ`, `ตัววัด` หรือ `ตัวชี้วัด`"),
    ],
)
def test_thai_wording_of_messages_no_golden_file_shows(text: str, thai: str) -> None:
    assert _error(text, "a.kpi", language="th").message == thai


# --- messages built the way the parser builds them ----------------------------------------------


@pytest.mark.parametrize("english", sorted(set(_parser._CHARACTER_HINTS.values())))
def test_every_character_hint(english: str) -> None:
    assert _is_thai(in_thai(english)), in_thai(english)


def test_single_equals() -> None:
    assert in_thai(_parser._SINGLE_EQUALS) == (
        "โปรดเขียน `==` เพื่อเปรียบเทียบว่าเท่ากัน (`=` ตัวเดียวใช้เฉพาะหลังชื่อในบรรทัด `ให้`)")


def _expected_sets() -> list[frozenset[str]]:
    """Every set of terminals the parser can expect: one per LALR state, with and without the end
    of the file (the contextual lexer leaves it out when it reports a character)."""
    lark = _parser._parser()
    states = lark.parser.parser._parse_table.states
    sets: set[frozenset[str]] = set()
    for actions in states.values():
        terminals = frozenset(name for name in actions if name.isupper())
        sets |= {terminals, terminals - {"$END"}}
    return sorted((s for s in sets if s), key=sorted)


def test_every_list_of_expected_words_the_parser_can_build() -> None:
    lists = {_parser._expected_words(set(terminals)) for terminals in _expected_sets()}
    assert len(lists) > 20
    for words in sorted(lists):
        for english in (f"expected {words} after `x`; found `y`",
                        f"the file ends in the middle of a statement: expected {words} after `x`",
                        f"unexpected character `@`: expected {words}"):
            thai = in_thai(english)
            assert _is_thai(thai), (english, thai)
            assert not any(f"`{keyword}`" in thai for keyword in THAI), thai


@pytest.mark.parametrize(
    ("english", "thai"),
    [
        ("expected `=` after `a`; found `x`", "หลัง `a` ต้องเป็น `=` แต่พบ `x`"),
        ("expected `)` after `1`; found the end of the file",
         "หลัง `1` ต้องเป็น `)` แต่ไฟล์จบเสียก่อน"),
        ("expected a new statement such as `level` after the start of the file; found `=`",
         "ที่ต้นไฟล์ ต้องเป็น คำสั่งใหม่ เช่น `ระดับ` แต่พบ `=`"),
        # a list inside the list is flattened into it
        ("expected the end of the file, `number`, `count` or `flag`, `in`, `unit` or a new "
         "statement such as `level` after `x`; found `5`",
         "หลัง `x` ต้องเป็น ท้ายไฟล์, `ตัวเลข`, `จำนวนนับ`, `จริงเท็จ`, `ช่วง`, `หน่วย` หรือ "
         "คำสั่งใหม่ เช่น `ระดับ` แต่พบ `5`"),
        ("expected a number or a name after the start of the file, but found the keyword `level`",
         "ที่ต้นไฟล์ ต้องเป็นตัวเลขหรือชื่อ แต่พบคำสงวน `level`"),
        ("expected a number or a name after `และ`, but found the keyword `ระดับ`",
         "หลัง `และ` ต้องเป็นตัวเลขหรือชื่อ แต่พบคำสงวน `ระดับ`"),
        # what the user wrote is quoted as written, keywords too
        ("expected a number or a name after `and`, but found the keyword `indicator`",
         "หลัง `and` ต้องเป็นตัวเลขหรือชื่อ แต่พบคำสงวน `indicator`"),
        ("expected a number or a name after `>=`, but found the keyword `level` (the threshold "
         "is missing)",
         "หลัง `>=` ต้องเป็นตัวเลขหรือชื่อ (ยังไม่ได้ใส่ค่าเกณฑ์) แต่พบคำสงวน `level`"),
        ("expected the indicator's id after `indicator`, as in `indicator 1 \"title\"`; found the "
         "end of the file",
         'หลัง `ตัวชี้วัด` ต้องเป็นรหัสตัวชี้วัด เช่น `ตัวชี้วัด 1 "ชื่อตัวชี้วัด"` แต่ไฟล์จบเสียก่อน'),
        ("unknown statement `ตัวชีวัด`: did you mean `ตัวชี้วัด`?",
         "ไม่รู้จักคำสั่ง `ตัวชีวัด` หมายถึง `ตัวชี้วัด` หรือไม่"),
        ("unknown statement `mesure`: did you mean `measure`?",
         "ไม่รู้จักคำสั่ง `mesure` หมายถึง `ตัววัด` หรือไม่"),
        ("`round` needs a whole number, not `1.5`", "`รอบ` ต้องเป็นจำนวนเต็ม ไม่ใช่ `1.5`"),
        ("`policy` is given twice in indicator `kpi_7` (first on line 4); keep one",
         "`นโยบาย` ซ้ำในตัวชี้วัด `kpi_7` (ครั้งแรกอยู่บรรทัดที่ 4) โปรดเหลือไว้บรรทัดเดียว"),
        ("`ถ้า` is a keyword and cannot be used as a name; choose another name, such as "
         "`ถ้า_value`",
         "`ถ้า` เป็นคำสงวน ใช้เป็นชื่อไม่ได้ โปรดตั้งชื่ออื่น เช่น `ค่าถ้า`"),
        ("`count` is a keyword and cannot be used as a name; choose another name, such as "
         "`count_value`",
         "`count` เป็นคำสงวน ใช้เป็นชื่อไม่ได้ โปรดตั้งชื่ออื่น เช่น `count_value`"),
        ("`not f` is a condition, but a number is needed here",
         "`ไม่ f` เป็นเงื่อนไข แต่ตรงนี้ต้องเป็นตัวเลข"),
        ("`(a or b) and not (c)` is a condition, but a number is needed here",
         "`(a หรือ b) และ ไม่ (c)` เป็นเงื่อนไข แต่ตรงนี้ต้องเป็นตัวเลข"),
        ("the range -5..-10 is empty: write the lower bound first",
         "ช่วง -5..-10 เป็นช่วงว่าง โปรดเขียนค่าที่น้อยกว่าไว้ก่อน เช่น -10..-5"),
        ("indicator `2.1` has no level 2, 3: levels are numbered 1 to 5 without gaps",
         "ตัวชี้วัด `2.1` ขาดระดับ 2, 3 เลขระดับต้องเรียงตั้งแต่ 1 ถึง 5 โดยไม่ข้าม"),
        ("the file is not UTF-8 text (byte 17); save it as UTF-8",
         "ไฟล์นี้ไม่ใช่ข้อความ UTF-8 (ไบต์ที่ 17) โปรดบันทึกไฟล์เป็น UTF-8"),
    ],
)
def test_thai_wording(english: str, thai: str) -> None:
    assert in_thai(english) == thai


def test_a_token_that_looks_like_the_message_itself() -> None:
    # Tokens are quoted as the user wrote them, whatever they hold.
    english = "expected `=` after `a; found `b`; found `c`"
    assert in_thai(english) == "หลัง `a; found `b` ต้องเป็น `=` แต่พบ `c`"


@pytest.mark.parametrize(
    "english",
    [
        "a message no rule knows",
        "",
        "expected a banana after `x`; found `y`",  # an unknown item in the list
        "expected `=`, after `x`; found `y`",  # a list that does not parse
        "unexpected character `@`: expected",
    ],
)
def test_unknown_messages_come_back_unchanged(english: str) -> None:
    assert in_thai(english) == english


@given(st.text())
def test_in_thai_never_raises(message: str) -> None:
    assert isinstance(in_thai(message), str)


@given(st.sampled_from([rule.english.pattern for rule in _RULES]), st.text(max_size=20))
def test_in_thai_never_raises_on_near_misses(pattern: str, noise: str) -> None:
    assert isinstance(in_thai(pattern + noise), str)
    assert isinstance(in_thai(noise + pattern), str)


# --- the table itself ----------------------------------------------------------------------------


def test_templates_spell_keywords_from_the_keyword_table() -> None:
    for rule in _RULES:
        assert not any(f"`{english}`" in rule.thai for english in THAI), rule.thai
        assert not any(thai in rule.thai for thai in ("`ระดับ", "`ถ้า`", "`ให้")), rule.thai


def test_group_names_never_hide_a_keyword() -> None:
    for rule in _RULES:
        assert not set(rule.english.groupindex) & set(THAI), rule.english.pattern


def test_every_template_uses_only_its_groups_and_keywords() -> None:
    for rule in _RULES:
        fields = set(re.findall(r"\{(\w+)\}", rule.thai))
        assert fields <= set(rule.english.groupindex) | set(THAI), rule.thai


# A Thai word where no text may stand is not "Thai text outside double quotes": the message says
# what was expected instead.
THAI_WORD_MISPLACED = {
    "let_missing_equals": ('ตัวชี้วัด 1 "t"\n  ให้ ร้อยละ ครัวเรือน * 2\n  ระดับ 1 ถ้า ร้อยละ >= 1\n',
                           "หลัง `ร้อยละ` ต้องเป็น `=` แต่พบ `ครัวเรือน`"),
    "missing_if": ('ตัวชี้วัด 1 "t"\n  ตัววัด ร้อยละ\n  ระดับ 1 ร้อยละ >= 5\n',
                   "หลังเลขระดับ `1` ต้องเป็น `ถ้า` ตามด้วยเงื่อนไข หรือ `ขั้นสำเร็จ` "
                   "ตามด้วยคำอธิบาย แต่พบ `ร้อยละ`"),
    "policy_bad": ('ตัวชี้วัด 1 "t"\n  ตัววัด ร้อยละ\n  นโยบาย ดีที่สุด\n  ระดับ 1 ถ้า ร้อยละ >= 1\n',
                   "หลัง `นโยบาย` ต้องเป็น `ตามลำดับ` หรือ `สูงสุด` แต่พบ `ดีที่สุด`"),
    "unknown_statement": ('ตัวชี้วัด 1 "t"\n  เป้าหมาย 80\n  ระดับ 1 ถ้า ร้อยละ >= 5\n',
                          "ไม่รู้จักคำสั่ง `เป้าหมาย` คำสั่งต้องขึ้นต้นด้วยคำสงวน เช่น `ระดับ`, "
                          "`ตัววัด` หรือ `ตัวชี้วัด`"),
}


@pytest.mark.parametrize("case", sorted(THAI_WORD_MISPLACED))
def test_a_thai_word_where_no_text_may_stand(case: str) -> None:
    text, thai = THAI_WORD_MISPLACED[case]
    assert _error(text, f"{case}.kpi").message == thai
