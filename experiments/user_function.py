"""Your own function on every executor: sequential, threads, pools, processes, asyncio, subinterpreters.

``python -m experiments run --workload MODULE:FUNCTION [--workload-args JSON] [--path DIR]``
measures ``FUNCTION(index, **args)`` for ``index`` in ``range(tasks)`` the way io_vs_cpu measures
its built-in workloads: the same executors, workers, interleaved rounds and isolation, a speedup
against the sequential cell of the same round. README "Measure your own function" states the
contract. Standard library only: runs inside the measured interpreter.
"""

from __future__ import annotations

import importlib
import json
import os
import pickle
import statistics
import sys
import time

from experiments import executors
from experiments.spec import CellSkipped, Metric, Param, Profile

NAME = "user_function"
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
#: The worker environment variable holding --path: the folder the function is imported from.
PATH_ENV = "GILBENCH_WORKLOAD_PATH"
#: Calls timed on their own before the region (fn(0), fn(1), fn(2)); their median is ``task_ms``.
SOLO_CALLS = 3
#: Parameters the run sets from --workload and --workload-args, never from a profile or --set.
FROM_OPTIONS = ("function", "function_args")

_PARALLEL = ["thread", "thread_pool", "process", "process_pool", "asyncio", "interpreter_pool"]
PROFILES = {
    "quick": Profile(repeat=6, timeout_s=60, grid=[{"executor": _PARALLEL, "workers": [2], "tasks": [8]}]),
    "default": Profile(
        budget_s=60, timeout_s=120, grid=[{"executor": _PARALLEL, "workers": [1, 2, 4, 8], "tasks": [16]}]
    ),
    "full": Profile(
        budget_s=240,
        timeout_s=240,
        grid=[{"executor": _PARALLEL, "workers": [1, 2, 3, 4, 8, 16], "tasks": [32]}],
    ),
}


def args_text(args: dict) -> str:
    """The keyword arguments as the ``function_args`` column holds them: canonical JSON."""
    return json.dumps(args, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def import_function(ref: str, path: str | None = None):
    """The callable ``MODULE:NAME`` (NAME may be dotted: ``Class.method``), importing from ``path``
    first, as ``python script.py`` would from its own folder."""
    module_name, _, qualname = ref.partition(":")
    if path:
        path = os.path.abspath(path)
        if path not in sys.path:
            sys.path.insert(0, path)
    obj = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError("%s is not callable (its type is %s)" % (ref, type(obj).__name__))
    return obj


def pickle_skip_reason(ref: str, problem: str) -> str:
    return (
        "%s cannot be pickled (%s); process executors and subinterpreters send it to their workers: "
        "define it with def at module level" % (ref, problem)
    )


def result_skip_reason(ref: str, type_name: str, problem: str) -> str:
    return "%s returns a %s that cannot be pickled (%s); pools send each result back" % (
        ref,
        type_name,
        problem,
    )


def solo_calls(task: executors.Task, tasks: int) -> tuple:
    """(median seconds of one call on its own, the last call's result)."""
    times, result = [], None
    for i in range(SOLO_CALLS):
        started = time.perf_counter()
        result = task(i % tasks)
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


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
