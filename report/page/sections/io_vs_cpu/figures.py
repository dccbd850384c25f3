"""The io_vs_cpu section's figures: speedup and CPU busy vs workers, with ideal, capacity and model lines."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.lines import Line2D

from report.analysis import models
from report.page.figures import (
    ci_whiskers,
    executor_colour,
    header,
    header_space,
    log2_axis,
    log2_yaxis,
    median_line,
    only_drawn,
    run_handles,
    subplots,
    to_data_uri,
)

if TYPE_CHECKING:
    from report.analysis.cells import Context
    from report.analysis.load import Run
    from report.page.sections.io_vs_cpu.analysis import Analysis


#: Legend labels of the reference lines, carried by the drawn lines so a legend lists only what was drawn.
IDEAL, CAPACITY, AMDAHL, USL = "ideal (N x)", "machine capacity / usable cores", "Amdahl fit", "USL fit"


def _capacity_curve(run: Run, max_workers: float):
    """(workers, capacity) points: measured up to the cores, flat beyond (more processes add no CPU)."""
    cap = run.capacity("start")
    if not cap:
        return None
    ns = sorted(cap)
    xs = ns + ([max_workers] if max_workers > ns[-1] else [])
    return np.array(xs, dtype=float), np.array([cap[min(int(x), ns[-1])] for x in xs])


def _span(values, low: float, high: float) -> tuple:
    finite = [v for arr in values for v in np.asarray(arr, dtype=float) if math.isfinite(v)]
    return (min([low] + finite), max([high] + finite))


def env_figure(a: Analysis, env: str) -> str:
    """Speedup vs workers, one panel per workload (upper rows), and CPU cores busy for the
    CPU-bound workloads (lower row; waiting work keeps no core busy, nothing to see there).

    One figure per interpreter × machine rather than two: each figure and each panel has a
    fixed cost, and ten runs must render in seconds.
    """
    run = a.run(env)
    panels = a.panels(env)
    busy = [p for p in panels if p[0] in a.cpu_bound]
    cols = min(4, max(len(panels), len(busy)))
    rows = -(-len(panels) // cols)
    busy_rows = -(-len(busy) // cols)
    handles = [Line2D([], [], color=executor_colour(e), marker="o", label=e) for e in a.executors]
    handles += [
        Line2D([], [], color="#999999", lw=4, alpha=0.3, label=IDEAL),
        Line2D([], [], color="black", ls=":", label=CAPACITY),
        Line2D([], [], color="#555555", ls="--", lw=0.9, label=AMDAHL),
        Line2D([], [], color="#555555", ls=":", lw=0.9, label=USL),
    ]
    fig, axes = subplots(
        (rows + busy_rows) * cols, columns=cols, height=1.7, top=header_space(len(handles), 5), min_width=7.5
    )
    for i, ax in enumerate(axes):
        ax.set_visible(i < len(panels) or 0 <= i - rows * cols < len(busy))
    for i, panel in enumerate(panels):
        _speedup_panel(a, run, axes[i], panel, first=i % cols == 0)
    for i, panel in enumerate(busy):
        _cpu_panel(a, run, axes[rows * cols + i], panel, first=i % cols == 0)
    title = "Speedup vs workers%s — %s" % (" (upper) and CPU cores busy (lower)" if busy else "", env)
    header(fig, title, only_drawn(handles, axes), columns=5, refit=True)
    return to_data_uri(fig)


def _speedup_panel(a: Analysis, run: Run, ax, panel, first: bool) -> None:
    env = run.env_label
    ws = sorted(set(a.workers(env, panel)) | {1})
    bound = panel[0] in a.cpu_bound
    ax.plot([1, max(ws)], [1, max(ws)], color="#999999", lw=4, alpha=0.3, solid_capstyle="butt", label=IDEAL)
    seen = []
    for ex in a.parallel:
        w, med, lo, hi = a.series(env, panel, ex)
        if not len(w):
            continue
        c = executor_colour(ex)
        median_line(ax, w, med, lo, hi, c, ex)
        seen += [med, lo, hi]
        _fit_lines(ax, a.fit(env, panel, ex), run, w.max(), bound, c)
    ax.plot([1], [1], marker="s", color=executor_colour(a.sequential), ms=4, ls="none", label=a.sequential)
    if bound:
        cap = _capacity_curve(run, max(ws))
        if cap is not None:
            ax.plot(cap[0], cap[1], color="black", ls=":", lw=1.2, label=CAPACITY)
            seen.append(cap[1])
    bottom, top = _span(seen, 1.0, 1.0)
    log2_yaxis(ax, min(0.5, bottom * 0.8), top * 1.4)
    log2_axis(ax, ws)
    ax.set_title(a.panel_title(panel))
    ax.set_xlabel("workers")
    if first:
        ax.set_ylabel("speedup vs sequential (x)")


def _fit_lines(ax, fit: dict | None, run: Run, top: float, bound: bool, colour: str) -> None:
    """The Amdahl (dashed) and USL (dotted) fits over the measured range; a fit to capacity-normalised
    speedups is drawn times the machine's capacity over N, back on the speedup scale."""
    if fit is None:
        return
    xs = np.geomspace(1, top, 40)
    n = models.model_workers(xs, run.cores, bound)
    scale = np.ones_like(n)
    if fit["fitted_to"] != "speedup":
        cap = run.capacity("start")
        if not cap:
            return
        ks = sorted(cap)
        scale = np.interp(n, ks, [cap[k] for k in ks]) / n
    for key, style, label in (("amdahl", "--", AMDAHL), ("usl", ":", USL)):
        if fit[key] is not None:
            ax.plot(xs, fit[key].predict(n) * scale, color=colour, ls=style, lw=0.9, alpha=0.8, label=label)


