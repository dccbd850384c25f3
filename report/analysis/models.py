"""Theory drawn beside the measurements: Amdahl and USL scaling fits, Little's law, break-even, timer floor.

The M/M/c/K queue maths lives in experiments/catalogue/toolkit/queueing.py (standard library, shared with the
experiment that sets its rates); the queue_bursts section imports it from there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats as sps

from report.analysis import statistics as stats
from report.analysis.numbers import num

#: Each model's parameters, in order, and the bounds a least-squares fit keeps them in.
BOUNDS = {
    "amdahl": {"serial": (0.0, 1.0)},
    "usl": {"sigma": (0.0, 1.0), "kappa": (0.0, math.inf)},
}
#: Bootstrap resamples of the rounds behind a fit's 95 % intervals.
RESAMPLES = 999
#: A fitted parameter this close to one of its bounds is at that bound (the fit could not go further).
AT_BOUND = 1e-5


def amdahl(n, serial: float) -> np.ndarray:
    """Amdahl's law: speedup of N workers when a fraction ``serial`` of the work cannot overlap."""
    n = np.asarray(n, dtype=float)
    return 1.0 / (serial + (1.0 - serial) / n)


def usl(n, sigma: float, kappa: float) -> np.ndarray:
    """Gunther's Universal Scalability Law: contention ``sigma`` and coherency ``kappa``."""
    n = np.asarray(n, dtype=float)
    return n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0))


@dataclass
class Fit:
    """A scaling model fitted to median speedups: its parameters, how well it matches, and each
    parameter's 95 % interval (bootstrap over rounds; ``interval_note`` says why there is none)."""

    model: str
    params: dict
    rmse: float
    #: RMSE over the mean measured speedup: how far the model misses, as a fraction.
    relative_rmse: float
    points: int
    intervals: dict = field(default_factory=dict)
    interval_note: str = ""
    #: Whole rounds behind the intervals (0: fitted to medians alone).
    rounds: int = 0

    def predict(self, n) -> np.ndarray:
        if self.model == "amdahl":
            return amdahl(n, self.params["serial"])
        return usl(n, self.params["sigma"], self.params["kappa"])

    def at_bound(self, name: str) -> int:
        """-1 when parameter ``name`` sits on its lower bound, +1 on its upper bound, 0 inside."""
        return self.at_bound_value(name, self.params[name])

    def at_bound_value(self, name: str, value: float) -> int:
        low, high = BOUNDS[self.model][name]
        if value <= low + AT_BOUND:
            return -1
        return 1 if value >= high - AT_BOUND else 0

    def interval(self, name: str) -> tuple:
        return self.intervals.get(name, (math.nan, math.nan))


def describe(fit: Fit, name: str, digits: int = 2, short: bool = False) -> str:
    """A fitted parameter as the page prints it: ``0.42 [0.35–0.50]``; on a bound, the side its
    interval allows (``≥ 0.95, at the bound``); without an interval, why not (``short``: the count
    of rounds only)."""
    low, high = fit.interval(name)
    has_ci = math.isfinite(low) and math.isfinite(high)
    bound = fit.at_bound(name)
    value = BOUNDS[fit.model][name][0 if bound < 0 else 1] if bound else fit.params[name]
    note = fit.interval_note or "no 95 % interval"
    if short and not has_ci:
        note = "n=%d rounds, no 95 %% CI" % fit.rounds
    if bound:
        edge = low if bound > 0 else high  # the interval's end away from the bound
        if has_ci and fit.at_bound_value(name, edge) != bound:
            return "%s %s, at the bound" % ("≥" if bound > 0 else "≤", _fixed(edge, digits))
        if has_ci:
            return "%s, at the bound (every resampled fit too)" % _fixed(value, digits)
        return "%s, at the bound (%s)" % (_fixed(value, digits), note)
    if has_ci:
        return "%s [%s–%s]" % tuple(_fixed(x, digits) for x in (value, low, high))
    return "%s (%s)" % (_fixed(value, digits), note)


def _fixed(x: float, digits: int) -> str:
    """``digits`` decimals, or as many significant figures for a value smaller than that shows."""
    return "%.*f" % (digits, x) if x == 0 or abs(x) >= 10**-digits else num(x, digits)


def _clean(n, speedup):
    n = np.asarray(n, dtype=float)
    y = np.asarray(speedup, dtype=float)
    keep = np.isfinite(n) & np.isfinite(y) & (n >= 1) & (y > 0)
    return n[keep], y[keep]


