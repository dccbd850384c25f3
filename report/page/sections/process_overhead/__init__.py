"""The process_overhead section: start cost per start method, IPC per payload, the break-even task size."""

from __future__ import annotations

from report.page.sections import Column
from report.page.sections.findings_page import FindingsPage
from report.page.sections.process_overhead import analysis, figures, findings

REQUIRED = ("measure", "runner", "start_method", "start_join_ms", "round_trip_ms", "task_ms", "speedup")

INTRO = (
    "Starting a process costs far more than starting a thread, and every task and result a process pool "
    "exchanges is pickled and sent through a pipe. So processes pay off only for tasks long enough to "
    "amortise that: the break-even task duration is where the process pool's speedup over the thread "
    "pool (same round, same tasks; the median of the per-round ratios) crosses 1, the duration being one "
    "task timed on its own in the same cell. Lesson: multiprocessing comes with extra overhead — measure "
    "before you switch."
)
SCORECARD = (Column("break_even", "break-even task (processes vs threads)", -1, position=4),)

PAGE = FindingsPage(
    analysis.Analysis,
    INTRO,
    findings.findings,
    figures.overhead_figure,
    "Process start cost, IPC round trips and break-even",
    analysis.METRICS,
    compare=("start_join_ms", "round_trip_ms", "speedup"),
    score=findings.score,
)
render = PAGE.render
compare_metrics = PAGE.compare_metrics
