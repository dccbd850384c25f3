"""The machine's parallel capacity: N independent processes of a fixed loop against one.

Run by the harness at the start and end of every run; standard library only.
"""

from __future__ import annotations

import multiprocessing
import time

from experiments.spec import Metric, Param, Profile
from experiments.workloads import cpu_python

NAME = "capacity"
TITLE = "Parallel capacity of the machine"
PARAMS = {
    "phase": Param(str, choices=("start", "end"), help="measured at the start or the end of the run"),
    "processes": Param(int, minimum=1, maximum=1024, help="independent processes running the loop"),
    "loop_kiter": Param(int, minimum=1, help="thousand loop iterations per process"),
}
METRICS = ("loop_rate_hz", "loop_ns_per_iter", "memcpy_gib_s", Metric("work_units", "count"))
COMPARE = ("processes",)
BASELINE = {"processes": 1}
PARALLELISM = "processes"
LOOP_KITER = 3000


def profile(cores: int, rounds: int, phase: str) -> Profile:
    """The capacity grid for a machine with ``cores`` usable cores."""
    grid = [{"phase": [phase], "processes": list(range(1, cores + 1)), "loop_kiter": [LOOP_KITER]}]
    return Profile(grid=grid, repeat=rounds, timeout_s=60)


def _spin(ready, go, kiter):
    ready.wait()
    go.wait()
    cpu_python(kiter)


def memcpy_gib_s(mib: int = 64, copies: int = 3) -> float:
    """Best-of-N copy rate of a large buffer: the machine's memory speed, for normalising runs."""
    buf = bytearray(mib << 20)
    best = float("inf")
    for _ in range(copies):
        start = time.perf_counter()
        bytes(buf)
        best = min(best, time.perf_counter() - start)
    return mib / 1024.0 / best


def run_cell(params, region):
    n, kiter = params["processes"], params["loop_kiter"]
    ctx = multiprocessing.get_context()
    ready, go = ctx.Barrier(n + 1), ctx.Barrier(n + 1)
    procs = [ctx.Process(target=_spin, args=(ready, go, kiter)) for _ in range(n)]
    for p in procs:
        p.start()
    ready.wait()
    # Every process has started and waits at ``go``: the region times only the loops.
    with region() as timing:
        go.wait()
        for p in procs:
            p.join()
    if any(p.exitcode for p in procs):
        raise RuntimeError("a capacity process failed: exit codes %s" % [p.exitcode for p in procs])
    metrics = {"loop_rate_hz": n * kiter * 1000 / timing.wall_s, "work_units": n}
    if n == 1:
        # The single-process figures are the machine's speed, measured in every round.
        metrics["loop_ns_per_iter"] = timing.wall_s / (kiter * 1000) * 1e9
        metrics["memcpy_gib_s"] = memcpy_gib_s()
    return metrics
