"""Barrier release skew, a Semaphore-limited pool, Event wake-up latency and daemon threads at exit.

Standard library only: runs inside the measured interpreter.
"""

from __future__ import annotations

import math
import subprocess
import sys
import threading
import time

from experiments.catalogue.toolkit.sampling import quantile
from experiments.spec import Metric, Param, ParamError, Profile

TITLE = "Barrier, Semaphore, Event and daemon threads, measured"
OBJECTS = ("barrier", "semaphore", "event", "daemon_exit")
PARAMS = {
    "object": Param(str, choices=OBJECTS, help="the synchronization object measured"),
    "threads": Param(
        int, minimum=1, maximum=512, help="barrier parties, event waiters, pool tasks, threads left at exit"
    ),
    "permits": Param(int, minimum=1, maximum=512, allow_none=True, help="semaphore: k of Semaphore(k)"),
    "cycles": Param(
        int, minimum=1, maximum=10000, allow_none=True, help="barrier cycles, event wake-ups, exits timed"
    ),
    "sleep_ms": Param(
        float,
        minimum=0.0,
        maximum=10000.0,
        allow_none=True,
        help="semaphore task I/O; the exiting thread's sleep",
    ),
    "daemon": Param(bool, allow_none=True, help="daemon_exit: the sleeping thread is a daemon thread"),
}
#: Each cell returns only the metrics of its object; the others stay empty in its CSV row.
METRICS = (
    Metric("barrier_skew_p50_us", "us", samples="cycles"),
    Metric("barrier_skew_max_us", "us", samples="cycles"),
    Metric("barrier_passes", "count"),
    "throughput_tasks_s",
    "ideal_throughput_tasks_s",
    Metric("throughput_vs_ideal", "ratio"),
    Metric("max_concurrency", "count"),
    Metric("wake_latency_p50_us", "us", samples="wake_samples"),
    Metric("wake_latency_p99_us", "us", samples="wake_samples"),
    Metric("wake_samples", "count"),
    "exit_delay_ms",
    Metric("exit_delay_max_ms", "ms", samples="cycles"),
)
#: Which parameters each object uses; the rest must be none, so a CSV row never shows a setting
#: that had no effect.
USES = {
    "barrier": ("threads", "cycles"),
    "semaphore": ("threads", "permits", "sleep_ms"),
    "event": ("threads", "cycles"),
    "daemon_exit": ("threads", "cycles", "sleep_ms", "daemon"),
}
#: How long the event cell lets its waiters settle into wait() before set(), so a wake is timed.
EVENT_SETTLE_S = 0.002
#: A barrier that is not released within this time is broken, so a lost thread cannot hang the cell.
BARRIER_TIMEOUT_S = 10.0


def _block(obj, threads, permits=(None,), cycles=None, sleep_ms=None, daemon=(None,)):
    """One grid block for one object; parameters it does not use stay none."""
    return {
        "object": [obj],
        "threads": list(threads),
        "permits": list(permits),
        "cycles": [cycles],
        "sleep_ms": [sleep_ms],
        "daemon": list(daemon),
    }


_BOTH = (True, False)
PROFILES = {
    "quick": Profile(
        repeat=3,
        timeout_s=30,
        grid=[
            _block("barrier", [4], cycles=200),
            _block("semaphore", [8], permits=[1, 4], sleep_ms=10.0),
            _block("event", [4], cycles=20),
            _block("daemon_exit", [1], cycles=1, sleep_ms=100.0, daemon=_BOTH),
        ],
    ),
    "default": Profile(
        budget_s=15,
        timeout_s=60,
        grid=[
            _block("barrier", [2, 4, 8], cycles=500),
            _block("semaphore", [16], permits=[1, 2, 4, 8, 16], sleep_ms=10.0),
            _block("event", [1, 4, 8], cycles=50),
            _block("daemon_exit", [1], cycles=2, sleep_ms=200.0, daemon=_BOTH),
        ],
    ),
    "full": Profile(
        budget_s=60,
        timeout_s=120,
        grid=[
            _block("barrier", [2, 4, 8, 16, 32], cycles=1000),
            _block("semaphore", [32], permits=[1, 2, 4, 8, 16, 32, 64], sleep_ms=10.0),
            _block("event", [1, 2, 4, 8, 16, 32], cycles=100),
            _block("daemon_exit", [1, 8], cycles=3, sleep_ms=500.0, daemon=_BOTH),
        ],
    ),
}


def check_params(params) -> None:
    """Reject a cell whose object lacks a parameter it needs or carries one it ignores."""
    uses = USES[params["object"]]
    for name in PARAMS:
        if name == "object":
            continue
        if name in uses and params[name] is None:
            raise ParamError("object=%s needs %s" % (params["object"], name))
        if name not in uses and params[name] is not None:
            raise ParamError("object=%s does not use %s; set it to none" % (params["object"], name))


def _start_all(threads):
    for t in threads:
        t.start()


