"""Parse error messages in Thai (placeholder: messages pass through unchanged)."""

from __future__ import annotations

__all__ = ["in_thai"]


def in_thai(message: str) -> str:
    """``message`` (English) in Thai."""
    return message
