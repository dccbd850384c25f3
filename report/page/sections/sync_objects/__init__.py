"""The sync_objects section: Barrier skew, a Semaphore-bounded pool, Event wake-up, daemon threads at exit."""

from __future__ import annotations

from report.page.sections.findings_page import FindingsPage, label_only
from report.page.sections.sync_objects import analysis, figures, findings, tables

REQUIRED = ("object", "threads", "permits", "daemon", "barrier_skew_p50_us", "throughput_tasks_s")
INTRO = (
    "Four synchronization objects of the threading module, each timed on its own. Barrier: threads "
    "meet again and again; skew is the time from the first to the last thread past the barrier in "
    "one cycle. Semaphore: one thread per I/O task (a sleep), at most k of them inside a "
    "Semaphore(k); the ideal is min(k, tasks) tasks per task time. Event: waiters block in wait(); "
    "latency runs from set() to each waiter's return. Daemon threads: a child process's main thread "
    "ends while a sleeping thread is still running; the delay is from then to the process's exit. "
    "Cells of different settings ran apart, not in the same rounds: two of them are called different "
    "only when a Mann–Whitney U test over their repetitions says so (p < 0.05)."
)
LESSON = (
    "Lesson (the threading tutorial's Semaphore, Barrier, Event and daemon threads): a Semaphore "
    "bounds how many threads do something at once, a Barrier makes threads wait for each other, "
    "an Event lets one thread signal many, and a daemon thread does not keep the program alive — "
    "it is abandoned mid-work at exit, so join() the threads whose work must finish."
)

PAGE = FindingsPage(
    analysis.Analysis,
    INTRO,
    findings.findings,
    figures.sync_figure,
    "Barrier skew, Semaphore pool, Event latency, exit delay",
    analysis.METRICS,
    compare=("barrier_skew_p50_us", "throughput_tasks_s", "wake_latency_p99_us", "exit_delay_ms"),
    lesson=LESSON,
    heading=label_only,
    cells=tables.every_cell,
)
render = PAGE.render
compare_metrics = PAGE.compare_metrics
