"""How numbers read on the page: medians with their confidence intervals, ratios, percentages."""

from __future__ import annotations

# The plain numbers are analysis's too (advice, gate, models); sections read them from here.
from report.analysis.numbers import DASH, finite, num, percent, ratio  # noqa: F401


def with_ci(median, low, high, unit: str = "", digits: int = 3, note: str = "") -> str:
    """``1.85x [1.70–1.93]``; without an interval the median alone, followed by `` (note)`` when a note
    says why (a summary record's ``ci_note``: "too few repetitions for a 95 % interval: n=3, needs 6")."""
    if not finite(median):
        return DASH
    text = num(median, digits) + unit
    if finite(low) and finite(high):
        text += " [%s–%s]" % (num(low, digits), num(high, digits))
    elif note:
        text += " (%s)" % note
    return text


def record_ci(rec: dict, unit: str = "", scale: float = 1.0, digits: int = 3, short: bool = True) -> str:
    """A summary record (stats.summarize / Summary) as ``median [low–high]``, times ``scale``; without an
    interval, ``median (n=3, no 95 % CI)`` — or the record's full ``ci_note`` with ``short=False``."""
    note = rec.get("ci_note") or ""
    if note and short:
        note = "n=%d, no 95 %% CI" % rec["n"]
    values = [rec.get(k) for k in ("median", "ci_low", "ci_high")]
    return with_ci(*(float(v) * scale if finite(v) else v for v in values), unit, digits, note)


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


def _unit_for(seconds: float) -> tuple:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if abs(seconds) >= scale:
            return unit, scale
    return "ns", 1e-9


def duration_ci(rec: dict | None, seconds_per_unit: float, short: bool = True) -> str:
    """A summary record of a time (in units of ``seconds_per_unit``: 1e-6 for a ``_us`` metric) as
    ``17.2 ms [15.1–19]``, in the unit that reads best for its median; without an interval,
    ``17.2 ms (n=3, no 95 % CI)`` — or the full ``ci_note`` with ``short=False``."""
    if rec is None or not finite(rec.get("median")):
        return DASH
    unit, scale = _unit_for(float(rec["median"]) * seconds_per_unit)
    return record_ci(rec, " " + unit, scale=seconds_per_unit / scale, short=short)


# --- Direction words that follow an interval ---


def interval_side(rec: dict | None, null: float = 1.0) -> int | None:
    """Where a summary record's 95 % interval lies against ``null`` (1 for a ratio, 0 for a
    difference): +1 wholly above, -1 wholly below, 0 when it holds ``null``; None when there is no
    interval (too few repetitions: the record's ``ci_note`` says so) or no record."""
    if not rec or not (finite(rec.get("ci_low")) and finite(rec.get("ci_high"))):
        return None
    low, high = float(rec["ci_low"]), float(rec["ci_high"])
    if low > null:
        return 1
    if high < null:
        return -1
    return 0


def ratio_verdict(rec: dict | None, larger: str = "faster", smaller: str = "slower") -> str:
    """A ratio record's direction in words its interval supports: "1.5x faster" (interval above 1),
    "2.5x slower" (a ratio of 0.4, interval below 1: the factor is inverted so it reads above 1),
    "no clear change" (the interval holds 1), and "" without an interval, where no direction may be
    claimed (print the record's ``ci_note`` instead)."""
    side = interval_side(rec, 1.0)
    if side is None:
        return ""
    if side == 0:
        return "no clear change"
    factor = float(rec["median"]) if side > 0 else 1.0 / float(rec["median"])
    return "%s %s" % (ratio(factor), larger if side > 0 else smaller)


class NoteOnce:
    """Quotes summary records in one sentence as ``median [low–high]``; a record without an interval
    is quoted bare and its ``ci_note`` said once, at the end of the sentence (``note()``), however many
    numbers share it: "... 0.4x ... 900 µs against 90 µs (too few repetitions for a 95 % interval: n=3,
    needs 6)."."""

    def __init__(self):
        self.notes: list = []

    def __call__(self, rec: dict | None, unit: str = "", scale: float = 1.0, digits: int = 3) -> str:
        if not rec or not finite(rec.get("median")):
            return DASH
        note = rec.get("ci_note") or ""
        if note and note not in self.notes:
            self.notes.append(note)
        values = [rec.get(k) for k in ("median", "ci_low", "ci_high")]
        return with_ci(*(float(v) * scale if finite(v) else v for v in values), unit, digits)

    def note(self) -> str:
        """`` (the notes)`` when a quoted record had no interval, else empty."""
        return " (%s)" % "; ".join(self.notes) if self.notes else ""
