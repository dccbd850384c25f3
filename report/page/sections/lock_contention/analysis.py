"""The numbers behind the lock_contention section: cells at the usual settings, costs paired per round."""

from __future__ import annotations

from report.analysis.cells import CellAnalysis, most_common, paired_rounds, round_record

METRICS = [
    "cost_per_op_ns",
    "throughput_ops_s",
    "lost_update_fraction",
    "acquire_wait_p50_us",
    "acquire_wait_p99_us",
    "jain_fairness",
    "speedup",
]
PRIMITIVES = ("none", "Lock", "RLock", "Semaphore")
#: The knobs held at their usual value when a sentence or figure varies threads or the primitive.
SETTINGS = ("pattern", "work", "work_iters", "switch_interval_ms", "turns_per_thread")


class Analysis(CellAnalysis):
    """lock_contention cells. ``speedup`` of a locked cell is its updates per second over the no-lock
    cell's in the same round (the harness's ratio against BASELINE): below 1 the lock slowed them."""

    def __init__(self, ctx, experiment: str):
        super().__init__(ctx, experiment, METRICS)
        self.default = {p: most_common(self.df, p) for p in SETTINGS}
        if "pattern" in self.df and (self.df["pattern"] == "counter").any():
            self.default["pattern"] = "counter"

    def base(self, **over) -> dict:
        """The usual settings (``default``) as a selection, with ``over`` replacing some."""
        where = {k: v for k, v in self.default.items() if k in self.params and v is not None}
        where.update(over)
        return where

    def threads(self) -> list:
        return self.s.values("threads", "cost_per_op_ns", **self.base())

    def most_threads(self, env: str, primitive: str = "Lock") -> int | None:
        found = self.s.values("threads", "cost_per_op_ns", env_label=env, primitive=primitive, **self.base())
        return max(found) if found else None

    def record(self, metric: str, env: str, primitive: str, threads: int, **over) -> dict | None:
        """One cell's record at the usual settings (``over`` replacing some)."""
        found = self.s.select(
            metric, env_label=env, primitive=primitive, threads=threads, **self.base(**over)
        )
        return found[0] if len(found) == 1 else None

    def lock_difference(self, env: str, threads: int = 1, primitive: str = "Lock") -> dict | None:
        """Cost per update with ``primitive`` minus without a lock, per round of the same group (both
        cells at the usual settings): what the lock adds, in ns per update."""
        where = dict(self.base(), env_label=env, threads=threads)
        rows = self.df
        for k, v in where.items():
            rows = rows[rows[k] == v]
        pairs = paired_rounds(rows, "cost_per_op_ns", {"primitive": primitive}, {"primitive": "none"})
        return round_record(pairs["first"] - pairs["second"]) if len(pairs) else None

    def lost_cells(self, env: str) -> list:
        """No-lock records with several threads, any pattern and setting, most lost first."""
        recs = self.s.select("lost_update_fraction", env_label=env, primitive="none")
        return sorted((r for r in recs if r["threads"] > 1), key=lambda r: -r["median"])

    def locked_losses(self, env: str) -> tuple:
        """(repetitions of locked cells that lost an update, locked repetitions, locked cells)."""
        rows = self.df[
            (self.df["env_label"] == env) & (self.df["status"] == "ok") & (self.df["primitive"] != "none")
        ]
        if "lost_updates" not in rows:
            return 0, 0, 0
        counted = rows[rows["lost_updates"].notna()]
        cells = counted.drop_duplicates([p for p in self.params if p in counted]) if len(counted) else counted
        return int((counted["lost_updates"] != 0).sum()), len(counted), len(cells)

    def switch_sweep(self, env: str, threads: int) -> list:
        """Lock acquire-wait p99 records at the usual settings but every switch interval, longest first."""
        over = self.base()
        over.pop("switch_interval_ms", None)
        recs = self.s.select("acquire_wait_p99_us", env_label=env, primitive="Lock", threads=threads, **over)
        return sorted(recs, key=lambda r: -r["switch_interval_ms"])
