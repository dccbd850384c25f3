"""Where threads stop paying: tasks that hold the GIL for a share of their time, threads vs processes.

Every task does about ``nominal_task_ms`` of CPU work: ``gil_share`` of it pure-Python (holding
the GIL on a GIL build), the rest sha256 in C (releasing it), alternating in slices
(``workloads.mixed``), at loop and hashing rates calibrated in the measured interpreter at the
run's start (``calibrate``, recorded in environment.json). On a GIL build two threads can overlap
only the released part, so their speedup falls from the machine's capacity at gil_share 0 to 1x at
gil_share 1, while processes stay near capacity minus their costs: the gil_share where the two
curves cross is the turn-over point.
Standard library only: runs inside the measured interpreter.
"""

from __future__ import annotations

import statistics
import sys

from experiments.catalogue.toolkit import executors, workloads
from experiments.spec import INTERVAL_ROUNDS, CellSkipped, Metric, Param, Profile, calibration

TITLE = "Where threads stop paying: the share of each task that holds the GIL"
PARAMS = {
    "gil_share": Param(
        float, minimum=0.0, maximum=1.0, unit="fraction", help="share of each task's work holding the GIL"
    ),
    "executor": Param(str, choices=executors.EXECUTORS, help="how tasks are run"),
    "workers": Param(int, minimum=1, maximum=256, help="threads or processes"),
    "tasks": Param(int, minimum=1, maximum=10000, help="tasks per cell"),
    "nominal_task_ms": Param(
        float,
        minimum=0.1,
        maximum=10000.0,
        help="work per task: ms of one core at the speed calibrate() measured in this interpreter",
    ),
}
METRICS = (
    Metric("tasks_done", "count"),
    Metric(
        "task_ms",
        "ms",
        help="one task on its own in this cell, before the region: the CPU time of the thread that ran"
        " it (what the task costs, whatever else shares the core), median of 3",
    ),
    Metric(
        "python_time_fraction",
        "fraction",
        help="share of a task's own CPU time in its pure-Python part, as timed in this interpreter",
    ),
)
COMPARE = ("executor", "workers")
BASELINE = {"executor": "sequential", "workers": 1}
PARALLELISM = "workers"
#: Solo tasks timed before the region: their median is ``task_ms``.
SOLO_TASKS = 3


def capacity_bound(params):
    """All of it is CPU work: the machine's cores cap any executor."""
    return True


_RACE = ["thread_pool", "process_pool"]
PROFILES = {
    "quick": Profile(
        repeat=3,
        timeout_s=60,
        grid=[
            {
                "gil_share": [0.0, 0.5, 1.0],
                "executor": _RACE,
                "workers": [2],
                "tasks": [8],
                "nominal_task_ms": [10.0],
            }
        ],
    ),
    # A round of one share's group is three cells and the capacity probe of its round; the budget
    # buys each share the 6 rounds an interval needs (README "Default budgets"). The turn-over on a
    # GIL build lies low (threads 2/(1 + s) against processes' near 2), hence 0.25 kept and 0.75
    # left to the full profile.
    "default": Profile(
        budget_s=50,
        min_rounds=INTERVAL_ROUNDS,  # advise needs an interval on every panel: Stein's first stage
        timeout_s=90,
        grid=[
            {
                "gil_share": [0.0, 0.25, 0.5, 1.0],
                "executor": _RACE,
                "workers": [2],
                "tasks": [8],
                "nominal_task_ms": [20.0],
            }
        ],
    ),
    "full": Profile(
        budget_s=120,
        timeout_s=180,
        grid=[
            {
                "gil_share": [0.0, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 1.0],
                "executor": ["thread", "thread_pool", "process", "process_pool", "interpreter_pool"],
                "workers": [2, 4],
                "tasks": [16],
                "nominal_task_ms": [20.0],
            }
        ],
    ),
}


def calibrate():
    """Loop iterations and bytes hashed per ms in this interpreter (recorded once per run): a task of
    ``nominal_task_ms`` then lasts about as long at every gil_share, on any interpreter and machine."""
    return workloads.calibrate_mixed()


def run_cell(params, region):
    reason = executors.unavailable(params["executor"])
    if reason:
        raise CellSkipped(reason)
    task_ms, share = params["nominal_task_ms"], params["gil_share"]
    rates = calibration(sys.modules[__name__])
    task = executors.Task(
        workloads.mixed, args=(task_ms, share, rates), index=False, setup=workloads.prepare_mixed
    )
    task.prepare()
    parts = [workloads.mixed_parts_s(task_ms, share, rates) for _ in range(SOLO_TASKS)]
    python_s = statistics.median(p for p, _ in parts)
    total_s = statistics.median(p + c for p, c in parts)
    with executors.Runner(params["executor"], params["workers"], task) as run:
        with region():
            run(params["tasks"])
    return {
        "tasks_done": params["tasks"],
        "task_ms": total_s * 1000.0,
        "python_time_fraction": min(1.0, python_s / total_s) if total_s > 0 else None,
    }
