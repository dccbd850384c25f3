"""Per-cell numbers a section reads: medians with CIs per cell, and sweeps of one parameter."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from report import stats


def missing(value) -> bool:
    """None or NaN: how pandas holds a parameter the cell left empty."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def most_common(df: pd.DataFrame, column: str) -> Any:
    """The value a column takes most often (the experiment's default setting), or None."""
    if column not in df or df[column].dropna().empty:
        return None
    return df[column].mode().iloc[0]


class CellAnalysis:
    """An experiment's rows, the runs they come from, its parameters, and each cell's medians with CIs.

    ``s`` is a stats.Summary keyed by interpreter × machine (``env_label``) and every parameter.
    """

    def __init__(self, ctx, experiment: str, metrics, summary: bool = True):
        self.ctx = ctx
        self.experiment = experiment
        self.info = ctx.results.info(experiment)
        self.runs = ctx.runs_for(experiment)
        self.df = ctx.rows(experiment)
        self.params = [p for p in ctx.results.param_columns(experiment) if p in self.df]
        self.metrics = [m for m in metrics if m in self.df]
        by = ["env_label"] + self.params
        self.s = stats.Summary(self.df, by, self.metrics) if summary else None

    def run(self, env: str):
        return next(r for r in self.runs if r.env_label == env)

    def usual(self, **where) -> dict:
        """Each parameter's most common value among the rows matching ``where`` (the experiment's
        default setting of every knob, for the cells ``where`` selects)."""
        rows = self.df
        for k, v in where.items():
            if k in rows:
                rows = rows[rows[k].isin(v) if isinstance(v, (list, tuple, set)) else rows[k] == v]
        return {p: most_common(rows, p) for p in self.params if p not in where}

    def sweep(self, metric: str, env: str, x: str, **where) -> list:
        """Records of ``metric`` for one interpreter × machine along parameter ``x``: the cells that
        match ``where`` with every other parameter held at its most common value among them (a
        sweep moves one knob). Sorted by ``x``."""
        held = {p: v for p, v in self.usual(**where).items() if p != x and not missing(v)}
        recs = [
            r
            for r in self.s.select(metric, env_label=env, **where)
            if all(r.get(p) == v for p, v in held.items()) and not missing(r.get(x))
        ]
        return sorted(recs, key=lambda r: r[x])

    def point(self, metric: str, env: str, **where) -> dict | None:
        """One cell's record: the parameters not in ``where`` held at their most common value."""
        held = {p: v for p, v in self.usual(**where).items() if not missing(v)}
        found = self.s.select(metric, env_label=env, **where)
        found = [r for r in found if all(r.get(p) == v for p, v in held.items())]
        return found[0] if len(found) == 1 else None
