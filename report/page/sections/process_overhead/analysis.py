"""The numbers behind the process_overhead section: start costs, import costs per round, the break-even."""

from __future__ import annotations

import math

from report.analysis import models
from report.analysis.cells import CellAnalysis, missing, paired_rounds, round_record

METRICS = ["start_join_ms", "round_trip_ms", "task_ms", "speedup", "tasks_per_s"]
METHODS = ("fork", "forkserver", "spawn")


class Analysis(CellAnalysis):
    """process_overhead cells. ``speedup`` of a process cell is the thread cell's wall time over its own
    in the same round (the harness's ratio against BASELINE): above 1 processes were faster."""

    def __init__(self, ctx, experiment: str):
        super().__init__(ctx, experiment, METRICS)

    def _targeted(self, recs: list, target: str) -> list:
        if "target" not in self.params:
            return recs
        return [r for r in recs if r.get("target") == target or missing(r.get("target"))]

    def start_cost(self, env: str, label: str, target: str = "minimal") -> dict | None:
        """A start's median cost: a thread, or a process under start method ``label`` running a
        ``target`` that imports nothing (minimal) or a typical tool's imports (heavy)."""
        where = dict(env_label=env, measure="start_join")
        if label == "thread":
            found = self.s.select("start_join_ms", runner="thread", **where)
        else:
            found = self.s.select("start_join_ms", runner="process", start_method=label, **where)
        found = self._targeted(found, target)
        return found[0] if len(found) == 1 else None

    def import_cost(self, env: str, method: str) -> dict | None:
        """Heavy-target start minus minimal-target start under ``method``, per round of the same group."""
        if "target" not in self.params:
            return None
        rows = self.df[(self.df["env_label"] == env) & (self.df["measure"] == "start_join")]
        side = {"runner": "process", "start_method": method}
        pairs = paired_rounds(rows, "start_join_ms", dict(side, target="heavy"), dict(side, target="minimal"))
        return round_record(pairs["first"] - pairs["second"]) if len(pairs) else None

    def twin(self, metric: str, rec: dict, **change) -> dict | None:
        """The record of ``metric`` for the cell ``rec`` describes with ``change`` applied (e.g. the
        thread runner's cell beside a process cell)."""
        where = {k: v for k, v in rec.items() if k in self.s.by and not missing(v)}
        where.update(change)
        found = self.s.select(metric, **where)
        return found[0] if len(found) == 1 else None

    def round_trips(self, env: str) -> list:
        """Process-pool round-trip records, by payload size."""
        recs = self.s.select("round_trip_ms", env_label=env, measure="round_trip", runner="process")
        return sorted(recs, key=lambda r: r["payload_bytes"])

    def break_even_points(self, env: str) -> list:
        """(task duration record, speedup record) of each CPU task size, the duration as timed in the
        process cell itself (one task on its own), sorted by it."""
        points = []
        for sp in self.s.select("speedup", env_label=env, measure="cpu_task", runner="process"):
            dur = self.twin("task_ms", sp)
            if dur is not None and math.isfinite(dur["median"]) and math.isfinite(sp["median"]):
                points.append((dur, sp))
        return sorted(points, key=lambda p: p[0]["median"])

    def break_even(self, env: str) -> tuple:
        """(task duration where the median speedup first crosses 1, by log interpolation, and the two
        points around it) or (NaN, None) when the medians do not cross in the measured range."""
        points = self.break_even_points(env)
        for before, after in zip(points, points[1:]):
            if (before[1]["median"] - 1) * (after[1]["median"] - 1) <= 0:
                x = [before[0]["median"], after[0]["median"]]
                y = [before[1]["median"], after[1]["median"]]
                return models.break_even(x, [1.0, 1.0], y), (before, after)
        return math.nan, None
