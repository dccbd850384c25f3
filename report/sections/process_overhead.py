"""The process_overhead section: start cost per start method, IPC per payload, the break-even task size."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.lines import Line2D

from report import models, stats
from report.cells import CellAnalysis
from report.figures import env_series, grouped_bars, header, header_space, plain_log, subplots, to_data_uri
from report.formatting import duration_ms, ratio
from report.load import Results
from report.page import figure, join, paragraph, tag
from report.sections import Context, Rendered, Score
from report.tables import every_cell

TITLE = "What processes cost: start methods, IPC, and the break-even task size"
REQUIRED = ("measure", "runner", "start_method", "start_join_ms", "round_trip_ms", "task_ms", "speedup")
METRICS = ["start_join_ms", "round_trip_ms", "task_ms", "speedup", "tasks_per_s"]
METHODS = ("fork", "forkserver", "spawn")


def compare_metrics(results: Results, experiment: str) -> list:
    return ["start_join_ms", "round_trip_ms", "speedup"]


class Analysis(CellAnalysis):
    def __init__(self, ctx: Context, experiment: str):
        super().__init__(ctx, experiment, METRICS)

    def start_cost(self, env: str, label: str, target: str = "minimal") -> dict | None:
        """A start's median cost: a thread, or a process under start method ``label`` running a
        ``target`` that imports nothing (minimal) or a typical tool's imports (heavy)."""
        if label == "thread":
            found = self.s.select("start_join_ms", env_label=env, measure="start_join", runner="thread")
        else:
            found = self.s.select(
                "start_join_ms", env_label=env, measure="start_join", runner="process", start_method=label
            )
        if "target" in self.params:
            found = [r for r in found if r.get("target") in (target, None)]
        return found[0] if found else None

    def import_costs(self, env: str) -> list:
        """(start method, heavy-target start minus minimal-target start) per round, median over rounds."""
        if "target" not in self.params:
            return []
        df = self.df[
            (self.df["env_label"] == env) & (self.df["measure"] == "start_join") & (self.df["status"] == "ok")
        ]
        out = []
        for method, g in df[df["runner"] == "process"].groupby("start_method"):
            both = g.pivot_table(index="repeat", columns="target", values="start_join_ms")
            if {"minimal", "heavy"} <= set(both.columns):
                extra = (both["heavy"] - both["minimal"]).dropna()
                if len(extra):
                    low, high = stats.median_ci(extra.to_numpy())
                    out.append((method, float(extra.median()), low, high))
        return out

    def break_even(self, env: str) -> tuple:
        """(task duration in ms where processes start to beat threads, [(task_ms, speedup)])."""
        speed = self.s.select("speedup", env_label=env, measure="cpu_task", runner="process")
        points = []
        for r in speed:
            where = {k: v for k, v in r.items() if k in self.s.by and v is not None and k != "runner"}
            dur = self.s.get("task_ms", **dict(where, runner="thread")) or self.s.get(
                "task_ms", **dict(where, runner="process")
            )
            if dur and math.isfinite(dur["median"]):
                points.append((dur["median"], r["median"], r["ci_low"], r["ci_high"]))
        points.sort()
        if len(points) < 2:
            return math.nan, points
        x = [p[0] for p in points]
        return models.break_even(x, np.ones(len(x)), [p[1] for p in points]), points