#: Where fit_batch starts each model's least squares; the best of them wins (one start can stall on
#: a bound the optimum is not on).
STARTS = {"amdahl": ((0.5,), (0.05,), (0.95,)), "usl": ((0.1, 0.001), (0.5, 0.0), (0.01, 0.05), (0.9, 0.0))}


def _least_squares(model: str, n: np.ndarray, y: np.ndarray) -> Fit:
    """The least-squares fit of ``model`` to one curve, from every start in STARTS at once."""
    starts = np.array(STARTS[model], dtype=float)
    found = fit_batch(model, n, np.repeat(y[None, :], len(starts), axis=0), starts)
    d = 1.0 + found @ _design(model, n).T
    best = found[int(np.argmin(np.sum((n / d - y) ** 2, axis=1)))]
    params = {name: float(v) for name, v in zip(BOUNDS[model], best)}
    fit = Fit(model, params, 0.0, 0.0, int(n.size))
    rmse = float(np.sqrt(np.mean((fit.predict(n) - y) ** 2)))
    fit.rmse, fit.relative_rmse = rmse, rmse / float(np.mean(y))
    return fit


def fit_amdahl(n, speedup) -> Fit | None:
    """Least-squares serial fraction in [0, 1]; None without a point at N > 1."""
    n, y = _clean(n, speedup)
    if not np.any(n > 1):
        return None
    return _least_squares("amdahl", n, y)


def fit_usl(n, speedup) -> Fit | None:
    """Least-squares USL (sigma in [0, 1], kappa >= 0); None with fewer than two distinct N > 1,
    where two parameters cannot be told apart."""
    n, y = _clean(n, speedup)
    if np.unique(n[n > 1]).size < 2:
        return None
    return _least_squares("usl", n, y)


FITTERS = {"amdahl": fit_amdahl, "usl": fit_usl}


def _design(model: str, n: np.ndarray) -> np.ndarray:
    """Both models are N / (1 + A·θ): the columns of A for each parameter, at each N."""
    cols = [n - 1.0] if model == "amdahl" else [n - 1.0, n * (n - 1.0)]
    return np.stack(cols, axis=-1)


def fit_batch(model: str, n, y, start) -> np.ndarray:
    """Least-squares fits of ``model`` to many speedup curves at once: ``y`` (curves × points at
    ``n``), started from ``start`` (one start, or one per curve); returns curves × parameters, within BOUNDS.

    Bounded non-linear least squares (what scipy's curve_fit solves, and tests hold it to the same
    minimum) by Levenberg–Marquardt steps on every curve together, a parameter on a bound held there
    while the gradient pushes it outward: a bootstrap refits hundreds of resampled curves, and one
    curve_fit each would cost seconds a page. The one- or two-parameter normal equations are solved
    in closed form.
    """
    n = np.asarray(n, dtype=float)
    y = np.atleast_2d(np.asarray(y, dtype=float))
    a = _design(model, n)
    low, high = (np.array([b[i] for b in BOUNDS[model].values()]) for i in (0, 1))
    theta = np.clip(np.broadcast_to(np.asarray(start, dtype=float), (y.shape[0], a.shape[1])), low, high)
    lam = np.full(y.shape[0], 1e-3)

    def residuals(t):
        d = 1.0 + t @ a.T
        r = n / d - y
        return r, d, np.sum(r * r, axis=1)

    r, d, cost = residuals(theta)
    settled = np.zeros(y.shape[0], dtype=bool)
    for _ in range(100):
        jac = [-(n / (d * d)) * a[:, k] for k in range(a.shape[1])]  # ∂model/∂θk, curves × points
        grad = np.stack([np.sum(j * r, axis=1) for j in jac], axis=1)
        pinned = ((theta <= low + AT_BOUND) & (grad > 0)) | ((theta >= high - AT_BOUND) & (grad < 0))
        step = _lm_step(jac, grad, ~pinned, lam)
        trial = np.clip(theta + step, low, high)
        r2, d2, cost2 = residuals(trial)
        better = cost2 < cost
        # Settled: a step that no longer moves the cost either way (the minimum, to rounding), or
        # steps damped to nothing.
        settled |= (np.abs(cost - cost2) <= 1e-12 * cost) | (lam > 1e6)
        theta[better], r[better], d[better], cost[better] = (
            trial[better],
            r2[better],
            d2[better],
            cost2[better],
        )
        lam = np.where(better, lam / 3.0, lam * 10.0)
        if settled.all():
            break
    return theta


