"""The machine's parallel capacity: the loop throughput of N independent processes against one.

One cell is a probe of three phases of equal length, run by the same N processes: one of them
alone, all N together, another one alone (1, N, 1), so a drift of the machine's speed inside the
probe cancels. Each process spins the io_vs_cpu ``cpu_python`` loop for a fixed time and counts
its iterations; a phase's rate is the sum of its processes' rates, so one process descheduled for
a moment costs the phase a moment, not the phase's whole length as a fixed-work race would.

The harness runs probes at the start and end of a run (phase ``start``/``end``) and, inside every
round of a comparison group whose speedup the cores cap, one per process count the group needs
(phase ``<experiment>:<group>``). Standard library only.
"""

from __future__ import annotations

import multiprocessing
import time

from experiments.catalogue.toolkit.workloads import cpu_python
from experiments.spec import Metric, Param

TITLE = "Parallel capacity of the machine"
PARAMS = {
    "phase": Param(str, help="start or end of the run, or the experiment:group whose round it is part of"),
    "processes": Param(int, minimum=1, maximum=1024, help="independent processes running the loop together"),
    "region_ms": Param(int, minimum=10, maximum=60000, help="length of each of the probe's three phases"),
}
METRICS = (
    Metric("capacity", "ratio", better=0, help="rate of N processes / mean rate of one (the 1, N, 1 phases)"),
    Metric("capacity_low", "ratio", better=0, help="rate of N / the faster of the two single-process phases"),
    Metric(
        "capacity_high", "ratio", better=0, help="rate of N / the slower of the two single-process phases"
    ),
    "loop_rate_hz",
    "loop_ns_per_iter",
    Metric(
        "single_drift_fraction",
        "fraction",
        maximum=float("inf"),
        better=-1,
        help="how far the two single-process phases differ, relative to their mean",
    ),
    "memcpy_gib_s",
)
#: The process counts of a start/end probe are measured in interleaved rounds; no ratios between them.
COMPARE = ("processes",)
BASELINE = {}
#: The harness runs this probe itself (experiments/harness/capacity.py says when, with which profile
#: and how long each phase lasts); ``run`` never measures it as part of the catalogue.
RUN_BY_HARNESS = True
#: Iterations (thousands) between two looks at the clock: ~0.5 ms of work, so a phase ends within
#: a fraction of a percent of its deadline.
CHUNK_KITER = 8
#: Phases of the probes at the start and end of a run; the others are inside a round.
START_END_PHASES = ("start", "end")


def cell_timeout_s(params) -> float:
    """Room for process start-up and three phases on a loaded machine."""
    return 30.0 + 12 * params["region_ms"] / 1000.0 + params["processes"]


def _spin_until(deadline: float) -> tuple:
    """Run the loop until ``deadline`` (time.monotonic): (iterations, seconds it took)."""
    chunks = 0
    start = time.monotonic()
    now = start
    while now < deadline:
        cpu_python(CHUNK_KITER)
        chunks += 1
        now = time.monotonic()
    return chunks * CHUNK_KITER * 1000, now - start


def _slot(phase: int, index: int, processes: int) -> int:
    """Where process ``index`` stores (iterations, seconds) of ``phase`` in the shared array."""
    return 2 * (phase * processes + index)


def _prober(index, phases, barrier, deadlines, results):
    """One of the N processes: in each phase it takes part in, spin until that phase's deadline."""
    processes = len(phases[1])
    for p, active in enumerate(phases):
        barrier.wait()  # the parent has set this phase's deadline
        if index in active:
            slot = _slot(p, index, processes)
            results[slot], results[slot + 1] = _spin_until(deadlines[p])
        barrier.wait()  # every process has finished the phase


def memcpy_gib_s(mib: int = 64, copies: int = 3) -> float:
    """Best-of-N copy rate of a large buffer: the machine's memory speed, for normalising runs."""
    buf = bytearray(mib << 20)
    best = float("inf")
    for _ in range(copies):
        start = time.perf_counter()
        bytes(buf)
        best = min(best, time.perf_counter() - start)
    return mib / 1024.0 / best


def _phase_rate(results, p: int, processes: int, active) -> float:
    """Iterations per second of a phase: the sum of its processes' own rates."""
    rate = 0.0
    for i in active:
        slot = _slot(p, i, processes)
        iterations, seconds = results[slot], results[slot + 1]
        if seconds <= 0:
            raise RuntimeError("a capacity process did not run its phase")
        rate += iterations / seconds
    return rate


def run_cell(params, region):
    n, phase_s = params["processes"], params["region_ms"] / 1000.0
    # Process 0 alone, all N, process N-1 alone: the two single phases use different processes.
    phases = [(0,), tuple(range(n)), (n - 1,)]
    ctx = multiprocessing.get_context()
    barrier = ctx.Barrier(n + 1)
    deadlines = ctx.Array("d", len(phases), lock=False)
    results = ctx.Array("d", 2 * len(phases) * n, lock=False)
    procs = [ctx.Process(target=_prober, args=(i, phases, barrier, deadlines, results)) for i in range(n)]
    for p in procs:
        p.start()
    try:
        with region():
            for p in range(len(phases)):
                deadlines[p] = time.monotonic() + phase_s
                barrier.wait(timeout=60)
                barrier.wait(timeout=60 + phase_s)
    finally:
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
    if any(p.exitcode for p in procs):
        raise RuntimeError("a capacity process failed: exit codes %s" % [p.exitcode for p in procs])
    single_a = _phase_rate(results, 0, n, phases[0])
    many = _phase_rate(results, 1, n, phases[1])
    single_b = _phase_rate(results, 2, n, phases[2])
    single = (single_a + single_b) / 2.0
    metrics = {
        "capacity": many / single,
        "capacity_low": many / max(single_a, single_b),
        "capacity_high": many / min(single_a, single_b),
        "loop_rate_hz": many,
        "loop_ns_per_iter": 1e9 / single,
        "single_drift_fraction": abs(single_a - single_b) / single,
    }
    if params["phase"] in START_END_PHASES:
        # The machine's memory speed, for comparing machines; not needed inside a round.
        metrics["memcpy_gib_s"] = memcpy_gib_s()
    return metrics
