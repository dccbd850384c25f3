"""``python -m report --fail-on slower [--threshold 5%]``: the CI gate, read off the page's own verdicts.

Each run is compared with the baseline by report.analysis.compare at the user's threshold, as given
(any value > 0). The gate fails (exit 1) on any "slower" verdict: a cell, an experiment's pooled
figure, or the common shift of runs started separately when its cause is the code. A change labelled
"the machine changed" (the machine's own readings explain it) does not fail it. When nothing is shown
slower but some comparison could not show a change of the threshold either way ("inconclusive"), the
gate says "inconclusive", not "ok", with the rounds that would settle it, and exits 0, or 1 with
``--fail-on slower,inconclusive`` (strict CI). Which metrics are gated comes from the caller (the
page's sections: one that measures the machine, not the code, gates none).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from report.analysis import compare, wording
from report.analysis.family import MACHINE_CHANGED, Family
from report.analysis.load import Results, ResultsError

#: Offending lines printed before "… and N more".
SHOWN = 20
FAIL_ON = ("slower", "slower,inconclusive")


@dataclass
class Gate:
    """What the gate found: ``slower`` lines, ``inconclusive`` lines, their rounds to settle, and how
    many comparisons were judged."""

    threshold: float
    slower: list = field(default_factory=list)
    inconclusive: list = field(default_factory=list)
    settle: list = field(default_factory=list)
    judged: int = 0
    #: The pooled figures (all cells of an experiment together) that were not shown slower.
    together: list = field(default_factory=list)


def _prefix(family: Family) -> str:
    return "%s (%s) vs %s" % (family.other.run_id, family.other.env_label, family.base.run_id)


def judge(family: Family, gate: Gate) -> None:
    """Add one run's slower and inconclusive comparisons to ``gate``."""
    head = _prefix(family)
    for p in family.pooled:
        if p["pooled"].verdict.verdict == "slower":
            gate.slower.append("%s: %s" % (head, wording.pooled_text(p)))
        else:
            gate.together.append("%s: %s" % (head, wording.pooled_text(p)))
    for s in family.shifts:
        if s["shift"].verdict == "slower" and s["cause"] == "code":
            gate.slower.append("%s: %s" % (head, wording.shift_text(s)))
        elif s["shift"].verdict == "inconclusive":
            gate.inconclusive.append("%s: %s" % (head, wording.shift_text(s)))
    for f in family.judged:
        gate.judged += 1
        v = f.verdict
        line = "%s: %s %s %s %s" % (head, f.experiment, f.cell, f.metric, wording.interval(v))
        if v.verdict == "slower" and f.cause != MACHINE_CHANGED:
            gate.slower.append(line + (" (%s)" % f.cause if f.cause else ""))
        elif v.verdict == "inconclusive":
            gate.inconclusive.append(line)
            gate.settle.append(v.rounds_to_settle)


def pairs(results: Results, baseline: str | None, variant_pairs: list | None = None) -> list:
    """(baseline run, [runs compared with it]) as the gate judges them: every run against the one
    baseline, or, for runs of --variant, each interpreter's variants against its own baseline."""
    if variant_pairs:
        return [
            (results.run(base), [results.run(r) for r in ids if r != base]) for base, ids in variant_pairs
        ]
    base = compare.baseline_run(results, baseline)
    return [(base, [r for r in results.runs if r is not base])]


def check(
    results: Results,
    baseline: str | None,
    threshold: float,
    metrics_for: Callable[[str], list],
    variant_pairs: list | None = None,
) -> Gate:
    """Every run against the baseline at ``threshold`` (a fraction: 0.05 is 5 %, used as given);
    ``metrics_for(experiment)`` names the metrics gated; ``variant_pairs`` (from
    ``runs.variant_gate``) gates each interpreter's variants against its own baseline instead."""
    if len(results.runs) < 2:
        raise ResultsError(
            "--fail-on slower needs two runs or more: the baseline and the run to check "
            "(name both, e.g. `python -m report --fail-on slower BASE_RUN NEW_RUN`)"
        )
    if not threshold > 0:
        raise ResultsError("--threshold must be above 0 for the gate (a change of 0 %% is never shown)")
    gate = Gate(threshold)
    for base, others in pairs(results, baseline, variant_pairs):
        for other in others:
            judge(compare.compare_runs(base, other, metrics_for, results, threshold=threshold), gate)
    return gate


def _lines(kind: str, lines: list, out) -> None:
    for line in lines[:SHOWN]:
        print("report: %s: %s" % (kind, line), file=out)
    if len(lines) > SHOWN:
        print("report: ... and %d more %s" % (len(lines) - SHOWN, kind), file=out)


def verdict(gate: Gate, fail_on: str = "slower", out=None) -> int:
    """Print the gate's lines and its last word; the exit code: 1 when something is shown slower (or,
    with ``slower,inconclusive``, could not be shown either way), else 0."""
    out = out or sys.stderr
    t = wording.pct(gate.threshold)
    _lines("slower", gate.slower, out)
    if gate.slower:
        print("report: FAIL: %d comparison%s shown slower than the baseline by more than %s"
              % (len(gate.slower), "" if len(gate.slower) == 1 else "s", t), file=out)  # fmt: skip
        return 1
    # What the whole experiment says when no comparison failed: "equivalent" there is the answer to
    # "is my change slower?" even where single cells are too noisy to say.
    _lines("together", gate.together, out)
    if gate.inconclusive:
        _lines("inconclusive", gate.inconclusive, out)
        finite = [r for r in gate.settle if math.isfinite(r)]
        more = " (about %d rounds would settle them, median)" % np.median(finite) if finite else ""
        print(
            "report: inconclusive: nothing shown slower, but %d of %d comparisons could not show a change "
            "of %s either way%s" % (len(gate.inconclusive), gate.judged, t, more),
            file=out,
        )
        return 1 if "inconclusive" in fail_on else 0
    print("report: ok: every comparison shown within %s of the baseline or faster" % t, file=out)
    return 0
