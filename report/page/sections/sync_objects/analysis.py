"""The numbers behind the sync_objects section: each object's cells, and sweeps of one knob of each."""

from __future__ import annotations

from report.analysis.cells import CellAnalysis, Context, missing

#: Each object's metrics (a cell fills only its own object's, the rest of its row stays empty).
OBJECT_METRICS = {
    "barrier": ["barrier_skew_p50_us", "barrier_skew_max_us", "barrier_passes"],
    "semaphore": ["throughput_tasks_s", "ideal_throughput_tasks_s", "throughput_vs_ideal", "max_concurrency"],
    "event": ["wake_latency_p50_us", "wake_latency_p99_us", "wake_samples"],
    "daemon_exit": ["exit_delay_ms", "exit_delay_max_ms"],
}
METRICS = [m for metrics in OBJECT_METRICS.values() for m in metrics]


class Analysis(CellAnalysis):
    """Medians and CIs per cell, and each object's sweep with its other settings held at their usual value."""

    def __init__(self, ctx: Context, experiment: str):
        super().__init__(ctx, experiment, METRICS)
        self._settings = {obj: self.usual(object=obj) for obj in OBJECT_METRICS}

    def uses(self, obj: str) -> list:
        """The parameters an object's cells set (each object leaves the others empty)."""
        rows = self.df[self.df["object"] == obj] if not self.df.empty else self.df
        return [p for p in self.params if p != "object" and p in rows and rows[p].notna().any()]

    def object_sweep(self, metric: str, env: str, obj: str, x: str) -> list:
        """Records of ``metric`` for ``obj`` ordered by parameter ``x``, the object's other
        parameters at their most common setting (a sweep moves one knob)."""
        return self.sweep(metric, env, x, object=obj)

    def setting(self, obj: str, param: str):
        value = self._settings.get(obj, {}).get(param)
        return None if missing(value) else value
