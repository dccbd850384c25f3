"""Deadlock made safe to measure: opposite lock order and Lock re-entry, caught by a timeout.

With ``detection=timeout`` every blocking acquire carries ``acquire(timeout=...)``: the cell sees the
deadlock, backs off and finishes. With ``detection=none`` the acquire blocks for ever, as in the
tutorial, and the harness's wall-clock limit (``cell_timeout_s``) kills the worker: a ``timeout`` row,
never a hung suite. Standard library only: runs inside the measured interpreter.
"""

from __future__ import annotations

import threading
import time

from experiments.spec import Metric, Param, ParamError, Profile

TITLE = "Deadlock: opposite lock order and Lock re-entry, detected by timeout"
SCENARIOS = ("lock_order", "same_order", "lock_reentry", "rlock_reentry")
PARAMS = {
    "scenario": Param(
        str,
        choices=SCENARIOS,
        help="two threads taking two locks in opposite or the same order; a Lock or RLock taken twice",
    ),
    "detection": Param(
        str, choices=("timeout", "none"), help="acquire(timeout=timeout_ms) or block for ever"
    ),
    "timeout_ms": Param(
        float, minimum=0.1, maximum=60000.0, allow_none=True, help="acquire timeout; none without detection"
    ),
}
METRICS = (
    Metric("detected", "flag", help="an acquire timed out: the deadlock was seen from inside"),
    "time_to_detect_ms",
    Metric("recovered", "flag", better=+1, help="the threads backed off and finished"),
    Metric("completed", "flag", better=+1),
    Metric("acquire_attempts", "count"),
    "recovery_ms",
)
#: Scenarios are interleaved round by round under the same detection setting; there is no
#: baseline, so no ratios: the figures are absolute.
COMPARE = ("scenario",)
BASELINE = {}
#: Cells that deadlock when nothing detects it: the harness's time limit ends them, and that
#: ``expected_timeout`` is their result.
HANGS = (
    {"scenario": "lock_order", "detection": "none"},
    {"scenario": "lock_reentry", "detection": "none"},
)
#: The wall-clock limit of a cell that is meant to hang: far longer than any deadlock-free cell here
#: needs (tens of ms after start-up), short enough to keep a hung cell cheap.
HANG_TIMEOUT_S = 1.0
#: Attempts per thread before giving up on recovery.
MAX_ATTEMPTS = 5


def cell_timeout_s(params) -> float:
    """The harness's wall-clock limit for a cell that is not meant to hang (HANG_TIMEOUT_S is)."""
    timeout_s = (params["timeout_ms"] or 0.0) / 1000.0
    return 10.0 + 2 * MAX_ATTEMPTS * timeout_s


def _block(scenarios, detection, timeouts):
    return {"scenario": list(scenarios), "detection": [detection], "timeout_ms": list(timeouts)}


# cell_timeout_s replaces the profiles' timeout_s for every cell of this experiment. In the
# detection=none block a scenario that cannot hang comes first, so the one unrecorded warm-up run
# the harness makes per group does not spend a whole hang limit.
PROFILES = {
    "quick": Profile(
        repeat=3,
        timeout_s=15,
        grid=[
            _block(SCENARIOS, "timeout", [20.0]),
            _block(["rlock_reentry", "lock_order"], "none", [None]),
        ],
    ),
    "default": Profile(
        budget_s=10,
        timeout_s=20,
        grid=[
            _block(SCENARIOS, "timeout", [10.0, 100.0]),
            _block(["rlock_reentry", "same_order", "lock_order", "lock_reentry"], "none", [None]),
        ],
    ),
    "full": Profile(
        budget_s=40,
        timeout_s=30,
        grid=[
            _block(SCENARIOS, "timeout", [1.0, 10.0, 100.0, 500.0]),
            _block(["rlock_reentry", "same_order", "lock_order", "lock_reentry"], "none", [None]),
        ],
    ),
}


class _Log:
    """What the threads of one cell record; list appends are atomic with or without the GIL."""

    def __init__(self):
        self.blocked_at = []  # perf_counter when a thread began waiting for a lock it then did not get
        self.detected_at = []  # perf_counter when that acquire gave up
        self.done_at = []  # perf_counter when a thread finished its critical section
        self.attempts = []


def _acquire(lock, timeout_s):
    return lock.acquire() if timeout_s is None else lock.acquire(timeout=timeout_s)


def _two_locks(index, first, second, meet, timeout_s, log):
    """Take ``first`` then ``second``; on a timeout let go of ``first``, back off and try again."""
    clock = time.perf_counter
    for attempt in range(MAX_ATTEMPTS):
        log.attempts.append(index)
        first.acquire()
        if meet is not None and attempt == 0:
            # Both threads hold their first lock before either asks for its second: with opposite
            # orders the deadlock is certain, not a matter of scheduling luck.
            meet.wait()
        started = clock()
        if _acquire(second, timeout_s):
            log.done_at.append(clock())
            second.release()
            first.release()
            return
        log.blocked_at.append(started)
        log.detected_at.append(clock())
        first.release()
        # Back-offs differ per thread, so the retries do not collide again.
        time.sleep(timeout_s * (index + 1) / 2)


def _reentry(lock, timeout_s, log):
    """Re-acquire a lock this thread already holds, as a nested call into locked code would."""
    clock = time.perf_counter
    log.attempts.append(0)
    lock.acquire()
    started = clock()
    if _acquire(lock, timeout_s):
        log.done_at.append(clock())
        lock.release()
    else:
        log.blocked_at.append(started)
        log.detected_at.append(clock())
    lock.release()


def check_params(params) -> None:
    """A timeout needs a value; no detection takes none."""
    if params["detection"] == "timeout" and params["timeout_ms"] is None:
        raise ParamError("detection=timeout needs timeout_ms")
    if params["detection"] == "none" and params["timeout_ms"] is not None:
        raise ParamError("detection=none takes timeout_ms=none")


def run_cell(params, region):
    check_params(params)
    scenario = params["scenario"]
    timeout_s = None if params["detection"] == "none" else params["timeout_ms"] / 1000.0
    log = _Log()
    if scenario in ("lock_order", "same_order"):
        a, b = threading.Lock(), threading.Lock()
        meet = threading.Barrier(2) if scenario == "lock_order" else None
        orders = [(a, b), (b, a)] if scenario == "lock_order" else [(a, b), (a, b)]
        targets = [
            (_two_locks, (i, first, second, meet, timeout_s, log)) for i, (first, second) in enumerate(orders)
        ]
    else:
        lock = threading.Lock() if scenario == "lock_reentry" else threading.RLock()
        targets = [(_reentry, (lock, timeout_s, log))]
    # Daemon threads: a deadlocked cell holds up nothing but itself, and the harness kills it.
    workers = [threading.Thread(target=fn, args=args, daemon=True) for fn, args in targets]
    with region():
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    detected = bool(log.detected_at)
    completed = len(log.done_at) == len(workers)
    out = {"detected": int(detected), "completed": int(completed), "acquire_attempts": len(log.attempts)}
    if detected:
        first_detection = min(log.detected_at)
        out["time_to_detect_ms"] = (first_detection - min(log.blocked_at)) * 1e3
        # Lock re-entry cannot be completed as written; recovering means the holder got out and
        # released the lock, which the cell checks by taking it again without waiting.
        if scenario == "lock_reentry":
            recovered = lock.acquire(blocking=False)
            if recovered:
                lock.release()
        else:
            recovered = completed
        out["recovered"] = int(recovered)
        if completed:
            out["recovery_ms"] = (max(log.done_at) - first_detection) * 1e3
    return out
