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

from kpirules import catalogue
from kpirules._check import Diagnostic, check
from kpirules._format import format
from kpirules._load import load, parse
from kpirules._table import table
from kpirules.errors import EvaluationError, KpiRulesError, ParseError
from kpirules.model import Indicator, Level, Measure, RuleSet
from kpirules.result import Result, Scorecard

__all__ = [
    "Diagnostic",
    "EvaluationError",
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
    "format",
    "load",
    "parse",
    "table",
]

__version__ = "0.1.0"
