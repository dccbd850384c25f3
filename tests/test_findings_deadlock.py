"""deadlock's sentences, from hand-built cells: counts quoted as counted, times with their interval or
the reason there is none, and "finding" exactly where the theory is contradicted."""

from __future__ import annotations

import math

from report.analysis import statistics as stats
from report.page.sections.deadlock.analysis import Analysis
from report.page.sections.deadlock.findings import (
    finding_hangs,
    finding_lock_order,
    finding_lock_reentry,
    finding_rlock_reentry,
    finding_same_order,
    finding_unformed,
    findings,
)
from tests.support.records import deadlock_cell


def rec(median: float, low: float = math.nan, high: float = math.nan, n: int = 3) -> dict:
    note = "" if math.isfinite(low) else stats.ci_note(n)
    return {"median": median, "ci_low": low, "ci_high": high, "n": n, "ci_note": note}


def test_lock_order_quotes_its_counts_and_detection_times_with_their_intervals():
    cells = [
        deadlock_cell(
            "lock_order",
            "timeout",
            8,
            detected=8,
            timeout_ms=10.0,
            time_to_detect_ms=rec(10.2, 10.1, 10.3, 8),
            acquire_attempts=rec(3.0),
        ),
        deadlock_cell(
            "lock_order", "timeout", 3, detected=3, timeout_ms=100.0, time_to_detect_ms=rec(100.15)
        ),
    ]
    css, text = finding_lock_order(Analysis(None, found=cells), "e")
    assert css is None and "(lock_order) deadlocked in 11 of 11 repetitions" in text
    assert "after 10.2 ms [10.1–10.3] at timeout=10 ms (+200 µs)" in text
    assert "after 100 ms (n=3, no 95 % CI) at timeout=100 ms (+150 µs)" in text
    assert "both threads finished in 11 of 11 (3 acquire attempts in all, median)" in text


def test_a_lock_order_that_did_not_always_deadlock_is_a_finding():
    a = Analysis(None, found=[deadlock_cell("lock_order", "timeout", 4, detected=3, timeout_ms=10.0)])
    css, text = finding_lock_order(a, "e")
    assert css == "finding" and "deadlocked in 3 of 4 repetitions" in text


def test_same_order_never_deadlocks_or_is_a_slow_holder():
    calm = Analysis(
        None,
        found=[
            deadlock_cell("same_order", "timeout", 3, timeout_ms=10.0),
            deadlock_cell("same_order", "none", 3),
        ],
    )
    assert finding_same_order(calm, "e") == (
        None,
        "Taking the two locks in the same order (same_order) never deadlocked: nothing to detect in 6 of 6 "
        "repetitions, with or without a timeout, and 6 completed.",
    )
    slow = Analysis(None, found=[deadlock_cell("same_order", "timeout", 5, detected=2, timeout_ms=10.0)])
    css, text = finding_same_order(slow, "e")
    assert css == "finding" and "in 2 of 5 repetitions" in text and "not a deadlock" in text


def test_reentry_on_a_lock_blocks_and_on_an_rlock_succeeds():
    lock = deadlock_cell(
        "lock_reentry", "timeout", 3, detected=3, recovered=2, timeout_ms=10.0, time_to_detect_ms=rec(10.1)
    )
    rlock = deadlock_cell("rlock_reentry", "timeout", 3, completed=3, wall_s=rec(0.0003))
    a = Analysis(None, found=[lock, rlock])
    css, text = finding_lock_reentry(a, "e")
    assert css is None and "blocked in 3 of 3 repetitions" in text and "released the lock in 2 of 3" in text
    css, text = finding_rlock_reentry(a, "e")
    assert css is None and "succeeded in 3 of 3 repetitions (cell done in 300 µs (n=3, no 95 % CI))" in text
    broken = Analysis(None, found=[deadlock_cell("rlock_reentry", "timeout", 3, completed=1)])
    assert finding_rlock_reentry(broken, "e")[0] == "finding"


def test_hangs_are_the_expected_result_and_a_deadlock_that_did_not_form_is_a_finding():
    hung = [
        deadlock_cell("lock_order", "none", 0, hung=3),
        deadlock_cell("lock_reentry", "none", 0, hung=3),
        deadlock_cell("same_order", "none", 3),
    ]
    a = Analysis(None, found=hung)
    css, text = finding_hangs(a, "e")
    assert css is None and "lock_order hung in 3 of 3; lock_reentry hung in 3 of 3" in text
    assert "ended the worker after 1.02 s" in text and "same_order (3 of 3) finished" in text
    assert finding_unformed(a, "e") is None
    odd = Analysis(None, found=[deadlock_cell("lock_order", "none", 1, hung=2)])
    css, text = finding_unformed(odd, "e")
    assert css == "finding" and "lock_order (in 1 of 3 repetitions) finished instead of hanging" in text
    assert [c for c, _ in findings(odd, "e")] == [None, "finding"]
