"""Rule 4: runs started separately: a run-level shift and the cells around it.

``separate_runs``:

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
* The common shift is only the code's if the candidate ran on the machine the baseline runs
  describe. ``steadiness`` checks that from the runs' own rounds: each round's level (the mean over
  cells of the round's log values, each cell centred on its run's mean) moves with the machine's
  speed within a run. When the candidate's round levels spread more than the baseline runs' did
  (one-sided F test at 1 %), the machine changed under it, and a shift within ``drift_limit`` is
  "inconclusive", "machine or code" (``make aa`` measured this: a separately started +10 % run
  whose last three rounds ran 1.5x slower than its first was called "slower 1.38x [1.34–1.41]",
  cause "code", against two baseline runs that agreed by chance).
* Each cell's change beyond the shift is judged as a family (Benjamini–Hochberg, as
  ``family_verdicts``) with normal intervals of sd = the dispersion: from the baseline runs'
  own residuals when there are two or more (so the candidate run never sets its own noise),
  else the robust sd of the candidate's differences around the shift.
* Run-to-run noise is never added to same-round ratios (``speedup`` measured in a round):
  judge those with ``paired_verdict``/``family_verdicts`` on their per-round values.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats as sps

from report.analysis.verdicts.core import (
    CONFIDENCE,
    DRIFT_LIMIT,
    INCONCLUSIVE,
    Verdict,
    _band,
    _judge,
    _judge_many,
    _min_effect_p,
    _name,
    _tq,
)


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


#: One-sided level of ``steadiness``: under a steady machine a candidate is wrongly taken for
#: unsteady this often (its shift is then inconclusive, never a wrong call).
STEADY_ALPHA = 0.01


@dataclass(frozen=True)
class Steadiness:
    """Did the candidate run's rounds move together more than the baseline runs' rounds (``steadiness``)?

    ``ratio``: the sd of the candidate's round levels over the pooled sd of the baseline runs'; ``p``
    the one-sided F test's p of a ratio that large on a machine as steady as the baseline's;
    ``unsteady`` whether p < alpha; ``note`` the sentence a page prints when it is.
    """

    ratio: float
    p: float
    unsteady: bool
    note: str


def round_levels(log_values) -> np.ndarray:
    """Each round's level in one run: the mean over cells of the round's log values, each cell
    centred on its own mean over the run's rounds (NaN-aware). ``log_values``: (rounds, cells)."""
    x = np.asarray(log_values, dtype=float)
    x = x[:, None] if x.ndim == 1 else x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a cell or round with no value: NaN
        centred = x - np.nanmean(x, axis=0, keepdims=True)
        levels = np.nanmean(centred, axis=1)
    return levels[np.isfinite(levels)]


def steadiness(baseline_levels: Sequence, candidate_levels, *, alpha: float = STEADY_ALPHA) -> Steadiness:
    """Whether the machine changed under the candidate run, from the runs' own rounds.

    Parameters
    ----------
    baseline_levels
        One array of round levels (``round_levels``) per baseline run.
    candidate_levels
        The candidate run's round levels.
    alpha
        The one-sided level of the F test.

    Returns
    -------
    Steadiness
        ``unsteady`` when the candidate's round levels spread more than the baseline runs' (F test
        of their variances, the baseline's pooled over its runs); NaN ratio (steady) with fewer than
        2 rounds on either side.
    """
    base = [np.asarray(b, dtype=float) for b in baseline_levels]
    base = [b[np.isfinite(b)] for b in base]
    cand = np.asarray(candidate_levels, dtype=float)
    cand = cand[np.isfinite(cand)]
    df_base = sum(b.size - 1 for b in base if b.size >= 2)
    if cand.size < 2 or df_base < 1:
        return Steadiness(math.nan, math.nan, False, "")
    var_base = sum(float(np.sum((b - b.mean()) ** 2)) for b in base if b.size >= 2) / df_base
    var_cand = float(cand.var(ddof=1))
    if var_base > 0:
        ratio = math.sqrt(var_cand / var_base)
        p = float(sps.f.sf(var_cand / var_base, cand.size - 1, df_base))
        how = "%.2gx as much as the baseline runs' (F test, p = %.2g)" % (ratio, p)
    else:  # baseline rounds that never moved: any movement of the candidate's is more
        ratio, p = (math.inf, 0.0) if var_cand > 0 else (math.nan, math.nan)
        how = "while the baseline runs' did not move"
    unsteady = p < alpha
    note = (
        "the machine changed under the candidate run: its rounds moved together %s, so a common shift "
        "cannot be told from the machine" % how
        if unsteady
        else ""
    )
    return Steadiness(ratio, p, unsteady, note)


