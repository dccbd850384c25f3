"""gil_share: the share of a task holding the GIL decides whether threads pay (wide margins)."""

import os
import statistics

import pytest

from experiments import gil_share, workloads
from experiments.spec import run_standalone


def _point(**params):
    base = {"gil_share": 0.5, "executor": "sequential", "workers": 1, "tasks": 2, "nominal_task_ms": 4.0}
    return run_standalone(gil_share, {**base, **params})


def test_the_split_follows_gil_share_and_the_duration_stays_about_constant():
    fractions, durations = {}, {}
    for share in (0.0, 0.5, 1.0):
        runs = [_point(gil_share=share, nominal_task_ms=10.0) for _ in range(3)]
        fractions[share] = statistics.median(r["python_time_fraction"] for r in runs)
        durations[share] = statistics.median(r["task_ms"] for r in runs)
    assert fractions[0.0] < 0.05 and fractions[1.0] > 0.95, fractions
    assert 0.15 < fractions[0.5] < 0.85, fractions
    # Calibrated so that holding the GIL or not changes a task's duration by far less than 2x.
    assert max(durations.values()) < 2.0 * min(durations.values()), durations


def test_the_work_is_fixed_by_the_parameters_alone():
    # Cells compared in a round must do the same work: counts come from parameters, not timing.
    assert workloads.mixed_counts(20.0, 0.25) == workloads.mixed_counts(20.0, 0.25)
    iters, nbytes = workloads.mixed_counts(20.0, 1.0)
    assert iters > 0 and nbytes == 0
    iters, nbytes = workloads.mixed_counts(20.0, 0.0)
    assert iters == 0 and nbytes > 0


def _speedup(df, share, executor):
    rows = df[(df["gil_share"] == share) & (df["executor"] == executor)]
    assert len(rows) and (rows["status"] == "ok").all(), rows[["status", "error"]]
    return rows["speedup"].median()


def test_threads_pay_only_for_the_part_that_releases_the_gil(run_experiment):
    run = run_experiment(
        "--profile",
        "quick",
        "--only",
        "gil_share",
        "--set",
        "gil_share=0,1",
        "--repeat",
        "5",
        "--capacity-rounds",
        "3",
    )
    if not run.env["interpreter"]["gil_enabled_start"]:
        pytest.skip("the project's Python runs without the GIL")
    df = run.csv("gil_share")
    assert _speedup(df, 1.0, "thread_pool") < 1.3
    if len(os.sched_getaffinity(0)) < 2:
        return
    capacity = min(run.env["capacity"]["start"]["2"], run.env["capacity"]["end"]["2"])
    floor = min(1.25, 0.7 * capacity)
    # Nothing held: threads use the second core; all held: only processes do. The curves cross.
    assert _speedup(df, 0.0, "thread_pool") > floor, (
        capacity,
        df.groupby(["gil_share", "executor"]).speedup.median(),
    )
    held = df[df["gil_share"] == 1.0]
    pool = held[held["executor"] == "process_pool"].set_index("repeat")["speedup"]
    threads = held[held["executor"] == "thread_pool"].set_index("repeat")["speedup"]
    ratio = (pool / threads).dropna().median()  # each ratio from one round
    assert ratio > min(1.15, 0.8 * capacity), (ratio, capacity)
