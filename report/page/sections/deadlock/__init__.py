"""The deadlock section: opposite lock order and Lock re-entry, caught by acquire(timeout) or left to hang."""

from __future__ import annotations

from report.page.sections.deadlock import analysis, figures, findings, tables
from report.page.sections.findings_page import FindingsPage, label_only

REQUIRED = ("scenario", "detection", "timeout_ms", "detected", "time_to_detect_ms", "recovered")
INTRO = (
    "Two threads each take one lock, then ask for the other's (lock_order): each waits for the "
    "other for ever — a deadlock. Taken in the same order (same_order) the same two locks cannot "
    "deadlock. A thread that calls acquire() again on a Lock it already holds (lock_reentry) waits "
    "for itself; an RLock knows its owner and counts re-entries (rlock_reentry). With "
    "acquire(timeout=…) a blocked thread gives up after the timeout: the deadlock is detected, "
    "the thread lets go of what it holds, backs off and retries. With detection=none the acquire "
    "blocks for ever, as in the threading tutorial, and only the harness's wall-clock limit ends "
    "the cell: there a timeout status is the expected result — the deadlock, detected from outside."
)
LESSON = (
    "Lesson (the threading tutorial's deadlock): take locks in one global order, use an RLock "
    "where a thread may re-enter its own locked code, and give acquire() a timeout where a "
    "deadlock must be survived — without one, nothing inside the program notices."
)

PAGE = FindingsPage(
    analysis.Analysis,
    INTRO,
    findings.findings,
    figures.deadlock_figure,
    "Time to detect a deadlock, and how cells ended",
    analysis.METRICS,
    compare=("time_to_detect_ms", "recovery_ms"),
    lesson=LESSON,
    heading=label_only,
    cells=tables.every_cell,
)
render = PAGE.render
compare_metrics = PAGE.compare_metrics
