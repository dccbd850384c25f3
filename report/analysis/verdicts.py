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
4. ``separate_runs`` (+ ``run_noise``): runs started separately: a run-level common shift and the
   cells' dispersion around it, both estimated from the data; the candidate run never enters its
   own noise estimate.
5. ``machine_change`` + ``attribute``: did the machine's own readings (capacity, loop speed) move
   beyond their noise, and is a cell's change the machine's or the code's.
6. ``stein_rounds`` / ``settled``: adaptive rounds (Stein's two-stage procedure) whose final
   interval keeps its coverage although the harness asks after every round.
7. ``advise``: choose among options measured against one baseline, never one its data shows slower.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import special as spc
from scipy import stats as sps

#: Default confidence of every interval (and 1 - ALPHA the level of every test).
CONFIDENCE = 0.95
#: Power at which "the smallest change it could have detected" and "rounds to settle" are computed.
POWER = 0.80
#: Rounds beyond which ``rounds_to_settle`` reads as unreachable (inf).
ROUNDS_CAP = 10_000
#: Rounds Stein's first stage runs before the total is fixed (the harness's minimum today).
N_FIRST = 6
#: A common shift between two single runs larger than this factor is not put down to machine drift
#: (the 2-core machine here has run one loop at 75 and, minutes later, 130 ns per iteration: 1.73x).
DRIFT_LIMIT = 2.0

FASTER, SLOWER, EQUIVALENT, INCONCLUSIVE = "faster", "slower", "equivalent", "inconclusive"
HIGHER, LOWER = "higher", "lower"
#: Verdicts that claim a change.
CHANGED = (FASTER, SLOWER, HIGHER, LOWER)


# --------------------------------------------------------------------------------------------------
# The result of every rule


@dataclass(frozen=True)
class Verdict:
    """One comparison's decision and the figures behind it.

    Attributes
    ----------
    verdict
        "faster", "slower" (or "higher"/"lower" when ``better == 0``), "equivalent", "inconclusive".
    ratio
        The estimate, exp(mean log ratio): the geometric mean of the per-round ratios (B / A).
    low, high
        The interval of the ratio the verdict was read from (NaN when there is none).
    confidence
        That interval's level: ``CONFIDENCE`` unless a family widened it for a selected cell
        (false-coverage-rate adjustment) or a procedure says otherwise.
    threshold
        The relative threshold the verdict was judged against (0.05: ±5 %).
    n
        Rounds (or cells, or runs) the estimate rests on.
    sd
        Standard deviation of one log ratio (one round's), NaN with fewer than 2.
    se
        Standard error of the mean log ratio; ``df`` its degrees of freedom (t distribution).
    p_value
        Two-sided p of "the change lies beyond the threshold" (H0: |log ratio| <= log(1 + threshold)),
        the p Benjamini–Hochberg adjusts; NaN when untested.
    detectable
        The smallest relative change (0.07: 7 %) this noise and these rounds find beyond the
        threshold with 80 % power at the interval's level.
    rounds_to_settle
        Rounds (in total) that would likely settle the verdict at this noise and this estimate (80 %
        power): ``n`` when already settled, inf when the estimate sits on the threshold.
    note
        Why there is no verdict, or what else a reader must know; empty otherwise.
    """

    verdict: str
    ratio: float
    low: float
    high: float
    confidence: float
    threshold: float
    n: int
    sd: float = math.nan
    se: float = math.nan
    df: float = math.nan
    p_value: float = math.nan
    detectable: float = math.nan
    rounds_to_settle: float = math.nan
    note: str = ""

    @property
    def changed(self) -> bool:
        """Whether the verdict claims a change (faster, slower, higher, lower)."""
        return self.verdict in CHANGED

    @property
    def settled(self) -> bool:
        """Whether the verdict is a decision (anything but inconclusive)."""
        return self.verdict != INCONCLUSIVE

    @property
    def log_ratio(self) -> float:
        return math.log(self.ratio) if self.ratio > 0 else math.nan

    def describe(self) -> str:
        """One line a page or the gate can print: verdict, ratio, interval, threshold."""
        if not math.isfinite(self.ratio):
            return "%s (%s)" % (self.verdict, self.note or "no estimate")
        text = "%s: %.3gx [%.3g–%.3g] at ±%.3g %%" % (
            self.verdict,
            self.ratio,
            self.low,
            self.high,
            self.threshold * 100,
        )
        if not self.settled and math.isfinite(self.rounds_to_settle):
            text += "; about %d rounds would settle it" % self.rounds_to_settle
        return text + ("; " + self.note if self.note else "")


def _band(threshold: float) -> float:
    if not (threshold >= 0 and math.isfinite(threshold)):
        raise ValueError("threshold must be a finite relative change >= 0, got %r" % (threshold,))
    return math.log1p(threshold)


def _name(sign: float, better: int) -> str:
    """The verdict word for a change of sign ``sign`` (+1: the ratio grew) of a metric whose better
    direction is ``better`` (+1 higher is better, -1 lower is better, 0 neither)."""
    if better == 0:
        return HIGHER if sign > 0 else LOWER
    return FASTER if (sign > 0) == (better > 0) else SLOWER


def _tq(q, df):
    """t quantile (scipy.special.stdtrit: the normal one for infinite degrees of freedom)."""
    return spc.stdtrit(np.asarray(df, dtype=float), q)


def _min_effect_p(center, se, df, delta):
    """Two-sided p of H0: |mu| <= delta (two one-sided minimum-effect t-tests, the smaller doubled):
    p <= a exactly when the (1 - a) two-sided t interval lies entirely beyond ±delta."""
    center, se, df = (np.asarray(v, dtype=float) for v in (center, se, df))
    with np.errstate(divide="ignore", invalid="ignore"):
        up = (center - delta) / se
        down = (center + delta) / se
        p = 2 * np.minimum(spc.stdtr(df, -up), spc.stdtr(df, down))
    exact = se == 0
    p = np.where(exact, np.where(np.abs(center) > delta, 0.0, 1.0), p)
    return np.minimum(1.0, np.where(np.isfinite(center) & (se >= 0), p, np.nan))


def _rounds_to_settle(center: float, sd: float, n: int, delta: float, level: float, df_fixed=None) -> float:
    """Total rounds that would put a ``level`` interval clear of the threshold with POWER, for a
    true log ratio equal to ``center`` and a per-round sd ``sd`` (equivalence when inside the band)."""
    if not (math.isfinite(center) and math.isfinite(sd)) or n < 1:
        return math.inf
    gap = abs(abs(center) - delta)
    if sd == 0:
        return float(n) if gap > 0 else math.inf
    if gap == 0:
        return math.inf
    a = 1 - level
    m = max(2.0, ((float(_tq(1 - a / 2, math.inf)) + float(_tq(POWER, math.inf))) * sd / gap) ** 2)
    for _ in range(20):  # fixed point with t quantiles at the rounds it gives
        df = df_fixed if df_fixed else min(m - 1, 1e6)
        new = ((float(_tq(1 - a / 2, df)) + float(_tq(POWER, df))) * sd / gap) ** 2
        new = max(2.0, new)
        if abs(new - m) < 0.5:
            m = new
            break
        m = new
    return float(math.ceil(m)) if m <= ROUNDS_CAP else math.inf


def _judge_many(center, se, df, n, sd, delta, threshold, level, better, p, notes) -> list:
    """The four-way verdicts read off the ``level`` t intervals center ± t se, one per element
    (every argument but ``delta`` and ``threshold`` an array or a scalar for all)."""
    center, se, df, n, sd, level, better, p = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(v, dtype=float)) for v in (center, se, df, n, sd, level, better, p))
    )
    notes = [notes] * center.size if isinstance(notes, str) else list(notes)
    ok = np.isfinite(center) & np.isfinite(se) & (n >= 1)
    with np.errstate(invalid="ignore"):
        q = _tq(1 - (1 - level) / 2, np.where(ok, df, 1.0))
        half = np.where(se > 0, q * se, 0.0)
        lo, hi = center - half, center + half
        detect = np.where(se > 0, delta + (q + _tq(POWER, np.where(ok, df, 1.0))) * se, delta)
        up, down = lo > delta, hi < -delta
        inside = (-delta < lo) & (hi < delta)
    out = []
    for i in range(center.size):
        if not ok[i]:
            out.append(
                Verdict(
                    INCONCLUSIVE, math.nan, math.nan, math.nan, level[i], threshold, int(n[i]), note=notes[i]
                )
            )
            continue
        if up[i] or down[i]:
            word = _name(1 if up[i] else -1, int(better[i]))
        else:
            word = EQUIVALENT if inside[i] else INCONCLUSIVE
        if not math.isfinite(sd[i]):  # no per-round sd (runs started separately): no rounds to add
            settle = math.nan
        elif word != INCONCLUSIVE:
            settle = float(n[i])
        else:
            settle = _rounds_to_settle(center[i], sd[i], int(n[i]), delta, level[i])
        out.append(
            Verdict(
                word,
                math.exp(center[i]),
                math.exp(lo[i]),
                math.exp(hi[i]),
                float(level[i]),
                threshold,
                int(n[i]),
                float(sd[i]),
                float(se[i]),
                float(df[i]),
                float(p[i]),
                math.expm1(detect[i]),
                settle,
                notes[i],
            )
        )
    return out


