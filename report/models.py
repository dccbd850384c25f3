"""Theory drawn beside the measurements: Amdahl and USL scaling fits, Little's law, break-even, timer floor.

The M/M/c/K queue maths lives in experiments/queueing.py (standard library, shared with the
experiment that sets its rates); the queue_bursts section imports it from there.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit


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
    """A scaling model fitted to median speedups: its parameters and how well it matches."""

    model: str
    params: dict
    rmse: float
    #: RMSE over the mean measured speedup: how far the model misses, as a fraction.
    relative_rmse: float
    points: int

    def predict(self, n) -> np.ndarray:
        if self.model == "amdahl":
            return amdahl(n, self.params["serial"])
        return usl(n, self.params["sigma"], self.params["kappa"])


def _clean(n, speedup):
    n = np.asarray(n, dtype=float)
    y = np.asarray(speedup, dtype=float)
    keep = np.isfinite(n) & np.isfinite(y) & (n >= 1) & (y > 0)
    return n[keep], y[keep]


def _finish(model: str, params: dict, n, y, predict) -> Fit:
    resid = predict(n) - y
    rmse = float(np.sqrt(np.mean(resid**2)))
    return Fit(model, params, rmse, rmse / float(np.mean(y)), int(n.size))


def fit_amdahl(n, speedup) -> Fit | None:
    """Least-squares serial fraction in [0, 1]; None without a point at N > 1."""
    n, y = _clean(n, speedup)
    if not np.any(n > 1):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)
        (serial,), _ = curve_fit(amdahl, n, y, p0=[0.5], bounds=([0.0], [1.0]))
    return _finish("amdahl", {"serial": float(serial)}, n, y, lambda x: amdahl(x, serial))


def fit_usl(n, speedup) -> Fit | None:
    """Least-squares USL (sigma in [0, 1], kappa >= 0); None with fewer than two distinct N > 1,
    where two parameters cannot be told apart."""
    n, y = _clean(n, speedup)
    if np.unique(n[n > 1]).size < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)
        try:
            (sigma, kappa), _ = curve_fit(usl, n, y, p0=[0.1, 0.001], bounds=([0.0, 0.0], [1.0, np.inf]))
        except RuntimeError:  # no convergence: say so by returning no fit
            return None
    return _finish(
        "usl", {"sigma": float(sigma), "kappa": float(kappa)}, n, y, lambda x: usl(x, sigma, kappa)
    )


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
