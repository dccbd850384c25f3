"""Threads updating one shared counter with and without a lock: race conditions, lock cost, fairness.

Every thread updates the shared value as fast as it can until the region ends; the region lasts
``turns_per_thread`` switch intervals per thread (threads x switch interval x turns, at least
MIN_REGION_S).  So each thread gets many GIL turns and the fairness of the per-thread update
counts measures how the lock shares the work, not which thread the GIL happened to run first:
with a fixed number of updates instead, a thread finishes its share inside its first switch
interval (a turn is ~15k counter updates at 5 ms) and the others have done nothing yet.
Standard library only: runs inside the measured interpreter.
"""

from __future__ import annotations

import sys
import threading
import time

from experiments.catalogue.toolkit.sampling import quantile
from experiments.spec import Metric, Param, Profile

TITLE = "Race conditions and the cost and fairness of Lock, RLock and Semaphore"
PRIMITIVES = ("none", "Lock", "RLock", "Semaphore")
PARAMS = {
    "threads": Param(int, minimum=1, maximum=64, help="threads updating the shared value"),
    "primitive": Param(str, choices=PRIMITIVES, help="what guards the update (Semaphore means Semaphore(1))"),
    "pattern": Param(
        str,
        choices=("counter", "fake_database"),
        help="counter: value += 1; fake_database: the tutorial's read, sleep(0), write back",
    ),
    "work": Param(str, choices=("inside", "outside"), help="each op's work runs in the lock or before it"),
    "work_iters": Param(int, minimum=0, maximum=100000, help="pure-Python loop iterations of work per op"),
    "switch_interval_ms": Param(float, minimum=0.001, maximum=1000.0, help="sys.setswitchinterval, in ms"),
    "turns_per_thread": Param(
        int,
        minimum=1,
        maximum=10**4,
        help="the region lasts this many switch intervals per thread (threads x switch interval x this)",
    ),
}
METRICS = (
    "throughput_ops_s",
    "cost_per_op_ns",
    Metric("lost_updates", "count", better=-1, help="expected final count minus the final count"),
    Metric("lost_update_fraction", "fraction", better=-1),
    Metric("acquire_wait_p50_us", "us", samples="acquire_samples"),
    Metric("acquire_wait_p99_us", "us", samples="acquire_samples"),
    Metric("acquire_samples", "count"),
    Metric("jain_fairness", "fraction", better=+1, help="Jain's index of the threads' progress"),
    Metric("slowest_thread_fraction", "fraction", better=+1),
    Metric("updates", "count", help="updates the threads made in the region"),
    "region_target_s",
    Metric("work_units", "count"),
)
#: Every primitive is compared, round by round, with no lock at the same other parameters, so
#: ``speedup`` (updates per second against the no-lock cell's, through ``work_units``) is the
#: lock's slowdown measured under the same machine load.
COMPARE = ("primitive",)
BASELINE = {"primitive": "none"}
#: One op in SAMPLE_EVERY[pattern] times its acquire (two perf_counter calls and an append, ~100 ns).
#: A counter op costs a few hundred ns, so one in 32 keeps the overhead near 3 ns per op; a
#: fake_database op sleeps, costing microseconds, so every op is timed. The "none" cell makes the
#: same calls around nothing, so the ratio against it holds the sampling overhead on both sides.
SAMPLE_EVERY = {"counter": 32, "fake_database": 1}
#: The shortest region: 50 ms is ~50-100k counter updates (with 10 iterations of work each) or ~500
#: fake_database ones (each sleeps), enough for the throughput and the acquire-wait p99; a single
#: thread, which takes no turns, gets just this.
MIN_REGION_S = 0.05


def _block(
    threads, primitives, pattern="counter", work=("inside",), work_iters=10, switch_ms=(5.0,), turns=20
):
    """One grid block; ``work_iters`` and ``turns`` are single values, the rest lists."""
    return {
        "threads": list(threads),
        "primitive": list(primitives),
        "pattern": [pattern],
        "work": list(work),
        "work_iters": [work_iters],
        "switch_interval_ms": list(switch_ms),
        "turns_per_thread": [turns],
    }


_BOTH = ("inside", "outside")
_SWEEP = (5.0, 0.5, 0.05)
# Every group also gets its "none" cell (BASELINE).  20 turns per thread: a thread that got one
# turn more or fewer than the others moves the Jain index by ~1/400, below the round-to-round
# noise, while 4 threads at the default 5 ms still cost only 0.4 s per cell.  Worker start-up is
# a large share of each cell, so the default profile is kept to 13 cells: RLock (which costs what
# Lock does) only uncontended, and 2 and 8 threads and work outside the lock are left to the full
# profile (8 threads at 5 ms alone would cost 0.8 s per cell).  A fake_database update sleeps, so
# its threads already alternate at every update: 3 turns (60 ms, hundreds of locked updates) are
# plenty there.
PROFILES = {
    "quick": Profile(
        repeat=3,
        timeout_s=30,
        grid=[
            _block([1, 4], PRIMITIVES, switch_ms=(0.5,), turns=10),
            _block([4], ["Lock"], "fake_database", work_iters=0, turns=3),
        ],
    ),
    "default": Profile(
        budget_s=20,
        timeout_s=60,
        grid=[
            _block([1], PRIMITIVES),
            _block([4], ["Lock", "Semaphore"]),
            _block([4], ["Lock"], switch_ms=(0.5, 0.05)),
            _block([4], ["Lock"], "fake_database", work_iters=0, turns=3),
        ],
    ),
    "full": Profile(
        budget_s=100,
        timeout_s=120,
        grid=[
            _block([1, 2, 4, 8], PRIMITIVES, work=_BOTH, switch_ms=_SWEEP),
            _block([4], PRIMITIVES, work=_BOTH, work_iters=100, switch_ms=_SWEEP),
            _block([1, 2, 4, 8], PRIMITIVES, "fake_database", work_iters=0, switch_ms=_SWEEP, turns=3),
        ],
    ),
}


