"""The deadlock section's sentences, one function each: what each scenario did, with and without a timeout."""

from __future__ import annotations

import math

from report.page.formatting import DASH, duration_ci, duration_ms, duration_s, num
from report.page.sections import Findings
from report.page.sections.deadlock.analysis import Analysis, of


def _detections(found: list) -> str:
    """ "after 10.1 ms [10.1–10.2] at timeout=10 ms (+131 µs), ..." for the cells that detected a
    deadlock: the median time to detect with its interval (or why there is none), then its overshoot."""
    return ", ".join(
        "after %s at timeout=%s ms (+%s)"
        % (
            duration_ci(c.summary.get("time_to_detect_ms"), 1e-3),
            num(c.timeout_ms),
            duration_ms(c.median("time_to_detect_ms") - c.timeout_ms),
        )
        for c in found
        if c.detected and c.timeout_ms is not None
    )


def finding_lock_order(a: Analysis, env: str):
    """Opposite lock order with a timeout: deadlocked, detected, recovered."""
    order = a.where(env, "lock_order", "timeout")
    if not order:
        return None
    ok, detected = sum(c.ok for c in order), sum(c.detected for c in order)
    text = "Opposite lock order (lock_order) deadlocked in %s repetitions" % of(detected, ok)
    if detected:
        recovered = sum(c.recovered for c in order)
        attempts = max((c.median("acquire_attempts") for c in order), default=math.nan)
        text += (
            ". acquire(timeout=…) gave up %s; the thread let go of its first lock, backed off and "
            "retried, and both threads finished in %s (%s acquire attempts in all, median)"
            % (_detections(order), of(recovered, detected), num(attempts))
        )
    return (None if detected == ok else "finding", text + ".")


def finding_same_order(a: Analysis, env: str):
    """The same two locks in one order: nothing to detect (or a slow holder, flagged)."""
    same = a.where(env, "same_order")
    if not same:
        return None
    ok, detected = sum(c.ok for c in same), sum(c.detected for c in same)
    if detected == 0:
        return (
            None,
            "Taking the two locks in the same order (same_order) never deadlocked: nothing to detect in %s "
            "repetitions, with or without a timeout, and %d completed."
            % (of(ok, ok), sum(c.completed for c in same)),
        )
    return (
        "finding",
        "The same lock order (same_order) still hit an acquire timeout in %s repetitions: one thread held "
        "a lock longer than the timeout, a slow holder — not a deadlock." % of(detected, ok),
    )


def finding_lock_reentry(a: Analysis, env: str):
    """Re-acquiring a Lock the thread holds: blocks until the timeout."""
    reentry = a.where(env, "lock_reentry", "timeout")
    if not reentry:
        return None
    ok, detected = sum(c.ok for c in reentry), sum(c.detected for c in reentry)
    return (
        None if detected == ok else "finding",
        "Re-acquiring a Lock its own thread holds (lock_reentry) blocked in %s repetitions until the "
        "timeout (it gave up %s): a Lock does not know its owner, so the nested acquire can only time "
        "out. The thread got out and released the lock in %s; the nested work never ran."
        % (of(detected, ok), _detections(reentry) or DASH, of(sum(c.recovered for c in reentry), detected)),
    )


def finding_rlock_reentry(a: Analysis, env: str):
    """The same re-entry on an RLock: succeeds."""
    rlock = a.where(env, "rlock_reentry")
    if not rlock:
        return None
    ok, completed = sum(c.ok for c in rlock), sum(c.completed for c in rlock)
    walls = [c.summary["wall_s"] for c in rlock if c.summary.get("wall_s")]
    slowest = max(walls, key=lambda r: r["median"]) if walls else None
    return (
        None if completed == ok else "finding",
        "The same re-entry on an RLock (rlock_reentry) succeeded in %s repetitions%s: an RLock counts its "
        "owner's acquisitions and is free again after as many releases."
        % (of(completed, ok), " (cell done in %s)" % duration_ci(slowest, 1.0) if slowest else ""),
    )


def finding_hangs(a: Analysis, env: str):
    """Without a timeout, the deadlocking cells hang until the harness ends them: the expected result."""
    none = [c for c in a.mine(env) if c.detection == "none"]
    hangs = [c for c in none if c.expected_hang]
    if not hangs:
        return None
    hung = "; ".join("%s hung in %s" % (c.scenario, of(c.hung, c.repetitions)) for c in hangs)
    killed = [c.killed_after_s for c in hangs if math.isfinite(c.killed_after_s)]
    text = "Without a timeout (detection=none): %s, until the harness's wall-clock limit ended the " % hung
    text += "worker%s. That timeout status is the expected result — the deadlock, detected from outside" % (
        " after %s" % duration_s(max(killed)) if killed else ""
    )
    free = [c for c in none if not c.expected_hang]
    if free:
        text += "; %s finished" % " and ".join(
            "%s (%s)" % (c.scenario, of(c.completed, c.repetitions)) for c in free
        )
    return (None, text + ".")


def finding_unformed(a: Analysis, env: str):
    """Cells meant to hang that finished instead: the deadlock did not form."""
    odd = [c for c in a.mine(env) if c.detection == "none" and c.expected_hang and c.ok]
    if not odd:
        return None
    return (
        "finding",
        "Without a timeout, %s finished instead of hanging: the deadlock did not form there."
        % " and ".join("%s (in %s repetitions)" % (c.scenario, of(c.ok, c.repetitions)) for c in odd),
    )


#: Every sentence that applies to an interpreter × machine, in page order: ``findings(a, env)``.
findings = Findings(
    finding_lock_order,
    finding_same_order,
    finding_lock_reentry,
    finding_rlock_reentry,
    finding_hangs,
    finding_unformed,
)
