"""Rule 2: a family of cells, each measured in interleaved rounds, judged together.

``family_verdicts``. Why this choice: the t-test's p reaches any level with 2+ rounds (the exact
signed-rank test cannot go below 2/2^n, so with m = 78 it could never call below 12 rounds), BH keeps
the power to call many cells that all moved (the usual case: a change touches a whole experiment), and BY
intervals keep the shown intervals honest after selection. BH is valid for independent or
positively dependent tests; cells of one round share the round's conditions, which correlates
them positively if at all. Equivalence is a per-cell claim at level (1 - confidence) / 2 (TOST);
it is not what the gate fails on, so it takes no multiplicity correction.

Error rates (the scenarios of tests/test_verdicts.py with 30 families of 150 cells each, 3 %
lognormal per-round noise, threshold 5 %):

======  =============================  ===================  ===================
rounds  A/A: called / equivalent       +10 % everywhere     +20 % everywhere
======  =============================  ===================  ===================
6       0.0 % / 77.0 %                 81.5 % slower        100 %
8       0.0 % / 95.0 %                 95.5 %               100 %
9       0.0 % / 98.1 %                 98.3 %               100 %
10      0.0 % / 98.9 %                 99.0 %               100 %
======  =============================  ===================  ===================

30 of 150 cells +20 %, 6 rounds (100 families): 100 % of them found, false discoveries 0.0 %
of calls, 78 % of the other 120 equivalent; the adjusted intervals of selected cells miss the
truth in 0.7 % (false-coverage rate, bound 5 %). Never "faster" in any of these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import stats as sps

from report.analysis.verdicts.core import (
    CONFIDENCE,
    EQUIVALENT,
    FASTER,
    HIGHER,
    INCONCLUSIVE,
    LOWER,
    SLOWER,
    _band,
    _clean,
    _judge,
    _min_effect_p,
    _pivot,
    _rounds_to_settle,
    paired_verdict,
)


@dataclass(frozen=True)
class Family:
    """The verdicts of a family of comparisons judged together (``family_verdicts``).

    ``cells`` holds one Verdict per input, in order. ``selected`` counts the cells
    Benjamini–Hochberg selected as beyond the threshold, ``level`` the confidence of their
    false-coverage-rate adjusted intervals (1 - selected × alpha / m); every other cell's interval is
    the plain ``confidence`` one. ``counts`` holds the number of each verdict.
    """

    cells: list
    selected: int
    level: float
    alpha: float
    counts: dict = field(default_factory=dict)

    def summary(self) -> str:
        """The counts of all four verdicts, the sentence the page's summary prints."""
        parts = ["%d %s" % (n, v) for v, n in self.counts.items() if n]
        return "%d comparisons: %s" % (len(self.cells), ", ".join(parts) or "none")


def family_verdicts(
    log_ratios: Sequence[Sequence[float]],
    threshold: float,
    *,
    better: int | Sequence[int] = -1,
    confidence: float = CONFIDENCE,
    n_first: int | None = None,
) -> Family:
    """Verdicts on a family of cells (an experiment's ~150 comparisons), each from its own rounds.

    Rule: each cell's two-sided p of "beyond the threshold" (two shifted one-sided t-tests on its
    per-round log ratios, ``Verdict.p_value``) enters Benjamini–Hochberg at ``alpha = 1 -
    confidence``. The R cells it selects are "faster"/"slower", and their intervals are the
    false-coverage-rate adjusted ones of Benjamini & Yekutieli (2005), at level 1 - R·alpha/m: with
    that level, a cell is selected exactly when its adjusted interval lies beyond the threshold, so
    a selected cell's printed interval always agrees with its verdict. Every other cell shows its
    plain ``confidence`` interval and is "equivalent" when that lies inside ±threshold, else
    "inconclusive" (a cell beyond the threshold on its own that the family does not select says so
    in its note).

    Why this choice, and the error rates measured: the module docstring.

    Parameters
    ----------
    log_ratios
        One sequence of per-round log ratios per cell (lengths may differ).
    threshold, better, confidence, n_first
        As in ``paired_verdict``; ``better`` may be one per cell.

    Returns
    -------
    Family
    """
    delta = _band(threshold)
    alpha = 1 - confidence
    m = len(log_ratios)
    senses = [better] * m if isinstance(better, (int, np.integer)) else list(better)
    if len(senses) != m:
        raise ValueError("%d directions given for %d cells" % (len(senses), m))
    pivots = [_pivot(_clean(x), n_first) for x in log_ratios]
    sizes = [_clean(x).size for x in log_ratios]
    p = _min_effect_p(*(np.array([q[j] for q in pivots]) for j in range(3)), delta)
    chosen, tested = bh_select(p, alpha)
    level = 1 - int(chosen.sum()) * alpha / tested if chosen.any() else confidence
    cells = []
    for i in range(m):
        if sizes[i] < 2:
            cells.append(paired_verdict(log_ratios[i], threshold, better=senses[i], confidence=confidence))
            continue
        note = "Stein two-stage interval" if n_first and sizes[i] >= n_first else ""
        args = (*pivots[i][:3], sizes[i], pivots[i][3], delta, threshold)
        cells.append(_member(args, level if chosen[i] else None, confidence, senses[i], p[i], note, tested))
    counts = {w: 0 for w in (SLOWER, FASTER, HIGHER, LOWER, EQUIVALENT, INCONCLUSIVE)}
    for v in cells:
        counts[v.verdict] += 1
    return Family(cells, int(chosen.sum()), level, alpha, counts)


def bh_select(p: np.ndarray, alpha: float) -> tuple:
    """(the cells Benjamini–Hochberg selects at ``alpha``, how many were tested); NaN p untested."""
    tested = np.isfinite(p)
    chosen = np.zeros(p.size, dtype=bool)
    if tested.any():
        q = np.full(p.size, np.nan)
        q[tested] = sps.false_discovery_control(p[tested], method="bh")
        chosen = tested & (q <= alpha)
    return chosen, int(tested.sum())


def _member(args: tuple, level: float | None, confidence: float, better: int, p: float, note: str, m: int):
    """One cell of a family: at the adjusted ``level`` when selected (``level`` not None), else at
    ``confidence`` with a change the family did not select turned inconclusive."""
    center, se, df, n, sd, delta, threshold = args
    if level is not None:
        v = _judge(center, se, df, n, sd, delta, threshold, level, better, p, note)
        if v.changed:
            return v
        # numerically on the edge: the adjusted interval just touches the band
    v = _judge(center, se, df, n, sd, delta, threshold, confidence, better, p, note)
    if level is None and v.changed:
        extra = "beyond the threshold on its own, not after the family's false-discovery control"
        settle = _rounds_to_settle(center, sd, n, delta, 1 - (1 - confidence) / max(m, 1))
        v = replace(
            v, verdict=INCONCLUSIVE, rounds_to_settle=settle, note="; ".join(t for t in (note, extra) if t)
        )
    return v
