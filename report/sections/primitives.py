"""The primitives section: bench/'s pytest-benchmark micro-benchmarks (Lock, Queue, Event, Thread...)."""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.lines import Line2D

from report.figures import header, header_space, subplots, to_data_uri
from report.formatting import duration_s, num
from report.load import Results
from report.page import figure, join, paragraph, table, tag
from report.sections import Context, Rendered, Score

TITLE = "Micro-benchmarks of the primitives (pytest-benchmark)"
REQUIRED = ("benchmark", "median_ns")
EMPTY_CALL = "test_empty_call"


def compare_metrics(results: Results, experiment: str) -> list:
    return ["median_ns"]


def _label(row) -> str:
    name = str(row.get("cell_id") or row["benchmark"])
    return name[5:] if name.startswith("test_") else name


def _ns(x) -> str:
    return duration_s(x * 1e-9)


def _one(df: pd.DataFrame, benchmark: str, **params):
    sel = df[df["benchmark"] == benchmark]
    for k, v in params.items():
        if k not in sel:
            return None
        sel = sel[sel[k].astype(str) == v]
    return float(sel["median_ns"].median()) if len(sel) else None


def render(ctx: Context, experiment: str) -> Rendered:
    runs = ctx.runs_for(experiment)
    df = ctx.rows(experiment)
    df = df[df["status"] == "ok"].copy()
    df["label"] = [_label(r) for r in df.to_dict("records")]
    parts = [
        paragraph(
            "pytest-benchmark timings of one operation each, run by `make bench` (bench/). Each figure "
            "includes one Python call, whose own cost is the empty-call line: subtract it to read the "
            "cheapest primitives. Median of pytest-benchmark's rounds; the spread is its interquartile range."
        )
    ]
    scores = {}
    for run in runs:
        env = run.env_label
        mine = df[df["env_label"] == env]
        # A row measured under another interpreter than the run's own is not this row's to score.
        mine_own = mine[mine["interpreter"].astype(str) == run.interpreter_label]
        empty = _one(mine_own, EMPTY_CALL) or 0.0
        score = {}
        lock = _one(mine_own, "test_lock_acquire_release", primitive="Lock", style="bare")
        if lock is not None:
            score["lock_cost"] = Score(
                lock - empty, "%s ns" % num(lock - empty), "bench: Lock acquire+release minus an empty call"
            )
        queue = _one(mine_own, "test_put_get", container="Queue")
        if queue is not None:
            score["queue_cost"] = Score(
                queue - empty, _ns(queue - empty), "bench: Queue put+get minus an empty call"
            )
        scores[env] = score
        parts.append(tag("h3", env))
        rows = [
            [
                r["label"],
                r.get("group") or "",
                (_ns(r["median_ns"]), "num"),
                (_ns(r.get("iqr_ns", math.nan)), "num"),
                (num(r.get("ops_per_s", math.nan)), "num"),
            ]
            for r in mine.sort_values(["group", "label"]).to_dict("records")
        ]
        parts.append(table(["benchmark", "group", "median", "IQR", "ops/s"], rows, class_="compact"))
    if runs and not df.empty:
        parts.append(figure(primitives_figure(ctx, runs, df), "Median cost of each primitive"))
    return Rendered(html=join(parts), scores=scores)


def primitives_figure(ctx: Context, runs: list, df: pd.DataFrame) -> str:
    labels = sorted(
        df["label"].unique(), key=lambda s: (float(df.loc[df["label"] == s, "median_ns"].median()), s)
    )
    handles = [Line2D([], [], color=ctx.palette[r.env_label], lw=6, label=r.env_label) for r in runs]
    fig, axes = subplots(
        1,
        columns=1,
        width=9.0,
        height=0.16 * len(labels) * max(1, len(runs)) + 0.6,
        top=header_space(len(handles), 4),
    )
    ax = axes[0]
    height = 0.8 / max(1, len(runs))
    for i, run in enumerate(runs):
        mine = df[df["env_label"] == run.env_label].groupby("label")["median_ns"].median()
        ys = [j + (i - (len(runs) - 1) / 2) * height for j in range(len(labels))]
        ax.barh(
            ys,
            [mine.get(lab, math.nan) for lab in labels],
            height=height * 0.95,
            color=ctx.palette[run.env_label],
        )
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_xscale("log")
    ax.set_xlabel("ns per operation (median)")
    ax.grid(axis="y", visible=False)
    fig.subplots_adjust(left=0.35)
    header(fig, "Primitives, cheapest first", handles, columns=4)
    return to_data_uri(fig)
