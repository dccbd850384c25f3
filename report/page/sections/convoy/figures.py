"""The convoy section's figure: round-trip latency against CPU-bound workers, threads beside processes."""

from __future__ import annotations

from matplotlib.lines import Line2D

from report.analysis.cells import Context
from report.page.figures import (
    header,
    header_space,
    log2_axis,
    plain_log,
    records_line,
    subplots,
    to_data_uri,
)
from report.page.sections.convoy.analysis import Analysis

STYLES = {"thread": "-", "process": "--"}
PANELS = (("latency_p50_us", "median"), ("latency_p99_us", "p99"))


def _handles(ctx: Context, a: Analysis) -> list:
    handles = [Line2D([], [], color=ctx.palette[r.env_label], marker="o", label=r.env_label) for r in a.runs]
    return handles + [
        Line2D([], [], color="#555555", ls="-", label="CPU work in threads"),
        Line2D([], [], color="#555555", ls="--", label="in processes"),
        Line2D([], [], color="#555555", alpha=0.45, label="shorter switch interval"),
        Line2D([], [], color="black", ls=":", label="one switch interval (theory: the longest GIL wait)"),
    ]


def _curves(ax, ctx: Context, a: Analysis, metric: str) -> set:
    """Every interpreter × kind × switch interval as one line (x = workers + 1, for a log axis);
    returns the x values drawn."""
    longest = max(a.s.values("switch_interval_ms") or [0])
    xs_all: set = set()
    for run in a.runs:
        env = run.env_label
        for kind in ("thread", "process"):
            for sw in a.s.values("switch_interval_ms", metric, env_label=env, cpu_kind=kind):
                recs = a.s.select(metric, env_label=env, cpu_kind=kind, switch_interval_ms=sw)
                idle = a.idle(metric, env, sw)
                recs = sorted(
                    [r for r in recs if r["cpu_workers"] > 0] + ([idle] if idle else []),
                    key=lambda r: r["cpu_workers"],
                )
                if not recs:
                    continue
                xs = [r["cpu_workers"] + 1 for r in recs]
                xs_all |= set(xs)
                colour = ctx.palette[env]
                records_line(ax, xs, recs, colour)
                line = ax.get_lines()[-1]
                line.set_linestyle(STYLES.get(kind, ":"))
                line.set_alpha(1.0 if sw == longest else 0.45)
    return xs_all


def convoy_figure(ctx: Context, a: Analysis) -> str:
    """Median and p99 round trip against the CPU-bound workers beside the I/O thread, with one switch
    interval drawn as the theory's longest wait for the GIL."""
    handles = _handles(ctx, a)
    fig, axes = subplots(2, columns=2, width=4.2, height=2.3, top=header_space(len(handles), 3))
    for ax, (metric, label) in zip(axes, PANELS):
        xs = _curves(ax, ctx, a, metric)
        if a.switch:
            ax.axhline(a.switch * 1000.0, color="black", ls=":", lw=1)
        if xs:
            log2_axis(ax, sorted(xs))
            ax.set_xticklabels(["%d" % (w - 1) for w in sorted(xs)])
        ax.set_yscale("log")
        plain_log(ax, "y")
        ax.set_title("I/O round trip, %s" % label)
        ax.set_xlabel("CPU-bound workers beside it")
        ax.set_ylabel("µs")
    header(fig, "I/O round-trip latency beside CPU-bound work", handles, columns=3)
    return to_data_uri(fig)
