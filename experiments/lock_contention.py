"""Threads updating one shared counter with and without a lock: race conditions, lock cost, fairness.

Standard library only: runs inside the measured interpreter.
"""

from __future__ import annotations

import sys
import threading
import time

from experiments.sampling import quantile
from experiments.spec import Metric, Param, ParamError, Profile

NAME = "lock_contention"
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
    "ops": Param(int, minimum=1, maximum=10**8, help="updates in total, split evenly over the threads"),
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
)
#: Every primitive is compared, round by round, with no lock at the same other parameters, so
#: ``speedup`` (none wall / this wall) is the lock's slowdown measured under the same machine load.
COMPARE = ("primitive",)
BASELINE = {"primitive": "none"}
#: One op in SAMPLE_EVERY[pattern] times its acquire (two perf_counter calls and an append, ~100 ns).
#: A counter op costs a few hundred ns, so one in 32 keeps the overhead near 3 ns per op; a
#: fake_database op sleeps, costing microseconds, so every op is timed. The "none" cell makes the
#: same calls around nothing, so the ratio against it holds the sampling overhead on both sides.
SAMPLE_EVERY = {"counter": 32, "fake_database": 1}


def _block(
    threads, primitives, pattern="counter", work=("inside",), work_iters=10, switch_ms=(5.0,), ops=50000
):
    """One grid block; ``work_iters`` and ``ops`` are single values, the rest lists."""
    return {
        "threads": list(threads),
        "primitive": list(primitives),
        "pattern": [pattern],
        "work": list(work),
        "work_iters": [work_iters],
        "switch_interval_ms": list(switch_ms),
        "ops": [ops],
    }


_BOTH = ("inside", "outside")
_SWEEP = (5.0, 0.5, 0.05)
# Every group also gets its "none" cell (BASELINE). At the default 5 ms switch interval a GIL thread
# runs ~15k counter ops per turn, so a cell needs ~100k ops before threads take turns at all; the
# shorter intervals interleave sooner and get by with fewer.
PROFILES = {
    "quick": Profile(
        repeat=3,
        timeout_s=30,
        grid=[
            _block([1, 4], PRIMITIVES, ops=40000),
            _block([4], ["Lock"], "fake_database", work_iters=0, ops=1000),
        ],
    ),
    "default": Profile(
        budget_s=25,
        timeout_s=60,
        grid=[
            _block([1, 4], PRIMITIVES, ops=100000),
            _block([4], ["Lock"], work=["outside"], ops=100000),
            _block([2, 8], ["Lock"], ops=100000),
            _block([4], ["Lock"], switch_ms=(0.5, 0.05)),
            _block([4], ["Lock"], "fake_database", work_iters=0, switch_ms=(5.0, 0.05), ops=1000),
        ],
    ),
    "full": Profile(
        budget_s=100,
        timeout_s=120,
        grid=[
            _block([1, 2, 4, 8], PRIMITIVES, work=_BOTH, switch_ms=_SWEEP, ops=100000),
            _block([4], PRIMITIVES, work=_BOTH, work_iters=100, switch_ms=_SWEEP, ops=100000),
            _block([1, 2, 4, 8], PRIMITIVES, "fake_database", work_iters=0, switch_ms=_SWEEP, ops=4000),
        ],
    ),
}


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


def _shares(ops, threads):
    return [ops // threads + (1 if i < ops % threads else 0) for i in range(threads)]


class _Shared:
    """What the threads of one cell share; each thread writes only its own slot of the lists."""

    def __init__(self, params, threads):
        self.lock = make_primitive(params["primitive"])
        self.db = FakeDatabase()
        self.inside = params["work"] == "inside"
        self.work_iters = params["work_iters"]
        self.fake = params["pattern"] == "fake_database"
        self.progress = [0] * threads
        self.waits = [[] for _ in range(threads)]
        self.start = threading.Barrier(threads + 1)
        self.snapshot_lock = threading.Lock()
        self.snapshot = None


def _updater(index, share, s):
    db, progress, waits = s.db, s.progress, s.waits[index]
    locked = s.lock is not None
    acquire = s.lock.acquire if locked else None
    release = s.lock.release if locked else None
    work_in = s.work_iters if s.inside else 0
    work_out = 0 if s.inside else s.work_iters
    fake = s.fake
    clock, sleep = time.perf_counter, time.sleep
    mask = SAMPLE_EVERY["fake_database" if fake else "counter"] - 1
    s.start.wait()
    for n in range(share):
        if work_out:
            for _ in range(work_out):
                pass
        if n & mask:
            if locked:
                acquire()
        else:
            progress[index] = n
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
    progress[index] = share
    with s.snapshot_lock:
        if s.snapshot is None:
            s.snapshot = list(progress)


def jain_index(values) -> float:
    """Jain's fairness index: 1 when all values are equal, 1/n when one value holds everything."""
    total = sum(values)
    squares = sum(v * v for v in values)
    return 1.0 if squares == 0 else total * total / (len(values) * squares)


def run_cell(params, region):
    threads, ops = params["threads"], params["ops"]
    shares = _shares(ops, threads)
    if min(shares) < 1:
        raise ParamError("ops=%d gives some of the %d threads nothing to do" % (ops, threads))
    s = _Shared(params, threads)
    workers = [threading.Thread(target=_updater, args=(i, shares[i], s), daemon=True) for i in range(threads)]
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(params["switch_interval_ms"] / 1000.0)
    try:
        for w in workers:
            w.start()
        with region() as timing:
            s.start.wait()
            for w in workers:
                w.join()
    finally:
        sys.setswitchinterval(old_interval)
    if s.progress != shares:
        raise RuntimeError("an updater thread stopped early: progress %s of shares %s" % (s.progress, shares))
    metrics = {
        "throughput_ops_s": ops / timing.wall_s,
        "cost_per_op_ns": timing.wall_s / ops * 1e9,
        "lost_updates": ops - s.db.value,
        "lost_update_fraction": (ops - s.db.value) / ops,
        # Fairness is read when the first thread finishes its share: each thread's fraction of its own
        # share done by then. Equal progress gives 1.0; one thread running alone to the end gives
        # 1/threads. Progress is recorded when an acquire is sampled, which bounds the resolution.
        "jain_fairness": jain_index([p / n for p, n in zip(s.snapshot, shares)]),
        "slowest_thread_fraction": min(p / n for p, n in zip(s.snapshot, shares)),
    }
    if s.lock is not None:
        waits = sorted(w for per_thread in s.waits for w in per_thread)
        metrics.update(
            acquire_wait_p50_us=quantile(waits, 0.5) * 1e6,
            acquire_wait_p99_us=quantile(waits, 0.99) * 1e6,
            acquire_samples=len(waits),
        )
    return metrics
