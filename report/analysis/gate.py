"""``python -m report --fail-on slower``: the cells where a run is significantly slower than the baseline.

Judged by the page's own comparison rules (compare.compare_runs: round by round for runs of one
interleaved invocation, else against run-to-run noise; Benjamini–Hochberg per experiment; a minimum
effect), then held to the user's threshold: a change smaller than it never fails the gate. Which
metrics are gated comes from the caller (the page's sections: one that measures the machine, not the
code, gates none).
"""

from __future__ import annotations

import math
from typing import Callable

from report.analysis import compare
from report.analysis.load import Results, ResultsError
from report.analysis.numbers import num


def slower_cells(
    results: Results, baseline: str | None, threshold: float, metrics_for: Callable[[str], list]
) -> list:
    """One line per (run, experiment, cell, metric) slower than the baseline by more than
    ``threshold`` (a fraction: 0.05 is 5 %) with a significant verdict; ``metrics_for(experiment)``
    names the metrics gated."""
    if len(results.runs) < 2:
        raise ResultsError(
            "--fail-on slower needs two runs or more: the baseline and the run to check "
            "(name both, e.g. `python -m report --fail-on slower BASE_RUN NEW_RUN`)"
        )
    base = compare.baseline_run(results, baseline)
    lines = []
    for other in results.runs:
        if other is base:
            continue
        family = compare.compare_runs(base, other, metrics_for, results)
        for item in family.with_verdict("slower"):
            c = item["c"]
            if c.ratio > 0 and abs(math.log(c.ratio)) > math.log1p(threshold):
                lines.append(_line(base, other, item))
    return lines


def _line(base, other, item: dict) -> str:
    c = item["c"]
    interval = " [%s–%s]" % (num(c.ci_low), num(c.ci_high)) if math.isfinite(c.ci_low) else ""
    return "%s (%s) vs %s: %s %s %s %sx%s (q = %.2g)" % (
        other.run_id,
        other.env_label,
        base.run_id,
        item["experiment"],
        item["cell"],
        item["metric"],
        num(c.ratio),
        interval,
        c.q_value,
    )
