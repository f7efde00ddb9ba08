"""The static checker (placeholder until the authoring-tools work lands)."""

from __future__ import annotations

from typing import Literal

import attrs

from kpirules.model import RuleSet

__all__ = ["Diagnostic", "check"]


@attrs.frozen
class Diagnostic:
    """One finding of :func:`check`."""

    severity: Literal["error", "warning"]
    code: str
    message: str
    indicator: str | None
    line: int
    column: int


def check(rules: RuleSet) -> list[Diagnostic]:
    """Every problem :mod:`kpirules` can prove about ``rules``."""
    raise NotImplementedError
