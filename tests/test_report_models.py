"""report.analysis.models: the scaling fits recover what they are given; the small models say so."""

from __future__ import annotations

import math

import numpy as np
import pytest

from experiments.schema import Environment
from report.analysis import models


def test_usl_fit_recovers_sigma_and_kappa():
    n = np.array([1, 2, 4, 8, 16, 32, 64])
    rng = np.random.default_rng(0)
    for sigma, kappa in ((0.05, 0.001), (0.3, 0.0), (0.02, 0.01)):
        y = models.usl(n, sigma, kappa) * rng.lognormal(0, 0.01, n.size)
        fit = models.fit_usl(n, y)
        assert fit.params["sigma"] == pytest.approx(sigma, abs=0.02)
        assert fit.params["kappa"] == pytest.approx(kappa, abs=0.002)
        assert fit.relative_rmse < 0.03


def test_amdahl_fit_recovers_the_serial_fraction():
    n = np.array([1, 2, 4, 8, 16])
    for serial in (0.0, 0.1, 0.5, 0.97):
        fit = models.fit_amdahl(n, models.amdahl(n, serial))
        assert fit.params["serial"] == pytest.approx(serial, abs=1e-3)
    # slower than sequential: the fraction is capped at fully serial
    assert models.fit_amdahl([2, 4], [0.8, 0.7]).params["serial"] == pytest.approx(1.0)


def test_fits_refuse_data_that_cannot_determine_them():
    assert models.fit_amdahl([1, 1], [1.0, 1.0]) is None
    assert models.fit_usl([1, 2, 2], [1.0, 1.8, 1.9]) is None  # only one N > 1
    assert models.fit_amdahl([2], [1.8]) is not None


def test_cpu_bound_model_workers_cap_at_cores():
    assert list(models.model_workers([1, 2, 4, 8], 2, True)) == [1, 2, 2, 2]
    assert list(models.model_workers([1, 2, 4, 8], 2, False)) == [1, 2, 4, 8]


def test_break_even_littles_law_and_timer_floor():
    x = [0.1, 1, 10, 100]
    threads = [1.0, 1.0, 1.0, 1.0]
    processes = [5.0, 2.0, 0.5, 0.2]  # dearer for short tasks, cheaper for long ones
    be = models.break_even(x, threads, processes)
    assert 1 < be < 10
    assert math.isnan(models.break_even(x, threads, [2, 2, 2, 2]))
    assert models.littles_law_gap(10.0, 100.0, 0.1) == pytest.approx(0.0)
    assert models.littles_law_gap(12.0, 100.0, 0.1) == pytest.approx(0.2)
    env = Environment("r", "2026-01-01T00:00:00Z", {"label": "p", "timer_slack_ns": 50000}, {"label": "m"})
    assert models.timer_slack_floor_us(env) == 50.0
    assert math.isnan(models.timer_slack_floor_us(Environment("r", "t", {"label": "p"}, {"label": "m"})))


def test_the_batch_fitter_reaches_curve_fit_s_minimum():
    """fit_batch (what the bootstrap refits with) against scipy's curve_fit on noisy curves, bounds
    included: never a worse sum of squares."""
    import warnings

    from scipy.optimize import curve_fit

    rng = np.random.default_rng(3)
    for n in (np.array([1, 2, 4, 8, 16, 32.0]), np.array([1, 2, 2, 2.0]), np.array([1, 2, 3, 4, 8.0])):
        for i in range(40):
            y = models.usl(n, rng.uniform(0, 0.9), rng.uniform(0, 0.02)) * rng.lognormal(0, 0.15, n.size)
            y = y * (rng.uniform(0.4, 0.9) if i % 4 == 0 else 1.0)  # some below sequential: at a bound
            for model, start, bounds in (
                ("amdahl", [0.5], ([0], [1])),
                ("usl", [0.1, 0.001], ([0, 0], [1, np.inf])),
            ):
                if model == "usl" and np.unique(n[n > 1]).size < 2:
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ref, _ = curve_fit(getattr(models, model), n, y, p0=start, bounds=bounds)
                ours = models.FITTERS[model](n, y)
                sse_ref = np.sum((getattr(models, model)(n, *ref) - y) ** 2)
                assert np.sum((ours.predict(n) - y) ** 2) <= sse_ref * (1 + 1e-6) + 1e-12


def test_fits_get_bootstrap_intervals_from_rounds_and_none_below_six():
    rng = np.random.default_rng(4)
    n = np.array([1, 2, 4, 8, 16.0])
    rounds = np.array([models.amdahl(n, 0.2) * rng.lognormal(0, 0.03, n.size) for _ in range(10)])
    fit = models.fit_rounds("amdahl", n, rounds)
    low, high = fit.interval("serial")
    assert low < fit.params["serial"] < high and low < 0.2 < high and high - low < 0.1
    assert fit.rounds == 10 and models.describe(fit, "serial") == "%.2f [%.2f–%.2f]" % (
        fit.params["serial"],
        low,
        high,
    )
    few = models.fit_rounds("amdahl", n, rounds[:5])
    assert math.isnan(few.interval("serial")[0])
    assert models.describe(few, "serial").endswith("(too few rounds for a 95 % interval: n=5, needs 6)")
    usl = models.fit_rounds("usl", n, rounds)
    assert set(usl.intervals) == {"sigma", "kappa"}


def test_a_parameter_on_its_bound_is_printed_as_a_bound():
    n = np.array([1, 2, 2, 2.0])
    rng = np.random.default_rng(5)
    slower = np.array([[1.0, 0.8, 0.82, 0.79]]) * rng.lognormal(0, 0.01, (8, 4))
    fit = models.fit_rounds("amdahl", n, slower)
    assert fit.at_bound("serial") == 1
    assert models.describe(fit, "serial") == "1.00, at the bound (every resampled fit too)"
    # a hair above ideal in most rounds: the fit stops at 0, some resamples just above it
    scatter = np.array([0.0, -0.02, 0.01, 0.015, -0.012, 0.005, -0.004, 0.02])[:, None]
    above = np.array([[1.0, 2.02, 2.02, 2.02]]) * np.exp(scatter * np.array([[0, 1, 1, 1]]))
    fit = models.fit_rounds("amdahl", n, above)
    high = fit.interval("serial")[1]
    assert fit.at_bound("serial") == -1 and 0 < high < 0.05
    assert models.describe(fit, "serial", digits=3) == "≤ %.3f, at the bound" % high
