"""Comparisons across runs: each run against a baseline run, cell by cell, significant differences only."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from report import stats
from report.environments import differences, loop_ns, same_machine
from report.formatting import DASH, num, percent, ratio
from report.load import Results, Run
from report.page import Markup, join, paragraph, table, tag

MAX_ROWS = 40


def baseline_run(results: Results, baseline: str | None) -> Run:
    """The run everything is compared with: the one named, else the oldest."""
    return results.run(baseline) if baseline else results.runs[0]


def compare_runs(base: Run, other: Run, metrics_for: Callable[[str], list]) -> list:
    """Every (experiment, cell, metric) the two runs share, as dicts holding a stats.Comparison."""
    keys, pairs = [], []
    for name, df_b in base.tables.items():
        df_o = other.tables.get(name)
        if df_o is None:
            continue
        metrics = [m for m in metrics_for(name) if m in df_b and m in df_o]
        ok_b, ok_o = df_b[df_b["status"] == "ok"], df_o[df_o["status"] == "ok"]
        # numpy arrays and position lists: pandas groups per cell cost more than the statistics
        values_b = {m: ok_b[m].to_numpy(dtype=float) for m in metrics}
        values_o = {m: ok_o[m].to_numpy(dtype=float) for m in metrics}
        cells_o = ok_o.groupby("cell_id").indices
        for cell, rows_b in ok_b.groupby("cell_id").indices.items():
            rows_o = cells_o.get(cell)
            if rows_o is None:
                continue
            for metric in metrics:
                a, b = values_b[metric][rows_b], values_o[metric][rows_o]
                if np.isfinite(a).any() and np.isfinite(b).any():
                    keys.append((name, cell, metric))
                    pairs.append((a, b, metric))
    found = stats.compare_many(pairs, np.random.default_rng(stats.SEED))
    return [{"experiment": n, "cell": c, "metric": m, "c": comp} for (n, c, m), comp in zip(keys, found)]


#: Metric name endings that are times (scale with machine speed) and rates (scale inversely).
TIME_SUFFIXES = ("_s", "_ms", "_us", "_ns")
RATE_SUFFIXES = ("_hz", "_per_s", "_ops_s")


def machine_speed_factor(base: Run, other: Run) -> float | None:
    """How many times slower the other run's machine runs a fixed loop; None on the same machine."""
    if same_machine(base, other):
        return None
    a, b = loop_ns(base), loop_ns(other)
    return b / a if a and b else None


def _speed_words(factor: float) -> str:
    return "%.2fx slower" % factor if factor >= 1 else "%.2fx faster" % (1 / factor)


def normalised(value_ratio: float, metric: str, factor: float) -> str:
    """A ratio of medians with the machines' speed difference taken out, where the metric scales with it."""
    if metric.endswith(RATE_SUFFIXES):
        return ratio(value_ratio * factor)
    if metric.endswith(TIME_SUFFIXES):
        return ratio(value_ratio / factor)
    return DASH


def render(results: Results, baseline: str | None, metrics_for: Callable[[str], list]) -> Markup:
    if len(results.runs) < 2:
        return paragraph(
            "Only one run loaded: nothing to compare. Copy other runs' folders into results/ "
            "or name them on the command line."
        )
    base = baseline_run(results, baseline)
    parts = [
        paragraph(
            "Baseline: %s (%s). Ratio = this run's median / the baseline's median for the same cell, with a "
            "95 %% bootstrap CI. A difference is called only when a two-sided Mann–Whitney U test gives "
            "p < %g and the ratio moved by more than %s; everything else counts as the same."
            % (base.run_id, base.env_label, stats.ALPHA, percent(stats.CHANGE_THRESHOLD)),
            "muted",
        )
    ]
    for other in results.runs:
        if other is base:
            continue
        found = compare_runs(base, other, metrics_for)
        parts.append(tag("h3", "%s (%s) vs baseline" % (other.run_id, other.env_label)))
        for d in differences(base, other):
            parts.append(tag("div", "Different machines: " + d, class_="warn"))
        machine_factor = machine_speed_factor(base, other)
        if machine_factor is not None:
            parts.append(
                paragraph(
                    "Different machines: a pure-Python loop ran at %.1f ns/iteration here against %.1f on "
                    "the "
                    "baseline's machine (this one %s). The column 'ratio ÷ machine' divides that out of "
                    "times (and multiplies it into rates): near 1x, the difference is the machine's speed, "
                    "not the interpreter. It is a single-core yardstick, so it does not normalise parallel "
                    "speedups or waiting." % (loop_ns(other), loop_ns(base), _speed_words(machine_factor))
                )
            )
        if not found:
            parts.append(paragraph("No cell in common with the baseline."))
            continue
        sig = [f for f in found if f["c"].significant]
        counts = {
            v: sum(1 for f in sig if f["c"].verdict == v) for v in ("faster", "slower", "higher", "lower")
        }
        summary = "%d comparisons; %d significant (%s); the rest the same." % (
            len(found),
            len(sig),
            ", ".join("%d %s" % (n, v) for v, n in counts.items() if n) or "none",
        )
        parts.append(paragraph(summary))
        unreachable = [f for f in found if f["c"].min_p >= stats.ALPHA]
        if unreachable:
            c = unreachable[0]["c"]
            names = ", ".join(sorted({f["experiment"] for f in unreachable}))
            parts.append(
                paragraph(
                    "%d comparisons (%s) have too few repetitions (%d vs %d) for Mann–Whitney U to ever "
                    'reach p < %g: they read "same" by construction. Run --repeat 5 or more for verdicts.'
                    % (len(unreachable), names, c.n_base, c.n_other, stats.ALPHA),
                    "warn",
                )
            )
        if sig:
            sig.sort(key=lambda f: -abs(math.log(f["c"].ratio)) if f["c"].ratio > 0 else 0)
            rows = []
            for f in sig[:MAX_ROWS]:
                c = f["c"]
                ci = "[%s–%s]" % (num(c.ci_low), num(c.ci_high))
                rows.append(
                    [
                        f["experiment"],
                        f["cell"],
                        f["metric"],
                        (num(c.median_base), "num"),
                        (num(c.median_other), "num"),
                        ("%s %s" % (ratio(c.ratio), ci), "num"),
                        ("%.3g" % c.p_value, "num"),
                        (c.verdict, {"faster": "faster", "slower": "slower"}.get(c.verdict)),
                    ]
                    + ([(normalised(c.ratio, f["metric"], machine_factor), "num")] if machine_factor else [])
                )
            header = [
                "experiment",
                "cell",
                "metric",
                "baseline median",
                "this run",
                "ratio [95 % CI]",
                "p",
                "verdict",
            ] + (["ratio ÷ machine"] if machine_factor else [])
            parts.append(table(header, rows))
            if len(sig) > MAX_ROWS:
                parts.append(
                    paragraph("… and %d more significant differences." % (len(sig) - MAX_ROWS), "muted")
                )
    return join(parts)
