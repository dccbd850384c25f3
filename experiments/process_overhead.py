"""What processes cost against threads: start-up per start method, IPC per payload, break-even task size.

Three measurements, chosen by ``measure``:

* ``start_join`` - start and join ``tasks`` do-nothing workers one after another: a
  ``multiprocessing.Process`` under ``start_method``, or a ``threading.Thread``.
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

import multiprocessing
import statistics
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from experiments.spec import Metric, Param, Profile
from experiments.workloads import cpu_python

NAME = "process_overhead"
TITLE = "What processes cost: start methods, IPC, break-even task size"
START_METHODS = ("default", "fork", "forkserver", "spawn")
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
COMPARE = ("runner",)
BASELINE = {"runner": "thread"}


def _point(measure, **overrides):
    base = {
        "measure": [measure],
        "runner": ["thread", "process"],
        "start_method": ["default"],
        "workers": [2],
        "tasks": [1],
        "payload_bytes": [0],
        "task_kiter": [0],
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


_METHODS = ["fork", "forkserver", "spawn"]
PROFILES = {
    "quick": Profile(
        repeat=3,
        timeout_s=60,
        grid=[
            _point("start_join", start_method=["spawn"], tasks=[2]),
            *_payload_points([1_000_000], 10_000_000, 30),
            *_cpu_points([20], 800, 100),
        ],
    ),
    "default": Profile(
        budget_s=25,
        timeout_s=90,
        grid=[
            _point("start_join", start_method=_METHODS, tasks=[4]),
            *_payload_points([100, 10_000, 1_000_000, 10_000_000], 50_000_000, 50),
            *_cpu_points([1, 3, 10, 30, 100, 300], 2000, 800),
        ],
    ),
    "full": Profile(
        budget_s=100,
        timeout_s=180,
        grid=[
            _point("start_join", start_method=_METHODS, tasks=[20]),
            *_payload_points(
                [100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000], 400_000_000, 200
            ),
            *_cpu_points([1, 2, 3, 5, 10, 20, 30, 50, 100, 300, 1000], 10000, 3000),
        ],
    ),
}


def _noop():
    """What a started worker runs: nothing, so start+join is all that is timed."""


def _echo(payload):
    return payload


def _context(method):
    return multiprocessing.get_context(None if method == "default" else method)


def _start_join(params):
    runner, tasks = params["runner"], params["tasks"]
    ctx = _context(params["start_method"])
    make = threading.Thread if runner == "thread" else ctx.Process
    costs = []
    now = time.perf_counter
    for _ in range(tasks):
        t = now()
        w = make(target=_noop)
        w.start()
        w.join()
        costs.append(now() - t)
        if runner == "process" and w.exitcode:
            raise RuntimeError("a %s worker exited with code %s" % (params["start_method"], w.exitcode))
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
        with region():
            metrics.update(_start_join(params))
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
