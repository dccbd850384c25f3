"""One section of the page per experiment: a dedicated module where one exists, the generic one otherwise."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pandas as pd

from report.figures import Palette
from report.load import Results, Run
from report.page import Markup

#: Experiments with a dedicated section module in this package.
DEDICATED = (
    "io_vs_cpu",
    "process_overhead",
    "lock_contention",
    "queue_bursts",
    "timer_drift",
    "convoy",
    "primitives",
    "sync_objects",
    "deadlock",
)


@dataclass
class Score:
    """One scorecard entry: the value used to rank, the text shown, and what it was computed from."""

    value: float
    text: str
    title: str = ""


@dataclass
class Rendered:
    """A section's HTML and what it contributes to the scorecard, per interpreter × machine label."""

    html: Markup
    scores: dict = field(default_factory=dict)


@dataclass
class Context:
    """What every section reads: the loaded runs and the page's colours."""

    results: Results
    palette: Palette

    def runs_for(self, experiment: str) -> list:
        """The newest run of each interpreter × machine that has ok rows of ``experiment``.

        Older runs of the same interpreter and machine appear in the comparisons instead.
        """
        latest: dict = {}
        for run in self.results.runs:  # oldest first, so the newest wins
            df = run.tables.get(experiment)
            if df is not None and (df["status"] == "ok").any():
                latest[run.env_label] = run
        return [latest[k] for k in sorted(latest)]

    def rows(self, experiment: str) -> pd.DataFrame:
        """Rows of ``experiment`` from runs_for(experiment), environment columns joined."""
        df = self.results.frame(experiment)
        ids = [r.run_id for r in self.runs_for(experiment)]
        return df[df["run_id"].isin(ids)] if not df.empty else df

    def run_of(self, env_label: str, experiment: str) -> Run | None:
        for run in self.runs_for(experiment):
            if run.env_label == env_label:
                return run
        return None


def module_for(experiment: str, results: Results | None = None) -> ModuleType:
    """The section module that renders ``experiment``: its dedicated one when the data has the
    columns that module reads (an experiment whose columns changed falls back to the generic one)."""
    if experiment in DEDICATED:
        module = importlib.import_module("report.sections." + experiment)
        needed = getattr(module, "REQUIRED", ())
        if results is None or all(c in results.frame(experiment) for c in needed):
            return module
    return importlib.import_module("report.sections.generic")


def env_series(ctx: Context, runs: list, lookup, categories: list) -> list:
    """Bar series for figures.grouped_bars: one per run (interpreter × machine colour), one value per
    category from ``lookup(run, category)`` (a summary record or None)."""
    out = []
    for run in runs:
        recs = [lookup(run, c) for c in categories]
        out.append(
            (
                run.env_label,
                ctx.palette[run.env_label],
                [r["median"] if r else None for r in recs],
                [r["ci_low"] if r else None for r in recs],
                [r["ci_high"] if r else None for r in recs],
            )
        )
    return out


def most_common(df: pd.DataFrame, column: str) -> Any:
    """The value a column takes most often (the experiment's default setting), or None."""
    if column not in df or df[column].dropna().empty:
        return None
    return df[column].mode().iloc[0]
