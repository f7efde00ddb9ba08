"""Where the grammar and the shipped catalogues live: inside the installed package (the wheel copies
them to ``kpirules/_data``) or, in a source checkout, at the top of the repository."""

from __future__ import annotations

from pathlib import Path

__all__ = ["catalogue_dir", "grammar_text"]

_CHECKOUT = Path(__file__).resolve().parents[2]


def _data(name: str) -> Path:
    from importlib import resources

    packaged = Path(str(resources.files("kpirules"))) / "_data" / name
    if packaged.exists():
        return packaged
    return _CHECKOUT / ("grammar" if name.endswith(".lark") else "") / name


def grammar_text() -> str:
    """The text of ``kpirules.lark``."""
    return _data("kpirules.lark").read_text(encoding="utf-8")


def catalogue_dir() -> Path:
    """The folder holding the shipped ``.kpi`` catalogues."""
    return _data("catalogues")
