"""Per-cell numbers a section reads: medians with CIs per cell, and sweeps of one parameter."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
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


# --- Cells measured in the same round, paired (appended for the convoy, lock_contention and
# process_overhead sections; a shared pairing helper may replace these) ---

#: What identifies one round of one comparison group: both cells of a pair met the same machine.
ROUND_KEYS = ("env_label", "run_id", "group_id", "repeat")


def matching_rows(df: pd.DataFrame, where: dict) -> pd.DataFrame:
    """The ok rows whose columns equal ``where`` (a list value means any of them); none when a column
    is missing."""
    rows = df[df["status"] == "ok"] if "status" in df else df
    for k, v in where.items():
        if k not in rows:
            return rows.iloc[0:0]
        rows = rows[rows[k].isin(v) if isinstance(v, (list, tuple, set)) else rows[k] == v]
    return rows


def paired_rounds(df: pd.DataFrame, metric: str, first: dict, second: dict) -> pd.DataFrame:
    """``metric`` of two cells side by side, one row per round in which both ran: a row matching
    ``first`` and a row matching ``second`` that ended ok in the same run, comparison group and
    repetition (``repeat``), so both met the same machine in the same round.

    Columns: env_label, run_id, group_id, repeat, first, second. A round in which either side
    matches several rows (``first``/``second`` do not pin one cell of the group) is left out, and so
    is one where either value is missing; cells that ran in different groups give no rows.
    """
    columns = list(ROUND_KEYS) + ["first", "second"]
    if df.empty or metric not in df or not all(k in df for k in ROUND_KEYS):
        return pd.DataFrame(columns=columns)
    sides = []
    for name, where in (("first", first), ("second", second)):
        rows = matching_rows(df, where)[list(ROUND_KEYS) + [metric]]
        rows = rows[rows[metric].notna()].drop_duplicates(list(ROUND_KEYS), keep=False)
        sides.append(rows.rename(columns={metric: name}))
    pairs = sides[0].merge(sides[1], on=list(ROUND_KEYS))
    return pairs[columns].sort_values(list(ROUND_KEYS), ignore_index=True)


def round_record(values) -> dict | None:
    """Per-round values (ratios or differences of paired cells, or one value per repetition of a
    cell) summarised like a stats.Summary record: n, median, ci_low/ci_high (the exact 95 % interval
    of the median; NaN below 6 values) and ci_note (why there is none). None without a finite value."""
    x = np.asarray(list(values), dtype=float)
    x = x[np.isfinite(x)]
    if not x.size:
        return None
    low, high = stats.median_ci(x)
    return {
        "n": int(x.size),
        "median": float(np.median(x)),
        "ci_low": low,
        "ci_high": high,
        "ci_note": stats.ci_note(int(x.size)),
    }
