"""The numbers behind the deadlock section: each scenario × detection × timeout's counts and summaries."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from experiments.schema import ExperimentInfo
from report.analysis.cells import Context, Summary, missing

METRICS = [
    "detected",
    "time_to_detect_ms",
    "recovered",
    "completed",
    "acquire_attempts",
    "recovery_ms",
    "wall_s",
]
KEY = ["env_label", "scenario", "detection", "timeout_ms"]


def _timeout_key(value) -> float | None:
    return None if missing(value) else float(value)


@dataclass
class Cell:
    """One scenario × detection × timeout of one interpreter × machine: counts over its repetitions
    and the summary (median, CI) of each metric over the ok ones."""

    env: str
    scenario: str
    detection: str
    timeout_ms: float | None
    repetitions: int
    ok: int
    hung: int
    failed: int
    detected: int
    recovered: int
    completed: int
    #: Median process wall time of the hung repetitions: when the harness ended them.
    killed_after_s: float
    #: The run folder says this cell is meant to hang (experiments.json: hangs).
    expected_hang: bool = False
    #: The scenario's place in the experiment's declared order.
    rank: int = 0
    summary: dict = field(default_factory=dict)

    def median(self, metric: str) -> float:
        rec = self.summary.get(metric)
        return float(rec["median"]) if rec else math.nan


def _order(cell: Cell) -> tuple:
    return (cell.env, cell.rank, cell.scenario, cell.detection != "timeout", cell.timeout_ms or 0.0)


def cells(df: pd.DataFrame, summary: Summary, info: ExperimentInfo) -> list:
    """Every cell of ``df`` (all statuses), ordered by interpreter × machine, scenario, timeout."""
    if df.empty:
        return []
    index = {}
    for rec in summary.frame.to_dict("records"):
        key = (rec["env_label"], rec["scenario"], rec["detection"], _timeout_key(rec["timeout_ms"]))
        index.setdefault(key, {})[rec["metric"]] = rec
    df = df.assign(_expected=df["status"] == "expected_timeout")
    declared = info.params.get("scenario")
    order = list(declared.choices or ()) if declared else []
    out = []
    for (env, scenario, detection, timeout), g in df.groupby(KEY, dropna=False, sort=False):
        ok = g[g["status"] == "ok"]
        hung = g[g["_expected"]]
        timeout = _timeout_key(timeout)
        killed = hung["process_wall_s"].median() if "process_wall_s" in hung and len(hung) else math.nan
        out.append(
            Cell(
                env=env,
                scenario=scenario,
                detection=detection,
                timeout_ms=timeout,
                repetitions=len(g),
                ok=len(ok),
                hung=len(hung),
                failed=len(g) - len(ok) - len(hung),
                detected=int((ok["detected"] == 1).sum()),
                recovered=int((ok["recovered"] == 1).sum()),
                completed=int((ok["completed"] == 1).sum()) if "completed" in ok else 0,
                killed_after_s=float(killed),
                expected_hang=info.expected_hang({"scenario": scenario, "detection": detection}),
                rank=order.index(scenario) if scenario in order else len(order),
                summary=index.get((env, scenario, detection, timeout), {}),
            )
        )
    return sorted(out, key=_order)


class Analysis:
    """Every cell of the newest run of each interpreter × machine (see Cell), in the experiment's order."""

    def __init__(self, ctx: Context | None, experiment: str = "deadlock", found: list | None = None):
        if ctx is None:  # hand-built cells (tests)
            self.runs, self.df, self.cells = [], pd.DataFrame(), list(found or [])
            return
        self.runs = ctx.runs_for(experiment)
        self.df = ctx.rows(experiment)
        self.summary = Summary(self.df, KEY, METRICS)
        self.cells = cells(self.df, self.summary, ctx.results.info(experiment))

    def mine(self, env: str) -> list:
        return [c for c in self.cells if c.env == env]

    def where(self, env: str, scenario: str, detection: str | None = None) -> list:
        return [
            c
            for c in self.mine(env)
            if c.scenario == scenario and (detection is None or c.detection == detection)
        ]


def of(n: int, total: int) -> str:
    """ "3 of 4": a count of repetitions out of how many, as the sentences and the table write it."""
    return "%d of %d" % (n, total)
