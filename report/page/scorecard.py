"""The scorecard: one row per interpreter × machine, one headline number per column, the best marked."""

from __future__ import annotations

import math
from dataclasses import dataclass

from report.analysis.load import Results
from report.page.formatting import DASH
from report.page.html import Markup, join, paragraph, table


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    #: +1 when larger is better, -1 when smaller is better.
    better: int
    #: The experiment that provides the value (shown when it is missing).
    source: str


COLUMNS = (
    Column("serial_fraction", "GIL serial fraction (threads, pure Python)", -1, "io_vs_cpu"),
    Column("single_thread_cost", "single-thread time vs the shared baseline (pure Python)", -1, "io_vs_cpu"),
    Column("best_process_speedup", "best process speedup", +1, "io_vs_cpu"),
    Column("break_even", "break-even task (processes vs threads)", -1, "process_overhead"),
    Column("io_overlap_efficiency", "I/O overlap efficiency at 8 workers", +1, "io_vs_cpu"),
    Column("lock_cost", "uncontended Lock acquire+release", -1, "lock_contention or primitives (bench/)"),
    Column("queue_cost", "Queue put+get", -1, "primitives (bench/)"),
    Column("timer_p99", "Timer p99 lateness", -1, "timer_drift"),
    Column("convoy_slowdown", "convoy slowdown", -1, "convoy"),
)


def render(results: Results, scores: dict) -> Markup:
    """``scores``: {interpreter @ machine label: {column key: Score}} gathered from the sections."""
    latest = {}
    for run in results.runs:
        latest[run.env_label] = run
    envs = sorted(latest)
    best = {}
    for col in COLUMNS:
        values = [scores.get(e, {}).get(col.key) for e in envs]
        finite = [s.value for s in values if s is not None and math.isfinite(s.value)]
        if len(finite) >= 2:
            best[col.key] = max(finite) if col.better > 0 else min(finite)
    rows = []
    for env in envs:
        run = latest[env]
        row = [
            run.interpreter_label,
            str(run.interpreter.get("version", DASH)),
            run.gil,
            run.machine_label,
            ("%g" % run.cores, "num"),
        ]
        for col in COLUMNS:
            s = scores.get(env, {}).get(col.key)
            if s is None:
                row.append((DASH, "missing", "not measured: needs the %s experiment" % col.source))
                continue
            is_best = col.key in best and math.isfinite(s.value) and s.value == best[col.key]
            row.append((s.text, "num best" if is_best else "num", s.title))
        rows.append(row)
    header = ["interpreter", "version", "GIL", "machine", "cores"] + [c.title for c in COLUMNS]
    legend = paragraph(
        "Each row is the newest run of an interpreter on a machine. Green: the best value of a column "
        "(lower is better for costs, lateness and serial fraction). A dash: the experiment that provides the "
        "column was not run; hover for which.",
        "muted",
    )
    return join([table(header, rows), legend])
