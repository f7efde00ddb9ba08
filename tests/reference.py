"""A plain tree-walking evaluator written straight from SPEC §3, to check the compiled one against.

It is deliberately simple and slow: no code generation, no fast paths, one rule at a time.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from kpirules import EvaluationError, nodes
from kpirules.model import Indicator

THAI = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def _number(indicator: Indicator, measure: nodes.Measure, value: Any) -> Decimal:
    def bad() -> EvaluationError:
        return EvaluationError("bad", indicator.id, measure.name)

    if isinstance(value, bool):
        raise bad()
    if isinstance(value, (int, Decimal)):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip().translate(THAI).replace(",", ""))
        except decimal.InvalidOperation:
            raise bad() from None
    else:
        raise bad()
    if not number.is_finite():
        raise bad()
    if measure.kind == "count" and (number < 0 or number != int(number)):
        raise bad()
    if measure.low is not None and number < measure.low:
        raise bad()
    if measure.high is not None and number > measure.high:
        raise bad()
    return number


def _value(expr: nodes.Expr, env: dict[str, Any], indicator: Indicator) -> Any:
    if isinstance(expr, nodes.Number):
        return expr.value
    if isinstance(expr, nodes.Name):
        return env[expr.name]
    if isinstance(expr, nodes.Negate):
        return -_value(expr.operand, env, indicator)
    if isinstance(expr, nodes.Not):
        return not _value(expr.operand, env, indicator)
    if isinstance(expr, nodes.BinaryOp):
        left = _value(expr.left, env, indicator)
        right = _value(expr.right, env, indicator)
        if expr.op == "+":
            return left + right
        if expr.op == "-":
            return left - right
        if expr.op == "*":
            return left * right
        if right == 0:
            raise EvaluationError("division by zero", indicator.id, None)
        return left / right
    if isinstance(expr, nodes.Compare):
        values = [_value(operand, env, indicator) for operand in expr.operands]
        result = True
        for left, op, right in zip(values, expr.ops, values[1:]):
            result = result and {
                "<": left < right, "<=": left <= right, ">": left > right,
                ">=": left >= right, "==": left == right, "!=": left != right}[op]
        return result
    values = [_value(operand, env, indicator) for operand in expr.operands]
    return all(values) if expr.op == "and" else any(values)


def evaluate(indicator: Indicator, record: Mapping[str, Any], strict: bool = True
             ) -> tuple[int, Decimal, dict[str, Any]]:
    """(level, score, values) of ``record``, or EvaluationError."""
    with decimal.localcontext(decimal.Context(prec=28)):
        return _evaluate(indicator, record, strict)


def _evaluate(indicator: Indicator, record: Mapping[str, Any], strict: bool
              ) -> tuple[int, Decimal, dict[str, Any]]:
    known = {m.name for m in indicator.measures} | {"milestones"}
    if strict:
        for key in record:
            if key not in known:
                raise EvaluationError("unknown", indicator.id, key if isinstance(key, str) else None)
    env: dict[str, Any] = {}
    for measure in indicator.measures:
        if measure.name not in record:
            raise EvaluationError("missing", indicator.id, measure.name)
        value = record[measure.name]
        if measure.kind == "flag":
            if not isinstance(value, bool):
                raise EvaluationError("flag", indicator.id, measure.name)
            env[measure.name] = value
        else:
            env[measure.name] = _number(indicator, measure, value)
    milestone_levels = {level.number for level in indicator.levels if level.is_milestone}
    done = set()
    for item in record.get("milestones", ()):
        if type(item) is not int or item not in milestone_levels:
            raise EvaluationError("milestone", indicator.id, "milestones")
        done.add(item)
    for let in indicator.lets:
        env[let.name] = _value(let.expr, env, indicator)
    holds = []
    for level in indicator.levels:
        if level.is_milestone:
            if indicator.policy == "highest":
                holds.append(all(m in done for m in milestone_levels if m <= level.number))
            else:
                holds.append(level.number in done)
        else:
            assert level.condition is not None
            holds.append(bool(_value(level.condition, env, indicator)))
    if indicator.policy == "highest":
        level_reached = max((k for k, ok in enumerate(holds, start=1) if ok), default=0)
    else:
        level_reached = 0
        for ok in holds:
            if not ok:
                break
            level_reached += 1
    score = Decimal(level_reached)
    if indicator.interpolate:
        score = _interpolated(indicator, env, level_reached)
    return level_reached, score, env


def _interpolated(indicator: Indicator, env: dict[str, Any], k: int) -> Decimal:
    pairs = []
    for level in indicator.levels:
        condition = level.condition
        assert isinstance(condition, nodes.Compare)
        left, right = condition.operands
        if isinstance(right, (nodes.Number, nodes.Negate)):
            expr, threshold, op = left, _value(right, env, indicator), condition.ops[0]
        else:
            flipped = {">=": "<=", ">": "<", "<=": ">=", "<": ">"}
            expr, threshold, op = right, _value(left, env, indicator), flipped[condition.ops[0]]
        pairs.append((threshold, op))
    x = _value(expr, env, indicator)
    thresholds = [t for t, _ in pairs]
    rising = pairs[0][1] in (">=", ">")
    n = len(thresholds)
    if not rising:
        x, thresholds = -x, [-t for t in thresholds]
    # The integer part of the score is the level the conditions gave, also where a strict `>` at
    # a threshold, or rounding up, would make the formula reach the next level.
    if k in (0, n):
        return Decimal(k)
    fraction = (x - thresholds[k - 1]) / (thresholds[k] - thresholds[k - 1])
    rounded = fraction.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return k + min(rounded, Decimal("0.9999"))