def _judge(center, se, df, n, sd, delta, threshold, level, better, p, note="") -> Verdict:
    """The four-way verdict read off the ``level`` t interval center ± t se."""
    return _judge_many(center, se, df, n, sd, delta, threshold, level, better, p, note)[0]


# --------------------------------------------------------------------------------------------------
# 1. Paired rounds, one cell


def _clean(log_ratios) -> np.ndarray:
    x = np.asarray(log_ratios, dtype=float).ravel()
    return x[np.isfinite(x)]


def _pivot(x: np.ndarray, n_first: int | None) -> tuple:
    """(center, se, df, sd) of finite log ratios: the t statistic's parts. With ``n_first`` (Stein's
    two-stage procedure) the sd is the first stage's and df = n_first - 1, whatever came after."""
    n = x.size
    if n == 0:
        return math.nan, math.nan, math.nan, math.nan
    center = float(x.mean())
    if n_first is not None and n >= n_first >= 2:
        sd = float(x[:n_first].std(ddof=1))
        return center, sd / math.sqrt(n), float(n_first - 1), sd
    if n < 2:
        return center, math.nan, math.nan, math.nan
    sd = float(x.std(ddof=1))
    return center, sd / math.sqrt(n), float(n - 1), sd


def paired_verdict(
    log_ratios: Sequence[float],
    threshold: float,
    *,
    better: int = -1,
    confidence: float = CONFIDENCE,
    n_first: int | None = None,
) -> Verdict:
    """The verdict on one cell measured in interleaved rounds.

    Parameters
    ----------
    log_ratios
        One value per round: log(B / A) of the metric, both measured in that round (NaN rounds are
        left out). Drift between rounds cancels in each ratio, so no run-to-run noise is added.
    threshold
        The relative change that matters (0.05: ±5 %), any value >= 0, used as given.
    better
        +1 when a larger metric is better (speedup, throughput), -1 when smaller is (times), 0 when
        neither (the verdict says "higher"/"lower").
    confidence
        Level of the interval (and so each one-sided error rate is (1 - confidence) / 2).
    n_first
        For rounds that stopped by ``settled`` (Stein's two-stage procedure): the first stage's
        size; the interval then uses that stage's sd and t with n_first - 1 degrees of freedom,
        which keeps its coverage exact whatever total the first stage chose.

    Returns
    -------
    Verdict
        ``ratio`` = geometric mean of the per-round ratios, the ``confidence`` t interval on the log
        ratios, the four-way verdict read off it, ``detectable`` and ``rounds_to_settle``.

    Notes
    -----
    Error rates (measured with the scenarios of tests/test_verdicts.py, 4000 simulations each;
    lognormal per-round noise of 3 %, threshold 5 %):

    * 9 rounds. A/A: "faster"/"slower" 0.0 % (bound 2.5 %), "equivalent" 98.2 %. A true +10 %:
      "slower" 98.4 %, "faster" 0; +20 %: 100 %. The 95 % interval covers the true ratio 95.0 %
      (A/A) and 95.2 % (+10 %).
    * 6 rounds. A/A: 0.0 % called, 78.5 % equivalent; +10 %: 85.0 % slower; coverage 95.6–95.8 %.
    * A true change exactly at the threshold is called "slower" in 2.3–2.4 % (bound 2.5 %): "slower"
      means the data show the change *beyond* the threshold.
    """
    delta = _band(threshold)
    x = _clean(log_ratios)
    center, se, df, sd = _pivot(x, n_first)
    if x.size < 2:
        note = "needs 2 rounds or more for an interval (has %d)" % x.size
        return Verdict(
            INCONCLUSIVE,
            math.exp(center) if x.size else math.nan,
            math.nan,
            math.nan,
            confidence,
            threshold,
            int(x.size),
            rounds_to_settle=math.inf,
            note=note,
        )
    p = float(_min_effect_p(center, se, df, delta))
    stein = n_first is not None and x.size >= n_first
    note = "Stein two-stage interval (first %d rounds fix the sd)" % n_first if stein else ""
    return _judge(center, se, df, x.size, sd, delta, threshold, confidence, better, p, note)


