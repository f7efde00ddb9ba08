"""The catalogues shipped with kpirules: ready-made rule sets, by name.

A catalogue is a ``.kpi`` file in the package's catalogue folder; its name is the file name without
the extension.

>>> from kpirules import catalogue
>>> "cdd-2565-r1" in catalogue.names()
True
>>> rules = catalogue.load("cdd-2565-r1")
>>> rules.year, rules.round, len(rules)
(2565, 1, 7)
>>> print(rules["1"].strategy)
สร้างสรรค์ชุมชนให้พึ่งตนเองได้
"""

from __future__ import annotations

import difflib
from functools import cache
from pathlib import Path

from kpirules._load import load as _load_file
from kpirules._messages import Message, message
from kpirules._resources import catalogue_dir
from kpirules.errors import UsageError
from kpirules.model import RuleSet

__all__ = ["load", "names", "path", "text"]

_SUFFIX = ".kpi"


def names() -> list[str]:
    """The names of the shipped catalogues, sorted.

    >>> names()[0]
    'cdd-2565-r1'
    """
    folder = catalogue_dir()
    if not folder.is_dir():
        return []
    return sorted(entry.name[: -len(_SUFFIX)] for entry in folder.iterdir()
                  if entry.name.endswith(_SUFFIX) and entry.is_file())


def path(name: str) -> Path:
    """The file of catalogue ``name``.

    >>> path("cdd-2565-r1").name
    'cdd-2565-r1.kpi'

    An unknown name raises :class:`~kpirules.errors.UsageError` listing the shipped catalogues:

    >>> path("cdd-2565-r2")
    Traceback (most recent call last):
    ...
    kpirules.errors.UsageError: no shipped catalogue is named 'cdd-2565-r2'; did you mean 'cdd-2565-r1'? The shipped catalogues are: cdd-2565-r1
    """  # noqa: E501 - a doctest's expected line cannot be wrapped
    shipped = names()
    # Compared against the listing rather than joined onto the folder, so that a name such as
    # "../x" or "cdd-2565-r1.kpi" cannot reach a file that is not a shipped catalogue.
    if isinstance(name, str) and name in shipped:
        return catalogue_dir() / (name + _SUFFIX)
    raise UsageError(_unknown(name, shipped))


def _unknown(name: object, shipped: list[str]) -> Message:
    if not shipped:
        return message("no-catalogues", name=repr(name), folder=str(catalogue_dir()))
    listing = ", ".join(shipped)
    stem = str(name).removesuffix(_SUFFIX)
    guess = difflib.get_close_matches(stem, shipped, n=1)
    if guess:
        return message("unknown-catalogue-guess", name=repr(name), guess=repr(guess[0]),
                       names=listing)
    return message("unknown-catalogue", name=repr(name), names=listing)


def text(name: str) -> str:
    """The rule text of catalogue ``name``, as shipped.

    >>> text("cdd-2565-r1").count("\\nindicator ")
    7
    """
    return path(name).read_text(encoding="utf-8")


def load(name: str, language: str | None = None) -> RuleSet:
    """Catalogue ``name`` as a :class:`~kpirules.RuleSet` whose messages speak ``language``
    (``"th"`` or ``"en"``; by default the language of the catalogue's keywords).

    The file is read and checked once per language; later calls return the same rule set, which
    is safe to share because a rule set does not change once loaded.

    >>> load("cdd-2565-r1") is load("cdd-2565-r1")
    True
    >>> load("cdd-2565-r1")["3"].weight
    Decimal('15')
    """
    return _load_cached(str(path(name)), language)


@cache
def _load_cached(file: str, language: str | None) -> RuleSet:
    return _load_file(file, language)
