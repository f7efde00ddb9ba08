"""The catalogues the server offers: the shipped ones and the ``.kpi`` files of its folder.

A name from a URL is only ever compared with the names listed here; it is never joined onto a path,
so ``../secret`` or ``/etc/passwd`` cannot reach a file (see the web page of the docs). A file in
the folder shadows a shipped catalogue of the same name, as ``kpirules eval`` reads a file before
it looks for a catalogue.
"""

from __future__ import annotations

import hashlib
import os
import re
from functools import cache
from pathlib import Path

import attrs

import kpirules
from kpirules import catalogue
from kpirules.errors import KpiRulesError
from kpirules.model import RuleSet

__all__ = ["NAME", "Entry", "Shelf", "digest"]

SUFFIX = ".kpi"
# A name the editor may save under: letters (Thai ones included), digits, spaces, `-`, `_`, `.`
# and parentheses, not starting with a dot or a space (no hidden files, no `..`) nor ending with a
# space; none of the characters a path or Windows gives a meaning (`/ \ : * ? " < > |`). `\w`
# alone misses Thai vowel and tone marks, which are not alphanumeric.
NAME = re.compile(r"(?![.\s])[\w\u0e00-\u0e7f .()-]{1,100}(?<!\s)")


def digest(data: bytes) -> str:
    """The SHA-256 of a file's bytes, which the editor sends back when it saves."""
    return hashlib.sha256(data).hexdigest()


@attrs.frozen
class Entry:
    """One catalogue: its name, and the file it is read from; ``shipped`` ones are read-only."""

    name: str
    path: Path
    shipped: bool

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()

    def text(self) -> str:
        data = self.read_bytes()
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise KpiRulesError(f"{self.path.name}: the file is not UTF-8 text") from None

    def load(self, language: str | None = None) -> RuleSet:
        """The rules, their messages and explanations in ``language`` (by default the file's)."""
        if self.shipped:
            if language is None:
                return catalogue.load(self.name)
            return _shipped(self.name, language)
        return kpirules.parse(self.text(), source=self.path.name, language=language)


@cache
def _shipped(name: str, language: str) -> RuleSet:
    # A shipped catalogue does not change while the server runs; read it once per language.
    return kpirules.parse(catalogue.text(name), source=catalogue.path(name).name, language=language)


class Shelf:
    """The catalogues by name, looked up afresh on every request (files come and go)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder).resolve()

    def own(self) -> list[Entry]:
        """The ``.kpi`` files directly in the folder (not in sub-folders), by name."""
        try:
            children = sorted(self.folder.iterdir())
        except OSError:
            return []
        # Any visible file will do (its name is only ever compared, never joined): a file the
        # editor could not have named is still shown, and saved back under its own name only if
        # NAME allows it.
        return [Entry(child.name[: -len(SUFFIX)], child, False) for child in children
                if child.name.endswith(SUFFIX) and len(child.name) > len(SUFFIX)
                and not child.name.startswith(".") and child.is_file()
                and child.resolve().parent == self.folder]

    def shipped(self) -> list[Entry]:
        return [Entry(name, catalogue.path(name), True) for name in catalogue.names()]

    def find(self, name: str) -> Entry | None:
        """The catalogue called ``name``, or None: a file of the folder first, then a shipped one."""
        for entry in self.own():
            if entry.name == name:
                return entry
        for entry in self.shipped():
            if entry.name == name:
                return entry
        return None

    def target(self, name: str) -> Path | None:
        """Where the editor saves ``name`` (a file directly in the folder), or None when the name is
        not one a file may have."""
        if not NAME.fullmatch(name) or name.endswith(SUFFIX):
            return None
        path = self.folder / (name + SUFFIX)
        # A link in the folder that points elsewhere is not written through.
        if path.is_symlink() or path.resolve().parent != self.folder:
            return None
        return path
