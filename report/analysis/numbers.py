"""How a number reads in a sentence: significant figures, ratios and percentages, a dash for none."""

from __future__ import annotations

import math

DASH = "—"


def finite(x) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def num(x, digits: int = 3) -> str:
    """A number with ``digits`` significant figures, or a dash."""
    if not finite(x):
        return DASH
    x = float(x)
    if x == 0:
        return "0"
    if abs(x) >= 10**digits:
        return "%.0f" % x
    return "%.*g" % (digits, x)


def ratio(x, digits: int = 3) -> str:
    return num(x, digits) + "x" if finite(x) else DASH


def percent(x, digits: int = 0) -> str:
    return "%.*f %%" % (digits, 100 * float(x)) if finite(x) else DASH