def _cpu_panel(a: Analysis, run: Run, ax, panel, first: bool) -> None:
    env = run.env_label
    seen = []
    for ex in a.executors:
        w, med, lo, hi = a.series(env, panel, ex, "cpu_util_cores")
        median_line(ax, w, med, lo, hi, executor_colour(ex), ex, "s" if ex == a.sequential else "o")
        seen += [med, hi]
    ax.axhline(run.cores, color="black", ls=":", lw=1.2, label=CAPACITY)
    ax.set_ylim(0, _span(seen, 0.0, max(run.cores, 1.0))[1] * 1.2)
    log2_axis(ax, sorted(set(a.workers(env, panel)) | {1}))
    ax.set_title("CPU busy: " + a.panel_title(panel))
    ax.set_xlabel("workers")
    if first:
        ax.set_ylabel("CPU busy (cores)")


def baseline_figure(ctx: Context, a: Analysis) -> str:
    """Every interpreter × machine against one baseline: the speed of each cell over the shared
    baseline's sequential cell of the same panel (same rounds where interleaved), so a slower single
    thread shows instead of being divided out. Rows: raw threads and the process pool (or whatever
    parallel executors were measured); columns: workloads; the sequential cell at 1 worker (square)."""
    s = a.metric("speedup")
    workloads = a.workload_order(s[a.PANEL[0]])
    shown = [e for e in a.parallel if any(_main_workers(a, e, w) for w in workloads)]
    executors = [e for e in ("thread", "process_pool") if e in shown] or shown[:2]
    # A column per workload while they fit; more (a user's many functions): a row per workload.
    across = len(workloads) <= 3
    fig, axes = subplots(
        len(executors) * len(workloads),
        columns=len(workloads) if across else len(executors),
        height=1.7,
        top=header_space(len(a.runs), 3),
        min_width=7.5,
    )
    for i, ex in enumerate(executors):
        for j, workload in enumerate(workloads):
            k = i * len(workloads) + j if across else j * len(executors) + i
            _baseline_panel(ctx, a, axes[k], ex, workload, first=(j if across else i) == 0)
    handles = run_handles(ctx.palette, a.runs)
    header(
        fig,
        "Speed against %s, sequential (1 = the baseline; squares: each one's sequential run)"
        % a.baseline.env_label,
        handles,
        columns=min(3, len(handles)),
    )
    return to_data_uri(fig)


def _main_workers(a: Analysis, executor: str, workload: str) -> bool:
    """Whether any interpreter measured ``executor`` in the main panel of ``workload``."""
    for run in a.runs:
        panel = a.main_panel(run.env_label, workload)
        if panel is not None and a.workers(run.env_label, panel, executor):
            return True
    return False


def _baseline_panel(ctx: Context, a: Analysis, ax, executor: str, workload: str, first: bool) -> None:
    ws, seen = {1}, [np.array([1.0])]
    for run in a.runs:
        env, colour = run.env_label, ctx.palette[run.env_label]
        panel = a.main_panel(env, workload)
        if panel is None:
            continue
        pts = [(w, a.vs_baseline(env, panel, executor, w)) for w in a.workers(env, panel, executor)]
        pts = [(w, r) for w, r in pts if r is not None and r.median > 0]
        x = np.array([w for w, _ in pts], dtype=float)
        med, lo, hi = (
            np.array([getattr(r, k) for _, r in pts], dtype=float) for k in ("median", "ci_low", "ci_high")
        )
        median_line(ax, x, med, lo, hi, colour, env)
        seq = a.vs_baseline(env, panel, a.sequential, 1)
        if seq is not None and seq.median > 0:
            ax.plot([1], [seq.median], marker="s", color=colour, ms=4.5, ls="none")
            ci_whiskers(ax, [1], [seq.ci_low], [seq.ci_high], colour)
            seen.append(np.array([seq.median, seq.ci_low, seq.ci_high]))
        ws |= {int(v) for v in x}
        seen += [med, lo, hi]
    ax.axhline(1.0, color="#555555", lw=0.8)
    ax.plot([1, max(ws)], [1, max(ws)], color="#999999", lw=4, alpha=0.3)
    bottom, top = _span(seen, 1.0, 1.0)
    log2_yaxis(ax, min(0.5, bottom * 0.8), max(top, max(ws)) * 1.4)
    log2_axis(ax, sorted(ws))
    ax.set_title("%s on %s" % (str(workload).rsplit(":", 1)[-1], executor))  # a function without its module
    ax.set_xlabel("workers")
    if first:
        ax.set_ylabel("speed vs baseline (x)")
