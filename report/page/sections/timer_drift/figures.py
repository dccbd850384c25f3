"""The timer_drift section's figure: one-shot Timer lateness, median and p99, against the timer slack."""

from __future__ import annotations

import math

from report.analysis import models
from report.analysis.cells import Context
from report.page.figures import (
    env_series,
    grouped_bars,
    header,
    header_space,
    run_handles,
    subplots,
    to_data_uri,
)
from report.page.sections.timer_drift.analysis import Analysis


def timer_figure(ctx: Context, a: Analysis) -> str | None:
    """One-shot lateness, median and p99, per delay and load, one bar per interpreter × machine; None
    without a cell summarised."""
    if a.s.frame.empty:
        return None
    runs = a.runs
    fig, axes = subplots(2, columns=2, width=5.0, height=2.2, top=header_space(len(runs), 4), bottom=0.95)
    keys = sorted({(r["delay_ms"], r["cpu_threads"]) for r in a.s.select("lateness_p99_us", mode="one_shot")})
    cats = ["%g ms, %d cpu" % k for k in keys]
    floors = {models.timer_slack_floor_us(r.env) for r in runs}
    for ax, metric, title in (
        (axes[0], "lateness_p50_us", "one-shot Timer lateness, median"),
        (axes[1], "lateness_p99_us", "one-shot Timer lateness, p99"),
    ):

        def get(run, cat, metric=metric):
            d, c = keys[cats.index(cat)]
            found = a.s.select(metric, env_label=run.env_label, mode="one_shot", delay_ms=d, cpu_threads=c)
            return found[0] if len(found) == 1 else None

        grouped_bars(ax, cats, env_series(ctx, runs, get, cats), log=True)
        for f in floors:
            if math.isfinite(f):
                ax.axhline(f, color="black", ls="--", lw=1)
        ax.set_title(title + " (dashed: timer slack)")
        ax.set_ylabel("µs late")
        ax.set_xlabel("delay, CPU-bound threads")
    header(fig, "How late one-shot Timers fire", run_handles(ctx.palette, runs, marker=None, lw=6), columns=4)
    return to_data_uri(fig)
