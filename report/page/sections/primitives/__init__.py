"""The primitives section: bench/'s pytest-benchmark micro-benchmarks (Lock, Queue, Event, Thread...).

Not a FindingsPage: each run's findings come with that run's own table, and no every-cell table closes it.
"""

from __future__ import annotations

from report.analysis.load import Results
from report.page.html import figure, join, paragraph, tag
from report.page.sections import Column, Context, Rendered
from report.page.sections.primitives.analysis import Analysis
from report.page.sections.primitives.figures import primitives_figure
from report.page.sections.primitives.findings import findings, score
from report.page.sections.primitives.tables import bench_table

REQUIRED = ("benchmark", "median_ns")
SCORECARD = (
    Column("lock_cost", "uncontended Lock acquire+release", -1, position=6, source="primitives (bench/)"),
    Column("queue_cost", "Queue put+get", -1, position=7, source="primitives (bench/)"),
)
INTRO = (
    "pytest-benchmark timings of one operation each, run by `make bench` (bench/) in several pytest "
    "processes one after another (the CSV's `repeat`), since a micro-benchmark's median can move "
    "by up to ~25 % from one process to the next (memory layout, hash seed, CPU state). Each figure "
    "includes one Python call, whose own cost is the empty-call line: subtract it to read the "
    "cheapest primitives. The table gives per benchmark the median over processes of "
    "pytest-benchmark's per-process medians, the range of those medians between processes, the "
    "median within-process interquartile range of the rounds, and the median ops/s."
)


def compare_metrics(results: Results, experiment: str) -> list:
    return ["median_ns"]


def render(ctx: Context, experiment: str) -> Rendered:
    a = Analysis(ctx, experiment)
    parts = [paragraph(INTRO)]
    scores = {}
    for run in a.runs:
        env = run.env_label
        scores[env] = score(a, env)
        parts.append(tag("h3", env))
        parts.extend(paragraph(text, css) for css, text in findings(a, env))
        parts.append(bench_table(a.df[a.df["env_label"] == env]))
    if a.runs and not a.df.empty:
        parts.append(figure(primitives_figure(ctx, a.runs, a.df), "Median cost of each primitive"))
    return Rendered(html=join(parts), scores=scores)
