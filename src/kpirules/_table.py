"""The catalogue as the source page shows it (placeholder)."""

from __future__ import annotations

from kpirules.model import RuleSet

__all__ = ["table"]


def table(rules: RuleSet, format: str = "markdown") -> str:
    """``rules`` as a markdown, html or csv table."""
    raise NotImplementedError
