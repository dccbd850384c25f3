"""How numbers read on the page: medians with their confidence intervals, ratios, percentages."""

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


def with_ci(median, low, high, unit: str = "", digits: int = 3) -> str:
    """``1.85x [1.70–1.93]``; the interval is left out when it is unknown (one repetition)."""
    if not finite(median):
        return DASH
    text = num(median, digits) + unit
    if finite(low) and finite(high):
        text += " [%s–%s]" % (num(low, digits), num(high, digits))
    return text


def duration_s(seconds) -> str:
    """Seconds in the unit that reads best (ns, µs, ms, s)."""
    if not finite(seconds):
        return DASH
    s = float(seconds)
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if abs(s) >= scale:
            return "%s %s" % (num(s / scale), unit)
    return "%s ns" % num(s / 1e-9)


def duration_us(microseconds) -> str:
    """Microseconds, shown in the unit that reads best."""
    return duration_s(microseconds * 1e-6)


def duration_ms(milliseconds) -> str:
    """Milliseconds, shown in the unit that reads best."""
    return duration_s(milliseconds * 1e-3)
