"""The numbers behind the primitives section: bench/'s rows per interpreter × machine, less an empty call."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from report.analysis.cells import Context

EMPTY_CALL = "test_empty_call"


def _label(row) -> str:
    name = str(row.get("cell_id") or row["benchmark"])
    return name[5:] if name.startswith("test_") else name


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
