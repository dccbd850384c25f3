"""The lock_contention section: updates lost without a lock, what each primitive costs, how fair it is."""

from __future__ import annotations

from report.page.sections import Column
from report.page.sections.findings_page import FindingsPage
from report.page.sections.lock_contention import analysis, figures, findings

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
SCORECARD = (Column("lock_cost", "uncontended Lock acquire+release", -1, position=6),)

PAGE = FindingsPage(
    analysis.Analysis,
    INTRO,
    findings.findings,
    figures.lock_figure,
    "Lost updates, cost per update and acquire wait",
    analysis.METRICS,
    compare=("cost_per_op_ns", "lost_update_fraction", "acquire_wait_p99_us"),
    score=findings.score,
)
render = PAGE.render
compare_metrics = PAGE.compare_metrics
