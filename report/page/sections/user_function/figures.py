"""The user_function section's figure: per function, speedup vs workers (io_vs_cpu's panel, with
ideal and model lines), CPU cores busy, and peak memory, one line per executor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.lines import Line2D

from report.page.figures import (
    executor_colour,
    header,
    header_space,
    log2_axis,
    median_line,
    only_drawn,
    subplots,
    to_data_uri,
)
from report.page.sections.io_vs_cpu.figures import AMDAHL, CAPACITY, IDEAL, USL, _cpu_panel, _speedup_panel

if TYPE_CHECKING:
    from report.page.sections.user_function.analysis import Analysis


def function_figure(a: Analysis, env: str, panel) -> str:
    """Speedup (with ideal, Amdahl and USL lines), CPU busy and peak RSS against workers for one panel."""
    run = a.run(env)
    handles = [Line2D([], [], color=executor_colour(e), marker="o", label=e) for e in a.executors]
    handles += [
        Line2D([], [], color="#999999", lw=4, alpha=0.3, label=IDEAL),
        Line2D([], [], color="black", ls=":", label=CAPACITY),
        Line2D([], [], color="#555555", ls="--", lw=0.9, label=AMDAHL),
        Line2D([], [], color="#555555", ls=":", lw=0.9, label=USL),
    ]
    fig, axes = subplots(3, columns=3, height=1.8, top=header_space(len(handles), 5), min_width=7.5)
    _speedup_panel(a, run, axes[0], panel, first=True)
    axes[0].set_title("speedup vs sequential")
    _cpu_panel(a, run, axes[1], panel, first=False)
    axes[1].set_title("CPU busy (cores)")
    _memory_panel(a, env, axes[2], panel)
    header(fig, "%s — %s" % (a.panel_title(panel), env), only_drawn(handles, axes), columns=5, refit=True)
    return to_data_uri(fig)


def _memory_panel(a: Analysis, env: str, ax, panel) -> None:
    top = 1.0
    for ex in a.executors:
        w, med, lo, hi = a.series(env, panel, ex, "peak_rss_mib")
        median_line(ax, w, med, lo, hi, executor_colour(ex), ex, "s" if ex == a.sequential else "o")
        top = max([top] + [float(v) for v in hi if v == v] + [float(v) for v in med if v == v])
    ax.set_ylim(0, top * 1.2)
    log2_axis(ax, sorted(set(a.workers(env, panel)) | {1}))
    ax.set_title("peak memory (MiB, the whole process tree)")
    ax.set_xlabel("workers")
