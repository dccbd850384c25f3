"""The numbers behind the convoy section: same-round factors against no load and the process control."""

from __future__ import annotations

import pandas as pd

from report.analysis.cells import CellAnalysis, paired_rounds, round_record

METRICS = ["round_trips_per_s", "latency_p50_us", "latency_p99_us", "latency_mean_us", "speedup"]
RATE = "round_trips_per_s"
#: The no-load cell of every group (the experiment's BASELINE).
IDLE = {"cpu_workers": 0, "cpu_kind": "thread"}


class Analysis(CellAnalysis):
    """Cells of the convoy experiment and the same-round factors its sentences quote.

    A factor is a ratio of two cells of one group measured in the same round, the cell first:
    below 1 the cell made fewer round trips per second (or had shorter latencies) than the
    reference. Against the no-load cell it is the harness's ``speedup`` (a throughput ratio);
    against the process control it is paired here, round by round.
    """

    def __init__(self, ctx, experiment: str):
        super().__init__(ctx, experiment, METRICS)
        self.switch = default_switch(self.df, self.runs)

    def most_workers(self, env: str, kind: str) -> int | None:
        """The most CPU workers of ``kind`` measured beside the I/O thread at the default switch interval."""
        recs = self.s.select(RATE, env_label=env, cpu_kind=kind, switch_interval_ms=self.switch)
        workers = [int(r["cpu_workers"]) for r in recs if r["cpu_workers"] > 0]
        return max(workers) if workers else None

    def cell(self, metric: str, env: str, workers: int, kind: str, switch=None) -> dict | None:
        """One cell's summary record (the other parameters at their most common value)."""
        sw = self.switch if switch is None else switch
        return self.point(metric, env, cpu_workers=workers, cpu_kind=kind, switch_interval_ms=sw)

    def idle(self, metric: str, env: str, switch=None) -> dict | None:
        """The no-load cell's record at that switch interval."""
        return self.cell(metric, env, IDLE["cpu_workers"], IDLE["cpu_kind"], switch)

    def vs_idle(self, env: str, workers: int, kind: str) -> dict | None:
        """Round trips per second of the cell over those of the no-load cell of the same round."""
        return self.cell("speedup", env, workers, kind)

    def paired(self, metric: str, env: str, first: dict, second: dict) -> dict | None:
        """Per-round ratio ``metric`` of ``first`` over ``second`` at the default switch interval,
        summarised (median, exact 95 % interval, ci_note), with the cells' parameters attached."""
        rows = self.df[(self.df["env_label"] == env) & (self.df["switch_interval_ms"] == self.switch)]
        pairs = paired_rounds(rows, metric, first, second)
        rec = round_record(pairs["first"] / pairs["second"]) if len(pairs) else None
        if rec is not None:
            rec.update(env_label=env, switch_interval_ms=self.switch, rounds=sorted(pairs["repeat"]))
        return rec

    def vs_control(self, env: str, workers: int) -> dict | None:
        """Round trips per second beside ``workers`` CPU threads over those beside as many CPU
        processes (the control: same CPU work, no GIL), round by round."""
        return self.paired(
            RATE,
            env,
            {"cpu_workers": workers, "cpu_kind": "thread"},
            {"cpu_workers": workers, "cpu_kind": "process"},
        )

    def latency_vs_idle(self, metric: str, env: str, workers: int, kind: str) -> dict | None:
        """A latency of the cell over the no-load cell's, round by round (> 1: longer)."""
        return self.paired(metric, env, {"cpu_workers": workers, "cpu_kind": kind}, IDLE)

    def swept_workers(self, env: str) -> int | None:
        """The CPU thread count measured at the most switch intervals (at least two), or None."""
        seen: dict = {}
        for r in self.s.select("latency_p50_us", env_label=env, cpu_kind="thread"):
            if r["cpu_workers"] > 0:
                seen.setdefault(int(r["cpu_workers"]), set()).add(r["switch_interval_ms"])
        best = max(seen.items(), key=lambda kv: (len(kv[1]), kv[0]), default=None)
        return best[0] if best and len(best[1]) > 1 else None


def default_switch(df: pd.DataFrame, runs: list) -> float | None:
    """The interpreter's own switch interval when it was measured, else the longest one measured."""
    if df.empty or "cpu_kind" not in df:
        return None
    measured = set(df.loc[df["cpu_kind"] == "thread", "switch_interval_ms"].dropna())
    for run in runs:
        own = (run.interpreter.get("switch_interval_s") or 0) * 1000.0
        if own in measured:
            return own
    return max(measured) if measured else None


def control_factors(df: pd.DataFrame) -> pd.DataFrame:
    """Per round: how many times more round trips per second the I/O thread made beside N CPU
    processes (the control) than beside N CPU threads of the same run, group and round.

    Columns: env_label, switch_interval_ms, cpu_workers, repeat, factor (> 1: the threads cost more).
    Runs whose threads and processes sat in different groups give no factor.
    """
    columns = ["env_label", "switch_interval_ms", "cpu_workers", "repeat", "factor"]
    out = []
    if df.empty or "cpu_kind" not in df:
        return pd.DataFrame(columns=columns)
    for (sw, n), _ in df[df["cpu_workers"] > 0].groupby(["switch_interval_ms", "cpu_workers"]):
        rows = df[df["switch_interval_ms"] == sw]
        pairs = paired_rounds(
            rows, RATE, {"cpu_workers": n, "cpu_kind": "process"}, {"cpu_workers": n, "cpu_kind": "thread"}
        )
        if len(pairs):
            out.append(
                pairs.assign(switch_interval_ms=sw, cpu_workers=n, factor=pairs["first"] / pairs["second"])
            )
    if not out:
        return pd.DataFrame(columns=columns)
    return pd.concat(out, ignore_index=True)[columns]
