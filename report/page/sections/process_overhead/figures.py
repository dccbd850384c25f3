"""The process_overhead section's figure: start costs, pool round trips, and the break-even curve."""

from __future__ import annotations

import math

from matplotlib.lines import Line2D

from report.analysis.cells import Context
from report.page.figures import (
    ci_whiskers,
    env_series,
    grouped_bars,
    header,
    header_space,
    median_line,
    plain_log,
    subplots,
    to_data_uri,
)
from report.page.sections.process_overhead.analysis import METHODS, Analysis

HEAVY = " + imports"


def _starts_panel(ax, ctx: Context, a: Analysis) -> None:
    """Start + join of one worker: a thread, each start method, and those measured with the heavy target."""
    cats = ["thread"] + [m for m in METHODS if a.s.select("start_join_ms", runner="process", start_method=m)]
    heavy = [m + HEAVY for m in METHODS if any(a.start_cost(r.env_label, m, "heavy") for r in a.runs)]

    def lookup(run, cat):
        if cat.endswith(HEAVY):
            return a.start_cost(run.env_label, cat[: -len(HEAVY)], "heavy")
        return a.start_cost(run.env_label, cat)

    grouped_bars(ax, cats + heavy, env_series(ctx, a.runs, lookup, cats + heavy), log=True)
    ax.set_title("Start + join one worker")
    ax.set_ylabel("ms")


def _round_trip_panel(ax, ctx: Context, a: Analysis) -> None:
    """Pool round trip against payload: processes solid, threads dashed, with 95 % whiskers."""
    for run in a.runs:
        for runner, ls in (("thread", "--"), ("process", "-")):
            recs = sorted(
                a.s.select("round_trip_ms", env_label=run.env_label, measure="round_trip", runner=runner),
                key=lambda r: r["payload_bytes"],
            )
            if not recs:
                continue
            x = [max(r["payload_bytes"], 1) for r in recs]
            colour = ctx.palette[run.env_label]
            ax.plot(x, [r["median"] for r in recs], ls=ls, marker="o", ms=3, color=colour)
            ci_whiskers(ax, x, [r["ci_low"] for r in recs], [r["ci_high"] for r in recs], colour)
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log(ax)
    ax.set_title("Pool round trip (solid: processes, dashed: threads)", fontsize=8)
    ax.set_xlabel("payload (bytes)")
    ax.set_ylabel("ms")


def _break_even_panel(ax, ctx: Context, a: Analysis) -> None:
    """The process pool's speedup over the thread pool against the task duration timed in each cell;
    1 (no gain) drawn, and the break-even where the medians cross it."""
    for run in a.runs:
        points = a.break_even_points(run.env_label)
        if not points:
            continue
        colour = ctx.palette[run.env_label]
        x = [p[0]["median"] for p in points]
        median_line(
            ax,
            x,
            [p[1]["median"] for p in points],
            [p[1]["ci_low"] for p in points],
            [p[1]["ci_high"] for p in points],
            colour,
        )
        be, _ = a.break_even(run.env_label)
        if math.isfinite(be):
            ax.axvline(be, color=colour, ls=":", lw=1)
    ax.axhline(1.0, color="black", lw=1)
    ax.set_xscale("log")
    plain_log(ax, "x")
    ax.set_title("Process pool vs thread pool (dotted: break-even)", fontsize=8)
    ax.set_xlabel("task duration, timed in the cell (ms)")
    ax.set_ylabel("speedup of processes (x)")


def overhead_figure(ctx: Context, a: Analysis) -> str:
    handles = [Line2D([], [], color=ctx.palette[r.env_label], lw=6, label=r.env_label) for r in a.runs]
    fig, axes = subplots(3, columns=3, width=3.3, height=2.2, top=header_space(len(handles), 4), bottom=0.8)
    _starts_panel(axes[0], ctx, a)
    _round_trip_panel(axes[1], ctx, a)
    _break_even_panel(axes[2], ctx, a)
    header(fig, "What processes cost", handles, columns=4)
    return to_data_uri(fig)
