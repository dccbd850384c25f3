"""The numbers behind the queue_bursts section: cells beside M/M/c/K, measured loads, Little's law per row."""

from __future__ import annotations

import math

import pandas as pd

from report.analysis.cells import CellAnalysis, missing, round_record
from report.page.formatting import finite, interval_side

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
    "arrival_gap_cv",
    "producer_handoff_us",
]
#: Little's law's L: the depth Poisson arrivals saw (PASTA), independent of the put/get timestamps
#: that give lambda x W. (``queue_depth_mean`` comes from those timestamps: it equals lambda x W by
#: construction, so a check against it could not fail, and is never used for one.)
SAMPLED_L = "queue_depth_sampled_mean"
#: A queue almost always empty makes L / lambda W a ratio of two tiny numbers: such cells are skipped.
MIN_DEPTH = 0.05
#: A measured load further than this (relative) from the nominal one is called off nominal.
LOAD_TOLERANCE = 0.05


def poisson(**where) -> dict:
    """Cells the M/M/c/K model describes: Poisson arrivals, exponential service."""
    return dict(where, pattern="poisson", service="exponential")


class Analysis(CellAnalysis):
    """queue_bursts cells: every number a sentence quotes comes from one cell, found by its full key."""

    def __init__(self, ctx, experiment: str):
        super().__init__(ctx, experiment, METRICS)

    def same_cell(self, metric: str, rec: dict) -> dict | None:
        """The record of ``metric`` for exactly the cell ``rec`` describes (every parameter equal)."""
        found = self.s.select(metric, env_label=rec["env_label"])
        keys = [k for k in self.s.by if k != "env_label"]
        for other in found:
            if all(_same(other.get(k), rec.get(k)) for k in keys):
                return other
        return None

    def rows_of(self, rec: dict) -> pd.DataFrame:
        """The ok rows (repetitions) of the cell ``rec`` describes."""
        rows = self.df[self.df["status"] == "ok"]
        for k in self.s.by:
            v = rec.get(k)
            rows = rows[rows[k].isna()] if missing(v) else rows[rows[k] == v]
        return rows

    def cells(self, metric: str, env: str, **where) -> list:
        """Records of ``metric`` matching ``where``, highest nominal load first, then the fewest
        consumers and the smallest bound (0, unbounded, last): the order sentences pick cells in."""
        recs = self.s.select(metric, env_label=env, **where)
        return sorted(recs, key=lambda r: (-r["load"], r["consumers"], r["maxsize"] == 0, r["maxsize"]))

    def load_off_nominal(self, rec: dict) -> bool | None:
        """Whether the cell's measured load sits off its nominal load (by more than LOAD_TOLERANCE and,
        where there is an interval, beyond it); None when the load was not measured."""
        lm = self.same_cell("load_measured", rec)
        if lm is None or not finite(lm["median"]):
            return None
        nominal = float(rec["load"])
        far = abs(lm["median"] / nominal - 1) > LOAD_TOLERANCE
        side = interval_side(lm, nominal)
        return far and side != 0

    def littles_law(self, env: str) -> list:
        """(cell record of L, record of L / lambda W per repetition) for each Poisson cell: L is the
        depth arrivals saw (SAMPLED_L), lambda W the achieved rate times the mean wait, both of the
        same repetition; cells whose L is below MIN_DEPTH are left out."""
        out = []
        for rec in self.s.select(SAMPLED_L, env_label=env):
            if not (finite(rec["median"]) and rec["median"] >= MIN_DEPTH):
                continue
            rows = self.rows_of(rec)
            lam_w = rows["achieved_rate_hz"] * rows["wait_mean_ms"] / 1000.0
            ratios = (rows[SAMPLED_L] / lam_w).where(lam_w > 0)
            ratio = round_record(ratios)
            if ratio is not None:
                out.append((rec, ratio))
        return out

    def model_gap(self, measured: str, predicted: str, rec: dict) -> dict | None:
        """Measured minus predicted, per repetition (the model at that repetition's measured rates)."""
        rows = self.rows_of(rec)
        return round_record(rows[measured] - rows[predicted])

    def largest_gap(self, env: str) -> tuple | None:
        """(measured metric, its cell record, the model's record, gap record) of the cell whose drop or
        blocked fraction is furthest from M/M/c/K, by the median per-repetition gap."""
        best = None
        for measured, predicted in PAIRS[:2]:
            for rec in self.s.select(measured, env_label=env):
                gap = self.model_gap(measured, predicted, rec)
                pred = self.same_cell(predicted, rec)
                if gap is None or pred is None:
                    continue
                if best is None or abs(gap["median"]) > abs(best[3]["median"]):
                    best = (measured, rec, pred, gap)
        return best


def _same(a, b) -> bool:
    if missing(a) or missing(b):
        return missing(a) and missing(b)
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isclose(a, b))
