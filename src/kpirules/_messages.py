"""Messages as data: every text kpirules shows a person has a stable code and one entry per language.

The texts live in one gettext catalogue inside the package, ``locale/th/LC_MESSAGES/kpirules.po``:
each entry's ``msgctxt`` is the code, its ``msgid`` the English text and its ``msgstr`` the Thai
text, so translators open it in Poedit or any other gettext tool and see both side by side (see the
documentation page "Messages in two languages"). Both texts are :meth:`str.format` templates whose
fields are the message's parts: ``{measure}`` is filled in from the part of that name, and
``{kw.level}`` is the keyword ``level`` spelt in the message's language (``ระดับ`` in Thai).

A part is plain text (kept as written: a name or a number the user wrote), an ``int``, a
``Decimal`` (shown as a person reads it), a ``bool`` (true/false in the reader's language), a
:class:`Keyword`, a nested :class:`Message`, or a :class:`Items` list ("a, b or c" / "a, b หรือ c").

>>> print(message("no-levels", indicator="1").render("en"))
indicator `1` has no levels; add at least `level 1 if …`
>>> print(message("no-levels", indicator="1").render("th"))
ตัวชี้วัด `1` ยังไม่มีระดับ โปรดเพิ่มอย่างน้อย `ระดับ 1 ถ้า …`
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import attrs

from kpirules._keywords import THAI
from kpirules._numbers import show

__all__ = [
    "LANGUAGES",
    "Items",
    "Keyword",
    "Language",
    "Message",
    "catalogue",
    "check_language",
    "message",
    "read_po",
    "text",
]

Language = Literal["en", "th"]
LANGUAGES: tuple[Language, ...] = ("en", "th")

CATALOGUE = Path(__file__).with_name("locale") / "th" / "LC_MESSAGES" / "kpirules.po"


@attrs.frozen(slots=True)
class Keyword:
    """A keyword of the rule language, spelt as the reader's language spells it."""

    name: str


@attrs.frozen(slots=True)
class Items:
    """A list in running text: ``Items(("a", "b", "c"))`` is "a, b or c" (``joiner="and"``: "and")."""

    items: tuple[Any, ...]
    joiner: Literal["or", "and"] = "or"


@attrs.frozen(slots=True)
class Message:
    """A message before it is put into words: its code and its parts.

    Frozen and picklable, so an error that carries one can cross a process boundary and still be
    rendered in either language.
    """

    code: str
    parts: tuple[tuple[str, Any], ...] = ()

    def render(self, language: str = "en") -> str:
        """The message in ``language`` ("en" or "th")."""
        return text(self.code, language, **dict(self.parts))

    def part(self, name: str) -> Any:
        """The part called ``name`` (KeyError when there is none)."""
        for key, value in self.parts:
            if key == name:
                return value
        raise KeyError(name)


def message(code: str, /, **parts: Any) -> Message:
    """A :class:`Message` with ``parts`` as keyword arguments. The catalogue is read when a message
    is first rendered, not here, so that importing kpirules reads no file; a test checks that
    every code the source names is in the catalogue."""
    return Message(code, tuple(parts.items()))


def check_language(language: object, what: str = "language") -> Language:
    """``language`` if it is "en" or "th"; a ValueError naming ``what`` otherwise."""
    if language == "en" or language == "th":
        return language
    raise ValueError(f'{what} must be "en" or "th", not {language!r}')


def text(code: str, language: str = "en", /, **parts: Any) -> str:
    """The message ``code`` in ``language`` with ``parts`` filled in."""
    entries = catalogue()
    if code not in entries:
        raise KeyError(f"no message `{code}` in {CATALOGUE.name}")
    english, thai = entries[code]
    template = thai if language == "th" and thai else english
    rendered: dict[str, object] = {name: _render(value, language) for name, value in parts.items()}
    rendered["kw"] = _Spellings(language)
    return template.format_map(rendered)


class _Spellings:
    """``{kw.level}`` in a template: the keyword in the reader's language."""

    __slots__ = ("language",)

    def __init__(self, language: str) -> None:
        self.language = language

    def __getattr__(self, name: str) -> str:
        if name not in THAI:
            raise AttributeError(name)
        return THAI[name] if self.language == "th" else name


def _render(value: Any, language: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return text("word-true" if value else "word-false", language)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return show(value)
    if isinstance(value, Keyword):
        return THAI[value.name] if language == "th" else value.name
    if isinstance(value, Items):
        shown = list(dict.fromkeys(_render(item, language) for item in _flat(value)))
        if len(shown) <= 1:
            return "".join(shown)
        return text(f"list-{value.joiner}", language, head=", ".join(shown[:-1]), last=shown[-1])
    render = getattr(value, "render", None)
    if render is not None:
        # A Message, or another part that knows how to say itself in each language (an
        # expression whose `and`/`or`/`not` are keywords).
        return str(render(language))
    return str(value)


def _flat(items: Items) -> list[Any]:
    """The items of ``items``, with the items of a list inside it in its place ("a, b, c or d",
    not "a, b or c or d")."""
    flat: list[Any] = []
    for item in items.items:
        flat.extend(_flat(item) if isinstance(item, Items) else [item])
    return flat


@functools.cache
def catalogue() -> Mapping[str, tuple[str, str]]:
    """Every message: code → (English, Thai), read once from the package's ``.po`` file."""
    return read_po(CATALOGUE.read_text(encoding="utf-8"))


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(token: str, line_number: int) -> str:
    if len(token) < 2 or token[0] != '"' or token[-1] != '"':
        raise ValueError(f"line {line_number}: expected a quoted string, found {token!r}")
    body, out, index = token[1:-1], [], 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            escaped = body[index + 1: index + 2]
            if escaped not in _ESCAPES:
                raise ValueError(f"line {line_number}: unknown escape \\{escaped}")
            out.append(_ESCAPES[escaped])
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


def read_po(source: str) -> dict[str, tuple[str, str]]:
    """The entries of a ``.po`` file as code (``msgctxt``) → (``msgid``, ``msgstr``).

    Only what this catalogue uses is read: comments, ``msgctxt``, ``msgid`` and ``msgstr`` with
    continuation lines; the header entry (empty ``msgid``) is skipped. The test suite reads the
    same file with Babel, so the file stays one that gettext tools accept.

    >>> read_po('msgctxt "a"\\nmsgid "one"\\nmsgstr ""\\n"หนึ่ง"\\n')
    {'a': ('one', 'หนึ่ง')}
    """
    entries: dict[str, tuple[str, str]] = {}
    fields: dict[str, str] = {}
    current: str | None = None

    def finish() -> None:
        if fields.get("msgid"):
            code = fields.get("msgctxt")
            if code is None:
                raise ValueError(f"the entry {fields['msgid']!r} has no msgctxt (its code)")
            if code in entries:
                raise ValueError(f"the code {code!r} is in the catalogue twice")
            entries[code] = (fields["msgid"], fields.get("msgstr", ""))
        fields.clear()

    for number, raw in enumerate(source.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith('"'):
            if current is None:
                raise ValueError(f"line {number}: a continuation line outside an entry")
            fields[current] += _unquote(line, number)
            continue
        keyword, _, rest = line.partition(" ")
        if keyword not in ("msgctxt", "msgid", "msgstr"):
            raise ValueError(f"line {number}: unknown keyword {keyword!r}")
        if keyword in ("msgctxt", "msgid") and ("msgstr" in fields or keyword in fields):
            finish()
        current = keyword
        fields[keyword] = _unquote(rest.strip(), number)
    finish()
    return entries
