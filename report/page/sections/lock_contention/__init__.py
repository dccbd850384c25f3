"""The lock_contention section: updates lost without a lock, what each primitive costs, how fair it is."""

# The numbers live in lock_contention_analysis, the figure in lock_contention_figures and the
# sentences in lock_contention_findings; this module puts them on the page.

from __future__ import annotations

from report.analysis.load import Results
from report.page.sections import Context, Rendered
from report.page.sections.findings_page import findings_page
from report.page.sections.lock_contention.analysis import METRICS, Analysis
from report.page.sections.lock_contention.figures import lock_figure
from report.page.sections.lock_contention.findings import findings, score

REQUIRED = ("threads", "primitive", "pattern", "cost_per_op_ns", "lost_update_fraction")
INTRO = (
    "Threads add 1 to one shared value as fast as they can, for many switch intervals each (20 GIL turns "
    "per thread in the default profile). Without a lock the read-modify-write interleaves and updates are "
    "lost (the race condition); Lock, RLock and Semaphore(1) prevent it at a cost per update, and decide "
    "who gets the lock next (fairness: Jain's index of the threads' update counts, 1 = every thread got "
    "the same share). A lock's cost is the cost per update with it minus without it, in the same round "
    "(median of the per-round differences, with its 95 % interval where there are enough rounds). The "
    "tutorial's lesson: a Lock makes the update atomic, and costs little until threads contend for it."
)


def compare_metrics(results: Results, experiment: str) -> list:
    return ["cost_per_op_ns", "lost_update_fraction", "acquire_wait_p99_us"]


def render(ctx: Context, experiment: str) -> Rendered:
    return findings_page(
        ctx,
        experiment,
        Analysis(ctx, experiment),
        INTRO,
        findings,
        lock_figure,
        "Lost updates, cost per update and acquire wait",
        METRICS,
        score=score,
    )
