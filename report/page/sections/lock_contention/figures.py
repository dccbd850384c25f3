"""The lock_contention section's figure: lost updates, cost per update, acquire wait by switch interval."""

from __future__ import annotations

from matplotlib.lines import Line2D

from report.analysis.cells import Context
from report.page.figures import (
    env_series,
    grouped_bars,
    header,
    header_space,
    log2_axis,
    plain_log,
    records_line,
    subplots,
    to_data_uri,
)
from report.page.sections.lock_contention.analysis import PRIMITIVES, Analysis


def _lost_panel(ax, ctx: Context, a: Analysis) -> None:
    """Updates lost without a lock, one bar group per pattern × threads × switch interval."""
    lost = a.s.select("lost_update_fraction", primitive="none")
    keys = sorted({(r["pattern"], r["threads"], r["switch_interval_ms"]) for r in lost if r["threads"] > 1})
    cats = ["%s ×%d, %g ms" % k for k in keys]

    def lookup(run, cat):
        pattern, threads, switch = keys[cats.index(cat)]
        found = a.s.select(
            "lost_update_fraction",
            env_label=run.env_label,
            primitive="none",
            pattern=pattern,
            threads=threads,
            switch_interval_ms=switch,
        )
        return found[0] if len(found) == 1 else None

    grouped_bars(ax, cats, env_series(ctx, a.runs, lookup, cats))
    ax.set_title("Updates lost without a lock")
    ax.set_ylabel("lost fraction")


def _cost_panel(ax, ctx: Context, a: Analysis) -> None:
    """Cost per update by primitive and thread count, at the usual settings."""
    cats = [
        "%s ×%d" % (p, t)
        for t in a.threads()
        for p in PRIMITIVES
        if a.s.select("cost_per_op_ns", primitive=p, threads=t, **a.base())
    ]

    def lookup(run, cat):
        primitive, threads = cat.rsplit(" ×", 1)
        return a.record("cost_per_op_ns", run.env_label, primitive, int(threads))

    grouped_bars(ax, cats, env_series(ctx, a.runs, lookup, cats), log=True)
    ax.set_title("Cost per update (%s)" % a.default.get("pattern"))
    ax.set_ylabel("ns per update")


def _wait_panel(ax, ctx: Context, a: Analysis) -> None:
    """Lock acquire wait p99 against the switch interval, at the most threads, with 95 % whiskers."""
    threads = a.threads()
    many = max(threads) if threads else 1
    xs_all: set = set()
    for run in a.runs:
        recs = sorted(a.switch_sweep(run.env_label, many), key=lambda r: r["switch_interval_ms"])
        if not recs:
            continue
        xs = [r["switch_interval_ms"] for r in recs]
        xs_all |= set(xs)
        records_line(ax, xs, recs, ctx.palette[run.env_label])
    if xs_all:
        log2_axis(ax, sorted(xs_all))
        ax.set_yscale("log")
        plain_log(ax, "y")
    ax.set_title("Lock acquire wait p99, %d threads" % many)
    ax.set_xlabel("switch interval (ms)")
    ax.set_ylabel("µs")


def lock_figure(ctx: Context, a: Analysis) -> str:
    fig, axes = subplots(3, columns=3, width=3.4, height=2.0, top=header_space(len(a.runs), 4), bottom=0.95)
    _lost_panel(axes[0], ctx, a)
    _cost_panel(axes[1], ctx, a)
    _wait_panel(axes[2], ctx, a)
    handles = [Line2D([], [], color=ctx.palette[r.env_label], lw=6, label=r.env_label) for r in a.runs]
    header(fig, "Race conditions and lock costs", handles, columns=4)
    return to_data_uri(fig)
