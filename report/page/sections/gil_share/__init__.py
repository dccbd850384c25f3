"""The gil_share section: threads' and processes' speedup against the share of each task holding the GIL."""

from __future__ import annotations

import math

from report.analysis.cells import CellAnalysis
from report.analysis.load import Results
from report.page.figures import executor_colour, header, header_space, records_line, subplots, to_data_uri
from report.page.formatting import num, ratio
from report.page.html import figure, join, paragraph, tag
from report.page.sections import Context, Rendered
from report.page.tables import every_cell

REQUIRED = ("gil_share", "executor", "workers", "speedup", "python_time_fraction")
METRICS = ["speedup", "task_ms", "python_time_fraction", "cpu_util_cores", "wall_s"]
#: Thread-like and process-like executors raced against each other, in the order they are paired.
THREADS = ("thread_pool", "thread", "asyncio")
PROCESSES = ("process_pool", "process", "interpreter_pool")


def compare_metrics(results: Results, experiment: str) -> list:
    return ["speedup"]


class Analysis(CellAnalysis):
    def __init__(self, ctx: Context, experiment: str):
        super().__init__(ctx, experiment, METRICS)

    def executors(self, env: str) -> list:
        found = {r["executor"] for r in self.s.select("speedup", env_label=env)}
        return [e for e in THREADS + PROCESSES if e in found]

    def curve(self, env: str, executor: str) -> list:
        """Speedup records along gil_share, every other parameter at its usual value."""
        return self.sweep("speedup", env, "gil_share", executor=executor)

    def pair(self, env: str) -> tuple:
        """(thread executor, process executor) raced in this run, or Nones."""
        present = self.executors(env)
        threads = [e for e in THREADS if e in present]
        procs = [e for e in PROCESSES if e in present]
        return (threads[0] if threads else None), (procs[0] if procs else None)

    def turnover(self, env: str) -> float:
        """The gil_share where the process executor's median speedup first overtakes the thread
        executor's (linear between measured points); NaN when it never does or always has."""
        thread, proc = self.pair(env)
        if not thread or not proc:
            return math.nan
        t = {r["gil_share"]: r["median"] for r in self.curve(env, thread)}
        p = {r["gil_share"]: r["median"] for r in self.curve(env, proc)}
        shares = sorted(set(t) & set(p))
        gaps = [(s, t[s] - p[s]) for s in shares]
        for (s0, g0), (s1, g1) in zip(gaps, gaps[1:]):
            if g0 >= 0 > g1:
                return s0 + (s1 - s0) * g0 / (g0 - g1)
        return math.nan


def _finding(a: Analysis, env: str) -> str:
    thread, proc = a.pair(env)
    if not thread or not proc:
        return "Threads and processes were not both measured here."
    t = a.curve(env, thread)
    p = a.curve(env, proc)
    if not t or not p:
        return "No gil_share sweep to read."
    lo, hi = t[0], t[-1]
    text = "%s: %s at gil_share %s, %s at %s; %s: %s to %s." % (
        thread,
        ratio(lo["median"]),
        num(lo["gil_share"]),
        ratio(hi["median"]),
        num(hi["gil_share"]),
        proc,
        ratio(min(r["median"] for r in p)),
        ratio(max(r["median"] for r in p)),
    )
    cross = a.turnover(env)
    if math.isfinite(cross):
        return text + " Processes overtake threads from a gil_share of about %s." % num(cross, 2)
    ahead = all(r["median"] >= q["median"] for r, q in zip(t, p))
    return text + (
        " Threads kept up with processes over the whole range: nothing the GIL holds them back from."
        if ahead
        else " Processes led over the whole range measured."
    )


def render(ctx: Context, experiment: str) -> Rendered:
    a = Analysis(ctx, experiment)
    parts = [
        paragraph(
            "Each task does the same CPU work whatever its gil_share: that share in pure-Python code, "
            "which holds the GIL, the rest in hashlib's C code, which releases it. Speedup is against the "
            "sequential cell of the same round (median of the per-round ratios, 95 % bootstrap CI as "
            "whiskers). With the GIL, threads can only overlap the released part, and pay a hand-off after "
            "each C call; processes pay their start and pickling instead. Where the curves cross is the "
            "share of GIL-holding work above which processes are the better choice."
        )
    ]
    for run in a.runs:
        parts.append(tag("h3", run.env_label))
        parts.append(paragraph(_finding(a, run.env_label)))
    if a.runs:
        parts.append(figure(share_figure(ctx, a), "Speedup against the share of each task holding the GIL"))
    parts.append(every_cell(ctx, experiment, a.df, a.params, METRICS, summary=a.s.frame))
    return Rendered(html=join(parts))


def share_figure(ctx: Context, a: Analysis) -> str:
    from matplotlib.lines import Line2D

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
