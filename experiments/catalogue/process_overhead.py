"""What processes cost against threads: start-up per start method, IPC per payload, break-even task size.

Three measurements, chosen by ``measure``:

* ``start_join`` - start and join ``tasks`` do-nothing workers one after another: a
  ``multiprocessing.Process`` under ``start_method``, or a ``threading.Thread``.  The worker runs
  ``noop`` from ``target``'s module: ``minimal`` (toolkit/start_target, which imports nothing, so a
  start costs what the start method costs) or ``heavy`` (toolkit/start_target_heavy, a typical
  tool's standard-library imports, which a spawned or forkserver child imports again and a forked
  child inherits).  Not this module: a child that unpickles a target from here imports
  concurrent.futures, multiprocessing's pool machinery and the workloads, and that import, not
  the start method, used to be most of what a forkserver or spawn start measured.
* ``round_trip`` - send ``payload_bytes`` to a warm ``workers``-worker pool and get them back, ``tasks``
  times one after another: ``ProcessPoolExecutor`` (pickling and a pipe each way) or
  ``ThreadPoolExecutor`` (a reference handed over).
* ``cpu_task`` - ``tasks`` pure-Python tasks of ``task_kiter`` thousand loop iterations on a warm
  ``workers``-worker pool.  One task is first timed on its own in the same cell (``task_ms``),
  so the harness's thread-vs-process ``speedup`` of the same round can be read against task
  duration: where it crosses 1 is the break-even task size.

``runner`` is compared inside each group with ``thread`` as the baseline, so ``speedup`` is
thread wall / process wall from the same round.  Pool start-up is outside the measured region
(``start_join`` measures it).  Standard library only: runs inside the measured interpreter.
"""

from __future__ import annotations

import importlib
import multiprocessing
import statistics
import sys
import threading
import time
import types
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from experiments.catalogue.toolkit.workloads import cpu_python
from experiments.spec import Metric, Param, Profile

TITLE = "What processes cost: start methods, IPC, break-even task size"
START_METHODS = ("default", "fork", "forkserver", "spawn")
#: The module each start_join target lives in; a spawned or forkserver child imports it to find ``noop``.
TARGETS = {
    "minimal": "experiments.catalogue.toolkit.start_target",
    "heavy": "experiments.catalogue.toolkit.start_target_heavy",
}
PARAMS = {
    "measure": Param(str, choices=("start_join", "round_trip", "cpu_task"), help="what is measured"),
    "runner": Param(str, choices=("thread", "process"), help="threads or processes (raw or pooled)"),
    "start_method": Param(
        str, choices=START_METHODS, help="multiprocessing start method; default: the interpreter's own"
    ),
    "workers": Param(int, minimum=1, maximum=256, help="pool workers (round_trip, cpu_task)"),
    "tasks": Param(int, minimum=1, maximum=100000, help="workers started, round trips or tasks per cell"),
    "payload_bytes": Param(int, minimum=0, maximum=1 << 30, help="bytes sent and returned (round_trip)"),
    "task_kiter": Param(int, minimum=0, maximum=10**6, help="thousand pure-Python loop iterations per task"),
    "target": Param(
        str,
        choices=tuple(TARGETS),
        help="start_join: the started worker's module: minimal (imports nothing) or heavy (stdlib imports)",
    ),
}
METRICS = (
    "start_join_ms",
    "first_start_join_ms",
    "round_trip_ms",
    "payload_mib_s",
    "task_ms",
    "tasks_per_s",
    Metric("default_start_method", "text"),
    Metric("start_method_used", "text"),
)
#: Every start method and target is measured in the same round as one thread start: a heavy-target
#: start against the minimal one of the same round is the child's import cost, apart from the start
#: method's own.  Round trips and CPU tasks race a thread pool of the same payload or task size.
COMPARE = ("runner", "target", "start_method")
BASELINE = {"runner": "thread", "target": "minimal", "start_method": "default"}


def _point(measure, **overrides):
    base = {
        "measure": [measure],
        "runner": ["thread", "process"],
        "start_method": ["default"],
        "workers": [2],
        "tasks": [1],
        "payload_bytes": [0],
        "task_kiter": [0],
        "target": ["minimal"],
    }
    base.update(overrides)
    return base