def region_s(params: dict) -> float:
    """How long a cell's threads update: ``turns_per_thread`` switch intervals each, at least MIN_REGION_S."""
    turns = params["turns_per_thread"] * params["switch_interval_ms"] / 1000.0
    return max(MIN_REGION_S, turns * params["threads"] if params["threads"] > 1 else 0.0)


class FakeDatabase:
    """The tutorial's shared record: ``value`` is read, changed and written back by every thread."""

    def __init__(self):
        self.value = 0


def make_primitive(name: str):
    """The lock guarding the update, or None for no lock."""
    if name == "none":
        return None
    if name == "Semaphore":
        return threading.Semaphore(1)
    return {"Lock": threading.Lock, "RLock": threading.RLock}[name]()


class _Shared:
    """What the threads of one cell share; each thread writes only its own slot of the lists."""

    def __init__(self, params, threads):
        self.lock = make_primitive(params["primitive"])
        self.db = FakeDatabase()
        self.inside = params["work"] == "inside"
        self.work_iters = params["work_iters"]
        self.fake = params["pattern"] == "fake_database"
        self.updates = [None] * threads
        self.waits = [[] for _ in range(threads)]
        self.start = threading.Barrier(threads + 1)
        self.stop = [False]


def _updater(index, s):
    db, waits, stop = s.db, s.waits[index], s.stop
    locked = s.lock is not None
    acquire = s.lock.acquire if locked else None
    release = s.lock.release if locked else None
    work_in = s.work_iters if s.inside else 0
    work_out = 0 if s.inside else s.work_iters
    fake = s.fake
    clock, sleep = time.perf_counter, time.sleep
    mask = SAMPLE_EVERY["fake_database" if fake else "counter"] - 1
    n = 0
    s.start.wait()
    while True:
        if work_out:
            for _ in range(work_out):
                pass
        if n & mask:
            if locked:
                acquire()
        else:
            # The stop flag is read on sampled ops only, so its cost is in the sampling's share.
            if stop[0]:
                break
            t0 = clock()
            if locked:
                acquire()
            waits.append(clock() - t0)
        if work_in:
            for _ in range(work_in):
                pass
        if fake:
            # The tutorial's FakeDatabase.update: sleep(0) lets another thread run between read and write.
            local_copy = db.value
            local_copy += 1
            sleep(0)
            db.value = local_copy
        else:
            db.value += 1
        if locked:
            release()
        n += 1
    s.updates[index] = n


def jain_index(values) -> float:
    """Jain's fairness index: 1 when all values are equal, 1/n when one value holds everything."""
    total = sum(values)
    squares = sum(v * v for v in values)
    return 1.0 if squares == 0 else total * total / (len(values) * squares)


def run_cell(params, region):
    threads = params["threads"]
    s = _Shared(params, threads)
    workers = [threading.Thread(target=_updater, args=(i, s), daemon=True) for i in range(threads)]
    duration = region_s(params)
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(params["switch_interval_ms"] / 1000.0)
    try:
        for w in workers:
            w.start()
        with region() as timing:
            s.start.wait()
            time.sleep(duration)
            s.stop[0] = True
            for w in workers:
                w.join()
    finally:
        sys.setswitchinterval(old_interval)
    if None in s.updates:
        raise RuntimeError("an updater thread did not finish: updates %s" % s.updates)
    done = sum(s.updates)
    mean = done / threads
    metrics = {
        "throughput_ops_s": done / timing.wall_s,
        "cost_per_op_ns": timing.wall_s / done * 1e9 if done else None,
        "lost_updates": done - s.db.value,
        "lost_update_fraction": (done - s.db.value) / done if done else None,
        # Fairness of the whole region: each thread's updates. Equal counts give 1.0; one thread doing
        # everything gives 1/threads.
        "jain_fairness": jain_index(s.updates),
        "slowest_thread_fraction": min(s.updates) / mean if mean else None,
        "updates": done,
        "region_target_s": duration,
        "work_units": done,
    }
    if s.lock is not None:
        waits = sorted(w for per_thread in s.waits for w in per_thread)
        metrics.update(
            acquire_wait_p50_us=quantile(waits, 0.5) * 1e6,
            acquire_wait_p99_us=quantile(waits, 0.99) * 1e6,
            acquire_samples=len(waits),
        )
    return metrics
