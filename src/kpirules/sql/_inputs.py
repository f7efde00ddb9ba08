"""Input forms: where a measure's value and the milestones come from, in a wide table (a column
per measure) or the long one (rows of ``subject, indicator, measure, value``, pivoted inside the
query)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from kpirules import nodes
from kpirules._messages import message
from kpirules._scoring import MILESTONES, milestone_levels
from kpirules.sql._stages import _Column, _Stages
from kpirules.sql._text import LONG_COLUMNS, column_name, milestone_column, quote, string
from kpirules.sql._types import _declared

if TYPE_CHECKING:
    from kpirules.sql._writer import _Writer


class _Inputs:
    depth = -1

    def __init__(self, stages: _Stages, subject: str, table: str, strict: bool,
                 types: Mapping[str, str] | None = None) -> None:
        self.stages = stages
        self.dialect = stages.dialect
        self.subject = subject
        self.table = table
        self.strict = strict
        self.types = types
        self.columns: list[tuple[str, str]] = []
        self.counter = itertools.count(1)

    def trial(self) -> _Inputs:
        """Inputs of the same table writing into throwaway stages (to try a writer out)."""
        return type(self)(_Stages(self.dialect), self.subject, self.table, self.strict, self.types)

    def declared(self, node: nodes.IndicatorNode, measure: str) -> str | None:
        """The SQL type ``types=`` declares for a measure's column, if any."""
        return None

    def column(self, sql: str) -> str:
        alias = f"_i{next(self.counter)}"
        self.columns.append((alias, sql))
        return quote(alias)

    def value(self, node: nodes.IndicatorNode, measure: str) -> tuple[str, str | None]:
        raise NotImplementedError

    def milestones(self, writer: _Writer, levels: list[int]
                   ) -> tuple[dict[int, str], tuple[str, str] | None]:
        raise NotImplementedError

    def unknown_measure(self, writer: _Writer) -> tuple[str, str] | None:
        return None

    def record_missing(self, node: nodes.IndicatorNode) -> tuple[str, str] | None:
        """The error (condition, text) for a subject that has no data for ``node``."""
        return None

    def unknown_indicator(self, ids: Iterable[str]) -> str | None:
        return None

    def source(self) -> str:
        raise NotImplementedError


class _Wide(_Inputs):
    def value(self, node: nodes.IndicatorNode, measure: str) -> tuple[str, str | None]:
        return self.column(quote(column_name(node.id, measure))), None

    def declared(self, node: nodes.IndicatorNode, measure: str) -> str | None:
        return None if self.types is None else self.types.get(column_name(node.id, measure))

    def milestones(self, writer: _Writer, levels: list[int]
                   ) -> tuple[dict[int, str], tuple[str, str] | None]:
        done: dict[int, str] = {}
        messages: list[tuple[str, str]] = []
        for level in levels:
            name = milestone_column(writer.node.id, level)
            raw = self.column(quote(name))
            if self.types is not None and _declared(self.types.get(name)) == "BOOLEAN":
                done[level] = f"COALESCE({raw}, FALSE)"
                continue
            flag = self.dialect.flag(self.stages, _Column(raw, self.depth), missing=True)
            done[level] = f"({flag.sql} = {self.dialect.true})"
            messages.append((f"{flag.sql} IS NULL", writer.stages.said(
                "wide-milestone-not-flag", {"value": self.dialect.quoted(raw)},
                indicator=writer.node.id, column=name, level=level)))
        if not messages:
            return done, None
        when = " OR ".join(w for w, _ in messages)
        text = "CASE " + " ".join(f"WHEN {w} THEN {m}" for w, m in messages) + " END"
        return done, (when, text)

    def source(self) -> str:
        selected = [f"{quote(self.subject)} AS \"_subject\""]
        selected += [f"{sql} AS {quote(alias)}" for alias, sql in self.columns]
        return "SELECT " + ",\n    ".join(selected) + f"\n  FROM {self.table}"


