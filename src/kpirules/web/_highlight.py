"""Rule text as highlighted HTML for the editor, with the checker's findings marked in place.

The colours come from the project's Pygments lexer (:mod:`kpirules.pygments_lexer`), the one the
documentation uses, so a keyword added to the language is coloured here too. A finding at a line
and column marks the token that starts there; a finding past the end of a line (a statement left
unfinished) gets an empty marker there.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from markupsafe import Markup, escape
from pygments.token import STANDARD_TYPES, _TokenType

from kpirules.pygments_lexer import KpiLexer

__all__ = ["highlight"]


@cache
def _lexer() -> KpiLexer:
    return KpiLexer()


def _css(kind: _TokenType) -> str:
    while kind not in STANDARD_TYPES and kind.parent is not None:
        kind = kind.parent
    return STANDARD_TYPES.get(kind, "")


def _offsets(text: str, marks: Iterable[tuple[int, int, str]]) -> dict[int, str]:
    """Each mark's (line, column), both 1-based, as an offset into ``text``; an error wins over a
    warning at the same place."""
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    found: dict[int, str] = {}
    for line, column, severity in marks:
        if not 1 <= line <= len(starts):
            continue
        end = starts[line] - 1 if line < len(starts) else len(text)
        offset = min(starts[line - 1] + max(column, 1) - 1, end)
        if found.get(offset) != "error":
            found[offset] = "error" if severity == "error" else "warning"
    return found


def highlight(text: str, marks: Iterable[tuple[int, int, str]] = ()) -> Markup:
    """``text`` as HTML spans with Pygments' short class names (``k`` keyword, ``s`` string, …);
    ``marks`` are (line, column, severity) to underline.

    >>> print(highlight('level 1 if x >= 5', [(1, 12, "error")]))
    <span class="k">level</span> <span class="m">1</span> <span class="k">if</span> <span class="n mark-error">x</span> <span class="o">&gt;=</span> <span class="m">5</span>
    """  # noqa: E501 - a doctest's expected line cannot be wrapped
    at = _offsets(text, marks)
    parts: list[str] = []
    for start, kind, value in _lexer().get_tokens_unprocessed(text):
        end = start + len(value)
        marked = sorted(offset for offset in at if start <= offset < end)
        css = _css(kind)
        if not marked or not value.strip():
            # A mark on white space (or a line's end) is shown as an empty marker before it.
            for offset in marked:
                parts.append(f'<span class="mark-{at[offset]} gap"></span>')
            parts.append(_span(css, value))
            continue
        severity = at[marked[0]]
        parts.append(_span(f"{css} mark-{severity}".strip(), value))
    if len(text) in at:
        parts.append(f'<span class="mark-{at[len(text)]} gap"></span>')
    return Markup("".join(parts))


def _span(css: str, value: str) -> str:
    if not css or not value.strip():
        return str(escape(value))
    return f'<span class="{css}">{escape(value)}</span>'
