"""The convoy section: one I/O thread's round-trip latency beside CPU-bound threads or processes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
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


def control_factors(df) -> pd.DataFrame:
    """Per round: how many times more round trips per second the I/O thread made beside N CPU
    processes (the control: same CPU work, no GIL) than beside N CPU threads, in the same round.

    Only a thread cell and a process cell of the same run, group and round are paired, so both
    sides met the same machine; runs whose threads and processes sat in different groups (before
    the control joined the group) give no factor.  Columns: env_label, switch_interval_ms,
    cpu_workers, repeat, factor.
    """
    columns = ["env_label", "switch_interval_ms", "cpu_workers", "repeat", "factor"]
    if df.empty or "group_id" not in df:
        return pd.DataFrame(columns=columns)
    ok = df[(df["status"] == "ok") & (df["cpu_workers"] > 0)]
    keys = ["env_label", "run_id", "group_id", "repeat", "cpu_workers", "switch_interval_ms"]
    rate = "round_trips_per_s"
    threads = ok[ok["cpu_kind"] == "thread"][keys + [rate]]
    procs = ok[ok["cpu_kind"] == "process"][keys + [rate]]
    pairs = threads.merge(procs, on=keys, suffixes=("_thread", "_process"))
    pairs["factor"] = pairs[rate + "_process"] / pairs[rate + "_thread"]
    return pairs[columns].reset_index(drop=True)


def _change(factor: float, low: float, high: float, what: str) -> str:
    """A slowdown factor (> 1: slower) in words whose direction the interval supports."""
    if not math.isfinite(factor):
        return "—"
    interval = "" if not (math.isfinite(low) and math.isfinite(high)) else " [%s–%s]" % (num(low), num(high))
    if math.isfinite(low) and low > 1:
        return "%s slower than %s%s" % (ratio(factor), what, interval)
    if math.isfinite(high) and high < 1:
        return "%s faster than %s%s" % (ratio(1 / factor), what, interval)
    return "no clear change from %s (%s%s)" % (what, ratio(factor), interval)


def _factor_ci(values) -> tuple:
    values = [v for v in values if math.isfinite(v)]
    if not values:
        return math.nan, math.nan, math.nan
    low, high = stats.median_ci(values)
    return float(np.median(values)), low, high


def render(ctx: Context, experiment: str) -> Rendered:
    cells = CellAnalysis(ctx, experiment, METRICS)
    runs, df, s = cells.runs, cells.df, cells.s
    switch = _default_switch(df, runs)
    factors = control_factors(df)
    parts = [
        paragraph(
            "One thread does loopback round trips back to back while CPU-bound threads (or processes) run. "
            "Each blocking send/recv releases the GIL; getting it back from a thread that never blocks can "
            "take a whole switch interval, so every round trip pays — the convoy effect (bpo-7946). "
            "Processes share only the cores. Two factors, each from cells of the same round (median over "
            "rounds, 95 % interval in brackets): against no CPU load, and against the same number of CPU "
            "processes — the control, which keeps the cores as busy (busier: processes are not held to one "
            "core by the GIL) without the GIL. On a VM an idle vCPU wakes up slowly, so the no-load "
            "baseline is itself slow and the first factor mixes that with the GIL; the second does not."
        )
    ]
    scores = {}
    for run in runs:
        env = run.env_label
        out, score = _thread_findings(cells, factors, env, switch)
        if score:
            scores[env] = score
        out += _process_and_sweep_findings(s, env, switch)
        parts.append(tag("h3", env))
        parts.extend(paragraph(t) for t in out)
    if runs:
        parts.append(figure(convoy_figure(ctx, runs, s), "I/O round-trip latency against CPU-bound load"))
    parts.append(every_cell(ctx, experiment, df, cells.params, METRICS, summary=s.frame))
    return Rendered(html=join(parts), scores=scores)


def _thread_findings(cells: CellAnalysis, factors: pd.DataFrame, env: str, switch) -> tuple:
    """The most CPU threads at the default switch interval: against no load and against the control."""
    df, s, params = cells.df, cells.s, cells.params
    loaded = s.select("speedup", env_label=env, cpu_kind="thread", switch_interval_ms=switch)
    loaded = [r for r in loaded if r["cpu_workers"] > 0]
    if not loaded:
        return [], {}
    n = max(r["cpu_workers"] for r in loaded)
    where = dict(env_label=env, cpu_kind="thread", switch_interval_ms=switch, **_others(df, params))
    base, lat = (
        s.get("latency_p50_us", cpu_workers=0, **where),
        s.get("latency_p50_us", cpu_workers=n, **where),
    )
    rounds = df[
        (df["env_label"] == env)
        & (df["cpu_kind"] == "thread")
        & (df["cpu_workers"] == n)
        & (df["switch_interval_ms"] == switch)
    ]["speedup"]
    slowdown, low, high = _factor_ci([1 / v for v in rounds.dropna() if v > 0])
    text = "Beside %d CPU-bound thread%s (switch interval %s ms) the I/O thread's round trips ran %s" % (
        n,
        "s" if n > 1 else "",
        num(switch),
        _change(slowdown, low, high, "with no CPU load"),
    )
    if base and lat:
        text += " (median latency %s against %s)" % (duration_us(lat["median"]), duration_us(base["median"]))
    out = [text + "."]
    mine = factors[
        (factors["env_label"] == env)
        & (factors["cpu_workers"] == n)
        & (factors["switch_interval_ms"] == switch)
    ]["factor"]
    gil, glow, ghigh = _factor_ci(mine)
    if math.isfinite(gil):
        out.append(
            "Against its control, the same CPU work in %d process%s in the same rounds, they ran %s: "
            "the GIL's own share, without the idle vCPU's slow wake-up."
            % (n, "es" if n > 1 else "", _change(gil, glow, ghigh, "beside the processes"))
        )
    if not math.isfinite(slowdown):
        return out, {}
    title = "%d CPU threads, switch interval %s ms" % (n, num(switch))
    return out, {"convoy_slowdown": Score(slowdown, ratio(slowdown), title)}


def _process_and_sweep_findings(s: stats.Summary, env: str, switch) -> list:
    out = []
    procs = s.select("speedup", env_label=env, cpu_kind="process", switch_interval_ms=switch)
    procs = [r for r in procs if r["cpu_workers"] > 0]
    if procs:
        worst = max(procs, key=lambda r: r["cpu_workers"])
        inverse = [1 / worst[k] if worst[k] else math.nan for k in ("median", "ci_high", "ci_low")]
        out.append(
            "With no thread but %d CPU processes beside it, the I/O thread ran %s: processes compete for "
            "cores, not for the GIL." % (worst["cpu_workers"], _change(*inverse, "with no CPU load"))
        )
    sweep = [r for r in s.select("latency_p50_us", env_label=env, cpu_kind="thread") if r["cpu_workers"] > 0]
    if len({r["switch_interval_ms"] for r in sweep}) > 1:
        best = min(sweep, key=lambda r: r["median"])
        out.append(
            "The lowest median latency beside CPU threads: %s, at a switch interval of %s ms with %d CPU "
            "thread%s."
            % (
                duration_us(best["median"]),
                num(best["switch_interval_ms"]),
                best["cpu_workers"],
                "s" if best["cpu_workers"] > 1 else "",
            )
        )
    return out


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