def _cpu_points(sizes, total_kiter, most):
    """Task sizes with the task count chosen so that every cell does about the same total work."""
    return [_point("cpu_task", task_kiter=[k], tasks=[max(4, min(most, total_kiter // k))]) for k in sizes]


def _payload_points(sizes, total_bytes, most):
    """Payload sizes with at most ``most`` round trips and about ``total_bytes`` sent per cell."""
    return [
        _point("round_trip", payload_bytes=[b], tasks=[max(3, min(most, total_bytes // b))]) for b in sizes
    ]


def _starts(methods, tasks, heavy):
    """One start_join group: a thread, each start method with the minimal target, some with the heavy."""
    return [
        _point("start_join", runner=["process"], start_method=list(methods), tasks=[tasks]),
        _point("start_join", runner=["process"], start_method=list(heavy), tasks=[tasks], target=["heavy"]),
    ]


_METHODS = ["fork", "forkserver", "spawn"]
# A worker process costs more outside its region than most regions here last, so with 13 cells
# per round that overhead is most of the default profile's budget and the regions are kept short
# (README "Default budgets").  start_join: 2 starts per cell,
# the first (which also starts the resource tracker or the forkserver) reported apart and the
# second as the start cost; the rounds give its spread.  The heavy target only under spawn:
# forkserver children import it the same way, and a fork inherits it (the full profile measures
# both).  Round trips: an empty message (latency) and 1 MB (pickling and pipe bandwidth).  CPU
# tasks: 1 and 30 thousand iterations (~0.06 and ~2 ms) bracket the break-even on
# a 2-core machine; the full profile sweeps eleven sizes.
PROFILES = {
    "quick": Profile(
        repeat=3,
        timeout_s=60,
        grid=[
            # One start each: the first, which also starts the resource tracker, is the smoke test.
            *_starts(["spawn"], 1, heavy=["spawn"]),
            *_payload_points([1_000_000], 10_000_000, 30),
            *_cpu_points([20], 800, 100),
        ],
    ),
    "default": Profile(
        budget_s=15,
        timeout_s=90,
        grid=[
            *_starts(_METHODS, 2, heavy=["spawn"]),
            *_payload_points([100, 1_000_000], 20_000_000, 50),
            *_cpu_points([1, 30], 1000, 500),
        ],
    ),
    "full": Profile(
        budget_s=100,
        timeout_s=180,
        grid=[
            *_starts(_METHODS, 20, heavy=_METHODS),
            *_payload_points(
                [100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000], 400_000_000, 200
            ),
            *_cpu_points([1, 2, 3, 5, 10, 20, 30, 50, 100, 300, 1000], 10000, 3000),
        ],
    ),
}


def _echo(payload):
    return payload


def _context(method):
    return multiprocessing.get_context(None if method == "default" else method)


def _start_join(params, region):
    runner, tasks = params["runner"], params["tasks"]
    ctx = _context(params["start_method"])
    make = threading.Thread if runner == "thread" else ctx.Process
    # Imported before the region: the parent's import is not what a start costs.
    target = importlib.import_module(TARGETS[params["target"]]).noop
    costs = []
    now = time.perf_counter
    # A spawn or forkserver child re-imports its parent's main module as __mp_main__; here that is
    # experiments.inside.worker (json, traceback: ~20 ms), a cost of this harness, not of the start method.
    # For the region the parent looks like a ``python -c`` program, whose children import no main.
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        with region():
            for _ in range(tasks):
                t = now()
                w = make(target=target)
                w.start()
                w.join()
                costs.append(now() - t)
                if runner == "process" and w.exitcode:
                    raise RuntimeError(
                        "a %s worker exited with code %s" % (params["start_method"], w.exitcode)
                    )
    finally:
        sys.modules["__main__"] = main
    # The first process of a forkserver also starts the server: reported apart from the rest.
    rest = costs[1:] or costs
    return {"start_join_ms": statistics.median(rest) * 1000.0, "first_start_join_ms": costs[0] * 1000.0}


def _pool(params):
    if params["runner"] == "thread":
        return ThreadPoolExecutor(max_workers=params["workers"])
    return ProcessPoolExecutor(max_workers=params["workers"], mp_context=_context(params["start_method"]))


def _warm(pool, workers):
    # Enough tiny tasks that every worker has started and imported what the tasks need.
    list(pool.map(cpu_python, [1] * (4 * workers)))


def run_cell(params, region):
    measure, tasks = params["measure"], params["tasks"]
    metrics = {
        "default_start_method": multiprocessing.get_start_method(),
        "start_method_used": _context(params["start_method"]).get_start_method(),
    }
    if measure == "start_join":
        metrics.update(_start_join(params, region))
        return metrics

    now = time.perf_counter
    if measure == "cpu_task":
        kiter = params["task_kiter"]
        # The task's duration on its own, timed in this cell: the x axis of the break-even curve.
        cpu_python(kiter)
        solo = []
        for _ in range(3):
            t = now()
            cpu_python(kiter)
            solo.append(now() - t)
        metrics["task_ms"] = statistics.median(solo) * 1000.0
    else:
        payload = b"\x5a" * params["payload_bytes"]
    pool = _pool(params)
    try:
        _warm(pool, params["workers"])
        if measure == "round_trip":
            trips = []
            with region():
                for _ in range(tasks):
                    t = now()
                    back = pool.submit(_echo, payload).result()
                    trips.append(now() - t)
            if len(back) != len(payload):
                raise RuntimeError("the pool returned %d bytes for %d" % (len(back), len(payload)))
            trip_s = statistics.median(trips)
            metrics["round_trip_ms"] = trip_s * 1000.0
            metrics["payload_mib_s"] = 2 * len(payload) / trip_s / (1 << 20)
        else:
            with region() as timing:
                for future in [pool.submit(cpu_python, kiter) for _ in range(tasks)]:
                    future.result()
            metrics["tasks_per_s"] = tasks / timing.wall_s
    finally:
        pool.shutdown(wait=True)
    return metrics