def render(ctx: Context, experiment: str) -> Rendered:
    a = Analysis(ctx, experiment)
    parts = [
        paragraph(
            "Starting a process costs far more than starting a thread, and every task and result a process "
            "pool exchanges is pickled and sent through a pipe. So processes pay off only for tasks long "
            "enough to amortise that: the break-even task duration is where the process pool's speedup over "
            "the thread pool (same round, same tasks) crosses 1. Lesson: multiprocessing comes with extra "
            "overhead — measure before you switch."
        )
    ]
    scores = {}
    for run in a.runs:
        env = run.env_label
        out = []
        thread = a.start_cost(env, "thread")
        costs = {m: a.start_cost(env, m) for m in METHODS}
        listed = ", ".join("%s %s" % (m, duration_ms(c["median"])) for m, c in costs.items() if c)
        if thread and listed:
            out.append(
                "Start and join: a thread %s; a process whose target's module imports nothing %s."
                % (duration_ms(thread["median"]), listed)
            )
        for method, extra, low, high in a.import_costs(env):
            clear = math.isfinite(low) and (low > 0 or high < 0)
            out.append(
                "With a target whose module imports a typical tool's standard-library modules (argparse, "
                "logging, json, http.client, …), a %s start took %s (same rounds, 95 %% interval %s to %s)%s."
                % (
                    method,
                    "%s %s" % (duration_ms(abs(extra)), "longer" if extra > 0 else "less")
                    if clear
                    else "about as long",
                    duration_ms(low),
                    duration_ms(high),
                    ": the child imports them again" if clear and extra > 0 else "",
                )
            )
        trips = sorted(
            a.s.select("round_trip_ms", env_label=env, measure="round_trip", runner="process"),
            key=lambda r: r["payload_bytes"],
        )
        if trips:
            big = trips[-1]
            th = a.s.get(
                "round_trip_ms",
                **{k: v for k, v in big.items() if k in a.s.by and v is not None and k != "runner"},
                runner="thread",
            )
            out.append(
                "A round trip of %s bytes through a process pool took %s%s; pickling and the pipe "
                "grow with the payload."
                % (
                    format(int(big["payload_bytes"]), ","),
                    duration_ms(big["median"]),
                    " (a thread pool: %s)" % duration_ms(th["median"]) if th else "",
                )
            )
        be, points = a.break_even(env)
        if points:
            if math.isfinite(be):
                out.append(
                    "Break-even: with tasks longer than about %s, the process pool beat the thread pool (its "
                    "speedup crossed 1); the longest tasks measured ran %s faster on processes."
                    % (duration_ms(be), ratio(points[-1][1]))
                )
                scores[env] = {
                    "break_even": Score(be, duration_ms(be), "task duration where processes start to pay")
                }
            elif len({p[0] for p in points}) < 2:
                out.append(
                    "Only one task size was measured (%s per task): processes ran %s the speed of threads "
                    "there; the break-even needs the default profile's sweep of task sizes."
                    % (duration_ms(points[0][0]), ratio(points[0][1]))
                )
            else:
                side = "always" if points[0][1] > 1 else "never"
                out.append(
                    "Processes %s beat threads over the task sizes measured (%s to %s): "
                    "no break-even inside the range."
                    % (side, duration_ms(points[0][0]), duration_ms(points[-1][0]))
                )
        parts.append(tag("h3", env))
        parts.extend(paragraph(t) for t in out)
    if a.runs:
        parts.append(figure(overhead_figure(ctx, a), "Process start cost, IPC round trips and break-even"))
    parts.append(every_cell(ctx, experiment, a.df, a.params, METRICS, summary=a.s.frame))
    return Rendered(html=join(parts), scores=scores)


def overhead_figure(ctx: Context, a: Analysis) -> str:
    handles = [Line2D([], [], color=ctx.palette[r.env_label], lw=6, label=r.env_label) for r in a.runs]
    fig, axes = subplots(3, columns=3, width=3.3, height=2.2, top=header_space(len(handles), 4), bottom=0.65)
    cats = ["thread"] + [m for m in METHODS if a.s.select("start_join_ms", runner="process", start_method=m)]
    grouped_bars(
        axes[0], cats, env_series(ctx, a.runs, lambda run, c: a.start_cost(run.env_label, c), cats), log=True
    )
    axes[0].set_title("Start + join one worker")
    axes[0].set_ylabel("ms")
    ax = axes[1]
    for run in a.runs:
        for runner, ls in (("thread", "--"), ("process", "-")):
            recs = sorted(
                a.s.select("round_trip_ms", env_label=run.env_label, measure="round_trip", runner=runner),
                key=lambda r: r["payload_bytes"],
            )
            if recs:
                ax.plot(
                    [max(r["payload_bytes"], 1) for r in recs],
                    [r["median"] for r in recs],
                    ls=ls,
                    marker="o",
                    ms=3,
                    color=ctx.palette[run.env_label],
                )
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log(ax)
    ax.set_title("Pool round trip (solid: processes, dashed: threads)", fontsize=8)
    ax.set_xlabel("payload (bytes)")
    ax.set_ylabel("ms")
    ax = axes[2]
    for run in a.runs:
        be, points = a.break_even(run.env_label)
        if points:
            x = [p[0] for p in points]
            ax.plot(x, [p[1] for p in points], marker="o", ms=3, color=ctx.palette[run.env_label])
            lo = [p[2] if math.isfinite(p[2]) else p[1] for p in points]
            hi = [p[3] if math.isfinite(p[3]) else p[1] for p in points]
            ax.vlines(x, lo, hi, color=ctx.palette[run.env_label], lw=0.8)
            if math.isfinite(be):
                ax.axvline(be, color=ctx.palette[run.env_label], ls=":", lw=1)
    ax.axhline(1.0, color="black", lw=1)
    ax.set_xscale("log")
    plain_log(ax, "x")
    ax.set_title("Process pool vs thread pool (dotted: break-even)", fontsize=8)
    ax.set_xlabel("task duration (ms)")
    ax.set_ylabel("speedup of processes (x)")
    header(fig, "What processes cost", handles, columns=4)
    return to_data_uri(fig)
