"""The convoy section: one I/O thread's round-trip latency beside CPU-bound threads or processes."""

from __future__ import annotations

from report.page.sections import Column
from report.page.sections.convoy import analysis, figures, findings
from report.page.sections.findings_page import FindingsPage

REQUIRED = ("cpu_workers", "cpu_kind", "switch_interval_ms", "latency_p50_us", "speedup")

INTRO = (
    "One thread does loopback round trips back to back while CPU-bound threads (or processes) run. "
    "Each blocking send/recv releases the GIL; getting it back from a thread that never blocks can take "
    "a whole switch interval, so every round trip pays — the convoy effect (bpo-7946). Processes share "
    "only the cores. Two factors, each the median of per-round ratios of cells measured in the same "
    "round (the cell's round trips per second over the reference's; below 1 it made fewer), with its "
    "95 % interval where there are enough rounds: against no CPU load, and against as many CPU processes "
    "— the control, which keeps the cores as busy without the GIL. A direction (faster, slower) is "
    "stated only when the interval lies on one side of 1. On a VM an idle CPU wakes up slowly, so the "
    "no-load cell is itself slow and the first factor mixes that with the GIL; the second does not."
)
SCORECARD = (Column("convoy_slowdown", "convoy slowdown", -1, position=9),)

PAGE = FindingsPage(
    analysis.Analysis,
    INTRO,
    findings.findings,
    figures.convoy_figure,
    "I/O round-trip latency against CPU-bound load",
    analysis.METRICS,
    compare=("latency_p50_us", "latency_p99_us", "round_trips_per_s"),
    score=findings.score,
)
render = PAGE.render
compare_metrics = PAGE.compare_metrics
