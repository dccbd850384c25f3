"""The sentences a comparison prints: the rule it applied, the counts of its four verdicts, a pooled
figure, a common shift and the machine's readings."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from report.analysis.numbers import num, percent

if TYPE_CHECKING:
    from report.analysis.family import Family


def pct(x: float) -> str:
    """A threshold as written: 5 %, 2.5 %, 0.1 %."""
    return "%.3g %%" % (100 * x)


def interval(v) -> str:
    """``1.10x [1.06–1.14]`` of a Verdict (the ratio alone when it has no interval)."""
    if v is None or not math.isfinite(v.ratio):
        return "–"
    if math.isfinite(v.low) and math.isfinite(v.high):
        return "%sx [%s–%s]" % (num(v.ratio), num(v.low), num(v.high))
    return "%sx" % num(v.ratio)


def rule_text(threshold: float) -> str:
    """The rule every verdict follows, as the code applies it (report.analysis.verdicts)."""
    t = pct(threshold)
    return (
        'Verdicts at ±%s: "slower"/"faster" when the interval lies entirely beyond ±%s, "equivalent" '
        'when it lies entirely inside (two one-sided tests), "inconclusive" otherwise; each row gives '
        "the smallest change its noise and rounds could detect (80 %% power) and the rounds that would "
        "settle it." % (t, t)
    )


def method_text(family: Family) -> str:
    """How this family was judged (the rule itself, ``rule_text``, is said once above every family)."""
    text = ""
    if family.paired:
        text += (
            "Measured in one interleaved invocation with the baseline, so compared round by round: ratio = "
            "geometric mean of the per-round ratios, 95 %% t interval on the per-round log ratios%s; "
            "Benjamini–Hochberg (5 %%) per experiment picks the cells called faster/slower, whose "
            "intervals are widened for false coverage. The machine's drift cancels within a round."
            % (" (Stein two-stage, first %d rounds)" % family.n_first if family.n_first else "")
        )
        if family.unpaired:
            text += " %s measured without rounds, so judged as runs started separately: " % ", ".join(
                family.unpaired
            )
    else:
        text += "Started separately from the baseline: "
    if not family.paired or family.unpaired:
        text += (
            "the common shift of all cells is judged against the run-to-run noise of the baseline's own "
            "repeated runs (never the run judged; with one baseline run, or when the machine changed under "
            "the run judged, its rounds moving together more than the baseline's, it cannot be told from "
            "the machine's drift); each cell is judged on its change beyond that shift "
            "(Benjamini–Hochberg per experiment); ratios measured inside a round (speedup, capacity "
            "fraction) on their own rounds, without run-to-run noise."
        )
    return text


def summary_text(family: Family) -> str:
    """The counts of all four verdicts, the typical smallest detectable change, and the tails."""
    counts = family.counts()
    judged = family.judged
    text = "%d comparisons at ±%s: %s." % (
        len(judged),
        pct(family.threshold),
        ", ".join("%d %s" % (n, w) for w, n in counts.items()),
    )
    detect = [f.verdict.detectable for f in judged if math.isfinite(f.verdict.detectable)]
    if detect:
        text += " Smallest change detectable: median %s (range %s–%s)." % (
            percent(float(np.median(detect))),
            percent(min(detect)),
            percent(max(detect)),
        )
    settle = [f.verdict.rounds_to_settle for f in family.with_verdict("inconclusive")]
    finite = [r for r in settle if math.isfinite(r)]
    if finite:
        text += " About %d rounds would settle the inconclusive ones (median)." % np.median(finite)
    if family.tails:
        text += " %d tail-metric comparisons (p99, maximum) with too few samples get no verdict." % len(
            family.tails
        )
    return text


def pooled_text(p: dict) -> str:
    pooled = p["pooled"]
    return "%s %s over %d cells: %s %s (%d%% of cells moved this way)" % (
        p["experiment"],
        p["metric"],
        pooled.cells,
        pooled.verdict.verdict,
        interval(pooled.verdict),
        round(100 * pooled.same_direction) if math.isfinite(pooled.same_direction) else 0,
    )


def shift_text(s: dict) -> str:
    """The common shift of two runs started separately, its cause, where its noise came from and,
    when it is inconclusive, why."""
    v = s["shift"]
    text = "%s %s, all cells together: %s %s, cause: %s (noise from %s)" % (
        s["experiment"],
        s["metric"],
        v.verdict,
        interval(v),
        s["cause"],
        s["source"],
    )
    return text + ("; " + v.note if v.note and not v.settled else "")


def machine_text(family: Family) -> str:
    """What the machine's own readings say changed between two runs started separately."""
    m = family.machine
    parts = []
    for name, change in (
        ("parallel capacity", m.capacity),
        ("loop speed", m.speed),
    ):
        if math.isfinite(change.ratio):
            parts.append(
                "%s %s (%sx%s)"
                % (
                    name,
                    change.verdict,
                    num(change.ratio),
                    " [%s–%s]" % (num(change.low), num(change.high)) if math.isfinite(change.low) else "",
                )
            )
        else:
            parts.append("%s unknown (%s)" % (name, change.note or "no reading"))
    text = "The machine between the runs, from its own readings: %s." % "; ".join(parts)
    if m.changed:
        text += (
            " Changes the machine's change explains are labelled \"the machine changed\", not the code's; "
            "parallel cells are judged against capacity, single-core ones against loop speed."
        )
    return text
