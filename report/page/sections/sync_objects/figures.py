"""The sync_objects section's figure: Barrier skew, the Semaphore pool, Event wake-up, exit delay."""

from __future__ import annotations

import math

from matplotlib.lines import Line2D

from report.analysis.cells import Context
from report.page.figures import (
    env_series,
    grouped_bars,
    header,
    header_space,
    log2_axis,
    plain_log,
    run_handles,
    subplots,
    to_data_uri,
)
from report.page.formatting import duration_ms, num
from report.page.sections.sync_objects.analysis import Analysis


def sync_figure(ctx: Context, a: Analysis) -> str | None:
    """The five panels, one colour per interpreter × machine; None without a cell summarised."""
    if a.s.frame.empty:
        return None
    handles = run_handles(ctx.palette, a.runs, marker=None, lw=6)
    handles += [
        Line2D([], [], color="#555555", marker="o", label="median (p50)"),
        Line2D([], [], color="#555555", marker="^", ls="--", label="tail (max, p99)"),
        Line2D([], [], color="#999999", lw=4, alpha=0.3, label="ideal: min(k, tasks) / task time"),
        Line2D([], [], color="black", ls=":", lw=1.2, label="limit (k; the thread's sleep)"),
    ]
    fig, axes = subplots(5, columns=3, width=3.4, height=2.1, top=header_space(len(handles), 4))
    _barrier_panel(ctx, a, axes[0])
    _throughput_panel(ctx, a, axes[1])
    _concurrency_panel(ctx, a, axes[2])
    _event_panel(ctx, a, axes[3])
    _exit_panel(ctx, a, axes[4])
    header(fig, "Synchronization objects", handles, columns=4)
    return to_data_uri(fig)


def _lines(ctx: Context, a: Analysis, ax, obj: str, x: str, metrics: tuple) -> list:
    """p50-style metric solid, tail metric dashed, one colour per interpreter × machine; returns x values."""
    xs_all = set()
    for run in a.runs:
        colour = ctx.palette[run.env_label]
        for metric, style, marker in zip(metrics, ("-", "--"), ("o", "^")):
            recs = a.object_sweep(metric, run.env_label, obj, x)
            if not recs:
                continue
            xs = [r[x] for r in recs]
            xs_all |= set(xs)
            ax.plot(xs, [r["median"] for r in recs], color=colour, ls=style, marker=marker, ms=3.5, lw=1.2)
            lo = [r["ci_low"] for r in recs]
            hi = [r["ci_high"] for r in recs]
            for xi, low, high in zip(xs, lo, hi):
                if math.isfinite(low) and math.isfinite(high):
                    ax.vlines(xi, low, high, color=colour, lw=1.0)
    return sorted(xs_all)


def _sweep_axes(ax, xs: list, title: str, xlabel: str, ylabel: str, base: int = 10) -> None:
    """A sweep's axes: the measured x values on a log2 axis, y on a log axis of ``base``, the labels."""
    if xs:
        log2_axis(ax, xs)
        ax.set_yscale("log", base=base)
        plain_log(ax, "y")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)


def _barrier_panel(ctx: Context, a: Analysis, ax) -> None:
    xs = _lines(ctx, a, ax, "barrier", "threads", ("barrier_skew_p50_us", "barrier_skew_max_us"))
    title = "Barrier release skew, %s cycles" % num(a.setting("barrier", "cycles"))
    _sweep_axes(ax, xs, title, "parties", "first to last past it (µs)")


def _throughput_panel(ctx: Context, a: Analysis, ax) -> None:
    xs = _lines(ctx, a, ax, "semaphore", "permits", ("throughput_tasks_s",))
    ideal = {}
    for run in a.runs:
        for r in a.object_sweep("ideal_throughput_tasks_s", run.env_label, "semaphore", "permits"):
            ideal[r["permits"]] = r["median"]
    if ideal:
        ks = sorted(ideal)
        ax.plot(ks, [ideal[k] for k in ks], color="#999999", lw=4, alpha=0.3, solid_capstyle="butt")
    title = "Semaphore(k) pool: %s tasks × %s" % (
        num(a.setting("semaphore", "threads")),
        duration_ms(a.setting("semaphore", "sleep_ms") or math.nan),
    )
    _sweep_axes(ax, xs, title, "permits k", "tasks per second", base=2)


def _concurrency_panel(ctx: Context, a: Analysis, ax) -> None:
    xs = _lines(ctx, a, ax, "semaphore", "permits", ("max_concurrency",))
    if xs:
        ax.plot(xs, xs, color="black", ls=":", lw=1.2)
    _sweep_axes(ax, xs, "Semaphore(k): most threads inside at once", "permits k", "threads inside", base=2)


def _event_panel(ctx: Context, a: Analysis, ax) -> None:
    xs = _lines(ctx, a, ax, "event", "threads", ("wake_latency_p50_us", "wake_latency_p99_us"))
    _sweep_axes(ax, xs, "Event: set() to each waiter awake", "waiters", "µs")


def _exit_panel(ctx: Context, a: Analysis, ax) -> None:
    cats = ["daemon", "non-daemon"]

    def lookup(run, cat):
        found = a.object_sweep("exit_delay_ms", run.env_label, "daemon_exit", "daemon")
        return next((r for r in found if bool(r["daemon"]) == (cat == "daemon")), None)

    grouped_bars(ax, cats, env_series(ctx, a.runs, lookup, cats), log=True)
    sleep_ms = a.setting("daemon_exit", "sleep_ms")
    if sleep_ms:
        ax.axhline(sleep_ms, color="black", ls=":", lw=1.2)
    ax.set_title("Main thread done to process exit")
    ax.set_ylabel("ms")