def run_barrier(params, region):
    """Threads meet at one Barrier ``cycles`` times; skew is first-to-last past it, per cycle."""
    parties, cycles = params["threads"], params["cycles"]
    barrier = threading.Barrier(parties, timeout=BARRIER_TIMEOUT_S)
    start = threading.Barrier(parties + 1)
    passed = [[0.0] * cycles for _ in range(parties)]
    broken = []

    def party(index):
        mine, clock = passed[index], time.perf_counter
        start.wait()
        try:
            for c in range(cycles):
                barrier.wait()
                mine[c] = clock()
        except threading.BrokenBarrierError:
            broken.append(index)

    workers = [threading.Thread(target=party, args=(i,), daemon=True) for i in range(parties)]
    _start_all(workers)
    with region():
        start.wait()
        for w in workers:
            w.join()
    if broken:
        raise RuntimeError("the barrier broke for parties %s" % sorted(broken))
    skews = sorted(max(p[c] for p in passed) - min(p[c] for p in passed) for c in range(cycles))
    return {
        "barrier_skew_p50_us": quantile(skews, 0.5) * 1e6,
        "barrier_skew_max_us": skews[-1] * 1e6,
        "barrier_passes": sum(1 for p in passed for t in p if t > 0.0),
    }


def run_semaphore(params, region):
    """One thread per I/O task; a Semaphore(k) lets at most k of them sleep at once."""
    tasks, permits, task_s = params["threads"], params["permits"], params["sleep_ms"] / 1000.0
    semaphore = threading.Semaphore(permits)
    count_lock = threading.Lock()
    state = {"active": 0, "peak": 0}
    start = threading.Barrier(tasks + 1)

    def task():
        start.wait()
        with semaphore:
            with count_lock:
                state["active"] += 1
                state["peak"] = max(state["peak"], state["active"])
            time.sleep(task_s)
            with count_lock:
                state["active"] -= 1

    workers = [threading.Thread(target=task, daemon=True) for _ in range(tasks)]
    _start_all(workers)
    with region() as timing:
        start.wait()
        for w in workers:
            w.join()
    # Waves of min(k, tasks) tasks, each wave one task long: the best any k-limited pool can do.
    ideal = tasks / (math.ceil(tasks / min(permits, tasks)) * task_s) if task_s > 0 else None
    measured = tasks / timing.wall_s
    out = {"throughput_tasks_s": measured, "max_concurrency": state["peak"]}
    if ideal is not None:
        out.update(ideal_throughput_tasks_s=ideal, throughput_vs_ideal=measured / ideal)
    return out


def run_event(params, region):
    """Waiters block on an Event; latency runs from set() to each waiter's return from wait()."""
    waiters, cycles = params["threads"], params["cycles"]
    event = threading.Event()
    ready = threading.Barrier(waiters + 1)
    woke = threading.Barrier(waiters + 1)
    set_at = [0.0] * cycles
    samples = [[] for _ in range(waiters)]

    def waiter(index):
        mine, clock = samples[index], time.perf_counter
        for c in range(cycles):
            ready.wait()
            entered = clock()
            event.wait()
            mine.append((c, entered, clock()))
            woke.wait()

    workers = [threading.Thread(target=waiter, args=(i,), daemon=True) for i in range(waiters)]
    _start_all(workers)
    with region():
        for c in range(cycles):
            ready.wait()
            time.sleep(EVENT_SETTLE_S)
            set_at[c] = time.perf_counter()
            event.set()
            woke.wait()
            event.clear()
        for w in workers:
            w.join()
    # A waiter that reached wait() only after set() did not sleep and was not woken: not a sample.
    latencies = sorted(done - set_at[c] for per in samples for c, entered, done in per if entered < set_at[c])
    if not latencies:
        raise RuntimeError("no waiter was blocked in wait() when the event was set")
    return {
        "wake_latency_p50_us": quantile(latencies, 0.5) * 1e6,
        "wake_latency_p99_us": quantile(latencies, 0.99) * 1e6,
        "wake_samples": len(latencies),
    }


#: The child starts sleeping threads and ends its main thread at once; non-daemon threads keep
#: the interpreter alive until they finish, daemon threads are abandoned at exit.
_EXITING_CHILD = r"""
import sys, threading, time
for _ in range(%d):
    threading.Thread(target=time.sleep, args=(%r,), daemon=%r).start()
sys.stdout.write("main done\n")
sys.stdout.flush()
"""


def run_daemon_exit(params, region):
    """Time from a child's main thread finishing to the child process having exited."""
    # Timed in this process between two events of the child (its line on the pipe, its exit),
    # so no clock is compared across processes.
    code = _EXITING_CHILD % (params["threads"], params["sleep_ms"] / 1000.0, params["daemon"])
    delays = []
    with region():
        for _ in range(params["cycles"]):
            # -S skips site for a faster start; the environment (PYTHON_GIL) is passed on unchanged.
            child = subprocess.Popen([sys.executable, "-S", "-c", code], stdout=subprocess.PIPE)
            line = child.stdout.readline()
            main_done = time.perf_counter()
            rc = child.wait()
            delays.append(time.perf_counter() - main_done)
            child.stdout.close()
            if rc != 0 or line.strip() != b"main done":
                raise RuntimeError("the exiting child failed: exit code %s, said %r" % (rc, line))
    delays.sort()
    return {"exit_delay_ms": quantile(delays, 0.5) * 1e3, "exit_delay_max_ms": delays[-1] * 1e3}


RUNNERS = {
    "barrier": run_barrier,
    "semaphore": run_semaphore,
    "event": run_event,
    "daemon_exit": run_daemon_exit,
}


def run_cell(params, region):
    check_params(params)
    return RUNNERS[params["object"]](params, region)
