"""The sync_objects section's closing tables: every cell of each object, with only what that object has."""

from __future__ import annotations

from report.analysis import statistics as stats
from report.analysis.cells import Context
from report.page.formatting import percent
from report.page.html import Markup, join, paragraph, tag
from report.page.sections.sync_objects.analysis import OBJECT_METRICS, Analysis
from report.page.tables import failures, summary_table

OBJECT_TITLES = {
    "barrier": "Barrier: release skew",
    "semaphore": "Semaphore: a pool of k permits",
    "event": "Event: set() to wake-up",
    "daemon_exit": "Daemon threads at exit",
}


def every_cell(ctx: Context, experiment: str, a: Analysis) -> Markup:
    """Every cell's medians with intervals, one table per object, then what failed."""
    return join(
        [
            tag("h3", "Every cell: median [95 % CI]"),
            cell_tables(a),
            failures(ctx.results.frame(experiment)),
        ]
    )


def cell_tables(a: Analysis) -> Markup:
    """One small table per object, with only the parameters and metrics that object has."""
    frame = a.s.frame
    if frame.empty:
        return paragraph("No successful repetitions to summarise.")
    parts = []
    for obj, metrics in OBJECT_METRICS.items():
        mine = frame[frame["object"] == obj]
        if mine.empty:
            continue
        by = ["env_label"] + a.uses(obj)
        rows = a.df[a.df["object"] == obj]
        parts.append(tag("h4", OBJECT_TITLES[obj]))
        parts.append(summary_table(rows, by, metrics, summary=mine))
    parts.append(
        paragraph(
            "Italic: the repetitions vary by more than %s (coefficient of variation); hover for n and CV."
            % percent(stats.CV_NOISY),
            "muted",
        )
    )
    return join(parts)
