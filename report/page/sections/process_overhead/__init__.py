"""The process_overhead section: start cost per start method, IPC per payload, the break-even task size."""

# The numbers live in process_overhead_analysis, the figure in process_overhead_figures and the
# sentences in process_overhead_findings; this module puts them on the page.

from __future__ import annotations

from report.analysis.load import Results
from report.page.sections import Context, Rendered
from report.page.sections.findings_page import findings_page
from report.page.sections.process_overhead.analysis import METRICS, Analysis
from report.page.sections.process_overhead.figures import overhead_figure
from report.page.sections.process_overhead.findings import findings, score

REQUIRED = ("measure", "runner", "start_method", "start_join_ms", "round_trip_ms", "task_ms", "speedup")
INTRO = (
    "Starting a process costs far more than starting a thread, and every task and result a process pool "
    "exchanges is pickled and sent through a pipe. So processes pay off only for tasks long enough to "
    "amortise that: the break-even task duration is where the process pool's speedup over the thread "
    "pool (same round, same tasks; the median of the per-round ratios) crosses 1, the duration being one "
    "task timed on its own in the same cell. Lesson: multiprocessing comes with extra overhead — measure "
    "before you switch."
)


def compare_metrics(results: Results, experiment: str) -> list:
    return ["start_join_ms", "round_trip_ms", "speedup"]


def render(ctx: Context, experiment: str) -> Rendered:
    return findings_page(
        ctx,
        experiment,
        Analysis(ctx, experiment),
        INTRO,
        findings,
        overhead_figure,
        "Process start cost, IPC round trips and break-even",
        METRICS,
        score=score,
    )
