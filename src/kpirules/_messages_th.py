"""Parse and load error messages in Thai, for files written with Thai keywords.

The parser and the load-time checks write every message in English. :func:`in_thai` turns one of
those messages into Thai with an ordered table of rules: each rule is a regular expression that
matches one shape of English message in full, and a Thai template that puts the captured parts back
in their Thai places. The first rule that matches wins; a message that no rule matches comes back
unchanged, so an English message is always better than none.

Captured parts are turned into Thai by the name of their group: ``words`` is a list of what was
expected ("a number, a name or `(`"), ``after`` / ``before`` / ``found`` say where ("`x`", "the end
of the file"), ``keyword`` is a keyword the message names on its own, ``code`` is an expression
written back as rule text (its ``and`` / ``or`` / ``not`` become ``และ`` / ``หรือ`` / ``ไม่``) and
``where`` is "indicator `1`" or "the catalogue header", and ``suggestion`` is a name offered in
place of a keyword. Any other group is text from the rule file (a name, a number, a token as the
user wrote it, keywords included) and is kept as written, so that it can be found in the file.

Keywords in a Thai message are spelt in Thai, read from :data:`kpirules._keywords.THAI`: a template
writes ``{level}`` where the English message has `level`. Code, names and numbers stay in backticks
as in the English message, and the position of the error does not change.

>>> print(in_thai("indicator `1` has no levels; add at least `level 1 if …`"))
ตัวชี้วัด `1` ยังไม่มีระดับ โปรดเพิ่มอย่างน้อย `ระดับ 1 ถ้า …`
>>> print(in_thai("expected `=` after `ร้อยละ`; found `x`"))
หลัง `ร้อยละ` ต้องเป็น `=` แต่พบ `x`
>>> in_thai("a message no rule knows")
'a message no rule knows'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from kpirules._keywords import BY_SPELLING, THAI

__all__ = ["in_thai"]


class _Rule(NamedTuple):
    english: re.Pattern[str]  # matches the whole English message
    thai: str  # str.format template: the rule's groups and every keyword (`{level}` → ระดับ)


def in_thai(message: str) -> str:
    """``message`` (an English parse or load error message) in Thai; unchanged when no rule knows
    it. Never raises."""
    for rule in _RULES:
        match = rule.english.fullmatch(message)
        if match is None:
            continue
        parts = _thai_parts(match)
        if parts is not None:
            return rule.thai.format_map({**THAI, **parts})
    return message


def _thai_parts(match: re.Match[str]) -> dict[str, str] | None:
    """The groups of ``match`` in Thai, by group name; None when one of them is not understood."""
    parts: dict[str, str] = {}
    for name, text in match.groupdict().items():
        convert = _CONVERTERS.get(name)
        value = text if convert is None else convert(text)
        if value is None:
            return None
        parts[name] = value
    return parts


# --- the parts of a message --------------------------------------------------------------------

_START, _END = "the start of the file", "the end of the file"

# What the parser may list after "expected" (its descriptions of terminals), each in Thai.
_ITEMS: dict[str, str] = {
    "a name": "ชื่อ",
    "a number": "ตัวเลข",
    'a text in double quotes ("…")': 'ข้อความในเครื่องหมายคำพูด ("…")',
    "a comparison such as `>= 55`": "การเปรียบเทียบ เช่น `>= 55`",
    "a new statement such as `level`": f"คำสั่งใหม่ เช่น `{THAI['level']}`",
    _END: "ท้ายไฟล์",
    "<END-OF-FILE>": "ท้ายไฟล์",
    **{f"`{symbol}`": f"`{symbol}`" for symbol in ("(", ")", "-", "+", "*", "/", "=", "..", ":", ",",
                                                   "[", "]")},
    **{f"`{english}`": f"`{thai}`" for english, thai in THAI.items()},
}
_ITEM = re.compile("|".join(re.escape(item) for item in sorted(_ITEMS, key=len, reverse=True)))


def _thai_list(text: str) -> str | None:
    """"a number, a name or `(`" → "ตัวเลข, ชื่อ หรือ `(`"; None for a list with an unknown item.

    Lists inside the list ("`number`, `count` or `flag`") are flattened into it.
    """
    items: list[str] = []
    position = 0
    while True:
        match = _ITEM.match(text, position)
        if match is None:
            return None
        items.append(_ITEMS[match.group()])
        position = match.end()
        if position == len(text):
            break
        separator = next((s for s in (", ", " or ") if text.startswith(s, position)), None)
        if separator is None:
            return None
        position += len(separator)
    items = list(dict.fromkeys(items))
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " หรือ " + items[-1]


def _thai_place(text: str) -> str:
    """Where the parser was: "`x`" → "หลัง `x`", the start or end of the file."""
    if text == _START:
        return "ที่ต้นไฟล์"
    if text == _END:
        return "ที่ท้ายไฟล์"
    return f"หลัง {text}"


def _thai_found(text: str) -> str:
    """What the parser found instead: "`x`" → "แต่พบ `x`", or the file ended."""
    return "แต่ไฟล์จบเสียก่อน" if text == _END else f"แต่พบ {text}"


def _thai_keyword(text: str) -> str:
    """A keyword named in a message, in its Thai spelling (other words unchanged)."""
    english = BY_SPELLING.get(text, text)
    return THAI.get(english, text)


_OPERATOR_WORD = re.compile(r"(?<![^\s(])(and|or|not)(?![^\s)])")


def _thai_code(text: str) -> str:
    """An expression as the checker writes it back, with `and`, `or`, `not` in Thai (a name can
    never be a keyword, so every such word is one)."""
    return _OPERATOR_WORD.sub(lambda match: THAI[match.group()], text)


def _thai_suggestion(text: str) -> str:
    """A name suggested for a keyword used as a name: "ระดับ_value" reads better as "ค่าระดับ"
    (the value of the level); an English suggestion is kept."""
    keyword = text.removesuffix("_value")
    if keyword != text and any("\u0e00" <= char <= "\u0e7f" for char in keyword):
        return "ค่า" + keyword
    return text


def _thai_where(text: str) -> str:
    """"indicator `1`" → "ตัวชี้วัด `1`"; "the catalogue header" → "ส่วนหัวของชุดตัวชี้วัด"."""
    if text == "the catalogue header":
        return "ส่วนหัวของชุดตัวชี้วัด"
    return "ตัวชี้วัด " + text.removeprefix("indicator ")


_CONVERTERS: dict[str, Callable[[str], str | None]] = {
    "words": _thai_list,
    "after": _thai_place,
    "before": _thai_place,
    "found": _thai_found,
    "keyword": _thai_keyword,
    "code": _thai_code,
    "where": _thai_where,
    "suggestion": _thai_suggestion,
}

# --- the table ---------------------------------------------------------------------------------


def _code(group: str) -> str:
    """A pattern for code in backticks, captured without them as ``group``."""
    return rf"`(?P<{group}>.+?)`"


def _place(group: str) -> str:
    """A pattern for where the parser was: a token in backticks, or the start or end of the file."""
    return rf"(?P<{group}>`.+?`|{_START}|{_END})"


_FOUND = rf"(?P<found>`.+?`|{_END})"

# Messages without parts, word for word: first the hints for characters people type for operators
# the language spells differently, then the others.
_FIXED: dict[str, str] = {
    '`=>` is not an operator: write `>=` for "at least"':
        'ไม่มีเครื่องหมาย `=>` โปรดเขียน `>=` สำหรับ "ไม่น้อยกว่า"',
    '`=<` is not an operator: write `<=` for "at most"':
        'ไม่มีเครื่องหมาย `=<` โปรดเขียน `<=` สำหรับ "ไม่เกิน"',
    'write `>=` for "at least" instead of `≥`': 'โปรดเขียน `>=` แทน `≥` สำหรับ "ไม่น้อยกว่า"',
    'write `<=` for "at most" instead of `≤`': 'โปรดเขียน `<=` แทน `≤` สำหรับ "ไม่เกิน"',
    'write `!=` for "not equal" instead of `≠`': 'โปรดเขียน `!=` แทน `≠` สำหรับ "ไม่เท่ากับ"',
    "write `and` instead of `&&`": "โปรดเขียน `{and}` แทน `&&`",
    "write `or` instead of `||`": "โปรดเขียน `{or}` แทน `||`",
    "write `and` instead of `&`": "โปรดเขียน `{and}` แทน `&`",
    "write `or` instead of `|`": "โปรดเขียน `{or}` แทน `|`",
    "write `*` to multiply instead of `×`": "โปรดเขียน `*` แทน `×` สำหรับการคูณ",
    "write `/` to divide instead of `÷`": "โปรดเขียน `/` แทน `÷` สำหรับการหาร",
    "remove the `%`: numbers are plain (write `55` for 55 percent)":
        "โปรดลบ `%` ออก ให้เขียนเป็นตัวเลขอย่างเดียว (ร้อยละ 55 เขียนเป็น `55`)",
    'write straight double quotes `"` instead of `“ ”`':
        'โปรดใช้เครื่องหมายคำพูดตัวตรง `"` แทน `“ ”`',
    "text goes in double quotes `\"…\"`, not single quotes":
        'ข้อความต้องอยู่ในเครื่องหมายคำพูดคู่ `"…"` ไม่ใช่เครื่องหมายคำพูดเดี่ยว',
    'write `not` instead of `!` (or `!=` for "not equal")':
        'โปรดเขียน `{not}` แทน `!` (หรือ `!=` สำหรับ "ไม่เท่ากับ")',
    "remove the `,`: write numbers without thousands separators (`1000` or `1_000`)":
        "โปรดลบ `,` ออก ตัวเลขไม่ต้องมีจุลภาคคั่นหลักพัน (เขียน `1000` หรือ `1_000`)",
    'this text is not closed: end it with `"` on the same line':
        'ข้อความนี้ยังไม่ปิดเครื่องหมายคำพูด โปรดปิดด้วย `"` ในบรรทัดเดียวกัน',
    "write `==` to compare for equality (a single `=` only follows `let NAME`)":
        "โปรดเขียน `==` เพื่อเปรียบเทียบว่าเท่ากัน (`=` ตัวเดียวใช้เฉพาะหลังชื่อในบรรทัด `{let}`)",
    "an indicator id cannot be empty": "รหัสตัวชี้วัดต้องไม่เป็นข้อความว่าง",
    "`score interpolate` needs every level to be one comparison of the same expression with a "
    "number, `>=`/`>` with rising thresholds or `<=`/`<` with falling ones (no milestones, no "
    "`and`/`or`)":
        "`{score} {interpolate}` ใช้ได้เมื่อทุกระดับเป็นการเปรียบเทียบสูตรเดียวกันกับตัวเลขเพียงครั้งเดียว "
        "โดยใช้ `>=`/`>` กับเกณฑ์ที่สูงขึ้นทีละระดับ หรือ `<=`/`<` กับเกณฑ์ที่ต่ำลงทีละระดับ "
        "(ไม่มี `{milestone}` และไม่ใช้ `{and}`/`{or}`)",
}

# Messages with parts: (English pattern, Thai template). Groups named in _CONVERTERS are turned
# into Thai; the others are the user's own text and are kept.
_SHAPES: list[tuple[str, str]] = [
    # syntax errors (kpirules._parser)
    (r"unexpected character `(?P<char>.+?)`: expected (?P<words>.+)",
     "ใช้อักขระ `{char}` ตรงนี้ไม่ได้ ต้องเป็น {words}"),
    (rf"expected a number or a name after {_place('before')}, but found the keyword "
     rf"{_code('token')} \(the threshold is missing\)",
     "{before} ต้องเป็นตัวเลขหรือชื่อ (ยังไม่ได้ใส่ค่าเกณฑ์) แต่พบคำสงวน `{token}`"),
    (rf"expected a number or a name after {_place('before')}, but found the keyword "
     rf"{_code('token')}",
     "{before} ต้องเป็นตัวเลขหรือชื่อ แต่พบคำสงวน `{token}`"),
    (rf"{_code('value')} starts with the keyword {_code('thai')}: write a space "
     rf"after a keyword \({_code('spaced')}\)",
     "`{value}` ขึ้นต้นด้วยคำสงวน `{thai}` โปรดเว้นวรรคหลังคำสงวน (`{spaced}`)"),
    (rf"unknown statement {_code('value')}: did you mean {_code('keyword')}\?",
     "ไม่รู้จักคำสั่ง `{value}` หมายถึง `{keyword}` หรือไม่"),
    (rf"Thai text {_code('value')} is outside double quotes: a description or title goes "
     r'in double quotes, as in "(?P=value)"',
     'ข้อความภาษาไทย `{value}` อยู่นอกเครื่องหมายคำพูด คำอธิบายหรือชื่อเรื่องต้องอยู่ในเครื่องหมายคำพูด '
     'เช่น "{value}"'),
    (rf"{_code('value')} is not a kind of measure: write `number`, `count` or `flag` "
     r"\(a description goes in double quotes\)",
     "`{value}` ไม่ใช่ชนิดของตัววัด โปรดเขียน `{number}`, `{count}` หรือ `{flag}` "
     "(คำอธิบายต้องอยู่ในเครื่องหมายคำพูด)"),
    (rf"unexpected {_code('value')} after {_place('after')}: a description goes in "
     r'double quotes, as in "(?P=value) …"',
     'พบ `{value}` {after} คำอธิบายต้องอยู่ในเครื่องหมายคำพูด เช่น "{value} …"'),
    (rf"unknown statement {_code('value')}: a statement starts with a keyword such as "
     r"`level`, `measure` or `indicator`",
     "ไม่รู้จักคำสั่ง `{value}` คำสั่งต้องขึ้นต้นด้วยคำสงวน เช่น `{level}`, `{measure}` หรือ "
     "`{indicator}`"),
    (rf"{_code('value')} belongs in the catalogue header, before the first indicator",
     "`{value}` ต้องอยู่ในส่วนหัวของชุดตัวชี้วัด ก่อนตัวชี้วัดตัวแรก"),
    (rf"{_code('value')} must be inside an indicator: start one with "
     r'`indicator 1 "title"` first',
     '`{value}` ต้องอยู่ภายในตัวชี้วัด โปรดเริ่มตัวชี้วัดด้วย `{indicator} 1 "ชื่อตัวชี้วัด"` ก่อน'),
    (rf"write the level number after {_code('token')}, as in `level 3 if …`; found "
     rf"{_FOUND}",
     "หลัง `{token}` ต้องมีเลขระดับ เช่น `{level} 3 {if} …` {found}"),
    (rf"expected `if` and a condition, or `milestone` and a description, after the level number "
     rf"{_code('token')}; found {_FOUND}",
     "หลังเลขระดับ `{token}` ต้องเป็น `{if}` ตามด้วยเงื่อนไข หรือ `{milestone}` ตามด้วยคำอธิบาย "
     "{found}"),
    (rf"expected the indicator's id after `indicator`, as in `indicator 1 \"title\"`; found {_FOUND}",
     'หลัง `{indicator}` ต้องเป็นรหัสตัวชี้วัด เช่น `{indicator} 1 "ชื่อตัวชี้วัด"` {found}'),
    (rf"expected a number or a name after {_place('after')} \(the threshold is missing\); "
     rf"found {_FOUND}",
     "{after} ต้องเป็นตัวเลขหรือชื่อ (ยังไม่ได้ใส่ค่าเกณฑ์) {found}"),
    (rf"the file ends in the middle of a statement: expected (?P<words>.+?) after "
     rf"{_place('after')}",
     "ไฟล์จบกลางคำสั่ง {after} ต้องเป็น {words}"),
    (rf"expected (?P<words>.+?) after {_place('after')}; found {_FOUND}",
     "{after} ต้องเป็น {words} {found}"),
    # errors found while building the syntax tree (kpirules._parser)
    (r"this expression is nested more than (?P<depth>\d+) levels deep; split it into `let` steps",
     "สูตรนี้ซ้อนกันลึกเกิน {depth} ชั้น โปรดแยกเป็นหลายขั้นด้วย `{let}`"),
    (r"`\\(?P<char>.)` is not an escape in a text; write `\\\\` for a backslash "
     r'\(the escapes are \\" \\\\ \\n \\t\)',
     '`\\{char}` ใช้ในข้อความไม่ได้ (ใช้ได้เฉพาะ \\" \\\\ \\n \\t) '
     "ถ้าต้องการเครื่องหมาย `\\` โปรดเขียน `\\\\`"),
    (rf"{_code('name')} is a keyword and cannot be used as a name; choose another name, "
     rf"such as {_code('suggestion')}",
     "`{name}` เป็นคำสงวน ใช้เป็นชื่อไม่ได้ โปรดตั้งชื่ออื่น เช่น `{suggestion}`"),
    (rf"{_code('name')} is not a valid name \({_code('char')} cannot be part of a "
     r"name\); names are letters, digits and `_` \(Thai letters are letters\), and text goes in "
     r"double quotes",
     "`{name}` ใช้เป็นชื่อไม่ได้ (ในชื่อมี `{char}` ไม่ได้) ชื่อประกอบด้วยตัวอักษร (รวมอักษรไทย) "
     "ตัวเลข และ `_` ส่วนข้อความต้องอยู่ในเครื่องหมายคำพูด"),
    (rf"{_code('keyword')} needs a whole number, not {_code('text')}",
     "`{keyword}` ต้องเป็นจำนวนเต็ม ไม่ใช่ `{text}`"),
    (rf"a weight cannot be negative \({_code('text')}\)",
     "น้ำหนักติดลบไม่ได้ (`{text}`)"),
    (r"the range (?P<low>\S+?)\.\.(?P<high>\S+) is empty: write the lower bound first",
     "ช่วง {low}..{high} เป็นช่วงว่าง โปรดเขียนค่าที่น้อยกว่าไว้ก่อน เช่น {high}..{low}"),
    (rf"a level number is a whole number from 1 up, not {_code('text')}",
     "เลขระดับต้องเป็นจำนวนเต็มตั้งแต่ 1 ขึ้นไป ไม่ใช่ `{text}`"),
    # load-time checks (kpirules._semantics)
    (rf"indicator {_code('id')} is defined twice \(first on line (?P<line>\d+)\); give each "
     r"indicator its own id",
     "ตัวชี้วัด `{id}` ซ้ำ (ครั้งแรกอยู่บรรทัดที่ {line}) ตัวชี้วัดแต่ละตัวต้องมีรหัสไม่ซ้ำกัน"),
    (rf"{_code('keyword')} is given twice in (?P<where>indicator `.+?`|the catalogue header) "
     r"\(first on line (?P<line>\d+)\); keep one",
     "`{keyword}` ซ้ำใน{where} (ครั้งแรกอยู่บรรทัดที่ {line}) โปรดเหลือไว้บรรทัดเดียว"),
    (rf"{_code('name')} is already declared in indicator {_code('id')} "
     r"\(line (?P<line>\d+)\); give it another name",
     "มีชื่อ `{name}` อยู่แล้วในตัวชี้วัด `{id}` (บรรทัดที่ {line}) โปรดตั้งชื่ออื่น"),
    (rf"{_code('name')} is used before its `let`; move the `let (?P=name) = …` line above "
     r"this one",
     "ใช้ `{name}` ก่อนบรรทัด `{let}` ที่กำหนดค่า โปรดย้ายบรรทัด `{let} {name} = …` "
     "ขึ้นไปไว้เหนือบรรทัดนี้"),
    (rf"{_code('code')} is a number, but a condition is needed here; compare it, as in "
     r"`(?P=code) >= 55`",
     "`{code}` เป็นตัวเลข แต่ตรงนี้ต้องเป็นเงื่อนไข โปรดเปรียบเทียบค่า เช่น `{code} >= 55`"),
    (rf"{_code('code')} is true or false \(a flag or a condition\), but a number is needed "
     r"here",
     "`{code}` เป็นค่าจริงหรือเท็จ (ตัววัดชนิด `{flag}` หรือเงื่อนไข) แต่ตรงนี้ต้องเป็นตัวเลข"),
    (rf"{_code('code')} is a condition, but a number is needed here",
     "`{code}` เป็นเงื่อนไข แต่ตรงนี้ต้องเป็นตัวเลข"),
    (rf"indicator {_code('id')} has no levels; add at least `level 1 if …`",
     "ตัวชี้วัด `{id}` ยังไม่มีระดับ โปรดเพิ่มอย่างน้อย `{level} 1 {if} …`"),
    (rf"level (?P<level_number>\d+) is defined twice in indicator {_code('id')} \(first on "
     r"line (?P<line>\d+)\); number the levels 1, 2, 3, …",
     "ระดับ {level_number} ซ้ำในตัวชี้วัด `{id}` (ครั้งแรกอยู่บรรทัดที่ {line}) "
     "โปรดเรียงเลขระดับเป็น 1, 2, 3, …"),
    (rf"indicator {_code('id')} has no level (?P<missing>\d+(?:, \d+)*): levels are numbered "
     r"1 to (?P<top>\d+) without gaps",
     "ตัวชี้วัด `{id}` ขาดระดับ {missing} เลขระดับต้องเรียงตั้งแต่ 1 ถึง {top} โดยไม่ข้าม"),
    # reading a file (kpirules._load)
    (r"the file is not UTF-8 text \(byte (?P<byte>\d+)\); save it as UTF-8",
     "ไฟล์นี้ไม่ใช่ข้อความ UTF-8 (ไบต์ที่ {byte}) โปรดบันทึกไฟล์เป็น UTF-8"),
]

_RULES: tuple[_Rule, ...] = (
    *(_Rule(re.compile(re.escape(english)), thai) for english, thai in _FIXED.items()),
    *(_Rule(re.compile(english, re.DOTALL), thai) for english, thai in _SHAPES),
)
