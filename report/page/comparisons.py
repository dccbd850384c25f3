"""The comparisons across runs on the page: each run against the baseline, its method, its called
differences and the tail metrics that moved (the numbers: report.analysis.compare)."""

from __future__ import annotations

import math
from typing import Callable

from report.analysis import statistics as stats
from report.analysis.compare import (
    Family,
    baseline_run,
    compare_runs,
    machine_speed_factor,
    method_text,
    normalised,
    summary_text,
)
from report.analysis.load import Results
from report.analysis.runs import loop_ns
from report.page.environments import differences
from report.page.formatting import DASH, num, percent, ratio
from report.page.html import Markup, join, paragraph, table, tag

MAX_ROWS = 40
MAX_TAIL_ROWS = 10


def _speed_words(factor: float) -> str:
    return "%.2fx slower" % factor if factor >= 1 else "%.2fx faster" % (1 / factor)


def _row(family: Family, f: dict, machine_factor: float | None, verdict_class: bool = True) -> list:
    c = f["c"]
    info = family.base.experiments.get(f["experiment"]) or family.other.experiments.get(f["experiment"])
    interval = "[%s–%s]" % (num(c.ci_low), num(c.ci_high)) if math.isfinite(c.ci_low) else ""
    return [
        f["experiment"],
        f["cell"],
        f["metric"],
        (num(c.median_base), "num"),
        (num(c.median_other), "num"),
        (("%s %s" % (ratio(c.ratio), interval)).strip(), "num", c.note or None),
        (("%.3g" % c.q_value) if c.tested else DASH, "num"),
        (c.verdict, {"faster": "faster", "slower": "slower"}.get(c.verdict) if verdict_class else None),
    ] + ([(normalised(c.ratio, f["metric"], machine_factor, info), "num")] if machine_factor else [])


def _by_size(items: list) -> list:
    return sorted(items, key=lambda f: -abs(math.log(f["c"].ratio)) if f["c"].ratio > 0 else 0)


def render_family(family: Family, machine_factor: float | None) -> list:
    """The parts of one comparison table: how it was judged, the counts, the called differences, and the
    tail metrics that moved most (without verdicts)."""
    parts = [paragraph(method_text(family), "muted"), paragraph(summary_text(family))]
    header = [
        "experiment",
        "cell",
        "metric",
        "baseline median",
        "this run",
        "ratio [95 % CI]",
        "q",
        "verdict",
    ]
    header += ["ratio ÷ machine"] if machine_factor else []
    called = _by_size(family.called)
    if called:
        parts.append(table(header, [_row(family, f, machine_factor) for f in called[:MAX_ROWS]]))
        if len(called) > MAX_ROWS:
            parts.append(paragraph("… and %d more called differences." % (len(called) - MAX_ROWS), "muted"))
    moved = [
        f
        for f in family.tails
        if f["c"].ratio > 0
        and abs(math.log(f["c"].ratio)) > stats.minimum_effect(family.floor_for(f["experiment"], f["metric"]))
    ]
    if moved:
        parts.append(
            paragraph(
                "Tail metrics that moved by more than the minimum effect, shown without a verdict:", "muted"
            )
        )
        parts.append(
            table(header, [_row(family, f, machine_factor, False) for f in _by_size(moved)[:MAX_TAIL_ROWS]])
        )
    return parts


def render(
    results: Results,
    baseline: str | None,
    metrics_for: Callable[[str], list],
    tail_samples: dict | None = None,
) -> Markup:
    if len(results.runs) < 2:
        return paragraph(
            "Only one run loaded: nothing to compare. Copy other runs' folders into results/ "
            "or name them on the command line."
        )
    base = baseline_run(results, baseline)
    parts = [
        paragraph(
            "Baseline: %s (%s). Ratio = this run's value / the baseline's for the same cell, with a 95 %% "
            "interval. Runs measured in one interleaved invocation are compared round by round; runs started "
            "separately are judged against the noise between runs (so two runs of the same thing read "
            '"same"). Each table is one family: its false-discovery rate is held at %g, and a difference '
            "smaller than %s or than the noise floor is never called."
            % (base.run_id, base.env_label, stats.ALPHA, percent(stats.CHANGE_THRESHOLD)),
            "muted",
        )
    ]
    for other in results.runs:
        if other is base:
            continue
        family = compare_runs(base, other, metrics_for, results, tail_samples)
        parts.append(tag("h3", "%s (%s) vs baseline" % (other.run_id, other.env_label)))
        for d in differences(base, other):
            parts.append(tag("div", "Different machines: " + d, class_="warn"))
        machine_factor = machine_speed_factor(base, other)
        if machine_factor is not None:
            parts.append(
                paragraph(
                    "Different machines: a pure-Python loop ran at %.1f ns/iteration here against %.1f on "
                    "the baseline's machine (this one %s). The column 'ratio ÷ machine' divides that out of "
                    "times (and multiplies it into rates): near 1x, the difference is the machine's speed, "
                    "not the interpreter. It is a single-core yardstick, so it does not normalise parallel "
                    "speedups or waiting." % (loop_ns(other), loop_ns(base), _speed_words(machine_factor))
                )
            )
        if not family.items:
            parts.append(paragraph("No cell in common with the baseline."))
            continue
        parts.extend(render_family(family, machine_factor))
    return join(parts)
