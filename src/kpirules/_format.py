"""The canonical formatter (placeholder)."""

from __future__ import annotations

__all__ = ["format"]


def format(text: str) -> str:  # noqa: A001 - the contract names it `format`
    """``text`` in canonical layout."""
    raise NotImplementedError
