"""A user's own function, named ``MODULE:NAME`` by --workload: importing it, its keyword arguments as
the cells hold them, calling it on its own, and why an executor cannot run it.

Shared by the ``user_function`` experiment, the harness's check of --workload and the function probe
that tries it inside the measured interpreter. Standard library only.
"""

from __future__ import annotations

import importlib
import json
import os
import statistics
import sys
import time

from experiments.catalogue.toolkit import executors

#: The worker environment variable holding --path: the folder the function is imported from.
PATH_ENV = "GILBENCH_WORKLOAD_PATH"
#: Calls timed on their own before the region (fn(0), fn(1), fn(2)); their median is ``task_ms``.
SOLO_CALLS = 3


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