# --------------------------------------------------------------------------------------------------
# 2. A family of cells


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

    Why this choice: the t-test's p reaches any level with 2+ rounds (the exact signed-rank test
    cannot go below 2/2^n, so with m = 78 it could never call below 12 rounds), BH keeps the power
    to call many cells that all moved (the usual case: a change touches a whole experiment), and BY
    intervals keep the shown intervals honest after selection. BH is valid for independent or
    positively dependent tests; cells of one round share the round's conditions, which correlates
    them positively if at all. Equivalence is a per-cell claim at level (1 - confidence) / 2 (TOST);
    it is not what the gate fails on, so it takes no multiplicity correction.

    Parameters
    ----------
    log_ratios
        One sequence of per-round log ratios per cell (lengths may differ).
    threshold, better, confidence, n_first
        As in ``paired_verdict``; ``better`` may be one per cell.

    Returns
    -------
    Family

    Notes
    -----
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
    delta = _band(threshold)
    alpha = 1 - confidence
    m = len(log_ratios)
    senses = [better] * m if isinstance(better, (int, np.integer)) else list(better)
    if len(senses) != m:
        raise ValueError("%d directions given for %d cells" % (len(senses), m))
    pivots = [_pivot(_clean(x), n_first) for x in log_ratios]
    sizes = [_clean(x).size for x in log_ratios]
    center = np.array([p[0] for p in pivots])
    se = np.array([p[1] for p in pivots])
    df = np.array([p[2] for p in pivots])
    p = _min_effect_p(center, se, df, delta)
    tested = np.isfinite(p)
    chosen = np.zeros(m, dtype=bool)
    if tested.any():
        q = np.full(m, np.nan)
        q[tested] = sps.false_discovery_control(p[tested], method="bh")
        chosen = tested & (q <= alpha)
    r = int(chosen.sum())
    mt = int(tested.sum())
    level = 1 - r * alpha / mt if r else confidence
    cells = []
    for i in range(m):
        c, s, d, sd = pivots[i]
        note = "Stein two-stage interval" if n_first and sizes[i] >= n_first else ""
        if sizes[i] < 2:
            cells.append(paired_verdict(log_ratios[i], threshold, better=senses[i], confidence=confidence))
            continue
        if chosen[i]:
            v = _judge(c, s, d, sizes[i], sd, delta, threshold, level, senses[i], p[i], note)
            if not v.changed:  # numerically on the edge: the adjusted interval just touches the band
                v = _judge(c, s, d, sizes[i], sd, delta, threshold, confidence, senses[i], p[i], note)
        else:
            v = _judge(c, s, d, sizes[i], sd, delta, threshold, confidence, senses[i], p[i], note)
            if v.changed:
                extra = "beyond the threshold on its own, not after the family's false-discovery control"
                v = replace(
                    v,
                    verdict=INCONCLUSIVE,
                    rounds_to_settle=_rounds_to_settle(c, sd, sizes[i], delta, 1 - alpha / max(mt, 1)),
                    note="; ".join(t for t in (note, extra) if t),
                )
        cells.append(v)
    counts = {w: 0 for w in (SLOWER, FASTER, HIGHER, LOWER, EQUIVALENT, INCONCLUSIVE)}
    for v in cells:
        counts[v.verdict] += 1
    return Family(cells, r, level, alpha, counts)


# --------------------------------------------------------------------------------------------------
# 3. Pooling the cells of a workload or experiment


@dataclass(frozen=True)
class Pooled:
    """One figure for many cells (``pooled_verdict``).

    ``verdict`` judges the geometric mean over cells of their geometric-mean ratios. ``cells`` is
    how many cells entered, ``rounds`` how many rounds; ``same_direction`` the fraction of cells
    whose own estimate points the pooled way; ``heterogeneity`` the sd (log) of the cells' true
    changes around the pooled one beyond their noise (method of moments, 0 when none shows): a
    pooled figure speaks for every cell only when it is small against the pooled change.
    """

    verdict: Verdict
    cells: int
    rounds: int
    same_direction: float
    heterogeneity: float


