"""A Pygments lexer for ``.kpi`` rule files, so that Sphinx, MkDocs, GitLab and anything else that
highlights with Pygments shows rule files in colour, with English and Thai keywords alike.

Pygments is not a dependency of kpirules; it comes with Sphinx (``kpirules[docs]``). The lexer is
registered under the name ``kpi`` (aliases ``kpirules``, files ``*.kpi``) through the
``pygments.lexers`` entry point, so ``pygmentize -l kpi rules.kpi`` and a Sphinx
``.. code-block:: kpi`` work once kpirules is installed.

The keywords come from :data:`kpirules._keywords.THAI`, the table the parser reads, so a keyword
added there is highlighted here too. Names follow the grammar's rule: a run of characters up to the
next space, quote or operator, so Thai names with vowels above and below and tone marks
(``ร้อยละ``) are one token.

>>> lexer = KpiLexer()
>>> [(kind, text) for kind, text in lexer.get_tokens("ระดับ 3 ถ้า ร้อยละ >= 55") if text.strip()][:4]
[(Token.Keyword, 'ระดับ'), (Token.Literal.Number, '3'), (Token.Keyword, 'ถ้า'), (Token.Name, 'ร้อยละ')]
"""

from __future__ import annotations

import re
from typing import ClassVar

from pygments.lexer import RegexLexer, default
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
    _TokenType,
)

from kpirules._keywords import NAME_END, THAI

__all__ = ["KpiLexer"]

# How each keyword (by its English spelling) is coloured; a keyword not listed is a plain Keyword.
_KINDS: dict[str, _TokenType] = {
    "indicator": Keyword.Declaration,
    "measure": Keyword.Declaration,
    "let": Keyword.Declaration,
    "number": Keyword.Type,
    "count": Keyword.Type,
    "flag": Keyword.Type,
    "ordered": Keyword.Constant,
    "highest": Keyword.Constant,
    "interpolate": Keyword.Constant,
    "true": Keyword.Constant,
    "false": Keyword.Constant,
    "rejected": Keyword.Constant,
    "and": Operator.Word,
    "or": Operator.Word,
    "not": Operator.Word,
}

# A keyword ends where a name could not go on (`integer` is a name, not `in` then `teger`).
_END = rf"(?=[{NAME_END}]|\Z)"
_DIGIT = "[0-9\u0e50-\u0e59]"
_NUMBER = rf"{_DIGIT}(?:_?{_DIGIT})*(?:\.{_DIGIT}(?:_?{_DIGIT})*)?"
_NAME = rf"[^{NAME_END}0-9\u0e50-\u0e59][^{NAME_END}]*"


def _spellings(english: str) -> str:
    """A pattern matching the English and the Thai spelling of ``english``, longest first."""
    words = sorted({english, THAI[english]}, key=len, reverse=True)
    return "(?:" + "|".join(re.escape(word) for word in words) + ")" + _END


def _keyword_rules() -> list[tuple[str, _TokenType] | tuple[str, _TokenType, str]]:
    rules: list[tuple[str, _TokenType] | tuple[str, _TokenType, str]] = []
    # Longer spellings first, so that no keyword is cut short by another that begins it.
    for english in sorted(THAI, key=lambda word: -max(len(word), len(THAI[word]))):
        kind = _KINDS.get(english, Keyword)
        if english in ("measure", "let"):
            rules.append((_spellings(english), kind, "declared"))
        else:
            rules.append((_spellings(english), kind))
    return rules


class KpiLexer(RegexLexer):
    """Highlights kpirules rule files (``.kpi``), with English and Thai keywords."""

    name = "kpi"
    aliases: ClassVar[list[str]] = ["kpi", "kpirules"]
    filenames: ClassVar[list[str]] = ["*.kpi"]
    mimetypes: ClassVar[list[str]] = ["text/x-kpi"]
    url = "https://github.com/kpirules/kpirules"

    tokens: ClassVar[dict[str, list[object]]] = {
        "root": [
            (r"[\s\ufeff]+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            ('"', String.Double, "string"),
            *_keyword_rules(),
            (_NUMBER, Number),
            (r"\.\.", Operator),
            (r"<=|>=|==|!=|<|>|=|\+|-|\*|/", Operator),
            (r"[()\[\]:,]", Punctuation),
            (_NAME, Name),
        ],
        # The name that `measure` or `let` declares.
        "declared": [
            (r"[\s\ufeff]+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (_NAME, Name.Variable, "#pop"),
            default("#pop"),
        ],
        # A string stays on one line; `\"`, `\\`, `\n` and `\t` are its escapes.
        "string": [
            (r'[^"\\\n]+', String.Double),
            (r'\\["\\nt]', String.Escape),
            (r"\\[^\n]", Error),
            ('"', String.Double, "#pop"),
            (r"\n", Error, "#pop"),
        ],
    }
