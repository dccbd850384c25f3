"""Reading the measured tests' runs: median speedups of cells, the machine's capacity, its cores."""

from __future__ import annotations

import os


def median_speedup(df, **where) -> float:
    """Median ``speedup`` of the rows matching every ``column=value`` given (each row ok)."""
    for key, value in where.items():
        df = df[df[key] == value]
    assert len(df) and (df["status"] == "ok").all(), df[["status", "error"]]
    return df["speedup"].median()


def capacity(run, processes: int = 2) -> float:
    """The lower of the run's capacity probes at its start and end, at ``processes`` processes."""
    return min(run.env["capacity"]["start"][str(processes)], run.env["capacity"]["end"][str(processes)])


def two_cores() -> bool:
    """Whether this process may run on two cores or more."""
    return len(os.sched_getaffinity(0)) >= 2
