"""An indicator or a whole rule set → one SQL query that scores a table of records.

The query is generated from the same syntax tree as the Python evaluator and gives the same levels,
scores and points, or an explicit ``error`` text where the Python evaluator raises
:class:`~kpirules.EvaluationError`. It runs on DuckDB, SQLite (from the standard library),
PostgreSQL and Spark SQL. How the query computes exactly, what each dialect does differently and
what it costs are described in the documentation page on SQL (:doc:`/sql`).

>>> import sqlite3, kpirules
>>> rules = kpirules.parse('''
... indicator 1 "Poor households developed"
...   weight 20
...   measure target count
...   measure developed count
...   let percent = developed / target * 100
...   level 1 if percent >= 25
...   level 2 if percent >= 40
... ''')
>>> db = sqlite3.connect(":memory:")
>>> _ = db.execute('CREATE TABLE records (subject TEXT, "1.target" INT, "1.developed" INT)')
>>> _ = db.executemany("INSERT INTO records VALUES (?, ?, ?)",
...                    [("north", 400, 130), ("south", 400, 180), ("east", 0, 5)])
>>> for row in db.execute(rules["1"].to_sql(dialect="sqlite") + " ORDER BY 1"):
...     print(row)
('east', None, None, None, 'indicator 1: division by zero in `developed / target`: `target` is 0')
('north', 1, 1.0, 10.0, None)
('south', 2, 2.0, 20.0, None)

The package's modules, each along one seam: ``_text`` (names, literals and the
record vocabulary as SQL), ``_rational`` (exact fractions of integers),
``_stages`` (the chain of CTEs), ``_dialects`` (every difference
between databases), ``_types`` (declared column types),
``_writer`` (one indicator's columns), ``_inputs`` (wide and
long tables), ``_query`` (options and the public functions) and
``engine`` (running a records file on DuckDB for the command line).
"""

from __future__ import annotations

from kpirules.sql._dialects import _DIALECTS
from kpirules.sql._query import Dialect, Form, indicator_sql, ruleset_sql
from kpirules.sql._text import DEFAULT_SCALE, column_name, milestone_column, quote, string

__all__ = [
    "DEFAULT_SCALE",
    "DIALECTS",
    "Dialect",
    "Form",
    "column_name",
    "indicator_sql",
    "milestone_column",
    "quote",
    "ruleset_sql",
    "string",
]

DIALECTS: tuple[str, ...] = tuple(_DIALECTS)
"""The dialects the query can be written in."""
