"""``advise``: for each workload × interpreter × machine, which way of running the tasks to use.

Every option (executor × workers) of a run is a cell of an executor experiment (any experiment
compared over ``executor`` and ``workers`` against a sequential baseline, as experiments.json
declares it). The fastest option is found from the per-cell medians; every other option is
set against it round by round (the cells of one panel ran in the same rounds). Options whose
interval does not show them slower than the fastest by more than stats.CHANGE_THRESHOLD are
indistinguishable from it, and the simplest of those is recommended (one thread, then thread
pools, threads, asyncio, interpreter pools, process pools, processes; fewer workers first).

Speeds are quoted against one shared baseline (cells.shared_baseline: the sequential cell of the
reference interpreter, round by round where it ran interleaved), so rows of different interpreters
read on one scale. Where processes lose, the process cell's cost beyond its ideal share of the
sequential time is measured and turned into the task length at which processes would break even.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from report.analysis import statistics as stats
from report.analysis.cells import Context, Ratio, ratios_against, round_ratios, shared_baseline
from report.analysis.numbers import num

if TYPE_CHECKING:
    from report.analysis.load import Results, Run

#: Ways of running tasks from the simplest to the most involved: among indistinguishable options
#: the first wins (then fewer workers). Unknown executors come last.
SIMPLEST_FIRST = (
    "sequential",
    "thread_pool",
    "thread",
    "asyncio",
    "interpreter_pool",
    "process_pool",
    "process",
)
PROCESSES = ("process", "process_pool")
OPTION_COLUMNS = ("executor", "workers")


def advisable(results: Results) -> list:
    """Experiments whose cells are ways of running one workload's tasks: compared over executor and
    workers against a sequential cell."""
    out = []
    for name in results.experiments():
        info = results.info(name)
        if set(OPTION_COLUMNS) <= set(info.compare) and (info.baseline or {}).get("executor"):
            out.append(name)
    return out


@dataclass
class Option:
    """One executor × workers cell of one run and panel."""

    executor: str
    workers: int
    wall_s: float
    rows: pd.DataFrame
    speed: Ratio | None = None  # against the shared baseline's sequential cell (> 1: faster)

    @property
    def label(self) -> str:
        return "sequential" if self.executor == "sequential" else "%s × %d" % (self.executor, self.workers)

    @property
    def rounds(self) -> int:
        return int(self.rows["repeat"].nunique()) if "repeat" in self.rows else len(self.rows)

    @property
    def simplicity(self) -> tuple:
        rank = SIMPLEST_FIRST.index(self.executor) if self.executor in SIMPLEST_FIRST else len(SIMPLEST_FIRST)
        return rank, self.workers

    def peak_rss(self) -> str:
        """Median peak resident memory; a process executor's is its largest process, times workers."""
        if "peak_rss_mib" not in self.rows or self.rows["peak_rss_mib"].isna().all():
            return "?"
        mib = float(self.rows["peak_rss_mib"].median())
        if self.executor in PROCESSES and self.workers > 1:
            return "%d × %.0f MiB" % (self.workers, mib)
        return "%.0f MiB" % mib

    def speed_text(self) -> str:
        r = self.speed
        if r is None or not math.isfinite(r.median):
            return "?"
        if math.isfinite(r.ci_low) and math.isfinite(r.ci_high):
            return "%sx [%s–%s]" % (num(r.median), num(r.ci_low), num(r.ci_high))
        return "%sx (no interval: %s)" % (num(r.median), r.ci_note or "too few rounds")


@dataclass
class Advice:
    """The recommendation for one panel (workload) of one run (interpreter × machine)."""

    experiment: str
    workload: str
    run: Run
    choice: Option
    runner_up: Option | None
    why: str
    notes: list = field(default_factory=list)
    provisional: bool = False

    def to_dict(self) -> dict:
        def option(o: Option | None) -> dict | None:
            if o is None:
                return None
            r = o.speed
            return {
                "executor": o.executor,
                "workers": o.workers,
                "wall_s": o.wall_s,
                "speed_vs_baseline": None if r is None else _finite(r.median),
                "ci_low": None if r is None else _finite(r.ci_low),
                "ci_high": None if r is None else _finite(r.ci_high),
                "ci_note": None if r is None else r.ci_note,
                "rounds": o.rounds,
                "peak_rss_mib": _finite(o.rows["peak_rss_mib"].median())
                if "peak_rss_mib" in o.rows
                else None,
            }

        return {
            "experiment": self.experiment,
            "workload": self.workload,
            "run_id": self.run.run_id,
            "interpreter": self.run.interpreter_label,
            "machine": self.run.machine_label,
            "gil": self.run.gil,
            "recommended": option(self.choice),
            "runner_up": option(self.runner_up),
            "why": self.why,
            "notes": list(self.notes),
            "provisional": self.provisional,
        }


