"""The deadlock section's closing table: every cell, how it ended, and what failed."""

from __future__ import annotations

import math

from report.page.formatting import DASH, duration_ms, duration_s, num, with_ci
from report.page.html import Markup, join, paragraph, table, tag
from report.page.sections import Context
from report.page.sections.deadlock.analysis import Analysis, Cell, of
from report.page.tables import blank_repeats, failures


def _outcome(c: Cell) -> str:
    if c.expected_hang and c.hung:
        return "deadlock, hung (expected)"
    if c.ok and c.detected == c.ok:
        return "deadlock, detected" + (", recovered" if c.recovered == c.detected else "")
    if c.ok and c.detected == 0 and c.completed == c.ok:
        return "no deadlock"
    return "mixed" if c.ok else "failed"


def _repetitions(c: Cell) -> tuple:
    parts = ["%d ok" % c.ok] if c.ok else []
    if c.hung:
        parts.append("%d hung" % c.hung)
    if c.failed:
        parts.append("%d failed" % c.failed)
    return (", ".join(parts), "num slower" if c.failed else "num")


HEADER = [
    "interpreter @ machine",
    "scenario",
    "detection",
    "outcome",
    "deadlock detected",
    "time to detect, median [95 % CI]",
    "past the timeout",
    "recovered",
    "completed",
    "acquire attempts",
    "recovery",
    "cell wall time",
    "repetitions",
]
NOTE = (
    "Counts are over the repetitions that ended ok; time to detect runs from the blocking acquire to "
    "its giving up, recovery from there to both threads done. Hung: the harness ended the repetition "
    "at its cell time limit — for lock_order and lock_reentry without a timeout, the expected result."
)


def _detection(c: Cell) -> tuple:
    """(deadlocks detected, time to detect) as the table shows them."""
    if c.expected_hang and c.hung:
        # Nothing inside the cell noticed: the harness's time limit is what detected this deadlock.
        detected = "%s, by the harness" % of(c.hung, c.hung + c.ok)
        at = "at its %s limit" % duration_s(c.killed_after_s) if math.isfinite(c.killed_after_s) else DASH
        return detected, at
    ttd = c.summary.get("time_to_detect_ms")
    detected = of(c.detected, c.ok) if c.ok else DASH
    return detected, with_ci(ttd["median"], ttd["ci_low"], ttd["ci_high"], " ms") if ttd else DASH


def _row(c: Cell) -> list:
    """One cell's row of the table, under HEADER."""
    beyond = c.median("time_to_detect_ms") - (c.timeout_ms if c.timeout_ms is not None else math.nan)
    wall = c.summary.get("wall_s")
    wall_ms = (
        with_ci(wall["median"] * 1e3, wall["ci_low"] * 1e3, wall["ci_high"] * 1e3, " ms") if wall else DASH
    )
    detected, detect_time = _detection(c)
    return [
        c.env,
        c.scenario,
        "timeout %s ms" % num(c.timeout_ms) if c.timeout_ms is not None else c.detection,
        _outcome(c),
        (detected, "num"),
        (detect_time, "num"),
        ("+" + duration_ms(beyond) if math.isfinite(beyond) else DASH, "num"),
        (of(c.recovered, c.detected) if c.detected else DASH, "num"),
        (of(c.completed, c.ok) if c.ok else DASH, "num"),
        (num(c.median("acquire_attempts")), "num"),
        (duration_ms(c.median("recovery_ms")), "num"),
        (wall_ms, "num"),
        _repetitions(c),
    ]


def cell_table(found: list) -> Markup:
    """One row per cell (see Cell), its repetitions' outcome counted, then a note on how to read it."""
    if not found:
        return paragraph("No repetitions to show.")
    rows = [_row(c) for c in found]
    return join([table(HEADER, blank_repeats(rows, 2), class_="compact"), paragraph(NOTE, "muted")])


def every_cell(ctx: Context, experiment: str, a: Analysis) -> Markup:
    """The closing part of the section: every cell, then what failed."""
    return join([tag("h3", "Every cell"), cell_table(a.cells), failures(ctx.results.frame(experiment))])
