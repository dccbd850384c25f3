"""report.models: the scaling fits recover what they are given; the small models say what they should."""

from __future__ import annotations

import math

import numpy as np
import pytest

from experiments.schema import Environment
from report import models


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