class _Long(_Inputs):
    def __init__(self, stages: _Stages, subject: str, table: str, strict: bool,
                 types: Mapping[str, str] | None = None) -> None:
        super().__init__(stages, subject, table, strict, types)
        self.normal = self.dialect.strip(self.dialect.digits("_v"))

    def rows_of(self, node: nodes.IndicatorNode) -> str:
        return f"_k = {string(node.id)}"

    def value(self, node: nodes.IndicatorNode, measure: str) -> tuple[str, str | None]:
        where = f"{self.rows_of(node)} AND _m = {string(measure)}"
        value = self.column(f"MAX(CASE WHEN {where} THEN _v END)")
        count = self.column(f"SUM(CASE WHEN {where} THEN 1 ELSE 0 END)")
        return value, count

    def unknown_measure(self, writer: _Writer) -> tuple[str, str] | None:
        # As the command line refuses them: a row with no measure; `milestones` rows for an
        # indicator without milestone levels; an unknown measure (with strict=False, only one
        # with no value). The odd name found, '' for a row with no measure.
        node = writer.node
        takes_milestones = bool(milestone_levels(node))
        known = [m.name for m in node.measures] + ([MILESTONES] if takes_milestones else [])
        unknown = f"_m NOT IN ({', '.join(string(name) for name in known)})" if known else "TRUE"
        if not self.strict:
            unknown = (f"({unknown} AND (_m = {string(MILESTONES)} "
                       f"OR coalesce({self.normal}, '') = ''))")
        rows = self.rows_of(node)
        odd = self.column(f"MIN(CASE WHEN {rows} AND coalesce(_m, '') = '' THEN '' "
                          f"WHEN {rows} AND {unknown} THEN _m END)")
        other = self.stages.said("unknown-key", {"key": odd}, indicator=node.id, hint="") if self.strict \
            else self.stages.said("row-no-value", {"measure": odd}, indicator=node.id)
        text = (f"CASE WHEN {odd} = '' THEN {self.stages.said('row-no-measure', indicator=node.id)} "
                f"WHEN {odd} = {string(MILESTONES)} THEN "
                f"{self.stages.said('no-milestone-levels', indicator=node.id)} ELSE {other} END")
        return f"{odd} IS NOT NULL", text

    def milestones(self, writer: _Writer, levels: list[int]
                   ) -> tuple[dict[int, str], tuple[str, str] | None]:
        node = writer.node
        where = f"{self.rows_of(node)} AND _m = {string(MILESTONES)}"
        done = {}
        number = "_n"  # the level each milestone row names (see source())
        for level in levels:
            column = self.column(
                f"MAX(CASE WHEN {where} AND {number} = {level} THEN 1 ELSE 0 END)")
            done[level] = f"({column} = 1)"
        allowed = ", ".join(str(level) for level in levels)
        odd = f"{self.normal} IS NULL" if not levels else \
            f"({number} IS NULL OR {number} NOT IN ({allowed}))"
        bad = self.column(f"MIN(CASE WHEN {where} AND {odd} THEN COALESCE(_v, 'NULL') END)")
        shown = ", ".join(str(level) for level in levels) or message("word-none")
        return done, (f"{bad} IS NOT NULL", self.stages.said("unknown-milestone", {"item": bad},
                                                 indicator=node.id, allowed=shown))

    def record_missing(self, node: nodes.IndicatorNode) -> tuple[str, str] | None:
        # As in the command line's long layout: a milestone is reported by its row, so an
        # indicator of milestones only with no rows has none done (level 0), not an error.
        if not node.measures:
            return None
        rows = self.column(f"SUM(CASE WHEN {self.rows_of(node)} THEN 1 ELSE 0 END)")
        needs = ", ".join(f"`{measure.name}`" for measure in node.measures)
        return f"{rows} = 0", self.stages.said("no-rows-for-indicator", indicator=node.id, needs=needs)

    def unknown_indicator(self, ids: Iterable[str]) -> str | None:
        # Refused with strict=False too, as RuleSet.evaluate refuses it.
        known = ", ".join(string(i) for i in ids)
        # '' for a row with no indicator (which comes first: MIN).
        return self.column(
            f"MIN(CASE WHEN coalesce(_k, '') = '' THEN '' WHEN _k NOT IN ({known}) THEN _k END)")

    def source(self) -> str:
        text = self.dialect.text
        # Ids and measure names with spaces around them are read as the command line reads them.
        _, indicator_column, measure_column, value_column = LONG_COLUMNS
        indicator, measure = (self.dialect.strip(f"CAST({quote(name)} AS {text})")
                              for name in (indicator_column, measure_column))
        rows = (f"SELECT {quote(self.subject)} AS \"_subject\", {indicator} AS _k, "
                f"{measure} AS _m, "
                f"{self.dialect.value_text(quote(value_column))} AS _v FROM {self.table}")
        # Each milestone row's level, read once per row rather than once per level.
        rows = (f"SELECT *, CASE WHEN _m = {string(MILESTONES)} THEN "
                f"{self.dialect.whole_number(self.normal)} END AS _n FROM ({rows}) AS _read")
        selected = ['"_subject"'] + [f"{sql} AS {quote(alias)}" for alias, sql in self.columns]
        return ("SELECT " + ",\n    ".join(selected)
                + f"\n  FROM ({rows}) AS _rows\n  GROUP BY \"_subject\"")
