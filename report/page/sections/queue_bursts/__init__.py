"""The queue_bursts section: a bounded Queue's drops, blocking and depth beside M/M/c/K, and Little's law.

The M/M/c/K predictions are computed by the experiment itself (experiments/catalogue/toolkit/
queueing.py, at the measured arrival and service rates) and stored in its ``predicted_*`` columns:
the report draws them beside the measurements and says where they part.
"""

from __future__ import annotations

from report.page.sections.findings_page import FindingsPage
from report.page.sections.queue_bursts import analysis, figures, findings

REQUIRED = (
    "maxsize",
    "put",
    "load",
    "consumers",
    "drop_fraction",
    "predicted_drop_fraction",
    "queue_depth_mean",
)

INTRO = (
    "One producer feeds queue.Queue(maxsize) with Poisson or bursty arrivals; consumer threads serve "
    "items by sleeping. With put_nowait() a full queue drops the item; with put() the producer blocks. "
    "Black lines are the M/M/c/K model at the measured arrival and service rates (maxsize 0 is "
    "unbounded, drawn as ∞). The first arrivals of every cell, while the empty queue fills, are left "
    "out. Loads quoted are the measured ones (arrival rate over the consumers' measured service rate), "
    "with the nominal load beside them. The last panel checks Little's law on every repetition with two "
    "independent estimates: the time-average number of items waiting (L), from the depth each Poisson "
    "arrival found (Poisson arrivals see time averages), against the arrival rate times the mean wait "
    "from the put and get timestamps (λW). Lesson (producer–consumer): a bound turns overload into "
    "drops or back-pressure instead of unbounded memory and latency."
)

PAGE = FindingsPage(
    analysis.Analysis,
    INTRO,
    findings.findings,
    figures.queue_figure,
    "Bounded queue against M/M/c/K and Little's law",
    analysis.METRICS,
    compare=("drop_fraction", "producer_blocked_fraction", "queue_depth_mean", "latency_p99_ms"),
)
render = PAGE.render
compare_metrics = PAGE.compare_metrics
