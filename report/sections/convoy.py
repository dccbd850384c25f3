"""The convoy section: one I/O thread's round-trip latency beside CPU-bound threads or processes."""

from __future__ import annotations

import math

from matplotlib.lines import Line2D

from report import stats
from report.cells import CellAnalysis, most_common
from report.figures import header, header_space, log2_axis, plain_log, subplots, to_data_uri
from report.formatting import duration_us, num, ratio
from report.load import Results
from report.page import figure, join, paragraph, tag
from report.sections import Context, Rendered, Score
from report.tables import every_cell

TITLE = "The convoy effect: I/O latency beside CPU-bound threads"
REQUIRED = ("cpu_workers", "cpu_kind", "switch_interval_ms", "latency_p50_us", "speedup")
METRICS = ["latency_p50_us", "latency_p99_us", "round_trips_per_s", "speedup"]
STYLES = {"thread": "-", "process": "--"}


def compare_metrics(results: Results, experiment: str) -> list:
    return ["latency_p50_us", "latency_p99_us", "round_trips_per_s"]


def render(ctx: Context, experiment: str) -> Rendered:
    cells = CellAnalysis(ctx, experiment, METRICS)
    runs, df, params, s = cells.runs, cells.df, cells.params, cells.s
    switch = _default_switch(df, runs)
    parts = [
        paragraph(
            "One thread does loopback round trips back to back while CPU-bound threads (or processes) run. "
            "Each blocking send/recv releases the GIL; getting it back from a thread that never blocks can "
            "take a whole switch interval, so every round trip pays — the convoy effect (bpo-7946). "
            "Processes "
            "share only the cores. Slowdown = round trips per second with no CPU load / with it, measured in "
            "the same round."
        )
    ]
    scores = {}
    for run in runs:
        env = run.env_label
        out = []
        base = s.get(
            "latency_p50_us",
            env_label=env,
            cpu_kind="thread",
            cpu_workers=0,
            switch_interval_ms=switch,
            **_others(df, params),
        )
        loaded = s.select("speedup", env_label=env, cpu_kind="thread", switch_interval_ms=switch)
        loaded = [r for r in loaded if r["cpu_workers"] > 0]
        if loaded:
            worst = max(loaded, key=lambda r: r["cpu_workers"])
            slowdown = 1 / worst["median"] if worst["median"] else math.nan
            lat = s.get(
                "latency_p50_us",
                env_label=env,
                cpu_kind="thread",
                cpu_workers=worst["cpu_workers"],
                switch_interval_ms=switch,
                **_others(df, params),
            )
            text = (
                "Beside %d CPU-bound threads (switch interval %s ms) the I/O thread did %s fewer round trips"
                % (worst["cpu_workers"], num(switch), ratio(slowdown))
            )
            if base and lat:
                text += "; median latency went from %s to %s" % (
                    duration_us(base["median"]),
                    duration_us(lat["median"]),
                )
            out.append(text + ".")
            scores[env] = {
                "convoy_slowdown": Score(
                    slowdown,
                    ratio(slowdown),
                    "%d CPU threads, switch interval %s ms" % (worst["cpu_workers"], num(switch)),
                )
            }
        procs = [r for r in s.select("speedup", env_label=env, cpu_kind="process") if r["cpu_workers"] > 0]
        if procs:
            worst = max(procs, key=lambda r: r["cpu_workers"])
            out.append(
                "The same load in %d processes slowed it by %s only: they compete for cores, not for the GIL."
                % (worst["cpu_workers"], ratio(1 / worst["median"]) if worst["median"] else "—")
            )
        sweep = [
            r for r in s.select("latency_p50_us", env_label=env, cpu_kind="thread") if r["cpu_workers"] > 0
        ]
        if len({r["switch_interval_ms"] for r in sweep}) > 1:
            best = min(sweep, key=lambda r: r["median"])
            out.append(
                "A shorter switch interval helps the I/O thread: %s median latency at %s ms "
                "with %d CPU threads."
                % (duration_us(best["median"]), num(best["switch_interval_ms"]), best["cpu_workers"])
            )
        parts.append(tag("h3", env))
        parts.extend(paragraph(t) for t in out)
    if runs:
        parts.append(figure(convoy_figure(ctx, runs, s), "I/O round-trip latency against CPU-bound load"))
    parts.append(every_cell(ctx, experiment, df, params, METRICS, summary=s.frame))
    return Rendered(html=join(parts), scores=scores)


def _default_switch(df, runs) -> float | None:
    """The interpreter's own switch interval when it was measured, else the longest one measured."""
    measured = set(df.loc[df["cpu_kind"] == "thread", "switch_interval_ms"].dropna())
    for run in runs:
        own = (run.interpreter.get("switch_interval_s") or 0) * 1000.0
        if own in measured:
            return own
    return max(measured) if measured else None


def _others(df, params) -> dict:
    return {
        p: most_common(df, p) for p in params if p not in ("cpu_workers", "cpu_kind", "switch_interval_ms")
    }


def convoy_figure(ctx: Context, runs: list, s: stats.Summary) -> str:
    handles = [Line2D([], [], color=ctx.palette[r.env_label], marker="o", label=r.env_label) for r in runs]
    handles += [
        Line2D([], [], color="#555555", ls="-", label="CPU work in threads"),
        Line2D([], [], color="#555555", ls="--", label="in processes"),
        Line2D([], [], color="#555555", alpha=0.45, label="shorter switch interval"),
    ]
    fig, axes = subplots(2, columns=2, width=4.2, height=2.3, top=header_space(len(handles), 4))
    longest = max(s.values("switch_interval_ms") or [0])
    for ax, metric in zip(axes, ("latency_p50_us", "latency_p99_us")):
        workers = set()
        for run in runs:
            for kind in ("thread", "process"):
                for sw in s.values("switch_interval_ms", metric, env_label=run.env_label, cpu_kind=kind):
                    recs = sorted(
                        s.select(metric, env_label=run.env_label, cpu_kind=kind, switch_interval_ms=sw),
                        key=lambda r: r["cpu_workers"],
                    )
                    if not recs:
                        continue
                    xs = [r["cpu_workers"] + 1 for r in recs]  # +1: zero CPU workers on a log axis
                    workers |= set(xs)
                    ax.plot(
                        xs,
                        [r["median"] for r in recs],
                        ls=STYLES.get(kind, ":"),
                        marker="o",
                        ms=3,
                        color=ctx.palette[run.env_label],
                        alpha=1.0 if sw == longest else 0.45,
                    )
        if workers:
            log2_axis(ax, sorted(workers))
            ax.set_xticklabels(["%d" % (w - 1) for w in sorted(workers)])
        ax.set_yscale("log")
        plain_log(ax, "y")
        ax.set_title("I/O round trip, %s" % ("median" if metric.endswith("p50_us") else "p99"))
        ax.set_xlabel("CPU-bound workers beside it")
        ax.set_ylabel("µs")
    header(fig, "I/O round-trip latency beside CPU-bound work", handles, columns=4)
    return to_data_uri(fig)
