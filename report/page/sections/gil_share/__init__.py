"""The gil_share section: threads' and processes' speedup against the share of each task holding the GIL."""

from __future__ import annotations

from report.page.sections.findings_page import FindingsPage, label_only
from report.page.sections.gil_share import analysis, figures, findings

REQUIRED = ("gil_share", "executor", "workers", "speedup", "python_time_fraction")
INTRO = (
    "Each task does the same CPU work whatever its gil_share: that share in pure-Python code, "
    "which holds the GIL, the rest in hashlib's C code, which releases it. Speedup is against the "
    "sequential cell of the same round (median of the per-round ratios, 95 % bootstrap CI as "
    "whiskers). With the GIL, threads can only overlap the released part, and pay a hand-off after "
    "each C call; processes pay their start and pickling instead. Where the curves cross is the "
    "share of GIL-holding work above which processes are the better choice."
)

PAGE = FindingsPage(
    analysis.Analysis,
    INTRO,
    findings.findings,
    figures.share_figure,
    "Speedup against the share of each task holding the GIL",
    analysis.METRICS,
    compare=("speedup",),
    heading=label_only,
)
render = PAGE.render
compare_metrics = PAGE.compare_metrics
