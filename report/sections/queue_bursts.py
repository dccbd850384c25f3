"""The queue_bursts section: a bounded Queue's drops, blocking and depth beside M/M/c/K, and Little's law.

The M/M/c/K predictions are computed by the experiment itself (experiments/queueing.py, at the
measured arrival and service rates) and stored in its ``predicted_*`` columns: the report draws
them beside the measurements and says where they part.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.lines import Line2D

from report import models, stats
from report.cells import CellAnalysis
from report.figures import header, header_space, plain_log, subplots, to_data_uri
from report.formatting import num, percent
from report.load import Results
from report.page import figure, join, paragraph, tag
from report.sections import Context, Rendered
from report.tables import every_cell

TITLE = "Producer–consumer with a bounded Queue, against M/M/c/K and Little's law"
REQUIRED = (
    "maxsize",
    "put",
    "load",
    "consumers",
    "drop_fraction",
    "predicted_drop_fraction",
    "queue_depth_mean",
)
PAIRS = (
    ("drop_fraction", "predicted_drop_fraction"),
    ("producer_blocked_fraction", "predicted_blocked_fraction"),
    ("queue_depth_mean", "predicted_mean_depth"),
    ("latency_mean_ms", "predicted_latency_mean_ms"),
)
METRICS = [m for pair in PAIRS for m in pair] + [
    "achieved_rate_hz",
    "wait_mean_ms",
    "latency_p99_ms",
    "queue_depth_sampled_mean",
    "load_measured",
    "service_cv",
]
#: Little's law's L: the depth sampled by Poisson arrivals (PASTA), independent of the timestamps
#: that give lambda x W; runs measured before it existed fall back to the timestamp integral.
SAMPLED_L = "queue_depth_sampled_mean"
#: A measured value further than this from the model (absolute, for fractions) is called a gap.
FRACTION_GAP = 0.05
MARKERS = ("o", "s", "^", "D")


def compare_metrics(results: Results, experiment: str) -> list:
    return ["drop_fraction", "producer_blocked_fraction", "queue_depth_mean", "latency_p99_ms"]


def _size_label(maxsize) -> str:
    return "∞" if not maxsize else "%d" % maxsize


def render(ctx: Context, experiment: str) -> Rendered:
    cells = CellAnalysis(ctx, experiment, METRICS)
    runs, df, params, s = cells.runs, cells.df, cells.params, cells.s
    parts = [
        paragraph(
            "One producer feeds queue.Queue(maxsize) with Poisson or bursty arrivals; consumer threads "
            "serve items by sleeping. With put_nowait() a full queue drops the item; with put() the producer "
            "blocks. Black lines are the M/M/c/K model at the measured arrival and service rates (maxsize 0 "
            "is unbounded, drawn as ∞). The first arrivals of every cell, while the empty queue fills, are "
            "left out. The last panel checks Little's law: the time-average number of items waiting (L), "
            "estimated from the depth each Poisson arrival found (Poisson arrivals see time averages), "
            "against the arrival rate times the mean wait from the put and get timestamps (λW). Lesson "
            "(producer–consumer): a bound turns overload into drops or back-pressure instead of unbounded "
            "memory and latency."
        )
    ]
    for run in runs:
        parts.append(tag("h3", run.env_label))
        parts.extend(paragraph(t, c) for c, t in findings(s, df, run.env_label))
    if runs:
        parts.append(figure(queue_figure(ctx, runs, s, df), "Bounded queue against M/M/c/K and Little's law"))
    parts.append(every_cell(ctx, experiment, df, params, METRICS, summary=s.frame))
    return Rendered(html=join(parts))


def _poisson(**where) -> dict:
    return dict(where, pattern="poisson", service="exponential")


def findings(s: stats.Summary, df, env: str) -> list:
    out = []
    loads = s.values("load", "drop_fraction", env_label=env, **_poisson(put="drop"))
    if loads:
        rho = max(loads)
        c = min(s.values("consumers", "drop_fraction", env_label=env, **_poisson(put="drop", load=rho)))
        cells = s.select("drop_fraction", env_label=env, **_poisson(put="drop", load=rho, consumers=c))
        bounded = [r for r in cells if r["maxsize"]]
        if bounded:
            small = min(bounded, key=lambda r: r["maxsize"])
            pred = _match(s, "predicted_drop_fraction", small)
            out.append(
                (
                    None,
                    "At load ρ = %s with %d consumer%s, Queue(maxsize=%d) with put_nowait() dropped %s of "
                    "the items (M/M/%d/K predicts %s)."
                    % (
                        num(rho),
                        c,
                        "s" if c > 1 else "",
                        small["maxsize"],
                        percent(small["median"], 1),
                        c,
                        percent(pred["median"], 1) if pred else "—",
                    ),
                )
            )
        unbounded = [
            r
            for r in s.select(
                "queue_depth_mean", env_label=env, **_poisson(put="drop", load=rho, consumers=c)
            )
            if not r["maxsize"]
        ]
        if unbounded:
            r = unbounded[0]
            pred = _match(s, "predicted_mean_depth", r)
            out.append(
                (
                    None,
                    "Unbounded, nothing is dropped but the queue holds %s items on average (model %s) and "
                    "latency grows with it." % (num(r["median"]), num(pred["median"]) if pred else "—"),
                )
            )
    blocked = [
        r
        for r in s.select("producer_blocked_fraction", env_label=env, **_poisson(put="block"))
        if r["maxsize"]
    ]
    if blocked:
        r = max(blocked, key=lambda x: x["median"])
        pred = _match(s, "predicted_blocked_fraction", r)
        out.append(
            (
                None,
                "With a blocking put() and maxsize %d at ρ = %s, the producer spent %s of its time blocked "
                "(model %s): back-pressure instead of loss."
                % (
                    r["maxsize"],
                    num(r["load"]),
                    percent(r["median"], 1),
                    percent(pred["median"], 1) if pred else "—",
                ),
            )
        )
    gaps = _littles_gaps(s, env)
    if gaps:
        worst = max(abs(g) for g in gaps)
        out.append(
            (
                None if worst < 0.1 else "finding",
                "Little's law (L = λW) holds within %s across %d cells%s."
                % (
                    percent(worst, 1),
                    len(gaps),
                    "" if worst < 0.1 else " — the arrivals did not see the time average",
                ),
            )
        )
    worst_gap = None
    for measured, predicted in PAIRS[:2]:
        for r in s.select(measured, env_label=env):
            p = _match(s, predicted, r)
            if p and math.isfinite(p["median"]) and abs(r["median"] - p["median"]) > FRACTION_GAP:
                gap = abs(r["median"] - p["median"])
                if worst_gap is None or gap > worst_gap[0]:
                    worst_gap = (gap, measured, r, p)
    if worst_gap:
        gap, metric, r, p = worst_gap
        why = {
            "bursts": "arrivals come in bursts, not as a Poisson stream",
            "fixed": "service times are fixed, not exponential",
        }.get(r.get("pattern") if r.get("pattern") != "poisson" else r.get("service"))
        cv = _match(s, "service_cv", r)
        if why is None and cv and cv["median"] > 1.1:
            why = (
                "service times varied more than exponential ones (coefficient of variation %s): the machine "
                "stalled threads for milliseconds" % num(cv["median"], 2)
            )
        why = why or "the model knows nothing of thread wake-ups and stalls"
        out.append(
            (
                "finding",
                "Largest gap between model and measurement: %s %s measured against %s predicted "
                "(%s, maxsize %s, "
                "ρ = %s): %s."
                % (
                    metric.replace("_", " "),
                    percent(r["median"], 1),
                    percent(p["median"], 1),
                    r.get("pattern"),
                    _size_label(r["maxsize"]),
                    num(r["load"]),
                    why,
                ),
            )
        )
    return out


def _match(s: stats.Summary, metric: str, rec: dict):
    """The record of another metric for the same cell as ``rec``."""
    where = {k: v for k, v in rec.items() if k in s.by and v is not None}
    return s.get(metric, **where)


def _little_l(s: stats.Summary) -> str:
    return SAMPLED_L if s.select(SAMPLED_L) else "queue_depth_mean"


def _littles_gaps(s: stats.Summary, env: str) -> list:
    gaps = []
    for r in s.select(_little_l(s), env_label=env):
        lam, w = _match(s, "achieved_rate_hz", r), _match(s, "wait_mean_ms", r)
        if lam and w and r["median"] > 0.05:  # an almost empty queue makes the relative gap meaningless
            gap = models.littles_law_gap(r["median"], lam["median"], w["median"] / 1000.0)
            if math.isfinite(gap):
                gaps.append(gap)
    return gaps


def queue_figure(ctx: Context, runs: list, s: stats.Summary, df) -> str:
    handles = [
        Line2D([], [], color=ctx.palette[r.env_label], marker="o", ls="none", label=r.env_label) for r in runs
    ]
    handles.append(Line2D([], [], color="black", label="M/M/c/K"))
    fig, axes = subplots(4, columns=4, width=2.6, height=2.1, top=header_space(len(handles), 4))
    consumers = min(s.values("consumers", "drop_fraction") or [1])
    loads = s.values("load", "drop_fraction", **_poisson(consumers=consumers))
    sizes = sorted(
        s.values("maxsize", "drop_fraction", **_poisson(consumers=consumers)), key=lambda m: (m == 0, m)
    )
    pos = {m: i for i, m in enumerate(sizes)}
    panels = (
        (axes[0], "drop_fraction", "predicted_drop_fraction", "drop"),
        (axes[1], "queue_depth_mean", "predicted_mean_depth", "drop"),
        (axes[2], "producer_blocked_fraction", "predicted_blocked_fraction", "block"),
    )
    for ax, metric, predicted, put in panels:
        for k, rho in enumerate(loads):
            marker = MARKERS[k % len(MARKERS)]
            model = {}
            for j, run in enumerate(runs):
                recs = s.select(
                    metric, env_label=run.env_label, **_poisson(put=put, load=rho, consumers=consumers)
                )
                recs = [r for r in recs if r["maxsize"] in pos]
                if not recs:
                    continue
                x = np.array([pos[r["maxsize"]] for r in recs]) + (j - (len(runs) - 1) / 2) * 0.08
                ax.plot(
                    x,
                    [r["median"] for r in recs],
                    marker=marker,
                    ls="none",
                    color=ctx.palette[run.env_label],
                    ms=4,
                )
                for r in recs:
                    p = _match(s, predicted, r)
                    if p and math.isfinite(p["median"]):
                        model.setdefault(pos[r["maxsize"]], p["median"])
            if model:
                xs = sorted(model)
                ax.plot(
                    xs,
                    [model[x] for x in xs],
                    color="black",
                    lw=1,
                    ls=("-", "--", ":", "-.")[k % 4],
                    label="ρ = %s" % num(rho),
                )
        ax.set_xticks(range(len(sizes)))
        ax.set_xticklabels([_size_label(m) for m in sizes])
        ax.set_xlabel("maxsize")
        ax.set_title({"drop": "put_nowait: ", "block": "put: "}[put] + metric.replace("_", " "), fontsize=8)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=6, frameon=False)
    ax = axes[3]
    lo, hi = math.inf, 0.0
    for run in runs:
        pts = []
        for r in s.select(_little_l(s), env_label=run.env_label):
            lam, w = _match(s, "achieved_rate_hz", r), _match(s, "wait_mean_ms", r)
            if lam and w and r["median"] > 0:
                pts.append((lam["median"] * w["median"] / 1000.0, r["median"]))
        if pts:
            xs, ys = zip(*pts)
            ax.plot(xs, ys, marker="o", ls="none", ms=3, color=ctx.palette[run.env_label])
            lo, hi = min(lo, *xs, *ys), max(hi, *xs, *ys)
    if hi > 0:
        ax.plot([lo, hi], [lo, hi], color="black", lw=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        plain_log(ax)
    ax.set_title("Little's law: L against λW", fontsize=8)
    ax.set_xlabel("λW (items)")
    ax.set_ylabel("L measured (items)")
    header(
        fig,
        "Bounded Queue, %d consumer%s, Poisson arrivals" % (consumers, "s" if consumers > 1 else ""),
        handles,
        4,
    )
    return to_data_uri(fig)
