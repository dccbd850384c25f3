"""Your own function on every executor: sequential, threads, pools, processes, asyncio, subinterpreters.

``gilbench run --workload MODULE:FUNCTION [--workload-args JSON] [--path DIR]``
measures ``FUNCTION(index, **args)`` for ``index`` in ``range(tasks)`` the way io_vs_cpu measures
its built-in workloads: the same executors, workers, interleaved rounds and isolation, a speedup
against the sequential cell of the same round. README "Measure your own function" states the
contract. Standard library only: runs inside the measured interpreter.
"""

from __future__ import annotations

import json
import os
import pickle

from experiments.catalogue.toolkit import executors
from experiments.catalogue.toolkit.user_code import (
    PATH_ENV,
    args_text,
    import_function,
    pickle_skip_reason,
    result_skip_reason,
    solo_calls,
)
from experiments.spec import INTERVAL_ROUNDS, CellSkipped, Metric, Param, Profile

TITLE = "Your function on threads, pools, processes, asyncio and subinterpreters"
PARAMS = {
    "function": Param(str, help="MODULE:FUNCTION measured (set by --workload)"),
    "function_args": Param(str, help="its keyword arguments as JSON (set by --workload-args)"),
    "executor": Param(str, choices=executors.EXECUTORS, help="how tasks are run"),
    "workers": Param(int, minimum=1, maximum=256, help="threads, processes or coroutines at a time"),
    "tasks": Param(int, minimum=1, maximum=100000, help="calls per cell: fn(0) ... fn(tasks - 1)"),
}
METRICS = (
    Metric("tasks_done", "count"),
    Metric("task_ms", "ms", help="one call on its own in this cell, median of 3 (before the region)"),
    Metric("result_bytes", "bytes", help="one call's return value, pickled (what a pool sends back)"),
)
COMPARE = ("executor", "workers")
BASELINE = {"executor": "sequential", "workers": 1}
PARALLELISM = "workers"
#: Measured only when a run gives --workload, whose function and arguments workload_params sets.
ON_REQUEST = True

_PARALLEL = ["thread", "thread_pool", "process", "process_pool", "asyncio", "interpreter_pool"]
PROFILES = {
    "quick": Profile(repeat=6, timeout_s=60, grid=[{"executor": _PARALLEL, "workers": [2], "tasks": [8]}]),
    "default": Profile(
        budget_s=60,
        min_rounds=INTERVAL_ROUNDS,  # advise needs an interval on every panel: Stein's first stage
        timeout_s=120,
        grid=[{"executor": _PARALLEL, "workers": [1, 2, 4, 8], "tasks": [16]}],
    ),
    "full": Profile(
        budget_s=240,
        timeout_s=240,
        grid=[{"executor": _PARALLEL, "workers": [1, 2, 3, 4, 8, 16], "tasks": [32]}],
    ),
}


def workload_params(function: str, args: dict) -> dict:
    """The cell parameters --workload and --workload-args set (never a profile or --set)."""
    return {"function": function, "function_args": args_text(args)}


def run_cell(params, region):
    executor, ref = params["executor"], params["function"]
    reason = executors.unavailable(executor)
    if reason:
        raise CellSkipped(reason)
    path = os.environ.get(PATH_ENV)
    fn = import_function(ref, path)
    if path:
        os.chdir(path)  # the function sees the folder it came from, as when run from there
    task = executors.Task(fn, kwargs=json.loads(params["function_args"]))
    problem = executors.pickling_problem(task) if executor in executors.PICKLES_TASK else None
    if problem:
        raise CellSkipped(pickle_skip_reason(ref, problem))
    call_s, result = solo_calls(task, params["tasks"])
    try:
        result_bytes = len(pickle.dumps(result))
    except Exception:
        result_bytes = None
        if executor in executors.PICKLES_RESULT:
            problem = executors.pickling_problem(result)
            raise CellSkipped(result_skip_reason(ref, type(result).__name__, problem)) from None
    with executors.Runner(executor, params["workers"], task) as run:
        with region():
            run(params["tasks"])
    return {"tasks_done": params["tasks"], "task_ms": call_s * 1000.0, "result_bytes": result_bytes}
