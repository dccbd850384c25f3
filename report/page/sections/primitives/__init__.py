"""The primitives section: bench/'s pytest-benchmark micro-benchmarks (Lock, Queue, Event, Thread...)."""

from __future__ import annotations

import math

import pandas as pd

from report.analysis.load import Results
from report.page.figures import header, header_space, run_handles, subplots, to_data_uri
from report.page.formatting import DASH, duration_s, num
from report.page.html import figure, join, paragraph, table, tag
from report.page.sections import Column, Context, Findings, Rendered, Score

REQUIRED = ("benchmark", "median_ns")
SCORECARD = (
    Column("lock_cost", "uncontended Lock acquire+release", -1, position=6, source="primitives (bench/)"),
    Column("queue_cost", "Queue put+get", -1, position=7, source="primitives (bench/)"),
)
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


class Analysis:
    """The ok micro-benchmark rows of the newest run of each interpreter × machine, labelled."""

    def __init__(self, ctx: Context, experiment: str):
        self.runs = ctx.runs_for(experiment)
        df = ctx.rows(experiment)
        self.df = df[df["status"] == "ok"].copy()
        self.df["label"] = [_label(r) for r in self.df.to_dict("records")]

    def own(self, env: str) -> pd.DataFrame:
        """One interpreter × machine's rows measured under its own interpreter (bench/ can hold others)."""
        run = next(r for r in self.runs if r.env_label == env)
        mine = self.df[self.df["env_label"] == env]
        return mine[mine["interpreter"].astype(str) == run.interpreter_label]

    def processes(self, env: str) -> int:
        """How many pytest processes (``repeat`` values) measured one interpreter × machine's benchmarks."""
        own = self.own(env)
        return int(own.groupby("cell_id")["repeat"].nunique().max()) if len(own) else 0

    def net_ns(self, env: str, benchmark: str, **params) -> tuple | None:
        """(median ns minus an empty call's, with the call, the call alone) of one benchmark, or None."""
        own = self.own(env)
        value = _one(own, benchmark, **params)
        if value is None:
            return None
        empty = _one(own, EMPTY_CALL) or 0.0
        return value - empty, value, empty


def note(a: Analysis, env: str) -> str:
    """Where a finding's figure comes from, and why it has no interval."""
    n = a.processes(env)
    if n <= 1:
        return "pytest-benchmark's median over its rounds in one pytest process, so no 95 % interval"
    return (
        "the median over %d pytest processes of each one's median over its rounds; %d processes give "
        "no 95 %% interval" % (n, n)
    )


def finding_lock_cost(a: Analysis, env: str):
    """What an uncontended Lock acquire+release costs beyond one Python call."""
    found = a.net_ns(env, "test_lock_acquire_release", primitive="Lock", style="bare")
    if found is None:
        return None
    return (
        None,
        "An uncontended Lock acquire+release cost %s beyond an empty Python call (%s with the call, %s for "
        "the call alone; %s)." % (_ns(found[0]), _ns(found[1]), _ns(found[2]), note(a, env)),
    )


def finding_queue_cost(a: Analysis, env: str):
    """What a Queue put+get costs beyond one Python call."""
    found = a.net_ns(env, "test_put_get", container="Queue")
    if found is None:
        return None
    return (
        None,
        "A queue.Queue put+get cost %s beyond an empty Python call (%s with the call; %s)."
        % (_ns(found[0]), _ns(found[1]), note(a, env)),
    )


#: Every sentence that applies to an interpreter × machine, in page order: ``findings(a, env)``.
findings = Findings(finding_lock_cost, finding_queue_cost)


def score(a: Analysis, env: str) -> dict:
    out = {}
    lock = a.net_ns(env, "test_lock_acquire_release", primitive="Lock", style="bare")
    if lock is not None:
        out["lock_cost"] = Score(
            lock[0], "%s ns" % num(lock[0]), "bench: Lock acquire+release minus an empty call"
        )
    queue = a.net_ns(env, "test_put_get", container="Queue")
    if queue is not None:
        out["queue_cost"] = Score(queue[0], _ns(queue[0]), "bench: Queue put+get minus an empty call")
    return out


def render(ctx: Context, experiment: str) -> Rendered:
    a = Analysis(ctx, experiment)
    parts = [
        paragraph(
            "pytest-benchmark timings of one operation each, run by `make bench` (bench/) in several pytest "
            "processes one after another (the CSV's `repeat`), since a micro-benchmark's median can move "
            "by up to ~25 % from one process to the next (memory layout, hash seed, CPU state). Each figure "
            "includes one Python call, whose own cost is the empty-call line: subtract it to read the "
            "cheapest primitives. The table gives per benchmark the median over processes of "
            "pytest-benchmark's per-process medians, the range of those medians between processes, the "
            "median within-process interquartile range of the rounds, and the median ops/s."
        )
    ]
    scores = {}
    for run in a.runs:
        env = run.env_label
        scores[env] = score(a, env)
        parts.append(tag("h3", env))
        parts.extend(paragraph(text, css) for css, text in findings(a, env))
        parts.append(bench_table(a.df[a.df["env_label"] == env]))
    if a.runs and not a.df.empty:
        parts.append(figure(primitives_figure(ctx, a.runs, a.df), "Median cost of each primitive"))
    return Rendered(html=join(parts), scores=scores)


def per_benchmark(mine: pd.DataFrame) -> pd.DataFrame:
    """One row per benchmark (and interpreter that ran it): medians over its pytest processes, and the
    range of their medians."""
    mine = mine.assign(
        group=mine["group"].fillna("") if "group" in mine else "", interpreter=mine["interpreter"].astype(str)
    )
    for column in ("iqr_ns", "ops_per_s"):
        if column not in mine:
            mine = mine.assign(**{column: math.nan})
    return (
        mine.groupby(["interpreter", "group", "label"], sort=True)
        .agg(
            median_ns=("median_ns", "median"),
            low_ns=("median_ns", "min"),
            high_ns=("median_ns", "max"),
            processes=("median_ns", "size"),
            iqr_ns=("iqr_ns", "median"),
            ops_per_s=("ops_per_s", "median"),
        )
        .reset_index()
    )


def _range(r: dict) -> str:
    if r["processes"] < 2:
        return DASH
    return "%s–%s (%d)" % (_ns(r["low_ns"]), _ns(r["high_ns"]), r["processes"])


def bench_table(mine: pd.DataFrame):
    summary = per_benchmark(mine)
    # bench/ may have run under another interpreter than the run's own (bench.export labels its rows)
    several = summary["interpreter"].nunique() > 1
    rows = [
        ([r["interpreter"]] if several else [])
        + [
            r["label"],
            r["group"],
            (_ns(r["median_ns"]), "num"),
            (_range(r), "num"),
            (_ns(r["iqr_ns"]), "num"),
            (num(r["ops_per_s"]), "num"),
        ]
        for r in summary.to_dict("records")
    ]
    head = ["benchmark", "group", "median", "between processes (n)", "IQR", "ops/s"]
    return table((["interpreter"] if several else []) + head, rows, class_="compact")


def primitives_figure(ctx: Context, runs: list, df: pd.DataFrame) -> str:
    labels = sorted(
        df["label"].unique(), key=lambda s: (float(df.loc[df["label"] == s, "median_ns"].median()), s)
    )
    handles = run_handles(ctx.palette, runs, marker=None, lw=6)
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