def separate_runs(
    baseline_log_values,
    candidate_log_values: Sequence[float],
    threshold: float,
    *,
    better: int = -1,
    confidence: float = CONFIDENCE,
    noise: RunNoise | None = None,
    drift_limit: float = DRIFT_LIMIT,
    steady: Steadiness | None = None,
) -> SeparateRuns:
    """Compare a run with a baseline when they were started separately (no shared rounds).

    The model and the rule (a run-level shift judged against measured run-to-run noise; cells judged
    beyond it as a family) and the error rates measured: the module docstring.

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
    steady
        ``steadiness`` of the candidate against the baseline runs: when unsteady, the shift is
        judged as without measured noise (called only beyond ``drift_limit``), with its note.

    Returns
    -------
    SeparateRuns

    Error rates: the module docstring.
    """
    delta = _band(threshold)
    base = np.asarray(baseline_log_values, dtype=float)
    base = base[None, :] if base.ndim == 1 else base
    cand = np.asarray(candidate_log_values, dtype=float)
    if base.shape[1] != cand.size:
        raise ValueError("baseline has %d cells, candidate %d" % (base.shape[1], cand.size))
    k = base.shape[0]
    if noise is None and k >= 2:
        noise = run_noise(base)
    diff = cand - np.nanmean(base, axis=0)
    d = diff[np.isfinite(diff)]
    if d.size == 0:
        v = Verdict(INCONCLUSIVE, math.nan, math.nan, math.nan, confidence, threshold, 0, note="no cell")
        return SeparateRuns(v, "machine or code", [], math.nan, "none")
    shift = float(np.median(d))
    dispersion, dof, source = _dispersion(noise, k, d - shift)
    judge = (delta, threshold, confidence, better)
    sv, cause = _judge_shift(shift, noise, k, (dispersion, d.size), judge, drift_limit, steady)
    cells = _beyond_shift(diff - shift, dispersion, dof, k, judge)
    return SeparateRuns(sv, cause, cells, dispersion, source, noise)


def _judge_shift(shift: float, noise, k: int, spread: tuple, judge: tuple, drift_limit: float, steady):
    """(verdict, cause) of the common shift: against the measured run-to-run noise (cause "code"),
    unless there is none or the machine changed under the candidate (``steady``), when only a shift
    beyond ``drift_limit`` is called. ``spread``: (the cells' dispersion, how many cells)."""
    unsteady = steady is not None and steady.unsteady
    if noise is not None and math.isfinite(noise.shift_sd) and not unsteady:
        se = noise.shift_sd * math.sqrt(1 + 1 / k)
        p = float(_min_effect_p(shift, se, noise.shift_df, judge[0]))
        return _judge(shift, se, noise.shift_df, noise.runs, math.nan, *judge, p), "code"
    return _unmeasured_shift(shift, *spread, judge, drift_limit, steady.note if unsteady else "")


def _dispersion(noise: RunNoise | None, k: int, resid: np.ndarray) -> tuple:
    """(sd, degrees of freedom, source) of the cells around the common shift: from the baseline's
    repeated runs when measured, else from the candidate's own cells (one pair of runs)."""
    if noise is not None and math.isfinite(noise.cell_sd):
        source = "the baseline's %d runs (cells around their run's shift)" % noise.runs
        return noise.cell_sd * math.sqrt(1 + 1 / k), float(noise.cell_df), source
    dispersion = _mad_sd(resid) if resid.size >= 3 else math.nan
    dof = max(1.0, 0.37 * (resid.size - 1))  # a MAD is worth about 37 % of the sd's degrees of freedom
    return dispersion, dof, "the cells' dispersion around the common shift (one pair of runs)"


def _unmeasured_shift(
    shift: float, dispersion: float, n: int, judge: tuple, drift_limit: float, why: str = ""
) -> tuple:
    """(verdict, cause) of a common shift without measured run-to-run noise (one pair of runs, or
    ``why`` the noise measured does not apply): called only beyond ``drift_limit``, else
    inconclusive, "machine or code"."""
    delta, threshold, confidence, better = judge
    se = 1.2533 * dispersion / math.sqrt(n) if math.isfinite(dispersion) else math.nan
    limit = math.log(drift_limit)
    half = float(_tq(1 - (1 - confidence) / 2, math.inf)) * se if math.isfinite(se) else math.inf
    lo, hi = shift - half, shift + half
    beyond = lo > limit or hi < -limit
    word = _name(1 if shift > 0 else -1, better) if beyond else INCONCLUSIVE
    note = (
        "beyond %gx, more than machine drift gives" % drift_limit
        if beyond
        else why
        or "one pair of runs: a common shift cannot be told from the machine's drift (run the "
        "baseline twice or more to measure run-to-run noise, or compare interleaved)"
    )
    settle = float(n) if beyond else math.inf
    v = Verdict(
        word, math.exp(shift), math.exp(lo), math.exp(hi), confidence, threshold, n, dispersion, se, math.inf,
        rounds_to_settle=settle, note=note,
    )  # fmt: skip
    return v, "code" if beyond else "machine or code"


def _beyond_shift(resid: np.ndarray, dispersion: float, dof: float, k: int, judge: tuple) -> list:
    """Each cell's change beyond the common shift, judged as a Benjamini–Hochberg family with
    intervals of sd ``dispersion`` (t on ``dof``); NaN cells and an unknown dispersion inconclusive."""
    delta, threshold, confidence, better = judge
    missing = Verdict(INCONCLUSIVE, math.nan, math.nan, math.nan, confidence, threshold, 0, note="no value")
    cells: list = [missing] * resid.size
    idx = np.flatnonzero(np.isfinite(resid))
    if not (math.isfinite(dispersion) and dispersion >= 0) or idx.size == 0:
        return cells
    alpha = 1 - confidence
    p = _min_effect_p(resid[idx], np.full(idx.size, dispersion), np.full(idx.size, dof), delta)
    chosen = sps.false_discovery_control(p, method="bh") <= alpha
    level = 1 - int(chosen.sum()) * alpha / idx.size if chosen.any() else confidence
    levels = np.where(chosen, level, confidence)
    note = "beyond the common shift"
    judged = _judge_many(
        resid[idx], dispersion, dof, k + 1, math.nan, delta, threshold, levels, better, p, note
    )
    for j, i in enumerate(idx):
        v = judged[j]
        if v.changed and not chosen[j]:
            v = replace(v, verdict=INCONCLUSIVE, note=v.note + "; beyond the threshold alone, not after BH")
        cells[i] = v
    return cells
