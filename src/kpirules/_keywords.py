"""The keywords of the rule language, in English and in Thai: the one table that the grammar, the
formatter, the error messages and the documentation all read.

Each keyword has one English and one Thai spelling; a file may use either (or mix them), and both
give the same syntax tree. A keyword ends where a name could not go on: ``ระดับ 3`` is the keyword
``ระดับ`` then the number 3, but ``ระดับ3`` and ``ถ้าร้อยละ`` are names, since Thai is written without
spaces. Write a space after a Thai keyword.
"""

from __future__ import annotations

__all__ = ["BY_SPELLING", "KEYWORDS", "NAME_END", "THAI", "spelling"]

# english → thai, in the order the reference documents them.
THAI: dict[str, str] = {
    "catalogue": "ชุดตัวชี้วัด",
    "title": "ชื่อ",
    "position": "ตำแหน่ง",
    "year": "ปี",
    "round": "รอบ",
    "indicator": "ตัวชี้วัด",
    "strategy": "ยุทธศาสตร์",
    "team": "ทีม",
    "weight": "น้ำหนัก",
    "measure": "ตัววัด",
    "number": "ตัวเลข",
    "count": "จำนวนนับ",
    "flag": "จริงเท็จ",
    "in": "ช่วง",
    "unit": "หน่วย",
    "let": "ให้",
    "level": "ระดับ",
    "if": "ถ้า",
    "milestone": "ขั้นสำเร็จ",
    "policy": "นโยบาย",
    "ordered": "ตามลำดับ",
    "highest": "สูงสุด",
    "score": "คะแนน",
    "interpolate": "เทียบส่วน",
    "and": "และ",
    "or": "หรือ",
    "not": "ไม่",
    "example": "ตัวอย่าง",
    "rejected": "ปฏิเสธ",
    "true": "จริง",
    "false": "เท็จ",
}

KEYWORDS = frozenset(THAI)

# Every spelling (English or Thai) → the English keyword.
BY_SPELLING: dict[str, str] = {**{word: word for word in THAI}, **{th: en for en, th in THAI.items()}}

# The characters that cannot be part of a name; a keyword must be followed by one of them (or the
# end of the text), so that `integer` is a name and not `in` followed by `teger`.
NAME_END = r"""\s"#()+\-*\/<>=!.,:;%&|\[\]{}'`~@$^?\\≥≤≠×÷“”"""


def spelling(keyword: str, language: str) -> str:
    """How ``keyword`` (English) is written in ``language`` ("en" or "th").

    >>> spelling("level", "th"), spelling("level", "en")
    ('ระดับ', 'level')
    """
    return THAI[keyword] if language == "th" else keyword
