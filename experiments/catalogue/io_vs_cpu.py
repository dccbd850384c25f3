"""I/O-bound versus CPU-bound work on threads, thread pools and processes: what the GIL allows.

Standard library only: runs inside the measured interpreter.
"""

from __future__ import annotations

import functools

from experiments.catalogue.toolkit import executors, workloads
from experiments.spec import INTERVAL_ROUNDS, CellSkipped, Metric, Param, Profile

TITLE = "I/O-bound vs CPU-bound work across the GIL"
EXECUTORS = executors.EXECUTORS
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


# interpreter_pool runs on 3.14+ and is a skipped row (with the reason) before; asyncio runs the
# sync workloads through asyncio.to_thread: overlapping waits, and no help for CPU-bound work.
_ALL = ["thread", "thread_pool", "process", "process_pool", "interpreter_pool"]
# The quick smoke test leaves out what most interpreters would only skip.
_QUICK = ["thread", "thread_pool", "process", "process_pool"]
_THREADS = ["thread", "thread_pool"]
_WAITING = _THREADS + ["asyncio"]
_PROCS = ["process", "process_pool"]
PROFILES = {
    "quick": Profile(
        repeat=3,
        timeout_s=60,
        grid=[
            {
                "workload": ["cpu_python"],
                "tasks": [4],
                "task_size": [400],
                "executor": _QUICK,
                "workers": [2],
            },
            {"workload": ["c_hash"], "tasks": [4], "task_size": [32], "executor": _QUICK, "workers": [2]},
            {
                "workload": ["sleep_io"],
                "tasks": [16],
                "task_size": [10],
                "executor": _WAITING,
                "workers": [2, 8],
            },
            {
                "workload": ["socket_io"],
                "tasks": [16],
                "task_size": [4],
                "executor": _WAITING,
                "workers": [8],
            },
        ],
    ),
    # The budget buys the headline ratios (2 workers) 11-13 rounds on a 2-core machine, where the
    # exact interval of a median narrows from the 2nd..8th to the 3rd..10th of 12 values (README
    # "Default budgets"). Workers 1 of each executor and 4, 16 threads on I/O are in the full profile.
    "default": Profile(
        budget_s=120,
        min_rounds=INTERVAL_ROUNDS,  # advise needs an interval on every panel: Stein's first stage
        timeout_s=90,
        grid=[
            {
                "workload": ["cpu_python"],
                "tasks": [8],
                "task_size": [400],
                "executor": _ALL,
                "workers": [2, 4],
            },
            {
                "workload": ["cpu_python"],
                "tasks": [8],
                "task_size": [400],
                "executor": ["asyncio"],
                "workers": [2],
            },
            {"workload": ["c_hash"], "tasks": [8], "task_size": [32], "executor": _ALL, "workers": [2, 4]},
            {
                "workload": ["c_hash"],
                "tasks": [8],
                "task_size": [32],
                "executor": ["asyncio"],
                "workers": [2],
            },
            {
                "workload": ["sleep_io"],
                "tasks": [32],
                "task_size": [5],
                "executor": _THREADS,
                "workers": [2, 8, 32],
            },
            {"workload": ["sleep_io"], "tasks": [32], "task_size": [5], "executor": _PROCS, "workers": [2]},
            {
                "workload": ["sleep_io"],
                "tasks": [32],
                "task_size": [5],
                "executor": ["asyncio"],
                "workers": [8, 32],
            },
            {
                "workload": ["socket_io"],
                "tasks": [32],
                "task_size": [3],
                "executor": _THREADS,
                "workers": [2, 8, 32],
            },
            {"workload": ["socket_io"], "tasks": [32], "task_size": [3], "executor": _PROCS, "workers": [2]},
            {
                "workload": ["socket_io"],
                "tasks": [32],
                "task_size": [3],
                "executor": ["asyncio"],
                "workers": [8],
            },
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
                "workload": ["cpu_python"],
                "tasks": [16],
                "task_size": [50, 600, 2000],
                "executor": ["asyncio"],
                "workers": [2, 4],
            },
            {
                "workload": ["c_hash"],
                "tasks": [16],
                "task_size": [4, 48, 128],
                "executor": _ALL,
                "workers": [1, 2, 3, 4, 8, 16],
            },
            {
                "workload": ["c_hash"],
                "tasks": [16],
                "task_size": [4, 48, 128],
                "executor": ["asyncio"],
                "workers": [2, 4],
            },
            {
                "workload": ["sleep_io"],
                "tasks": [64],
                "task_size": [1, 10, 50],
                "executor": _WAITING,
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
                "executor": _WAITING,
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


def run_cell(params, region):
    workload, executor = params["workload"], params["executor"]
    reason = executors.unavailable(executor)
    if reason:
        raise CellSkipped(reason)
    server, address = (None, None)
    if workload == "socket_io":
        server, address = workloads.start_echo_server()
    # Every process that runs the tasks builds the workload's state (buffer, server address) first.
    setup = functools.partial(workloads.prepare, workload, address)
    task = executors.Task(
        workloads.WORKLOADS[workload], args=(params["task_size"],), index=False, setup=setup
    )
    try:
        with executors.Runner(executor, params["workers"], task) as run:
            with region():
                run(params["tasks"])
    finally:
        if server is not None:
            workloads.stop_echo_server(server)
    return {"tasks_done": params["tasks"]}
