"""The timer_drift section: how late Timers fire against the kernel's timer-slack floor; periodic drift."""

from __future__ import annotations

from report.page.sections import Column
from report.page.sections.findings_page import FindingsPage, label_only
from report.page.sections.timer_drift import analysis, figures, findings

REQUIRED = ("mode", "delay_ms", "cpu_threads", "lateness_p50_us", "lateness_p99_us")
SCORECARD = (Column("timer_p99", "Timer p99 lateness", -1, position=8),)
INTRO = (
    "A one-shot threading.Timer is timed from start() to its callback; a periodic job either re-arms "
    "a new Timer from its callback (errors add up) or sleeps to absolute deadlines (errors do not). "
    "The dashed line is the floor no sleeping thread can beat: the kernel's timer slack, read from the "
    "run's environment. CPU-bound threads running meanwhile make a woken timer wait for the GIL, which "
    "they hand over once per switch interval. Each cell's lateness is a per-repetition median or p99 "
    "over its firings, summarised over repetitions with an exact 95 % interval (none below 6)."
)

PAGE = FindingsPage(
    analysis.Analysis,
    INTRO,
    findings.findings,
    figures.timer_figure,
    "Timer lateness against the timer-slack floor",
    analysis.METRICS,
    compare=("lateness_p50_us", "lateness_p99_us", "cumulative_drift_ms"),
    score=findings.score,
    heading=label_only,
)
render = PAGE.render
compare_metrics = PAGE.compare_metrics
