"""Messages in two languages: the catalogue (kpirules/locale/th/LC_MESSAGES/kpirules.po) and every
message rendered from it.

Golden files in tests/errors_th/ are mistakes written with Thai keywords, beside the exact Thai
message; the English golden cases of tests/errors/ must all come back in Thai, at the same place and
with the same code, when Thai is asked for; every code has an English and a Thai text; the file is
one that gettext tools (Babel) read as we do.
"""

from __future__ import annotations

import pickle
import re
import string
from pathlib import Path

import pytest

import kpirules
from kpirules import _messages, _parser
from kpirules._keywords import THAI
from kpirules._messages import Items, Keyword, message, text

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


# --- the catalogue ------------------------------------------------------------------------------


def test_every_code_has_both_languages() -> None:
    catalogue = _messages.catalogue()
    assert len(catalogue) > 100
    for code, (english, thai) in catalogue.items():
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", code), code
        assert english.strip(), code
        assert thai.strip(), f"`{code}` has no Thai text"


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_texts_of_a_code_use_the_same_parts() -> None:
    # Keywords ({kw.…}) may differ: a Thai text may name a keyword its English one says in words.
    for code, (english, thai) in _messages.catalogue().items():
        parts = {field for field in _fields(english) if not field.startswith("kw.")}
        assert parts == {field for field in _fields(thai) if not field.startswith("kw.")}, code


def test_keywords_in_templates_come_from_the_keyword_table() -> None:
    for code, (english, thai) in _messages.catalogue().items():
        for field in _fields(english) | _fields(thai):
            if field.startswith("kw."):
                assert field[3:] in THAI, (code, field)
        # A keyword in a Thai text is spelt through {kw.…}, so the keyword table stays the one
        # statement of its spelling.
        assert not any(f"`{word}`" in thai for word in THAI.values() if word != "ชื่อ"), code


def test_babel_reads_the_catalogue_as_we_do() -> None:
    pofile = pytest.importorskip("babel.messages.pofile")
    with _messages.CATALOGUE.open("rb") as handle:
        catalog = pofile.read_po(handle)
    theirs = {entry.context: (entry.id, entry.string) for entry in catalog if entry.id}
    assert theirs == dict(_messages.catalogue())


def test_read_po_reports_what_it_cannot_read() -> None:
    with pytest.raises(ValueError, match="no msgctxt"):
        _messages.read_po('msgid "a"\nmsgstr "b"\n')
    with pytest.raises(ValueError, match="twice"):
        _messages.read_po('msgctxt "a"\nmsgid "x"\nmsgstr "y"\nmsgctxt "a"\nmsgid "z"\nmsgstr ""\n')
    with pytest.raises(ValueError, match="unknown escape"):
        _messages.read_po('msgctxt "a"\nmsgid "\\q"\nmsgstr ""\n')


def test_parts_render_in_the_readers_language() -> None:
    rendered = text("unexpected-token", "th", words=Items((Keyword("level"), message("item-name"))),
                    after=message("place-start"), found=message("found-end"))
    assert rendered == "ที่ต้นไฟล์ ต้องเป็น ระดับ หรือ ชื่อ แต่ไฟล์จบเสียก่อน"
    english = text("unexpected-token", "en", words=Items((Keyword("level"), message("item-name"))),
                   after=message("place-start"), found=message("found-end"))
    assert english == "expected level or a name after the start of the file; found the end of the file"


def test_an_unknown_code_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        message("no-such-code").render("en")


# Calls that name a message code as their first argument, in the library's source.
_CODE_CALL = re.compile(
    r"""\b(?:message|text|_speech|words|self|_say)\(\s*(?:f?)["']([a-z0-9]+(?:-[a-z0-9{}.]+)*)["']""")


def test_every_code_the_source_names_is_in_the_catalogue() -> None:
    catalogue = _messages.catalogue()
    named: set[str] = set()
    for path in Path(kpirules.__file__).parent.rglob("*.py"):
        for code in _CODE_CALL.findall(path.read_text(encoding="utf-8")):
            if "{" not in code:  # a code put together from a name, checked where it is built
                named.add(code)
    named -= set(kpirules.catalogue.names())  # catalogue.text("cdd-2565-r1") is not a message
    assert len(named) > 150
    assert sorted(named - set(catalogue)) == []


