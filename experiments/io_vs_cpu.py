"""I/O-bound versus CPU-bound work on threads, thread pools and processes: what the GIL allows.

Standard library only: runs inside the measured interpreter.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from experiments import workloads
from experiments.spec import Metric, Param, Profile

NAME = "io_vs_cpu"
TITLE = "I/O-bound vs CPU-bound work across the GIL"
EXECUTORS = ("sequential", "thread", "thread_pool", "process", "process_pool")
PARAMS = {
    "workload": Param(str, choices=tuple(workloads.WORKLOADS), help="what each task does"),
    "executor": Param(str, choices=EXECUTORS, help="how tasks are run"),
    "workers": Param(int, minimum=1, maximum=256, help="threads or processes"),
    "tasks": Param(int, minimum=1, maximum=10000, help="tasks per cell"),
    "task_size": Param(int, minimum=0, maximum=10**6, help="work per task, unit per workload"),
}
METRICS = (Metric("tasks_done", "count"),)
#: Parameters varied inside one comparison group; the rest name the group.
COMPARE = ("executor", "workers")
#: The point every other cell of its group is compared with, in the same round.
BASELINE = {"executor": "sequential", "workers": 1}
#: The parameter that counts parallel workers (efficiency = speedup / workers).
PARALLELISM = "workers"


def capacity_bound(params):
    """True where the machine's core count, not waiting, limits the speedup."""
    return params["workload"] in workloads.CPU_BOUND


_ALL = ["thread", "thread_pool", "process", "process_pool"]
_THREADS = ["thread", "thread_pool"]
_PROCS = ["process", "process_pool"]
PROFILES = {
    "quick": Profile(
        repeat=3,
        timeout_s=60,
        grid=[
            {"workload": ["cpu_python"], "tasks": [4], "task_size": [400], "executor": _ALL, "workers": [2]},
            {"workload": ["c_hash"], "tasks": [4], "task_size": [32], "executor": _ALL, "workers": [2]},
            {
                "workload": ["sleep_io"],
                "tasks": [16],
                "task_size": [10],
                "executor": _THREADS,
                "workers": [2, 8],
            },
            {
                "workload": ["socket_io"],
                "tasks": [16],
                "task_size": [4],
                "executor": _THREADS,
                "workers": [8],
            },
        ],
    ),
    # Sized for this project's 2-core machine: a round of all four groups takes ~10 s quiet, so the
    # 90 s budget runs the 6 rounds an interval needs and gives the rest to the CPU-bound groups,
    # whose ratios the machine's drift makes the least precise. Workers 1 of each executor and
    # 4, 16 threads on I/O are in the full profile.
    "default": Profile(
        budget_s=90,
        timeout_s=90,
        grid=[
            {
                "workload": ["cpu_python"],
                "tasks": [8],
                "task_size": [400],
                "executor": _ALL,
                "workers": [2, 4],
            },
            {"workload": ["c_hash"], "tasks": [8], "task_size": [32], "executor": _ALL, "workers": [2, 4]},
            {
                "workload": ["sleep_io"],
                "tasks": [32],
                "task_size": [5],
                "executor": _THREADS,
                "workers": [2, 8, 32],
            },
            {"workload": ["sleep_io"], "tasks": [32], "task_size": [5], "executor": _PROCS, "workers": [2]},
            {
                "workload": ["socket_io"],
                "tasks": [32],
                "task_size": [3],
                "executor": _THREADS,
                "workers": [2, 8, 32],
            },
            {"workload": ["socket_io"], "tasks": [32], "task_size": [3], "executor": _PROCS, "workers": [2]},
        ],
    ),
    "full": Profile(
        budget_s=360,
        timeout_s=180,
        grid=[
            {
                "workload": ["cpu_python"],
                "tasks": [16],
                "task_size": [50, 600, 2000],
                "executor": _ALL,
                "workers": [1, 2, 3, 4, 8, 16],
            },
            {
                "workload": ["c_hash"],
                "tasks": [16],
                "task_size": [4, 48, 128],
                "executor": _ALL,
                "workers": [1, 2, 3, 4, 8, 16],
            },
            {
                "workload": ["sleep_io"],
                "tasks": [64],
                "task_size": [1, 10, 50],
                "executor": _THREADS,
                "workers": [1, 2, 4, 8, 16, 32, 64],
            },
            {
                "workload": ["sleep_io"],
                "tasks": [64],
                "task_size": [1, 10, 50],
                "executor": _PROCS,
                "workers": [2, 8, 16],
            },
            {
                "workload": ["socket_io"],
                "tasks": [64],
                "task_size": [5, 20],
                "executor": _THREADS,
                "workers": [1, 2, 4, 8, 16, 32, 64],
            },
            {
                "workload": ["socket_io"],
                "tasks": [64],
                "task_size": [5, 20],
                "executor": _PROCS,
                "workers": [2, 8, 16],
            },
        ],
    ),
}


def _run_share(fn, size, count):
    for _ in range(count):
        fn(size)


def _prepare_and_wait(workload, address, seconds):
    workloads.prepare(workload, address)
    time.sleep(seconds)


def _shares(tasks, workers):
    """Tasks per worker for a static split, as even as it can be."""
    return [tasks // workers + (1 if i < tasks % workers else 0) for i in range(workers)]


def run_cell(params, region):
    workload, executor = params["workload"], params["executor"]
    workers, tasks, size = params["workers"], params["tasks"], params["task_size"]
    fn = workloads.WORKLOADS[workload]
    server, address = (None, None)
    if workload == "socket_io":
        server, address = workloads.start_echo_server()
    workloads.prepare(workload, address)
    pool = None
    try:
        if executor == "thread_pool":
            pool = ThreadPoolExecutor(max_workers=workers)
            # A barrier makes the pool start every one of its threads before timing.
            barrier = threading.Barrier(workers)
            list(pool.map(lambda _: barrier.wait(10), range(workers)))
        elif executor == "process_pool":
            pool = ProcessPoolExecutor(max_workers=workers)
            # Busy warm-up tasks force every worker process to start and build its state.
            list(pool.map(_prepare_and_wait, [workload] * workers, [address] * workers, [0.05] * workers))

        with region():
            if executor == "sequential":
                _run_share(fn, size, tasks)
            elif executor in ("thread_pool", "process_pool"):
                for future in [pool.submit(fn, size) for _ in range(tasks)]:
                    future.result()
            else:
                make = threading.Thread if executor == "thread" else multiprocessing.Process
                started = [make(target=_run_share, args=(fn, size, n)) for n in _shares(tasks, workers)]
                for w in started:
                    w.start()
                for w in started:
                    w.join()
                if executor == "process" and any(p.exitcode for p in started):
                    raise RuntimeError(
                        "a worker process failed: exit codes %s" % [p.exitcode for p in started]
                    )
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
        if server is not None:
            workloads.stop_echo_server(server)
    return {"tasks_done": tasks}
