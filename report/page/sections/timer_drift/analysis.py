"""The numbers behind the timer_drift section: lateness per cell, loaded against idle paired per round."""

from __future__ import annotations

import math

from report.analysis.cells import CellAnalysis, Context, Ratio, round_ratios

METRICS = ["lateness_p50_us", "lateness_p99_us", "lateness_mean_us", "lateness_max_us", "cumulative_drift_ms"]
#: What names a comparison group: the cells of one mode and delay differ only in the load beside them.
GROUP = ["mode", "delay_ms", "samples"]


class Analysis(CellAnalysis):
    """Per-cell medians with intervals, and loaded against idle lateness paired round by round."""

    def __init__(self, ctx: Context, experiment: str):
        super().__init__(ctx, experiment, METRICS)

    def one_shot(self, metric: str, env: str, loaded: bool) -> list:
        """One-shot records of ``metric``, idle (no CPU-bound threads) or loaded, by delay."""
        recs = self.s.select(metric, env_label=env, mode="one_shot")
        recs = [r for r in recs if (r["cpu_threads"] > 0) == loaded]
        return sorted(recs, key=lambda r: (r["delay_ms"], r["cpu_threads"]))

    def same_cell(self, metric: str, rec: dict) -> dict | None:
        """The record of ``metric`` for the cell ``rec`` describes (same parameters)."""
        where = {p: rec[p] for p in self.params if p in rec and rec[p] is not None}
        found = self.s.select(metric, env_label=rec["env_label"], **where)
        return found[0] if len(found) == 1 else None

    def against_idle(self, rec: dict, metric: str = "lateness_p50_us") -> Ratio | None:
        """A loaded cell's ``metric`` over the idle cell of its group, round by round (one run's cells
        of one group and repetition ran in the same round)."""
        rows = self.env_rows(rec["env_label"])
        rows = rows[rows["mode"] == rec["mode"]]
        idle, loaded = rows[rows["cpu_threads"] == 0], rows[rows["cpu_threads"] == rec["cpu_threads"]]
        found = round_ratios(idle, loaded, GROUP, GROUP + ["cpu_threads"], metric)
        return found.get(tuple(rec[c] for c in GROUP + ["cpu_threads"]))

    def switch_interval_ms(self, env: str) -> float:
        value = self.run(env).interpreter.get("switch_interval_s")
        return 1000.0 * float(value) if isinstance(value, (int, float)) and value > 0 else math.nan

    def samples_text(self, rec: dict) -> str:
        n = rec.get("samples")
        return "%d firings" % n if n is not None else "its firings"
