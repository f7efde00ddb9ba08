"""Declared column types (``types=``): what a type tells about the numbers a column can hold."""

from __future__ import annotations

import attrs


@attrs.frozen
class _Typed:
    """A measure read from a typed column (``types=``): the column ``raw`` of SQL type ``kind``
    with ``places`` decimal places, which holds every number with those places strictly between
    ``smallest`` and ``largest``; its value column holds ``raw × 10**unit`` as a BIGINT."""

    raw: str
    kind: str
    smallest: int
    largest: int
    places: int
    unit: int



_INTEGER_BOUNDS = {"TINYINT": 2**7, "INT1": 2**7, "SMALLINT": 2**15, "INT2": 2**15,
                   "INTEGER": 2**31, "INT": 2**31, "INT4": 2**31, "BIGINT": 2**63, "INT8": 2**63,
                   "HUGEINT": 2**127, "UTINYINT": 2**8, "USMALLINT": 2**16, "UINTEGER": 2**32,
                   "UBIGINT": 2**64, "UHUGEINT": 2**128}


def _declared(kind: str | None) -> tuple[int, int] | str | None:
    """A declared column type as ``(largest magnitude, decimal places)``, ``"BOOLEAN"``, or None
    for a type read as usual (text, DOUBLE, ...)."""
    if kind is None:
        return None
    kind = "".join(kind.upper().split())
    if kind in ("BOOLEAN", "BOOL", "LOGICAL"):
        return "BOOLEAN"
    if kind in _INTEGER_BOUNDS:
        return _INTEGER_BOUNDS[kind], 0
    for prefix in ("DECIMAL(", "NUMERIC("):
        if kind.startswith(prefix) and kind.endswith(")"):
            parts = kind[len(prefix):-1].split(",")
            if len(parts) == 2 and all(part.isdigit() for part in parts):
                width, places = int(parts[0]), int(parts[1])
                if 1 <= width <= 38 and places <= width:
                    return 10**(width - places), places
    return None
