"""The result of every rule (Verdict), the t-interval arithmetic every rule shares, and rule 1: one
cell measured in interleaved rounds.

``paired_verdict``. Error rates (measured with the scenarios of tests/test_verdicts.py, 4000
simulations each; lognormal per-round noise of 3 %, threshold 5 %):

* 9 rounds. A/A: "faster"/"slower" 0.0 % (bound 2.5 %), "equivalent" 98.2 %. A true +10 %:
  "slower" 98.4 %, "faster" 0; +20 %: 100 %. The 95 % interval covers the true ratio 95.0 %
  (A/A) and 95.2 % (+10 %).
* 6 rounds. A/A: 0.0 % called, 78.5 % equivalent; +10 %: 85.0 % slower; coverage 95.6–95.8 %.
* A true change exactly at the threshold is called "slower" in 2.3–2.4 % (bound 2.5 %): "slower"
  means the data show the change *beyond* the threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special as spc

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

    Error rates: the module docstring (A/A never called at 6–9 rounds; +10 % at 3 % noise called
    85 % with 6 rounds, 98 % with 9; coverage 95–96 %).
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
