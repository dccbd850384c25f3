"""``advise``: for each workload × interpreter × machine, which way of running the tasks to use.

Every option (executor × workers) of a run is a cell of an executor experiment (any experiment
compared over ``executor`` and ``workers`` against a sequential baseline, as experiments.json
declares it). The fastest option is found from the per-cell medians; every other option is
set against it round by round (the cells of one panel ran in the same rounds) by verdicts.advise:
the fastest by median is advised unless a simpler option (one thread, then thread pools, threads,
asyncio, interpreter pools, process pools, processes; fewer workers first) is shown *equivalent* to
it (its interval inside ±threshold); when neither is shown, the advice is "inconclusive" with the
rounds that would settle it. An option the data show slower than another is never advised. Runs of
several interpreters measured in one invocation are also set against each other (the GIL build
first: a free-threaded build is advised only where its advantage is shown).

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

import numpy as np
import pandas as pd

from report.analysis.cells import Context, Ratio, ratios_against, shared_baseline
from report.analysis.family import DEFAULT_THRESHOLD
from report.analysis.machine_limits import PROCESSES, capacity_note, held_back, short_capacity
from report.analysis.numbers import num
from report.analysis.runs import interleaved
from report.analysis.verdicts.choice import advise as choose

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
    choice: Option | None
    runner_up: Option | None
    why: str
    notes: list = field(default_factory=list)
    #: "fastest", "equivalent", "only option" or "inconclusive" (verdicts.advise)
    verdict: str = ""
    rounds_to_settle: float = math.nan
    #: Inconclusive because the machine gave the parallel options too few cores (held_back).
    machine_bound: bool = False

    @property
    def provisional(self) -> bool:
        """Nothing is advised yet: the page greys the row."""
        return self.verdict == "inconclusive"

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
            "verdict": self.verdict,
            "recommended": option(self.choice),
            "rounds_to_settle": _finite(self.rounds_to_settle),
            "machine_bound": self.machine_bound,
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
    #: {experiment, workload, machine, advice (verdicts.Advice)}: which interpreter, where runs of
    #: several were measured in one invocation
    interpreters: list = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(
            {
                "baselines": {k: {"run_id": r.run_id, "env": r.env_label} for k, r in self.baselines.items()},
                "advice": [a.to_dict() for a in self.advice],
                "interpreters": [
                    {k: v for k, v in i.items() if k != "advice"}
                    | {
                        "choice": i["advice"].choice,
                        "verdict": i["advice"].verdict,
                        "why": i["advice"].reason,
                    }
                    for i in self.interpreters
                ],
            },
            indent=2,
            ensure_ascii=False,
        )


def advise(results: Results, baseline: str | None = None, threshold: float = DEFAULT_THRESHOLD) -> Plan:
    """Advice for every panel (workload) of every run of every advisable experiment: every run read,
    not only the newest of each interpreter × machine; a panel measured again by a newer run of the
    same interpreter × machine is advised from the newer one."""
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
        newest: dict = {}
        for run in results.runs:  # oldest first: a newer run of a panel replaces an older one
            df = run.tables.get(name)
            if df is None or not (df["status"] == "ok").any():
                continue
            df = df[df["status"] == "ok"]
            speeds = ratios_against(
                base_run, run, base_rows, df, panel, panel + list(OPTION_COLUMNS), "wall_s"
            )
            for key, rows in df.groupby(panel, dropna=False, sort=True) if panel else [((), df)]:
                key = key if isinstance(key, tuple) else (key,)
                options = _options(rows, speeds, key)
                if options:
                    decided = _decide(name, _describe(panel, key), run, options, threshold)
                    newest[(run.env_label, key)] = decided
        out += [newest[k] for k in sorted(newest, key=lambda k: (str(k[1]), k[0]))]
    return Plan(out, baselines, _interpreters(out, threshold))


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


def _log_rounds(option: Option) -> pd.Series:
    """log wall time per round (repeat) of one option: the rounds its panel's options shared."""
    rows = option.rows[option.rows["wall_s"] > 0]
    key = rows["repeat"] if "repeat" in rows else pd.Series(range(len(rows)), index=rows.index)
    return np.log(rows["wall_s"]).groupby(key.to_numpy()).median()


def _decide(experiment: str, workload: str, run: Run, options: list, threshold: float) -> Advice:
    """verdicts.advise over the panel's options, simplest first, on their per-round log times; then
    inconclusive where a busy machine, not the options, may have decided it (held_back)."""
    ordered = sorted(options, key=lambda o: o.simplicity)
    frame = pd.DataFrame({o.label: _log_rounds(o) for o in ordered})
    decided = choose({o.label: frame[o.label].to_numpy(dtype=float) for o in ordered}, threshold)
    by_label = {o.label: o for o in ordered}
    choice = by_label.get(decided.choice) if decided.choice else None
    fastest = by_label[decided.fastest]
    verdict, why, rounds = decided.verdict, _why(decided, threshold), decided.rounds_to_settle
    capacity = short_capacity(run, options)
    held = held_back(run, options, choice, capacity, threshold) if choice is not None else None
    if held:
        choice, verdict, why, rounds = None, "inconclusive", held, math.nan
    rest = sorted((o for o in options if o is not choice), key=lambda o: o.wall_s)
    runner_up = rest[0] if rest else None
    notes = [None if held else capacity_note(run, capacity, choice)]
    if choice is not None:
        notes.append(_process_note(options, choice, [choice, fastest], run))
    notes = [n for n in notes if n]
    return Advice(
        experiment, workload, run, choice, runner_up, why, notes,
        verdict=verdict, rounds_to_settle=rounds, machine_bound=bool(held),
    )  # fmt: skip


def _why(decided, threshold: float) -> str:
    """The sentence that says why: verdicts.advise's reason, with the rounds that would settle it."""
    if decided.verdict == "inconclusive":
        text = decided.reason
        if not math.isfinite(decided.rounds_to_settle):
            text += "; more rounds are unlikely to settle it at this noise"
        return text
    return decided.reason


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


def _interpreters(advice: list, threshold: float) -> list:
    """Which interpreter to use, per experiment × workload × machine where runs of several interpreters
    were measured in one invocation: each one's advised (else fastest) option, round by round,
    through verdicts.advise with the GIL builds first (a free-threaded build wins only when shown)."""
    groups: dict = {}
    for a in advice:
        groups.setdefault((a.experiment, a.workload, a.run.machine_label), []).append(a)
    out = []
    for (experiment, workload, machine), members in groups.items():
        members = [m for m in members if interleaved(m.run, members[0].run)]
        if len({m.run.env_label for m in members}) < 2:
            continue
        members.sort(key=lambda m: (bool(m.run.interpreter.get("free_threaded_build")), m.run.gil == "off"))
        series = {}
        for m in members:
            best = m.choice or m.runner_up  # the advised option, else the fastest by median
            series["%s (GIL %s)" % (m.run.interpreter_label, m.run.gil)] = _log_rounds(best)
        frame = pd.DataFrame(series)
        decided = choose({k: frame[k].to_numpy(dtype=float) for k in series}, threshold)
        out.append({"experiment": experiment, "workload": workload, "machine": machine, "advice": decided})
    return out