def _lm_step(jac: list, grad: np.ndarray, free: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Damped Gauss–Newton steps for one or two parameters, zero for a parameter held on its bound."""
    h = [[np.sum(ji * jk, axis=1) for jk in jac] for ji in jac]
    g = np.where(free, grad, 0.0)
    if len(jac) == 1:
        return -g / (h[0][0] * (1.0 + lam) + 1e-300)[:, None]
    a11, a22 = h[0][0] * (1.0 + lam), h[1][1] * (1.0 + lam)
    a12 = np.where(free[:, 0] & free[:, 1], h[0][1], 0.0)
    a11, a22 = np.where(free[:, 0], a11, 1.0), np.where(free[:, 1], a22, 1.0)
    det = a11 * a22 - a12 * a12 + 1e-300
    return -np.stack([(a22 * g[:, 0] - a12 * g[:, 1]) / det, (a11 * g[:, 1] - a12 * g[:, 0]) / det], axis=1)


def fit_rounds(model: str, n, rounds, resamples: int = RESAMPLES, seed: int = 0) -> Fit | None:
    """``model`` fitted to the median speedup at each N over ``rounds`` (rounds × N), with a 95 %
    interval per parameter: scipy.stats.bootstrap (percentile) resampling whole rounds with
    replacement, taking the medians again and refitting. Rounds lacking a point are left out of
    the resampling; with fewer than stats.min_n_for_ci() whole rounds there is no interval, and
    ``interval_note`` says why. None when the model cannot be fitted (see fit_amdahl, fit_usl)."""
    n = np.asarray(n, dtype=float)
    y = np.asarray(rounds, dtype=float).reshape(-1, n.size)
    medians = np.array([np.median(c[np.isfinite(c)]) if np.isfinite(c).any() else np.nan for c in y.T])
    fit = FITTERS[model](n, medians)
    if fit is None:
        return None
    use = np.isfinite(n) & (n >= 1) & np.isfinite(medians) & (medians > 0)
    whole = y[:, use][np.all(np.isfinite(y[:, use]) & (y[:, use] > 0), axis=1)]
    fit.rounds = int(whole.shape[0])
    if whole.shape[0] < stats.min_n_for_ci():
        fit.interval_note = stats.ci_note(whole.shape[0]).replace("repetitions", "rounds")
        return fit
    start = list(fit.params.values())

    def refit(*columns, axis=-1):
        resampled = np.median(np.stack(columns, axis=-2), axis=-1)  # (resamples, N)
        return fit_batch(model, n[use], resampled, start).T

    res = sps.bootstrap(
        tuple(whole.T),
        refit,
        paired=True,
        vectorized=True,
        method="percentile",
        n_resamples=resamples,
        rng=seed,
    )
    low, high = np.atleast_1d(res.confidence_interval.low), np.atleast_1d(res.confidence_interval.high)
    fit.intervals = {name: (float(lo), float(hi)) for name, lo, hi in zip(fit.params, low, high)}
    fit.interval_note = "bootstrap over %d rounds" % whole.shape[0]
    return fit


def model_workers(workers, cores: float, cpu_bound: bool) -> np.ndarray:
    """The N a scaling model sees: CPU-bound work cannot use more workers than the machine has cores."""
    w = np.asarray(workers, dtype=float)
    return np.minimum(w, cores) if cpu_bound else w


def littles_law_gap(mean_items: float, throughput_hz: float, mean_time_s: float) -> float:
    """Relative gap between a measured mean queue length L and Little's law λW (0 when they agree)."""
    predicted = throughput_hz * mean_time_s
    return (mean_items - predicted) / predicted if predicted else math.nan


def break_even(x, cost_a, cost_b) -> float:
    """The first x where curve b stops being dearer than curve a (or the reverse), interpolated on log x.

    Used for the task duration from which processes pay off against threads; NaN when the
    curves never cross inside the measured range.
    """
    x = np.asarray(x, dtype=float)
    d = np.asarray(cost_b, dtype=float) - np.asarray(cost_a, dtype=float)
    order = np.argsort(x)
    x, d = x[order], d[order]
    for i in range(1, x.size):
        if d[i - 1] == 0:
            return float(x[i - 1])
        if np.sign(d[i - 1]) != np.sign(d[i]):
            lx0, lx1 = math.log(x[i - 1]), math.log(x[i])
            t = d[i - 1] / (d[i - 1] - d[i])
            return float(math.exp(lx0 + t * (lx1 - lx0)))
    return float(x[-1]) if x.size and d[-1] == 0 else math.nan


def timer_slack_floor_us(env) -> float:
    """The kernel's timer slack: the least lateness a sleeping timer can expect, in µs (NaN unknown)."""
    for facts in (env.interpreter, env.machine):
        slack = facts.get("timer_slack_ns")
        if isinstance(slack, (int, float)):
            return slack / 1000.0
    return math.nan
