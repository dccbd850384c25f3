"""Verdicts a user can act on: faster / slower / equivalent / inconclusive, with their error rates.

The decision core of gilbench's comparisons, the CI gate and ``advise`` (issue 19). numpy and scipy
only; it imports nothing from report/ or experiments/, so it can be tested on synthetic data with
known answers (tests/test_verdicts.py) and wired in by whichever module reads the runs.

Everything works on **log ratios** (log of B / A for one metric of one cell). A threshold ``t`` is a
relative change (0.05 is 5 %) and means the band ``|log ratio| < log(1 + t)`` in both directions,
for any ``t >= 0``; nothing raises it. Every rule ends in one of four verdicts, read off the interval
the rule shows:

* ``slower`` / ``faster`` (or ``higher`` / ``lower`` for a metric with no better direction): the
  interval lies entirely beyond the threshold: the change beyond the threshold is *shown*;
* ``equivalent``: the interval lies entirely inside ``±threshold`` (two one-sided tests, TOST);
* ``inconclusive``: neither. Each verdict carries the smallest change the data could have found
  (80 % power) and the rounds that would settle it.

Because a verdict is a property of the printed interval, the page can never print an interval that
contradicts its verdict. A "slower" is wrong (true change inside the threshold or the other way)
with probability at most (1 - confidence) / 2, and so is an "equivalent" (true change at or beyond
the threshold); see each function for the rates measured in tests/test_verdicts.py.

The rules, one function each:

1. ``paired_verdict``: one cell, interleaved rounds (per-round log ratios; drift cancels).
2. ``family_verdicts``: many cells judged together: Benjamini–Hochberg on the t-test p-values of
   "beyond the threshold", and false-coverage-rate adjusted intervals (Benjamini–Yekutieli) for
   the cells it selects.
3. ``pooled_verdict``: one figure for a workload or experiment (geometric mean over cells), its
   interval from the rounds as units, so cells measured in the same round count as correlated.
4. ``separate_runs`` (+ ``run_noise``, ``steadiness``): runs started separately: a run-level common
   shift and the cells' dispersion around it, both estimated from the data; the candidate run never
   enters its own noise estimate, and a candidate whose machine changed under it (its rounds moved
   together more than the baseline runs' did) gets no verdict on the shift.
5. ``machine_change`` + ``attribute``: did the machine's own readings (capacity, loop speed) move
   beyond their noise, and is a cell's change the machine's or the code's.
6. ``stein_rounds`` / ``settled``: adaptive rounds (Stein's two-stage procedure) whose final
   interval keeps its coverage although the harness asks after every round.
7. ``advise``: choose among options measured against one baseline, never one its data shows slower.
"""

from __future__ import annotations

from report.analysis.verdicts.choice import Advice, advise
from report.analysis.verdicts.core import (
    CHANGED,
    CONFIDENCE,
    DRIFT_LIMIT,
    EQUIVALENT,
    FASTER,
    HIGHER,
    INCONCLUSIVE,
    LOWER,
    N_FIRST,
    POWER,
    SLOWER,
    Verdict,
    paired_verdict,
)
from report.analysis.verdicts.machine import MachineChange, attribute, machine_change
from report.analysis.verdicts.paired import Family, family_verdicts
from report.analysis.verdicts.pooled import Pooled, pooled_verdict
from report.analysis.verdicts.separate import (
    RunNoise,
    SeparateRuns,
    Steadiness,
    round_levels,
    run_noise,
    separate_runs,
    steadiness,
)
from report.analysis.verdicts.stopping import group_settled, settled, stein_rounds

__all__ = [
    "CHANGED",
    "CONFIDENCE",
    "DRIFT_LIMIT",
    "EQUIVALENT",
    "FASTER",
    "HIGHER",
    "INCONCLUSIVE",
    "LOWER",
    "N_FIRST",
    "POWER",
    "SLOWER",
    "Advice",
    "Family",
    "MachineChange",
    "Pooled",
    "RunNoise",
    "SeparateRuns",
    "Steadiness",
    "Verdict",
    "advise",
    "attribute",
    "family_verdicts",
    "group_settled",
    "machine_change",
    "paired_verdict",
    "pooled_verdict",
    "round_levels",
    "run_noise",
    "separate_runs",
    "settled",
    "steadiness",
    "stein_rounds",
]
