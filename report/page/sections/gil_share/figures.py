"""The gil_share section's figure: speedup against gil_share, one panel per interpreter × machine."""

from __future__ import annotations

import math

from matplotlib.lines import Line2D

from report.analysis.cells import Context
from report.page.figures import executor_colour, header, header_space, records_line, subplots, to_data_uri
from report.page.sections.gil_share.analysis import PROCESSES, THREADS, Analysis


def share_figure(ctx: Context, a: Analysis) -> str:
    """Each executor's speedup along gil_share with its interval, the crossing dotted."""
    executors = [e for e in THREADS + PROCESSES if any(e in a.executors(r.env_label) for r in a.runs)]
    handles = [Line2D([], [], color=executor_colour(e), marker="o", label=e) for e in executors]
    fig, axes = subplots(len(a.runs), columns=3, width=3.3, height=2.4, top=header_space(len(handles), 4))
    for ax, run in zip(axes, a.runs):
        env = run.env_label
        for executor in a.executors(env):
            recs = a.curve(env, executor)
            x = [r["gil_share"] for r in recs]
            records_line(ax, x, recs, executor_colour(executor))
        cross = a.turnover(env)
        if math.isfinite(cross):
            ax.axvline(cross, color="black", ls=":", lw=1)
        ax.axhline(1.0, color="black", lw=0.8)
        ax.set_xlim(-0.05, 1.05)
        ax.set_title(env, fontsize=8)
        ax.set_xlabel("share of each task holding the GIL")
        ax.set_ylabel("speedup (x)")
    header(fig, "Threads against processes as tasks hold the GIL longer", handles, columns=4)
    return to_data_uri(fig)
