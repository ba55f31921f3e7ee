"""JSON from outside (a phone's sync request, a saved outbox file), read without surprises.

Python's reader accepts more than JSON and fails in ways that are not errors of the
input: ``NaN`` and ``Infinity``, numbers like ``1e999999999`` that become infinite or
would take gigabytes as integers, and nesting deep enough to exhaust the stack. Here all
of that is either refused as unreadable (the caller answers 400) or made harmless: a
number with a fraction or an exponent is read as a Decimal (exact, for money), and one
too large to mean anything becomes ``Decimal('NaN')``, which every field refuses. What
reads the document measures the ``depth`` of each part before working on it (writing a
deeply nested value back out would exhaust the stack too).
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_EXPONENT = 30  # 10**30 rupiah is already absurd


class UnreadableJson(ValueError):
    """Not JSON we can read: malformed, NaN/Infinity, or nested beyond the stack."""


def _number(text: str) -> Decimal:
    try:
        number = Decimal(text)
    except InvalidOperation:  # cannot happen for what the JSON scanner passes, but be sure
        return Decimal("NaN")
    return number if abs(number.adjusted()) <= MAX_EXPONENT else Decimal("NaN")


def _refuse_constant(name: str) -> Any:
    raise UnreadableJson(f"{name} is not JSON")


def read_json(raw: bytes | str) -> Any:
    """The value of a JSON document; UnreadableJson if it is not one we accept."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
        value = json.loads(text, parse_float=_number, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as err:  # JSONDecodeError too
        if isinstance(err, UnreadableJson):
            raise
        raise UnreadableJson(str(err)[:200]) from err
    return value


def depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (0 for a scalar), without recursion."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            level += 1
            deepest = max(deepest, level)
            stack.extend((child, level) for child in item)
    return deepest