def pooled_verdict(
    log_ratios,
    threshold: float,
    *,
    better: int = -1,
    confidence: float = CONFIDENCE,
) -> Pooled:
    """The pooled verdict of a workload or experiment: did its cells move together, and by how much.

    Parameters
    ----------
    log_ratios
        Array-like of shape (rounds, cells): log(B / A) of each cell in each interleaved round, NaN
        where a cell has no value in a round. All cells must be of one better direction.
    threshold, better, confidence
        As in ``paired_verdict``.

    Returns
    -------
    Pooled

    Notes
    -----
    Estimate: the mean over cells of each cell's mean log ratio (the geometric mean over cells of
    their geometric-mean ratios, as pyperformance summarises many benchmarks). Interval: the round
    is the independent unit. The delete-one-round jackknife of that estimate, with t on rounds - 1
    degrees of freedom; with every cell in every round this is exactly the t interval of the
    per-round means over cells, so a disturbance that hits every cell of a round counts once, not
    once per cell (cells are correlated through their round, and treating them as independent
    would give intervals far too narrow). The estimand is the mean change over *these* cells (fixed
    effects); ``heterogeneity`` says how much the cells differ around it.

    Error rates (the scenarios of tests/test_verdicts.py: 20 cells, 9 rounds, 3 % per-cell noise
    plus a 2 % disturbance shared by all cells of a round, threshold 2 %; 4000 and 1000
    simulations): A/A called 0.0 % (bound 2.5 %), interval coverage 95.4 % (an interval that
    treats the 180 values as independent covers 53 %); a +5 % common change is called "slower" in
    95.2 % (cell by cell, the same data call only 39 % of cells), never "faster".
    """
    delta = _band(threshold)
    x = np.asarray(log_ratios, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    keep_rounds = np.isfinite(x).any(axis=1)
    keep_cells = np.isfinite(x).sum(axis=0) >= 1
    x = x[keep_rounds][:, keep_cells]
    n, k = x.shape
    if n < 2 or k == 0:
        v = paired_verdict(
            np.nanmean(x, axis=1) if k else [], threshold, better=better, confidence=confidence
        )
        return Pooled(v, k, n, math.nan, math.nan)
    means = np.nanmean(x, axis=0)
    center = float(means.mean())
    if np.isfinite(x).all():  # the jackknife of a mean of round means is their t interval exactly
        jack = (n * center - x.mean(axis=1)) / (n - 1)
    else:
        jack = _jackknife(x, center)
    se = math.sqrt((n - 1) / n * float(np.sum((jack - jack.mean()) ** 2)))
    sd = se * math.sqrt(n)
    df = float(n - 1)
    p = float(_min_effect_p(center, se, df, delta))
    v = _judge(center, se, df, n, sd, delta, threshold, confidence, better, p)
    # Heterogeneity: the cells' spread around the pooled figure beyond their own noise, with the
    # round effects (shared by a round's cells) taken out first.
    centred = x - np.nanmean(x, axis=1, keepdims=True)
    counts = np.isfinite(centred).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cell_var = np.nanvar(centred, axis=0, ddof=1) / counts
    spread = float(np.var(means, ddof=1)) if k > 1 else 0.0
    tau2 = max(0.0, spread - float(np.nanmean(cell_var))) if k > 1 else 0.0
    same = float(np.mean(np.sign(means) == np.sign(center))) if center != 0 else math.nan
    return Pooled(v, k, n, same, math.sqrt(tau2))


def _jackknife(x: np.ndarray, center: float) -> np.ndarray:
    """Delete-one-round estimates of the mean over cells of the cells' means (NaN-aware)."""
    n = x.shape[0]
    jack = np.empty(n)
    for j in range(n):
        rest = np.delete(x, j, axis=0)
        if np.isfinite(rest).any(axis=0).all():
            with np.errstate(invalid="ignore"):
                jack[j] = float(np.nanmean(rest, axis=0).mean())
        else:  # a cell seen only in round j: leaving it out would change the estimand
            jack[j] = center
    return jack


# --------------------------------------------------------------------------------------------------
# 4. Runs started separately


@dataclass(frozen=True)
class RunNoise:
    """Run-to-run noise measured from repeated runs of the *baseline* (``run_noise``).

    ``shift_sd``: standard deviation (log) of a run's common shift, the level all its cells move
    together by, with ``shift_df`` degrees of freedom (runs - 1). ``cell_sd``: standard deviation
    (log) of one cell's value around its run's shift, robust (MAD), with ``cell_df`` degrees of
    freedom. ``runs`` and ``cells`` say what it rests on.
    """

    shift_sd: float
    shift_df: int
    cell_sd: float
    cell_df: int
    runs: int
    cells: int


def _mad_sd(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    if x.size < 2:
        return math.nan
    return float(1.4826 * np.median(np.abs(x - np.median(x))))


def run_noise(baseline_log_values) -> RunNoise:
    """Run-to-run noise from two or more separately started runs of the same code (the baseline).

    Parameters
    ----------
    baseline_log_values
        Array-like (runs, cells): each run's log median of each cell, NaN where missing. Pass only
        runs of the baseline code: a candidate run never enters its own noise estimate (a 2x
        regression that enters it inflates the noise until it hides itself, issue 19).

    Returns
    -------
    RunNoise
        Each run's common shift is the median over cells of its deviation from the cells' means
        over runs (robust to a few odd cells); ``shift_sd`` their sd (ddof 1). ``cell_sd`` is the
        robust sd of the residuals (cell values minus the cell's mean and the run's shift), scaled
        by sqrt(runs / (runs - 1)) for the centring.
    """
    x = np.asarray(baseline_log_values, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError("run_noise needs two or more baseline runs: an array of shape (runs, cells)")
    k = x.shape[0]
    resid = x - np.nanmean(x, axis=0, keepdims=True)
    shifts = np.nanmedian(resid, axis=1)
    shift_sd = float(np.std(shifts, ddof=1))
    cell_resid = resid - shifts[:, None]
    cell_sd = _mad_sd(cell_resid.ravel()) * math.sqrt(k / (k - 1))
    finite = int(np.isfinite(cell_resid).sum())
    cells = int(np.isfinite(x).any(axis=0).sum())
    return RunNoise(shift_sd, k - 1, cell_sd, max(1, finite - cells - k + 1), k, cells)


@dataclass(frozen=True)
class SeparateRuns:
    """Two separately started runs compared (``separate_runs``).

    ``shift``: the verdict on the common shift, the run-level change of all cells together.
    ``cause``: "code" when the shift is judged against measured run-to-run noise (baseline runs
    repeated, or ``RunNoise`` given) or lies beyond any machine drift; "machine or code" when one
    pair of runs cannot tell (the shift's verdict is then "inconclusive"). ``cells``: one Verdict per
    cell on its change *beyond the common shift*, judged as a family against the cells' dispersion
    around the shift. ``dispersion``: that dispersion (sd, log), ``noise_source`` where it came from.
    """

    shift: Verdict
    cause: str
    cells: list
    dispersion: float
    noise_source: str
    noise: RunNoise | None = None


def separate_runs(
    baseline_log_values,
    candidate_log_values: Sequence[float],
    threshold: float,
    *,
    better: int = -1,
    confidence: float = CONFIDENCE,
    noise: RunNoise | None = None,
    drift_limit: float = DRIFT_LIMIT,
) -> SeparateRuns:
    """Compare a run with a baseline when they were started separately (no shared rounds).

    Model: the candidate's log value of cell c minus the baseline's is ``shift + u_c + e_c``: a
    run-level common shift (machine drift, or a change of the code that touches everything), a
    cell-specific change ``u_c`` (zero for most cells), and noise ``e_c`` (the cell's own run-to-run
    wobble). The shift is the median over cells of the differences (robust to a minority of changed
    cells), the dispersion the robust sd of the differences around it.

    * The common shift is judged against the run-to-run sd of a run's shift, which only repeated
      runs of the baseline measure: pass two or more baseline runs (``baseline_log_values`` of
      shape (runs, cells)) or a ``noise`` measured earlier (``run_noise``, e.g. from ``make aa``).
      Its interval is shift ± t(shift_df) × shift_sd × sqrt(1 + 1/runs). Without it, a single pair
      cannot tell the code from the machine: the shift is "inconclusive" with cause "machine or
      code", unless its interval (from the cells' dispersion) lies beyond ``drift_limit`` (2x by
      default), more than any machine drift gives, when it is called with cause "code".
    * Each cell's change beyond the shift is judged as a family (Benjamini–Hochberg, as
      ``family_verdicts``) with normal intervals of sd = the dispersion: from the baseline runs'
      own residuals when there are two or more (so the candidate run never sets its own noise),
      else the robust sd of the candidate's differences around the shift.
    * Run-to-run noise is never added to same-round ratios (``speedup`` measured in a round):
      judge those with ``paired_verdict``/``family_verdicts`` on their per-round values.

    Parameters
    ----------
    baseline_log_values
        (cells,) or (runs, cells): the baseline run(s)' log medians per cell.
    candidate_log_values
        (cells,): the candidate run's log medians per cell, aligned with the baseline's.
    threshold, better, confidence
        As in ``paired_verdict``.
    noise
        Run-to-run noise measured elsewhere; overrides what baseline runs would give.
    drift_limit
        The factor beyond which a common shift is not machine drift.

    Returns
    -------
    SeparateRuns

    Notes
    -----
    Error rates (the scenarios of tests/test_verdicts.py, 150 cells, 2 % cell noise per run, 3 %
    run-to-run sd of the common shift, threshold 5 %; 1000 simulations each):

    * A/A with a 3 % offset, one pair: 0 of 150 000 cells called, the shift never called (always
      "inconclusive", "machine or code"). A/A against 5 (3) baseline runs: shift called 0.4 %
      (0.3 %), cells 0.0 %.
    * 20 % in 10 of 150 cells, one pair: 87.4 % of them found (99.6 % against 3 baseline runs),
      false calls 0.0 %; A/A with only 12 cells at 4 % noise: 0.01 % called.
    * A common +10 % against 5 baseline runs: "slower" in 20.5 % at 3 % run-to-run sd, 88 % at 1 %:
      a common shift of separately started runs is only as visible as the runs' own spread allows
      (interleave to see it). A 2x slowdown of everything against 3 baseline runs: "slower", cause
      "code", 100 %; 3x with one pair: "slower" (beyond ``drift_limit``).
    """
    delta = _band(threshold)
    base = np.asarray(baseline_log_values, dtype=float)
    if base.ndim == 1:
        base = base[None, :]
    cand = np.asarray(candidate_log_values, dtype=float)
    if base.shape[1] != cand.size:
        raise ValueError("baseline has %d cells, candidate %d" % (base.shape[1], cand.size))
    k = base.shape[0]
    if noise is None and k >= 2:
        noise = run_noise(base)
    diff = cand - np.nanmean(base, axis=0)
    ok = np.isfinite(diff)
    d = diff[ok]
    if d.size == 0:
        v = Verdict(INCONCLUSIVE, math.nan, math.nan, math.nan, confidence, threshold, 0, note="no cell")
        return SeparateRuns(v, "machine or code", [], math.nan, "none")
    shift = float(np.median(d))
    # The cells' dispersion around the shift: from baseline runs when repeated, else from the data.
    if noise is not None and math.isfinite(noise.cell_sd):
        dispersion = noise.cell_sd * math.sqrt(1 + 1 / k)
        dof = float(noise.cell_df)
        source = "the baseline's %d runs (cells around their run's shift)" % noise.runs
    else:
        dispersion = _mad_sd(d - shift) if d.size >= 3 else math.nan
        dof = max(1.0, 0.37 * (d.size - 1))  # a MAD is worth about 37 % of the sd's degrees of freedom
        source = "the cells' dispersion around the common shift (one pair of runs)"
    # The shift.
    shift_note = ""
    if noise is not None and math.isfinite(noise.shift_sd):
        se = noise.shift_sd * math.sqrt(1 + 1 / k)
        p = float(_min_effect_p(shift, se, noise.shift_df, delta))
        sv = _judge(shift, se, noise.shift_df, noise.runs, math.nan, delta, threshold, confidence, better, p)
        cause = "code"
    else:
        se = 1.2533 * dispersion / math.sqrt(d.size) if math.isfinite(dispersion) else math.nan
        limit = math.log(drift_limit)
        half = float(_tq(1 - (1 - confidence) / 2, math.inf)) * se if math.isfinite(se) else math.inf
        lo, hi = shift - half, shift + half
        beyond = lo > limit or hi < -limit
        cause = "code" if beyond else "machine or code"
        word = _name(1 if shift > 0 else -1, better) if beyond else INCONCLUSIVE
        if not beyond:
            shift_note = (
                "one pair of runs: a common shift cannot be told from the machine's drift (run the "
                "baseline twice or more to measure run-to-run noise, or compare interleaved)"
            )
        else:
            shift_note = "beyond %gx, more than machine drift gives" % drift_limit
        sv = Verdict(
            word,
            math.exp(shift),
            math.exp(lo),
            math.exp(hi),
            confidence,
            threshold,
            int(d.size),
            dispersion,
            se,
            math.inf,
            rounds_to_settle=math.inf if not beyond else float(d.size),
            note=shift_note,
        )
    # Cells beyond the shift, as a family with normal (or t on the baseline residuals' df) intervals.
    cells: list = [None] * cand.size
    alpha = 1 - confidence
    if math.isfinite(dispersion) and dispersion >= 0:
        resid = diff - shift
        idx = np.flatnonzero(ok)
        p = _min_effect_p(resid[idx], np.full(idx.size, dispersion), np.full(idx.size, dof), delta)
        q = sps.false_discovery_control(p, method="bh") if idx.size else p
        chosen = q <= alpha
        r = int(chosen.sum())
        level = 1 - r * alpha / idx.size if r else confidence
        levels = np.where(chosen, level, confidence)
        judged = _judge_many(
            resid[idx],
            dispersion,
            dof,
            k + 1,
            math.nan,
            delta,
            threshold,
            levels,
            better,
            p,
            "beyond the common shift",
        )
        for j, i in enumerate(idx):
            v = judged[j]
            if v.changed and not chosen[j]:
                v = replace(
                    v, verdict=INCONCLUSIVE, note=v.note + "; beyond the threshold alone, not after BH"
                )
            cells[i] = v
    for i in range(cand.size):
        if cells[i] is None:
            cells[i] = Verdict(
                INCONCLUSIVE, math.nan, math.nan, math.nan, confidence, threshold, 0, note="no value"
            )
    return SeparateRuns(sv, cause, cells, dispersion, source, noise)


# --------------------------------------------------------------------------------------------------
# 5. Attribution: the machine or the code


@dataclass(frozen=True)
class MachineChange:
    """Whether a machine reading (parallel capacity, single-core loop speed) moved between runs.

    ``ratio`` new / base (geometric means of each run's readings) with its interval ``low``–``high``;
    ``verdict``: "changed" (the interval excludes 1 and the estimate is beyond ``tolerance``: a
    change beyond the readings' own noise), "unchanged" (the interval inside ±tolerance), "unknown"
    (neither, or too few readings to know their noise).
    """

    verdict: str
    ratio: float
    low: float
    high: float
    tolerance: float
    note: str = ""

    @property
    def changed(self) -> bool:
        return self.verdict == "changed"

    @property
    def log_ratio(self) -> float:
        return math.log(self.ratio)


def machine_change(
    base_readings: Sequence[float],
    new_readings: Sequence[float],
    *,
    tolerance: float = 0.05,
    confidence: float = CONFIDENCE,
    reading_sd: float | None = None,
) -> MachineChange:
    """Did the machine change between two runs, beyond the noise of its own readings?

    Parameters
    ----------
    base_readings, new_readings
        Each run's readings of one quantity (positive): capacity at the start, the end and in
        rounds; or single-core loop ns per iteration at the start and end.
    tolerance
        A relative change smaller than this is never "changed" (0.05: 5 %).
    reading_sd
        The sd (log) of one reading when known from elsewhere (e.g. an A/A pair); else estimated
        from the spread within each run (pooled; needs 3 readings over both runs).

    Returns
    -------
    MachineChange
        Welch-free pooled t interval of the difference of mean log readings.

    Notes
    -----
    Error rates (the scenarios of tests/test_verdicts.py, 3 readings a run with 4 % noise each,
    4000 simulations): an unchanged machine reads "changed" in 4.3 % (two-sided bound 5 %: the
    rule leans towards blaming the machine, never the code, for a change it cannot explain),
    "unchanged" in 3 % (3 readings say little); capacity moving 1.14 -> 1.95 is "changed" in 100 %,
    a +10 % move in 61 %.
    """
    a = np.log(_positive(base_readings))
    b = np.log(_positive(new_readings))
    if a.size == 0 or b.size == 0:
        return MachineChange("unknown", math.nan, math.nan, math.nan, tolerance, "no reading in one run")
    est = float(b.mean() - a.mean())
    if reading_sd is not None:
        sd, df = float(reading_sd), math.inf
    else:
        df = a.size + b.size - 2
        if df < 1:
            return MachineChange(
                "unknown", math.exp(est), math.nan, math.nan, tolerance, "one reading a run: noise unknown"
            )
        ss = float(np.sum((a - a.mean()) ** 2) + np.sum((b - b.mean()) ** 2))
        sd = math.sqrt(ss / df)
    se = sd * math.sqrt(1 / a.size + 1 / b.size)
    half = float(_tq(1 - (1 - confidence) / 2, df)) * se
    lo, hi = est - half, est + half
    band = math.log1p(tolerance)
    if (lo > 0 or hi < 0) and abs(est) > band:
        word = "changed"
    elif -band < lo and hi < band:
        word = "unchanged"
    else:
        word = "unknown"
    return MachineChange(word, math.exp(est), math.exp(lo), math.exp(hi), tolerance)


def _positive(values) -> np.ndarray:
    x = np.asarray([float(v) for v in values if v is not None], dtype=float)
    return x[np.isfinite(x) & (x > 0)]


def attribute(cell: Verdict, machine: MachineChange, exponent: float = 1.0) -> str:
    """Whose change a cell's "faster"/"slower" is: "code", "the machine changed", "machine or code".

    Parameters
    ----------
    cell
        The cell's verdict on a raw figure (e.g. its wall time).
    machine
        ``machine_change`` of the reading that figure scales with.
    exponent
        How the figure scales with the reading: the figure's log change the machine alone gives is
        ``exponent × log(machine.ratio)``. Wall time of a parallel cell against capacity: -1; wall
        time of a single-core cell against loop ns per iteration: +1.

    Returns
    -------
    str
        "" for a cell with no change to attribute; "code" when the machine is shown unchanged, or
        when the cell's change beyond what the machine explains still lies beyond the threshold
        (its interval shifted by the machine's expected effect and widened by the machine's
        half-width); "the machine changed" when the machine changed in the direction that explains
        it; "machine or code" when the machine's readings cannot say.

    Notes
    -----
    Parallel cells should also be judged on capacity-normalised figures (``capacity_fraction``, or
    log ratio minus log capacity ratio per round), with ``paired_verdict`` or ``family_verdicts``.
    """
    if not cell.changed:
        return ""
    if machine.verdict == "unchanged":
        return "code"
    if machine.verdict != "changed":
        return "machine or code"
    expected = exponent * machine.log_ratio
    widen = abs(exponent) * max(
        machine.log_ratio - math.log(machine.low), math.log(machine.high) - machine.log_ratio
    )
    lo = math.log(cell.low) - expected - widen
    hi = math.log(cell.high) - expected + widen
    delta = _band(cell.threshold)
    if lo > delta or hi < -delta:
        return "code"
    return "the machine changed"


# --------------------------------------------------------------------------------------------------
# 6. Adaptive rounds that keep their coverage (Stein's two-stage procedure)


def stein_rounds(
    first_log_ratios: Sequence[float],
    half_width: float,
    *,
    confidence: float = CONFIDENCE,
    n_max: int | None = None,
) -> int:
    """The total rounds Stein's two-stage procedure fixes from its first stage.

    With n0 = len(first_log_ratios) rounds and their sd s0, N = max(n0, ceil((t(n0 - 1) × s0 / h)^2))
    (at most ``n_max``), h = ``half_width`` on the log scale. After N rounds the interval
    mean(all N) ± t(n0 - 1) × s0 / sqrt(N) has exactly the stated coverage under normal per-round
    noise, because N depends only on s0, which is independent of the rounds' mean (this holds for
    the vector of a group's cells too: their sample covariance is independent of their means).
    """
    x = _clean(first_log_ratios)
    n0 = x.size
    if n0 < 2:
        raise ValueError("Stein's first stage needs 2 rounds or more")
    if not half_width > 0:
        raise ValueError("half_width must be > 0")
    s0 = float(x.std(ddof=1))
    t = float(_tq(1 - (1 - confidence) / 2, n0 - 1))
    need = max(n0, math.ceil((t * s0 / half_width) ** 2 - 1e-9))
    return min(need, n_max) if n_max else need


def settled(
    log_ratios: Sequence[float],
    threshold: float,
    *,
    n_first: int = N_FIRST,
    n_max: int = 40,
    half_width: float | None = None,
    confidence: float = CONFIDENCE,
) -> bool:
    """Whether a ratio (interleaved rounds so far) has all the rounds it needs: call after each round.

    Stein's two-stage rule. Before ``n_first`` rounds: False. After them, the first ``n_first``
    rounds' sd fixes the total N (``stein_rounds``) for a final interval of half-width ``half_width``
    (log scale); the default, half the threshold's band, makes the verdict settle with high
    probability when the true change is 0 or twice the threshold or more. True once N (or
    ``n_max``) rounds are done. Later rounds never change N, so looking after every round costs
    nothing: the final ``paired_verdict(..., n_first=n_first)`` interval keeps exact coverage. A
    group stops when every one of its ratios is settled (``group_settled``); a budget that runs
    out first stops it too, without harm to coverage (it does not depend on the values).

    Notes
    -----
    Coverage (the scenarios of tests/test_verdicts.py, 4000 simulations each, threshold 5 %,
    n_first 6, n_max 40), Stein's interval / the plain t interval at the same stopping time:

    * true +10 %, 3 % noise: 95.6 % / 93.9 %; rounds median 9, 95th percentile 22; slower 99.2 %.
    * true 0, 3 % noise: 95.1 % / 93.6 %; equivalent 98.8 %.
    * true +5 % (on the threshold), 3 % noise: 94.7 % / 93.2 %; slower 2.2 %.
    * true 0 and +10 %, 8 % noise: 95.6 % and 95.1 %; 40 rounds (the cap); equivalent 71.8 %,
      slower 80.8 %.

    Stopping when the plain t interval is narrower than ±2.5 % (today's kind of rule) covers 92.4–
    93.5 % at 3–8 % noise.
    """
    x = _clean(log_ratios)
    if x.size < n_first:
        return False
    if x.size >= n_max:
        return True
    h = half_width if half_width is not None else _band(threshold) / 2
    if not h > 0:
        raise ValueError("settled needs a threshold > 0 or a half_width > 0")
    return x.size >= stein_rounds(x[:n_first], h, confidence=confidence, n_max=n_max)


def group_settled(log_ratios_by_cell: Sequence[Sequence[float]], threshold: float, **kwargs) -> bool:
    """``settled`` for every ratio of a comparison group (a group runs until all are)."""
    return all(settled(x, threshold, **kwargs) for x in log_ratios_by_cell)


# --------------------------------------------------------------------------------------------------
# 7. Advice


@dataclass(frozen=True)
class Advice:
    """The choice among options (``advise``).

    ``choice``: the option to use, or None when ``verdict`` is "inconclusive". ``verdict``:
    "fastest" (the fastest by median, every simpler option shown slower), "equivalent" (a simpler
    option shown equivalent to the fastest), "only option", or "inconclusive". ``fastest``: the
    fastest option by median. ``against_fastest``: each other option's Verdict against the
    fastest (ratio = its time / the fastest's). ``unsettled``: options whose comparison left the
    choice open; with an "equivalent" choice, the simpler options that might do as well but are
    not shown to. ``rounds_to_settle``: rounds that would settle it (inf: unreachable).
    ``reason``: one sentence.
    """

    choice: str | None
    verdict: str
    fastest: str
    against_fastest: dict
    unsettled: list
    rounds_to_settle: float
    reason: str


def advise(
    options: Mapping[str, Sequence[float]],
    threshold: float,
    *,
    confidence: float = CONFIDENCE,
) -> Advice:
    """Choose among options, each measured in the same rounds against a shared baseline.

    Parameters
    ----------
    options
        Option label -> per-round log(time of the option / time of the shared baseline), the
        rounds aligned across options (round i of each from the same round; NaN where missing).
        Lower is faster. **Order matters: simplest first** (sequential, thread pool, threads, ...;
        fewer workers first).
    threshold
        The relative difference that matters.

    Returns
    -------
    Advice

    Notes
    -----
    Rule. The fastest option F is the one with the lowest median. Every other option O is compared
    with F round by round (``paired_verdict`` on log(O / F)).

    1. If some option simpler than F is shown *equivalent* to F and no option is shown faster
       than it, the simplest such option is advised ("equivalent").
    2. Else, if every option simpler than F is shown *slower* than F, F is advised ("fastest").
    3. Else "inconclusive": no choice, the unsettled options named, with the rounds that would
       settle them.

    An option the data shows slower than another is never advised: F is not shown slower than any
    option it beats by median (checked; otherwise inconclusive), and a simpler option is advised
    only when shown equivalent to F and not shown slower than any option. The comparisons are
    pairwise at ``confidence`` (a panel has a handful of options; no multiplicity correction).

    Error rates (the scenarios of tests/test_verdicts.py: 5 options, 8 rounds, 3 % noise per
    option plus a 5 % disturbance shared by a round's options, threshold 5 %, 2000 random panels):
    the advised option is shown slower than another option in 0 panels, and is truly more than
    the threshold slower than the truly fastest in 0 (64 % "fastest", 14 % "equivalent", 22 %
    "inconclusive"). A/A (all options the same, 1000 panels): never "fastest" for anything but the
    simplest option; 20 % inconclusive. A panel whose thread pool is 8 % behind processes with 4 %
    noise on their ratio in 6 rounds is "inconclusive" with the rounds that would settle it.
    """
    _band(threshold)
    labels = list(options)
    if not labels:
        raise ValueError("advise needs at least one option")
    data = {k: np.asarray(v, dtype=float) for k, v in options.items()}
    if len(labels) == 1:
        return Advice(labels[0], "only option", labels[0], {}, [], 0.0, "the only option measured")
    medians = {k: float(np.nanmedian(v)) if np.isfinite(v).any() else math.inf for k, v in data.items()}
    fastest = min(labels, key=lambda k: (medians[k], labels.index(k)))

    def versus(a: str, b: str) -> Verdict:
        """a against b: ratio a / b of times (> 1: a is slower)."""
        n = min(data[a].size, data[b].size)
        return paired_verdict(data[a][:n] - data[b][:n], threshold, confidence=confidence)

    against = {k: versus(k, fastest) for k in labels if k != fastest}

    def shown_slower(k: str) -> bool:
        return any(o != k and versus(k, o).verdict == SLOWER for o in labels)

    simpler = labels[: labels.index(fastest)]
    pick = next((k for k in simpler if against[k].verdict == EQUIVALENT and not shown_slower(k)), None)
    if pick is not None:
        v = against[pick]
        maybe = [k for k in labels[: labels.index(pick)] if against[k].verdict == INCONCLUSIVE]
        return Advice(
            pick,
            EQUIVALENT,
            fastest,
            against,
            maybe,
            float(v.n),
            "%s is simpler and shown equivalent to the fastest, %s (time %.3gx [%.3g–%.3g], within ±%g %%)"
            % (pick, fastest, v.ratio, v.low, v.high, threshold * 100),
        )
    open_ = [k for k in simpler if against[k].verdict != SLOWER]
    fastest_slower = shown_slower(fastest)
    if not fastest_slower and not open_:
        if simpler:
            reason = "fastest, and every simpler option is shown slower than it by more than %g %%" % (
                threshold * 100
            )
        else:
            reason = "fastest by median, and the simplest option"
        n = max((v.n for v in against.values()), default=0)
        return Advice(fastest, "fastest", fastest, against, [], float(n), reason)
    unsettled = open_ if open_ else [k for k in labels if k != fastest]
    need = max((against[k].rounds_to_settle for k in unsettled), default=math.inf)
    reason = "inconclusive: %s not shown slower than the fastest, %s, nor within ±%g %% of it" % (
        ", ".join(unsettled),
        fastest,
        threshold * 100,
    )
    if fastest_slower:
        reason = "inconclusive: the fastest by median, %s, is shown slower than another option" % fastest
    if math.isfinite(need):
        reason += "; about %d rounds would settle it" % need
    return Advice(None, INCONCLUSIVE, fastest, against, unsettled, need, reason)