def test_errors_keep_their_code_across_languages_and_pickling() -> None:
    error = _error('indicator 1 "t"\n  level 1 if x => 5\n', "a.kpi")
    assert error.code == "operator-ge-reversed"
    thai = error.in_language("th")
    assert (thai.code, thai.line, thai.column) == (error.code, error.line, error.column)
    assert thai.message.startswith("ไม่มีเครื่องหมาย")
    assert error.language == "en"
    copy = pickle.loads(pickle.dumps(thai))
    assert (copy.code, copy.message, str(copy)) == (thai.code, thai.message, str(thai))


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
    text, expected = _read(ERRORS_TH, case)
    error = _error(text, f"{case}.kpi")
    assert str(error) == expected
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
    assert thai.code == english.code


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
    assert thai.code == english.code
    assert thai.message != english.message
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
         "หลัง `x` ต้องเป็นการเปรียบเทียบ เช่น `>= 55` แต่พบ `5`"),
        ('indicator 1 "t"\n  target 80\n',
         "ไม่รู้จักคำสั่ง `target` คำสั่งต้องขึ้นต้นด้วยคำสงวน เช่น `ระดับ`, `ตัววัด` หรือ `ตัวชี้วัด`"),
    ],
)
def test_thai_wording_of_messages_no_golden_file_shows(text: str, thai: str) -> None:
    assert _error(text, "a.kpi", language="th").message == thai




# --- through the parser: every character hint and every list of expected words -------------------


@pytest.mark.parametrize("hint", sorted(_parser._CHARACTER_HINTS, key=str))
def test_every_character_hint_in_thai(hint: str) -> None:
    problem = _parser._CHARACTER_HINTS[hint]
    assert _is_thai(problem.render("th")), problem.render("th")
    assert not _THAI_LETTER.search(problem.render("en"))


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
    lists = [_parser._expected_words(set(terminals)) for terminals in _expected_sets()]
    assert len(lists) > 20
    for words in lists:
        for code in ("unexpected-token", "unexpected-end", "unexpected-character"):
            problem = message(code, words=words, after=message("place-token", token="`x`"),
                              found=message("found-token", token="`y`"), char="@")
            thai, english = problem.render("th"), problem.render("en")
            assert _is_thai(thai), (english, thai)
            assert not any(f"`{keyword}`" in thai for keyword in THAI), thai
            assert not _THAI_LETTER.search(english), english


@pytest.mark.parametrize(
    ("text", "thai"),
    [
        ('indicator 1 "t"\n  round 1.5\n  level 1 if x >= 1\n',
         "`รอบ` ต้องเป็นจำนวนเต็ม ไม่ใช่ `1.5`"),
        ('indicator kpi_7 "t"\n  policy highest\n  policy ordered\n  level 1 if x >= 1\n',
         "`นโยบาย` ซ้ำในตัวชี้วัด `kpi_7` (ครั้งแรกอยู่บรรทัดที่ 2) โปรดเหลือไว้บรรทัดเดียว"),
        ('ตัวชี้วัด 1 "t"\n  ตัววัด ถ้า\n  ระดับ 1 ถ้า x >= 1\n',
         "`ถ้า` เป็นคำสงวน ใช้เป็นชื่อไม่ได้ โปรดตั้งชื่ออื่น เช่น `ค่าถ้า`"),
        ('indicator 1 "t"\n  measure count\n  level 1 if x >= 1\n',
         "`count` เป็นคำสงวน ใช้เป็นชื่อไม่ได้ โปรดตั้งชื่ออื่น เช่น `count_value`"),
        ('indicator 1 "t"\n  measure f flag\n  level 1 if (not f) * 2 >= 1\n',
         "`ไม่ f` เป็นเงื่อนไข แต่ตรงนี้ต้องเป็นตัวเลข"),
        ('indicator 1 "t"\n  measure x in -5..-10\n  level 1 if x >= 1\n',
         "ช่วง -5..-10 เป็นช่วงว่าง โปรดเขียนค่าที่น้อยกว่าไว้ก่อน เช่น -10..-5"),
        ('indicator 2.1 "t"\n  level 1 if x >= 1\n  level 4 if x >= 4\n',
         "ตัวชี้วัด `2.1` ขาดระดับ 2, 3 เลขระดับต้องเรียงตั้งแต่ 1 ถึง 4 โดยไม่ข้าม"),
        ('indicator 1 "t"\n  mesure x\n  level 1 if x >= 1\n',
         "ไม่รู้จักคำสั่ง `mesure` หมายถึง `ตัววัด` หรือไม่"),
        ("indicator",
         'หลัง `ตัวชี้วัด` ต้องเป็นรหัสตัวชี้วัด เช่น `ตัวชี้วัด 1 "ชื่อตัวชี้วัด"` แต่ไฟล์จบเสียก่อน'),
    ],
)
def test_thai_wording(text: str, thai: str) -> None:
    assert _error(text, "a.kpi", language="th").message == thai


def test_a_file_that_is_not_utf8_in_thai(tmp_path: Path) -> None:
    path = tmp_path / "rules.kpi"
    path.write_bytes("ตัวชี้วัด".encode("cp874"))
    with pytest.raises(kpirules.ParseError) as caught:
        kpirules.load(path, language="th")
    assert caught.value.code == "not-utf8"
    assert caught.value.message == "ไฟล์นี้ไม่ใช่ข้อความ UTF-8 (ไบต์ที่ 0) โปรดบันทึกไฟล์เป็น UTF-8"


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
