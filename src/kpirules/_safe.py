"""Text that leaves kpirules for a spreadsheet, a Markdown page or a terminal, made safe there.

Subject names, titles and messages can hold whatever a records or rule file holds, so each way
out neutralises what its reader would act on (see the documentation page "Limits"):

- a CSV cell that a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``,
  a tab or a carriage return: the OWASP rule) gets a leading ``'``; a plain number such as
  ``-5`` is left as it is;
- Markdown text has ``&`` and ``<`` written as entities, so no HTML in it is rendered;
- terminal text shows control characters (escape sequences, line breaks, bidi overrides) as
  ``\\x1b``, ``\\n``, ``\\u202e`` instead of sending them to the terminal.

>>> spreadsheet_cell("=1+2"), spreadsheet_cell("-5"), markdown_text("<b>"), terminal_text("a\\x1b[2J")
("'=1+2", '-5', '&lt;b>', 'a\\\\x1b[2J')
"""

from __future__ import annotations

import re

__all__ = ["markdown_text", "spreadsheet_cell", "terminal_lines", "terminal_text"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
# C0 and C1 controls, DEL, and the bidirectional overrides and isolates, which reorder what a
# terminal shows (U+202A-U+202E, U+2066-U+2069).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def spreadsheet_cell(text: str) -> str:
    """``text`` as a CSV cell that a spreadsheet shows and never evaluates."""
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def markdown_text(text: str) -> str:
    """``text`` for a Markdown page, with no HTML in it left to render."""
    return text.replace("&", "&amp;").replace("<", "&lt;")


def terminal_text(text: str) -> str:
    """``text`` with its control characters written as escapes, for a terminal."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda match: _escape(match.group()), text)


def _escape(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_lines(text: str) -> str:
    """``text`` of several lines for a terminal: its line breaks kept, every other control
    character escaped as :func:`terminal_text` does."""
    return "\n".join(terminal_text(line) for line in text.split("\n"))