def _finite(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass
class Plan:
    """Every Advice of the loaded runs, and the baseline run of each experiment."""

    advice: list
    baselines: dict  # experiment -> Run

    def to_json(self) -> str:
        return json.dumps(
            {
                "baselines": {k: {"run_id": r.run_id, "env": r.env_label} for k, r in self.baselines.items()},
                "advice": [a.to_dict() for a in self.advice],
            },
            indent=2,
            ensure_ascii=False,
        )


def advise(results: Results, baseline: str | None = None) -> Plan:
    """Advice for every panel of every run of every advisable experiment."""
    ctx = Context(results, None, baseline)
    out, baselines = [], {}
    for name in advisable(results):
        base_run = shared_baseline(ctx, name)
        if base_run is None:
            continue
        baselines[name] = base_run
        panel = _panel_columns(results, name)
        info = results.info(name)
        base_rows = _matching(base_run.tables[name], info.baseline)
        for run in ctx.runs_for(name):
            df = run.tables[name]
            df = df[df["status"] == "ok"]
            speeds = ratios_against(
                base_run, run, base_rows, df, panel, panel + list(OPTION_COLUMNS), "wall_s"
            )
            for key, rows in df.groupby(panel, dropna=False, sort=True) if panel else [((), df)]:
                key = key if isinstance(key, tuple) else (key,)
                options = _options(rows, speeds, key)
                if options:
                    out.append(_decide(name, _describe(panel, key), run, options, panel))
    return Plan(out, baselines)


def _panel_columns(results: Results, name: str) -> list:
    df = results.frame(name)
    return [c for c in results.param_columns(name) if c not in OPTION_COLUMNS and c in df]


def _matching(df: pd.DataFrame, where: dict) -> pd.DataFrame:
    rows = df[df["status"] == "ok"]
    for k, v in where.items():
        if k in rows:
            rows = rows[rows[k] == v]
    return rows


def _describe(panel: list, key: tuple) -> str:
    parts = [
        "%s=%s" % (c, _plain(v)) for c, v in zip(panel, key) if c != "function_args" or v not in ("{}", "")
    ]
    return ", ".join(parts) or "(one workload)"


def _plain(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _options(rows: pd.DataFrame, speeds: dict, key: tuple) -> list:
    out = []
    for (executor, workers), cell in rows.groupby(list(OPTION_COLUMNS), sort=False):
        wall = cell["wall_s"].dropna()
        if wall.empty:
            continue
        speed = speeds.get(tuple(key) + (executor, workers))
        out.append(
            Option(
                str(executor), int(workers), float(wall.median()), cell, speed.inverse() if speed else None
            )
        )
    return out


def _slower_than(best: Option, other: Option, panel: list) -> Ratio | None:
    """other's time over best's, round by round (> 1: other is slower)."""
    by = panel + list(OPTION_COLUMNS)
    found = round_ratios(best.rows, other.rows, panel, by, "wall_s")
    return next(iter(found.values()), None)


def _indistinguishable(r: Ratio | None) -> bool:
    """Not shown slower than the fastest by more than the minimum effect the report calls."""
    limit = 1 + stats.CHANGE_THRESHOLD
    if r is None:
        return False
    if math.isfinite(r.ci_low):
        return r.ci_low <= limit
    return r.median <= limit  # no interval: the medians decide, and the advice is provisional


def _decide(experiment: str, workload: str, run: Run, options: list, panel: list) -> Advice:
    best = min(options, key=lambda o: o.wall_s)
    against = {id(o): _slower_than(best, o, panel) for o in options if o is not best}
    ties = [best] + [o for o in options if o is not best and _indistinguishable(against[id(o)])]
    choice = min(ties, key=lambda o: o.simplicity)
    rest = sorted((o for o in options if o is not choice), key=lambda o: o.wall_s)
    runner_up = rest[0] if rest else None
    provisional = any(
        r is not None and not math.isfinite(r.ci_low) for o, r in ((o, against.get(id(o))) for o in ties[1:])
    ) or not _has_interval(choice)
    why = _why(best, choice, ties, runner_up, against, panel)
    notes = [_process_note(options, choice, ties, run), _provisional_note(choice, provisional)]
    notes = [n for n in notes if n]
    return Advice(experiment, workload, run, choice, runner_up, why, notes, provisional)


def _has_interval(o: Option) -> bool:
    return o.speed is not None and math.isfinite(o.speed.ci_low)


def _pct(r: Ratio) -> str:
    text = "%+.0f %%" % ((r.median - 1) * 100)
    if math.isfinite(r.ci_low):
        text += " [%+.0f %% to %+.0f %%]" % ((r.ci_low - 1) * 100, (r.ci_high - 1) * 100)
    return text


def _why(best: Option, choice: Option, ties: list, runner_up, against: dict, panel: list) -> str:
    limit = "%.0f %%" % (stats.CHANGE_THRESHOLD * 100)
    if choice is not best:
        r = against[id(choice)]
        return (
            "the simplest of %d options not shown slower than the fastest (%s) by more than %s: %s's time %s"
            % (
                len(ties),
                best.label,
                limit,
                choice.label,
                _pct(r),
            )
        )
    if runner_up is None:
        return "the only option measured"
    r = _slower_than(best, runner_up, panel)
    if len(ties) > 1:
        return "fastest, and the simplest of the %d options not shown slower than it by more than %s" % (
            len(ties),
            limit,
        )
    return "fastest; the runner-up takes %s longer" % (_pct(r) if r is not None else "?")


def _process_note(options: list, choice: Option, ties: list, run: Run) -> str | None:
    """Why processes lose, where they were shown slower: their measured fixed cost against the work."""
    if choice.executor in PROCESSES:
        return None
    seq = next((o for o in options if o.executor == "sequential"), None)
    procs = [o for o in options if o.executor in PROCESSES and all(o is not t for t in ties)]
    if seq is None or not procs:
        return None
    p = min(procs, key=lambda o: o.wall_s)
    usable = min(p.workers, run.cores)
    if "round_capacity" in p.rows and p.rows["round_capacity"].notna().any():
        usable = min(usable, float(p.rows["round_capacity"].median()))
    overhead = p.wall_s - seq.wall_s / usable
    tasks = _tasks(seq)
    own = seq.wall_s / choice.wall_s  # the choice's speed over this run's own sequential cell
    if overhead <= 0 or not tasks:
        return None
    task_ms = seq.wall_s / tasks * 1000
    head = "processes lose here: %s costs %s ms per cell beyond its ideal share of the sequential time" % (
        p.label,
        num(overhead * 1000),
    )
    if usable <= own * 1.001:
        return head + " (start, pickling), and the %s cores' worth it gets cannot beat %s's %sx" % (
            num(usable),
            choice.label,
            num(own),
        )
    work_s = overhead / (1 / own - 1 / usable)  # where usable-way parallel work repays the fixed cost
    return head + "; with %d tasks they would break even at about %s ms per task (now %s ms)" % (
        tasks,
        num(work_s / tasks * 1000),
        num(task_ms),
    )


def _tasks(o: Option) -> int | None:
    for col in ("tasks_done", "tasks"):
        if col in o.rows and o.rows[col].notna().any():
            value = float(o.rows[col].median())
            if value > 0:
                return int(value)
    return None


def _provisional_note(choice: Option, provisional: bool) -> str | None:
    if not provisional:
        return None
    return "provisional: %d round%s, and a 95 %% interval needs %d; run again with --repeat %d" % (
        choice.rounds,
        "" if choice.rounds == 1 else "s",
        stats.min_n_for_ci(),
        stats.min_n_for_ci(),
    )
