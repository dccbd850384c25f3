"""Reading the measured tests' runs: median speedups of cells, the machine's capacity, its cores."""

from __future__ import annotations

import os


def median_speedup(df, **where) -> float:
    """Median ``speedup`` of the rows matching every ``column=value`` given (each row ok)."""
    for key, value in where.items():
        df = df[df[key] == value]
    assert len(df) and (df["status"] == "ok").all(), df[["status", "error"]]
    return df["speedup"].median()


def capacity(run, processes: int = 2, rows=None) -> float:
    """The least capacity the run measured at ``processes`` processes: its probes at the start and
    the end and, given capacity-bound ``rows`` of that many workers, the median of their rounds' own
    probes (``round_capacity``), so a machine loaded in mid-run lowers what its cells must show."""
    # A phase whose every probe was flagged above ``processes`` (a measurement error) has no value.
    values = [run.env["capacity"][p].get(str(processes)) for p in ("start", "end")]
    values = [v for v in values if v is not None] or [float(processes)]
    if rows is not None and "round_capacity" in rows:
        measured = rows["round_capacity"].dropna()
        if len(measured):
            values.append(float(measured.median()))
    return min(values)


def two_cores() -> bool:
    """Whether this process may run on two cores or more."""
    return len(os.sched_getaffinity(0)) >= 2
