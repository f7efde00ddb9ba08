"""kpirules: KPI scoring rules as a small readable language, evaluated exactly.

>>> import kpirules
>>> rules = kpirules.parse('''
... indicator 1 "Poor households developed"
...   weight 100
...   measure target_households count
...   measure developed_households count
...   let developed_percent = developed_households / target_households * 100
...   level 1 if developed_percent >= 25
...   level 2 if developed_percent >= 40
...   level 3 if developed_percent >= 55
... ''')
>>> card = rules.evaluate({"1": {"target_households": 400, "developed_households": 230}})
>>> card["1"].level, card.total
(3, Decimal('100'))
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from kpirules._load import load, parse
from kpirules.errors import EvaluationError, KpiRulesError, ParseError
from kpirules.model import Example, Indicator, Level, Measure, RuleSet
from kpirules.result import Result, Scorecard

if TYPE_CHECKING:
    from kpirules import catalogue, frames
    from kpirules._check import Diagnostic, check
    from kpirules._format import format
    from kpirules._json import dumps
    from kpirules._table import table

__all__ = [
    "Diagnostic",
    "EvaluationError",
    "Example",
    "Indicator",
    "KpiRulesError",
    "Level",
    "Measure",
    "ParseError",
    "Result",
    "RuleSet",
    "Scorecard",
    "catalogue",
    "check",
    "dumps",
    "format",
    "frames",
    "load",
    "parse",
    "table",
]

__version__ = "0.1.0"

# The authoring tools load on first use, so that `import kpirules` for scoring stays fast.
_LAZY = {
    "catalogue": ("kpirules.catalogue", None),
    "check": ("kpirules._check", "check"),
    "Diagnostic": ("kpirules._check", "Diagnostic"),
    "dumps": ("kpirules._json", "dumps"),
    "format": ("kpirules._format", "format"),
    "frames": ("kpirules.frames", None),
    "table": ("kpirules._table", "table"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'kpirules' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
