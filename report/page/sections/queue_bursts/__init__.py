"""The queue_bursts section: a bounded Queue's drops, blocking and depth beside M/M/c/K, and Little's law.

The M/M/c/K predictions are computed by the experiment itself (experiments/queueing.py, at the
measured arrival and service rates) and stored in its ``predicted_*`` columns: the report draws
them beside the measurements and says where they part. The numbers live in queue_bursts_analysis,
the figure in queue_bursts_figures and the sentences in queue_bursts_findings.
"""

from __future__ import annotations

from report.analysis.load import Results
from report.page.sections import Context, Rendered
from report.page.sections.findings_page import findings_page
from report.page.sections.queue_bursts.analysis import METRICS, Analysis
from report.page.sections.queue_bursts.figures import queue_figure
from report.page.sections.queue_bursts.findings import findings

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


def compare_metrics(results: Results, experiment: str) -> list:
    return ["drop_fraction", "producer_blocked_fraction", "queue_depth_mean", "latency_p99_ms"]


def render(ctx: Context, experiment: str) -> Rendered:
    return findings_page(
        ctx,
        experiment,
        Analysis(ctx, experiment),
        INTRO,
        findings,
        queue_figure,
        "Bounded queue against M/M/c/K and Little's law",
        METRICS,
    )
