"""The shipped catalogues (placeholder)."""

from __future__ import annotations
