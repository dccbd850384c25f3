"""The timer_drift section: how late Timers fire against the kernel's timer-slack floor; periodic drift."""

from __future__ import annotations

import math

from matplotlib.lines import Line2D

from report import models, stats
from report.cells import CellAnalysis
from report.figures import env_series, grouped_bars, header, header_space, subplots, to_data_uri
from report.formatting import duration_us, num
from report.load import Results
from report.page import figure, join, paragraph, tag
from report.sections import Context, Rendered, Score
from report.tables import every_cell

TITLE = "Timer lateness and periodic drift, against the timer-slack floor"
REQUIRED = ("mode", "delay_ms", "cpu_threads", "lateness_p50_us", "lateness_p99_us")
METRICS = ["lateness_p50_us", "lateness_p99_us", "lateness_mean_us", "lateness_max_us", "cumulative_drift_ms"]


def compare_metrics(results: Results, experiment: str) -> list:
    return ["lateness_p50_us", "lateness_p99_us", "cumulative_drift_ms"]


def render(ctx: Context, experiment: str) -> Rendered:
    cells = CellAnalysis(ctx, experiment, METRICS)
    runs, df, params, s = cells.runs, cells.df, cells.params, cells.s
    parts = [
        paragraph(
            "A one-shot threading.Timer is timed from start() to its callback; a periodic job either re-arms "
            "a new Timer from its callback (errors add up) or sleeps to absolute deadlines (errors do not). "
            "The dashed line is the floor no sleeping thread can beat: the kernel's timer slack, read from "
            "the run's environment. CPU-bound threads running meanwhile make a woken timer wait for the GIL."
        )
    ]
    scores = {}
    for run in runs:
        env = run.env_label
        floor = models.timer_slack_floor_us(run.env)
        idle = sorted(
            s.select("lateness_p50_us", env_label=env, mode="one_shot", cpu_threads=0),
            key=lambda r: r["delay_ms"],
        )
        out = []
        if idle:
            r = idle[0]
            p99 = s.get(
                "lateness_p99_us",
                env_label=env,
                mode="one_shot",
                cpu_threads=0,
                delay_ms=r["delay_ms"],
                **_rest(r, params, ("mode", "cpu_threads", "delay_ms")),
            )
            text = "Idle, a one-shot %s ms Timer fired %s late (median)" % (
                num(r["delay_ms"]),
                duration_us(r["median"]),
            )
            if math.isfinite(floor):
                gap = r["median"] - floor
                text += ", against a timer-slack floor of %s: %s" % (
                    duration_us(floor),
                    "the floor explains most of it"
                    if gap < floor
                    else "%s above the floor: thread start-up "
                    "and scheduling, not the kernel's slack" % duration_us(gap),
                )
            out.append(text + ".")
            if p99:
                scores[env] = {
                    "timer_p99": Score(
                        p99["median"],
                        duration_us(p99["median"]),
                        "one-shot %s ms Timer, idle" % num(r["delay_ms"]),
                    )
                }
        loaded = s.select("lateness_p99_us", env_label=env, mode="one_shot")
        loaded = [r for r in loaded if r["cpu_threads"] > 0]
        if loaded and idle:
            worst = max(loaded, key=lambda r: r["median"])
            out.append(
                "With %d CPU-bound thread%s running, p99 lateness reached %s (%s ms Timer): "
                "a woken timer thread waits its turn for the GIL, up to a switch interval (%s ms) or more."
                % (
                    worst["cpu_threads"],
                    "s" if worst["cpu_threads"] > 1 else "",
                    duration_us(worst["median"]),
                    num(worst["delay_ms"]),
                    num(1000 * (run.interpreter.get("switch_interval_s") or math.nan)),
                )
            )
        drift = {
            m: s.select("cumulative_drift_ms", env_label=env, mode=m, cpu_threads=0)
            for m in ("rearmed", "deadline_loop")
        }
        if drift["rearmed"] and drift["deadline_loop"]:
            a, b = (
                max(drift["rearmed"], key=lambda r: r["median"]),
                max(drift["deadline_loop"], key=lambda r: r["median"]),
            )
            out.append(
                "Periodic jobs, idle: a Timer re-armed from its callback drifted %s ms over its run; a loop "
                "sleeping to absolute deadlines drifted %s ms — its errors do not accumulate."
                % (num(a["median"]), num(b["median"]))
            )
        parts.append(tag("h3", env))
        parts.extend(paragraph(t) for t in out)
    if runs:
        parts.append(figure(timer_figure(ctx, runs, s), "Timer lateness against the timer-slack floor"))
    parts.append(every_cell(ctx, experiment, df, params, METRICS, summary=s.frame))
    return Rendered(html=join(parts), scores=scores)


def _rest(rec: dict, params: list, skip) -> dict:
    return {p: rec[p] for p in params if p not in skip and rec.get(p) is not None}


def timer_figure(ctx: Context, runs: list, s: stats.Summary) -> str:
    fig, axes = subplots(2, columns=2, width=5.0, height=2.2, top=header_space(len(runs), 4), bottom=0.95)
    one = s.select("lateness_p99_us", mode="one_shot")
    keys = sorted({(r["delay_ms"], r["cpu_threads"]) for r in one})
    cats = ["%g ms, %d cpu" % k for k in keys]
    for ax, metric, title in (
        (axes[0], "lateness_p50_us", "one-shot Timer lateness, median"),
        (axes[1], "lateness_p99_us", "one-shot Timer lateness, p99"),
    ):

        def get(run, cat, metric=metric):
            d, c = keys[cats.index(cat)]
            found = s.select(metric, env_label=run.env_label, mode="one_shot", delay_ms=d, cpu_threads=c)
            return found[0] if len(found) == 1 else None

        grouped_bars(ax, cats, env_series(ctx, runs, get, cats), log=True)
        floors = {models.timer_slack_floor_us(r.env) for r in runs}
        for f in floors:
            if math.isfinite(f):
                ax.axhline(f, color="black", ls="--", lw=1)
        ax.set_title(title + " (dashed: timer slack)")
        ax.set_ylabel("µs late")
        ax.set_xlabel("delay, CPU-bound threads")
    handles = [Line2D([], [], color=ctx.palette[r.env_label], lw=6, label=r.env_label) for r in runs]
    header(fig, "How late one-shot Timers fire", handles, columns=4)
    return to_data_uri(fig)
