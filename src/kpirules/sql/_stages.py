"""The query as a chain of stages: each stage is a CTE that adds columns computed from the columns
of the stages before it, so that a value used many times is computed once."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from kpirules.sql._text import quote, said

if TYPE_CHECKING:
    from kpirules.sql._dialects import _Dialect


@attrs.frozen
class _Column:
    sql: str
    depth: int


class _Stages:
    def __init__(self, dialect: _Dialect, language: str = "en") -> None:
        self.dialect = dialect
        self.language = language
        self.stages: list[list[tuple[str, str]]] = []
        self.counter = itertools.count(1)
        # The deepest stage given a column since the current writer started: an indicator's
        # level and error go right after its own columns, not after every indicator before it
        # (each stage is one more projection that DuckDB must plan over all columns so far).
        self.deepest = -1

    def add(self, sql: str, depth: int, when: str | None = None,
            arithmetic: bool = False) -> _Column:
        """A new column computing ``sql`` from columns of stage ``depth`` or earlier."""
        if arithmetic:
            sql = self.dialect.arithmetic(sql)
        if when is not None:
            sql = f"CASE WHEN {when} THEN {sql} END"
        alias = f"_c{next(self.counter)}"
        stage = depth + 1
        while len(self.stages) <= stage:
            self.stages.append([])
        self.stages[stage].append((alias, sql))
        self.deepest = max(self.deepest, stage)
        return _Column(quote(alias), stage)

    def said(self, code: str, /, sql: Mapping[str, str] | None = None, **parts: Any) -> str:
        """The catalogue's message ``code`` in the query's language, as an SQL text (see
        :func:`~kpirules.sql._text.said`)."""
        return said(code, sql, language=self.language, **parts)

    def render(self, source: str, final: Sequence[str]) -> str:
        stored = "MATERIALIZED " if self.dialect.materialize else ""
        ctes = [f'"_input" AS {stored}(\n  {source}\n)']
        previous = '"_input"'
        for number, columns in enumerate(self.stages):
            name = f'"_s{number}"'
            selected = ",\n    ".join(f"{sql} AS {quote(alias)}" for alias, sql in columns)
            selected = f"*,\n    {selected}" if columns else "*"
            ctes.append(f"{name} AS {stored}(\n  SELECT {selected}\n  FROM {previous}\n)")
            previous = name
        body = ",\n  ".join(final)
        query = "WITH " + ",\n".join(ctes) + f"\nSELECT\n  {body}\nFROM {previous}"
        # Each stage selects every column before it, so the last one holds them all.
        inputs = source.count(' AS "')
        self.dialect.refuse(query, inputs + sum(len(columns) for columns in self.stages))
        return query
