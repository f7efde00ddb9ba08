"""The writer: one indicator's syntax tree → the columns of its level, score and error, added to
the shared stages. Dialect differences are asked of :attr:`_Writer.dialect`; how the query is
laid out is described in the documentation page on SQL."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

import attrs

from kpirules import nodes
from kpirules._scoring import (
    FLIPPED,
    MAX_SCORE_FRACTION,
    NEGATED,
    SCORE_PLACES,
    compare,
    interpolation,
    ladder,
    milestone_levels,
)
from kpirules._semantics import describe_expr
from kpirules.sql._dialects import _shift
from kpirules.sql._rational import (
    _Int,
    _is_simple,
    _magnitude,
    _plain,
    _Ratio,
    _scale,
    _scale_down,
    _times,
)
from kpirules.sql._stages import _Column, _Stages
from kpirules.sql._text import _decimal_literal, _show
from kpirules.sql._types import _declared, _Typed

if TYPE_CHECKING:
    from kpirules.sql._dialects import _Dialect
    from kpirules.sql._inputs import _Inputs


_INLINE_LIMIT = 400
"""The longest arithmetic written out at each use instead of computed once into a column."""



class _Writer:
    """Writes the columns of one indicator into the shared stages."""

    def __init__(self, node: nodes.IndicatorNode, stages: _Stages, inputs: _Inputs,
                 scale: int, typed: bool = False, limit: int | None = None) -> None:
        self.node = node
        # With declared column types (``types=``): read typed measures as BIGINT and write the
        # arithmetic without TRY() where the bounds (``_Int.bound``) show it fits 64 bits. A
        # measure whose type alone does not bound it enough is limited to ``limit`` (as a scaled
        # integer): ``ranges`` are these limits, and ``guard`` the column that holds when all
        # are met. All arithmetic is then computed only where the guard holds (a CASE branch),
        # and a record where it does not is a "too large" error. ``unfit`` records that some
        # arithmetic did not fit, so this ``limit`` cannot be used.
        self.typed = typed
        self.limit = limit
        self.ranges: list[str] = []
        self.guard: str | None = None
        self.unfit = False
        self.stages = stages
        stages.deepest = inputs.depth
        self.dialect = stages.dialect
        self.inputs = inputs
        self.scale = scale
        self.names: dict[str, _Ratio | str] = {}
        self.memo: dict[nodes.Expr, _Ratio] = {}
        self.errors: list[tuple[str, str]] = []  # (condition, message text SQL), in order
        self.atoms: list[str] = []
        self.numeric_checks: list[str] = []
        self.done: dict[int, str] = {}
        # Typed measures by their value column, for comparisons with a constant written on the
        # column as it is (see direct_compare).
        self.direct: dict[str, _Typed] = {}

    # -- rendering ---------------------------------------------------------------------------

    def render(self, value: _Int) -> str:
        literal = self.dialect.literal
        if value.sql is None:
            return literal(value.coef)
        if value.coef == 1:
            return value.sql
        if value.coef == -1:
            return f"(-{value.sql})"
        return f"({literal(value.coef)} * {value.sql})"

    def plus(self, a: _Int, b: _Int) -> _Int:
        if a.sql is None and b.sql is None:
            return _Int(a.coef + b.coef)
        if a.sql is None and a.coef == 0:
            return b
        if b.sql is None and b.coef == 0:
            return a
        if a.sql == b.sql:
            return attrs.evolve(a, coef=a.coef + b.coef) if a.coef + b.coef else _Int(0)
        if b.coef < 0:
            sql = f"({self.render(a)} - {self.render(_Int(-b.coef, b.sql, b.depth))})"
        else:
            sql = f"({self.render(a)} + {self.render(b)})"
        both = a.known_nonnegative and b.known_nonnegative
        ma, mb = _magnitude(a), _magnitude(b)
        bound = None if ma is None or mb is None else ma + mb
        return _Int(1, sql, max(a.depth, b.depth), both, bound)

    def guarded(self, sql: str) -> str:
        """``sql``, computed only where the range guard (if any) holds: NULL elsewhere."""
        return sql if self.guard is None else f"CASE WHEN {self.guard} THEN {sql} END"

    def fits(self, *values: _Int) -> bool:
        """Whether typed arithmetic on ``values`` is known to fit BIGINT (so needs no TRY())."""
        if not self.typed:
            return False
        for value in values:
            magnitude = _magnitude(value)
            if magnitude is None or magnitude >= 2**63:
                self.unfit = True
                return False
        return True

    def keep(self, value: _Int) -> _Int:
        """``value`` computed once into a column, when it is more than a column or a constant
        (in DuckDB, only when it is long: see :attr:`_Dialect.inline_arithmetic`)."""
        if value.sql is None or _is_simple(value.sql):
            return value
        if self.dialect.inline_arithmetic and len(value.sql) <= _INLINE_LIMIT:
            return value
        fits = self.fits(value)
        column = self.stages.add(value.sql, value.depth, arithmetic=not fits,
                                 when=self.guard if fits else None)
        return attrs.evolve(value, sql=column.sql, depth=column.depth)

    # -- measures and milestones -------------------------------------------------------------

    def unreadable(self, name: str, count: bool, scale: int, shown: str) -> str:
        """The text of a value the query cannot read as the measure's kind (SQL text)."""
        if count:
            return self.stages.said("sql-not-count", {"value": shown}, indicator=self.node.id,
                                    measure=name)
        return self.stages.said("sql-not-number", {"value": shown}, indicator=self.node.id,
                                measure=name, places=scale)

    def measures(self) -> None:
        unknown = self.inputs.unknown_measure(self)
        if unknown is not None:
            self.errors.append(unknown)
        for measure in self.node.measures:
            self.measure(measure)
        levels = list(milestone_levels(self.node))
        self.done, error = self.inputs.milestones(self, levels)
        if error is not None:
            self.errors.append(error)

    def measure(self, measure: nodes.Measure) -> None:
        raw, count = self.inputs.value(self.node, measure.name)
        name = measure.name
        if count is not None:
            self.errors.append((f"{count} > 1", self.stages.said("measure-twice", indicator=self.node.id,
                                                     measure=name)))
        described = f" ({measure.description})" if measure.description else ""
        self.errors.append((f"{raw} IS NULL", self.stages.said(
            "missing-measure", indicator=self.node.id, measure=name, about=described, hint="")))
        column = _Column(raw, self.inputs.depth)
        shown = self.dialect.quoted(raw)
        declared = _declared(self.inputs.declared(self.node, name))
        if measure.kind == "flag" and declared == "BOOLEAN":
            self.names[name] = f"({raw} = TRUE)"  # NULL is the missing-value error above
            return
        if not isinstance(declared, str) and self.typed_measure(measure, raw, declared, shown):
            return
        if measure.kind == "flag":
            flag = self.dialect.flag(self.stages, column, missing=False)
            self.errors.append((f"{flag.sql} IS NULL", self.stages.said(
                "flag-not-bool", {"value": shown}, indicator=self.node.id, measure=name)))
            self.names[name] = f"({flag.sql} = {self.dialect.true})"
            return
        scale = 0 if measure.kind == "count" else self.scale
        parsed = self.dialect.parse_number(self.stages, column, scale)
        valid, too_large, value = parsed.valid, parsed.too_large, parsed.value
        self.errors.append((f"NOT {valid}", self.unreadable(name, measure.kind == "count", scale,
                                                            shown)))
        self.errors.append((too_large, self.stages.said(
            "sql-value-too-large", {"value": shown}, indicator=self.node.id, measure=name,
            engine=self.dialect.name)))
        if measure.kind == "count":
            self.errors.append((f"{value.sql} < 0", self.stages.said(
                "count-negative", {"value": shown}, indicator=self.node.id, measure=name)))
        nonnegative = measure.kind == "count" or (measure.low is not None and measure.low >= 0)
        ratio = _Ratio(attrs.evolve(value, nonnegative=nonnegative), _Int(10**scale))
        self.range_checks(measure, ratio, shown)
        self.names[name] = ratio

    def typed_measure(self, measure: nodes.Measure, raw: str, declared: tuple[int, int] | None,
                      shown: str) -> bool:
        """Reads a measure from an integer or DECIMAL column as a BIGINT (``types=``); False
        when it cannot be (it is then read as usual)."""
        if not self.typed or declared is None or measure.kind == "flag":
            return False
        largest, places = declared  # |raw| <= largest, with `places` decimal places
        count = measure.kind == "count"
        scale = 0 if count else self.scale
        if places > scale and not count:
            return False
        if any(len(c.as_tuple().digits) > 30 for c in (measure.low, measure.high)
               if c is not None):
            return False  # keep the range's literals exact DECIMALs
        name = measure.name
        # The value is the column's own scaled integer (value × 10**places), not value ×
        # 10**scale: smaller integers, so fewer indicators need a range guard.
        unit = 0 if count else places
        bound = largest * 10**unit
        inside = None
        read_bound = bound
        if self.limit is not None and bound > self.limit:
            # Part of the range guard: beyond `limit`, no arithmetic and a "too large" error.
            within = self.limit // 10**unit
            inside = f"{raw} BETWEEN {self.dialect.literal(-within)} AND {within}"
            self.ranges.append(inside)
            read_bound, bound = bound, within * 10**unit
        elif bound > 2**63:
            self.unfit = True
            return False
        # The value column is computed on every row: TRY_CAST where the type holds values
        # beyond BIGINT (NULL there, and outside the guard, so never used).
        cast = "CAST" if largest <= 2**63 else "TRY_CAST"
        if unit == 0:
            read = f"{cast}({raw} AS BIGINT)"
        else:
            read = f"{cast}({_shift(raw, len(str(largest)) - 1 + places, places)} AS BIGINT)"
        valid = f"(floor({raw}) = {raw})" if count and places else None
        # Outside the guard the value may be anything (it is not used there), but reading it
        # must not fail: only a read that could overflow waits for the guard.
        clamp = inside if inside is not None and unit > 0 and read_bound >= 2**63 else None
        when = " AND ".join(c for c in (clamp, valid) if c is not None) or None
        value = self.stages.add(read, self.inputs.depth, when=when)
        if valid is not None:
            self.errors.append((f"NOT {valid}", self.unreadable(name, count, scale, shown)))
        if count:
            self.errors.append((f"{raw} < 0", self.stages.said(
                "count-negative", {"value": shown}, indicator=self.node.id, measure=name)))
        outside = []
        if measure.low is not None:
            outside.append(f"({raw} < {_decimal_literal(measure.low)})")
        if measure.high is not None:
            outside.append(f"({raw} > {_decimal_literal(measure.high)})")
        if outside:
            self.errors.append((" OR ".join(outside), self.out_of_range(measure, shown)))
        nonnegative = count or (measure.low is not None and measure.low >= 0)
        self.names[name] = _Ratio(_Int(1, value.sql, value.depth, nonnegative, max(1, bound)),
                                  _Int(10**unit))
        kind = self.inputs.declared(self.node, name)
        assert kind is not None
        kind = " ".join(kind.upper().split())
        smallest = -1 if kind.startswith("U") else -largest
        self.direct[value.sql] = _Typed(raw, kind, smallest, largest, places, unit)
        return True

    def range_checks(self, measure: nodes.Measure, value: _Ratio, shown: str) -> None:
        outside = []
        if measure.low is not None:
            outside.append(self.compare(value, "<", self.constant(measure.low), inline=True))
        if measure.high is not None:
            outside.append(self.compare(value, ">", self.constant(measure.high), inline=True))
        if outside:
            self.errors.append((" OR ".join(outside), self.out_of_range(measure, shown)))

    def out_of_range(self, measure: nodes.Measure, shown: str) -> str:
        return self.stages.said("out-of-range", {"value": shown}, indicator=self.node.id,
                    measure=measure.name, low="" if measure.low is None else measure.low,
                    high="" if measure.high is None else measure.high)

    # -- expressions -------------------------------------------------------------------------

    def constant(self, value: Decimal) -> _Ratio:
        fraction = Fraction(value)
        return _Ratio(_Int(fraction.numerator), _Int(fraction.denominator))

    def lets(self) -> None:
        for let in self.node.lets:
            if self.is_condition(let.expr):
                # A `let` holding a condition acts like a flag (see the language reference).
                self.names[let.name] = f"({self.condition(let.expr)})"
                continue
            ratio = self.number(let.expr)
            self.names[let.name] = _Ratio(self.keep(ratio.num), self.keep(ratio.den))

    def is_condition(self, expr: nodes.Expr) -> bool:
        if isinstance(expr, nodes.Name):
            return isinstance(self.names.get(expr.name), str)
        return isinstance(expr, (nodes.Compare, nodes.BoolOp, nodes.Not))

    def number(self, expr: nodes.Expr) -> _Ratio:
        known = self.memo.get(expr)
        if known is not None:
            return known
        result = self.operation(expr)
        self.memo[expr] = result
        return result

    def operation(self, expr: nodes.Expr) -> _Ratio:
        if isinstance(expr, nodes.Number):
            return self.constant(expr.value)
        if isinstance(expr, nodes.Name):
            named = self.names[expr.name]
            assert isinstance(named, _Ratio)
            return named
        if isinstance(expr, nodes.Negate):
            value = self.number(expr.operand)
            return _Ratio(_scale(value.num, -1), value.den)
        assert isinstance(expr, nodes.BinaryOp), expr
        left, right = self.number(expr.left), self.number(expr.right)
        if expr.op in "+-":
            if expr.op == "-":
                right = _Ratio(_scale(right.num, -1), right.den)
            if right.den.static and left.den.static:
                common = math.lcm(left.den.coef, right.den.coef)
                num = self.plus(_scale(left.num, common // left.den.coef),
                                _scale(right.num, common // right.den.coef))
                return _Ratio(num, _Int(common))
            num = self.plus(_times(left.num, right.den), _times(right.num, left.den))
            return _Ratio(num, _times(left.den, right.den))
        if expr.op == "*":
            return self.product(left.num, left.den, right.num, right.den)
        return self.divide(expr, left, right)

    def product(self, a: _Int, b: _Int, c: _Int, d: _Int) -> _Ratio:
        """``(a × c) / (b × d)`` with constant factors cancelled."""
        g = math.gcd(a.coef, d.coef)
        a, d = attrs.evolve(a, coef=a.coef // g), attrs.evolve(d, coef=d.coef // g)
        g = math.gcd(c.coef, b.coef)
        c, b = attrs.evolve(c, coef=c.coef // g), attrs.evolve(b, coef=b.coef // g)
        return _Ratio(_times(a, c), _times(b, d))

    def divide(self, expr: nodes.BinaryOp, left: _Ratio, right: _Ratio) -> _Ratio:
        message = self.stages.said("division-by-zero", indicator=self.node.id,
                       expression=describe_expr(expr), divisor=describe_expr(expr.right))
        divisor = right.num
        if divisor.static:
            self.errors.append(("1 = 1" if divisor.coef == 0 else "1 = 0", message))
            if divisor.coef == 0:
                return _Ratio(_Int(0), _Int(1))
            sign = -1 if divisor.coef < 0 else 1
            return self.product(_scale(left.num, sign), left.den, right.den,
                                _Int(abs(divisor.coef)))
        divisor = self.keep(divisor)
        assert divisor.sql is not None
        zero = f"{divisor.sql} = 0"
        typed = self.direct.get(divisor.sql)
        if typed is not None:
            # On the column as it is, whose statistics DuckDB keeps (a cast may hide them): where
            # they show no zero, the test is planned away.
            self.errors.append((f"{typed.raw} = 0", message))
        elif _is_simple(divisor.sql):
            self.errors.append((zero, message))
        elif self.fits(divisor):
            self.errors.append((self.guarded(zero), message))
        else:
            self.errors.append((self.dialect.arithmetic(zero), message))
        sign = -1 if divisor.coef < 0 else 1
        magnitude = attrs.evolve(divisor, coef=abs(divisor.coef))
        numerator = _scale(left.num, sign)
        if not divisor.nonnegative:
            # Keep the denominator positive: move the divisor's sign to the numerator.
            numerator = self.keep(numerator)
            flipped = f"CASE WHEN {divisor.sql} < 0 THEN -{self.render(numerator)} " \
                      f"ELSE {self.render(numerator)} END"
            if numerator.static:  # constants alone would be small integers in DuckDB
                kind = "BIGINT" if self.typed else self.dialect.integer
                flipped = f"CAST({flipped} AS {kind})"
            numerator = _Int(1, flipped, max(numerator.depth, divisor.depth),
                             bound=_magnitude(numerator))
            magnitude = _Int(abs(divisor.coef), f"abs({divisor.sql})", divisor.depth, True,
                             divisor.bound)
        return self.product(numerator, left.den, right.den, magnitude)

    # -- conditions --------------------------------------------------------------------------

    def compare(self, left: _Ratio, op: nodes.CompareOp, right: _Ratio,
                inline: bool = False) -> str:
        """``left op right`` by cross-multiplying; a column that is NULL on overflow unless
        ``inline``."""
        lhs = _times(left.num, right.den)
        rhs = _times(right.num, left.den)
        if lhs.coef and rhs.coef:
            g = math.gcd(lhs.coef, rhs.coef)
            lhs, rhs = _scale_down(lhs, g), _scale_down(rhs, g)
        sql_op = {"==": "=", "!=": "<>"}.get(op, op)
        if lhs.static and rhs.static:
            holds = compare(lhs.coef, op, rhs.coef)
            return self.dialect.true if holds else self.dialect.false
        direct = self.direct_compare(lhs, op, rhs)
        if direct is not None:
            return direct
        if inline or (_plain(lhs) and _plain(rhs)) or self.fits(lhs, rhs):
            # No arithmetic, or typed arithmetic within 64 bits: nothing can overflow.
            return f"({self.render(lhs)} {sql_op} {self.render(rhs)})"
        if self.dialect.guards_overflow:
            lhs, rhs = self.keep(lhs), self.keep(rhs)
            guards = [self.dialect.exact(side.sql) for side in (lhs, rhs) if side.sql is not None]
            sql = f"CASE WHEN {' AND '.join(guards)} THEN " \
                  f"{self.render(lhs)} {sql_op} {self.render(rhs)} END"
        else:
            sql = self.dialect.arithmetic(f"{self.render(lhs)} {sql_op} {self.render(rhs)}")
        atom = self.stages.add(sql, max(lhs.depth, rhs.depth))
        self.atoms.append(atom.sql)
        return atom.sql

    def direct_compare(self, lhs: _Int, op: nodes.CompareOp, rhs: _Int) -> str | None:
        """``a × value op constant`` for a typed measure, written on the column as it is:
        ``"3.rate" >= CAST(85 AS DECIMAL(15,2))`` instead of scaling every row's value to an
        integer first. None when the constant has more decimal places than the column or lies
        outside its type."""
        if not lhs.static and rhs.static:
            variable, constant = lhs, rhs.coef
        elif lhs.static and not rhs.static:
            variable, constant = rhs, lhs.coef
            op = FLIPPED[op]
        else:
            return None
        typed = self.direct.get(variable.sql or "")
        if typed is None or variable.coef == 0:
            return None
        if variable.coef < 0:
            op = FLIPPED[op]
        value = Fraction(constant, variable.coef * 10**typed.unit)
        places = typed.places
        if (value * 10**places).denominator != 1 or not typed.smallest < value < typed.largest:
            return None
        literal = _show(Decimal(int(value * 10**places)).scaleb(-places))
        sql_op = {"==": "=", "!=": "<>"}.get(op, op)
        return f"({typed.raw} {sql_op} CAST({literal} AS {typed.kind}))"

    def condition(self, expr: nodes.Expr, negated: bool = False) -> str:
        """``expr`` as SQL, or its negation with no ``NOT`` in it: comparisons reversed, AND
        and OR swapped, a flag compared with false. Both keep SQL's NULL (``NOT NULL`` is NULL,
        and so are ``NULL < 1`` and ``NULL = FALSE``). DuckDB turns ``NOT (a >= b)`` into
        ``a < b`` itself, but evaluates ``NOT flag`` into a vector of its own before selecting
        rows; ``flag = FALSE`` selects directly, which makes a ladder of five milestones more
        than twice as fast."""
        if isinstance(expr, nodes.Name):
            named = self.names[expr.name]
            assert isinstance(named, str)
            return self.negation(named) if negated else named
        if isinstance(expr, nodes.Done):
            done = self.done[expr.level]
            return self.negation(done) if negated else done
        if isinstance(expr, nodes.Not):
            return self.condition(expr.operand, not negated)
        if isinstance(expr, nodes.BoolOp):
            parts = [self.condition(operand, negated) for operand in expr.operands]
            return "(" + f" {_JOINED[expr.op, negated]} ".join(parts) + ")"
        assert isinstance(expr, nodes.Compare), expr
        values = [self.number(operand) for operand in expr.operands]
        parts = [self.compare(a, NEGATED[op] if negated else op, b)
                 for a, op, b in zip(values, expr.ops, values[1:])]
        return parts[0] if len(parts) == 1 else "(" + f" {_JOINED['and', negated]} ".join(parts) + ")"

    def negation(self, flag: str) -> str:
        """``NOT flag`` for a boolean SQL term, in the form DuckDB selects rows by fastest."""
        return f"({flag} = {self.dialect.false})"

    # -- level, score, errors ----------------------------------------------------------------

    def level_columns(self, missing: tuple[str, str] | None = None) -> _Scored:
        """The indicator's level, score and error (see :class:`_Scored`). ``missing`` is the long
        form's "no rows" error, which comes first."""
        if missing is not None:
            self.errors.append(missing)
        self.measures()
        if self.ranges:
            self.guard = self.stages.add(" AND ".join(self.ranges), self.inputs.depth).sql
        self.lets()
        branches, default = self.level_branches()
        score = self.score()
        overflow = [f"{atom} IS NULL" for atom in self.atoms]
        if self.guard is not None:
            overflow.append(f"NOT {self.guard}")
        if score is not None:
            overflow.append(f"{score.sql} IS NULL")
        if overflow:
            self.errors.append((" OR ".join(overflow), self.stages.said(
                "sql-too-large", indicator=self.node.id, engine=self.dialect.name)))
        depth = max([self.stages_depth(), score.depth if score else -1])
        # The ladder's arithmetic could overflow outside the range guard, so it is computed only
        # where the guard holds (DuckDB drops the test where the table's statistics prove it).
        ladder = self.guarded(f"CASE {' '.join(branches)} ELSE {default} END")
        level = self.stages.add(ladder, depth)
        if not self.errors:
            return _Scored(level.sql, (score or level).sql, None, None, score is not None)
        # NULL where a condition is NULL, which is not an error (as in the error CASE, whose
        # earlier branches catch what made it NULL): `NULL OR FALSE` is not true.
        failing = self.stages.add(" OR ".join(f"({when})" for when, _ in self.errors), depth)
        error = "CASE " + " ".join(f"WHEN {when} THEN {text}" for when, text in self.errors) \
            + " END"
        return _Scored(level.sql, (score or level).sql, failing.sql, error, score is not None)

    def level_branches(self) -> tuple[list[str], int]:
        """The level as the branches of a CASE over the levels' effective conditions (the
        scoring core's :func:`~kpirules._scoring.ladder`) and its ELSE value."""
        levels = ladder(self.node)
        top = levels.top
        if not levels.cumulative:
            # The highest level whose own condition holds.
            conditions = [self.condition(c) for c in levels.conditions]
            return [f"WHEN {conditions[k - 1]} THEN {k}" for k in range(top, 0, -1)], 0
        # Level k is the first whose condition fails: the conditions are written negated.
        conditions = [self.condition(c, negated=True) for c in levels.conditions]
        return [f"WHEN {condition} THEN {k}" for k, condition in enumerate(conditions)], top

    def stages_depth(self) -> int:
        return self.stages.deepest

    def score(self) -> _Column | None:
        """``score × 10**4`` as an integer column, for ``score interpolate``."""
        shape = interpolation(self.node) if self.node.interpolate else None
        if shape is None:
            return None
        x = self.number(shape.expr)
        x = _Ratio(self.keep(x.num), self.keep(x.den))
        unit = 10**SCORE_PLACES
        thresholds = [self.constant(t) for t in shape.thresholds]
        # Each level's own comparison, so that a strict `>` at a threshold stays below it.
        beyond = [self.compare(x, op, t) for op, t in zip(shape.ops, thresholds)]
        top = len(thresholds)
        fits = self.typed
        branches = [f"WHEN {beyond[-1]} THEN {top * unit}"]
        for k in range(top - 1, 0, -1):
            low, high = shape.thresholds[k - 1], shape.thresholds[k]
            step = Fraction(high - low) if shape.rising else Fraction(low - high)
            # (x - t_k) / (t_k+1 - t_k), both sides >= 0 here, rounded half up to 4 places:
            # floor((2 * 10**4 * p + q) / (2 * q)) for the fraction p / q.
            sign = 1 if shape.rising else -1
            t = self.constant(low)
            diff_num = self.plus(_scale(_times(x.num, t.den), sign),
                                 _scale(_times(t.num, x.den), -sign))
            p = _scale(diff_num, step.denominator)
            q = _scale(_times(x.den, t.den), step.numerator)
            upper, lower = self.plus(_scale(p, 2 * unit), q), _scale(q, 2)
            fits = self.fits(upper, lower) and fits
            top_sql, bottom_sql = self.render(upper), self.render(lower)
            rounded = self.dialect.floor_div(top_sql, bottom_sql)
            # The integer part of a score is its level: a fraction that rounds to 1 is 0.9999.
            capped = self.plus(upper, _scale(lower, -unit))
            fits = self.fits(capped, lower) and fits
            most = int(MAX_SCORE_FRACTION * unit)
            branches.append(f"WHEN {beyond[k - 1]} THEN {k * unit} + CASE WHEN "
                            f"{self.render(capped)} >= 0 THEN {most} ELSE {rounded} END")
        sql = f"CASE {' '.join(branches)} ELSE 0 END"
        depth = self.stages_depth()
        if not self.dialect.guards_overflow:
            return self.stages.add(self.guarded(sql) if fits else sql, depth,
                                   arithmetic=not fits)
        raw = self.stages.add(sql, depth)
        guard = self.dialect.exact(raw.sql)
        return self.stages.add(f"CASE WHEN {guard} THEN {raw.sql} END", raw.depth)




@attrs.frozen
class _Scored:
    """An indicator's columns: ``level`` and ``score`` (× 10**4 when ``interpolated``, else the
    level) as computed, whether or not the record has an error; ``failing``, a boolean column
    true where it has one (None when it cannot have one); ``error``, the text, an expression to
    evaluate only where ``failing`` holds.

    The error is applied last, by :meth:`masked` in the outputs and by one test of all the
    indicators' ``failing`` for the total: a row without errors then builds no text, and DuckDB
    spends one CASE branch on the scorecard's errors instead of one per indicator (a branch costs
    about as much as a level's comparison, and a text column tested ``IS NULL`` per indicator
    cost more than the levels themselves)."""

    level: str
    score: str
    failing: str | None
    error: str | None
    interpolated: bool

    def masked(self, column: str) -> str:
        """``column``, NULL where the record has an error."""
        if self.failing is None:
            return column
        return f"CASE WHEN {self.failing} THEN NULL ELSE {column} END"

    def error_text(self, dialect: _Dialect) -> str:
        if self.error is None:
            return f"CAST(NULL AS {dialect.text})"
        return f"CASE WHEN {self.failing} THEN {self.error} END"


_JOINED = {("and", False): "AND", ("or", False): "OR", ("and", True): "OR", ("or", True): "AND"}
"""How a condition's parts are joined, plain or negated (De Morgan)."""
