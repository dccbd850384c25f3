"""Intervals that mean 95 %: the exact median interval covers the true median at least 95 % of the time."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from report.analysis import statistics as stats
from report.page.formatting import record_ci, with_ci

REPLICATES = 4000
#: Three Monte-Carlo standard errors of a 95 % coverage estimate from REPLICATES replicates.
MARGIN = 3 * math.sqrt(0.95 * 0.05 / REPLICATES)
#: name -> (draw (rng, shape), true median)
DISTRIBUTIONS = {
    "normal": (lambda rng, shape: rng.normal(10.0, 2.0, shape), 10.0),
    "lognormal": (lambda rng, shape: rng.lognormal(0.0, 0.5, shape), 1.0),
    "exponential": (lambda rng, shape: rng.exponential(1.0, shape), math.log(2)),
}


def summarized(data: np.ndarray) -> pd.DataFrame:
    """summarize() of REPLICATES cells, each holding one replicate's n values."""
    cells, n = data.shape
    df = pd.DataFrame({"cell": np.repeat(np.arange(cells), n), "status": "ok", "wall_s": data.ravel()})
    return stats.summarize(df, ["cell"], ["wall_s"])


def theoretical_coverage(n: int) -> float:
    """P(x_(l) <= median <= x_(h)) for the ranks median_ranks(n) picks, from the binomial."""
    low, high = stats.median_ranks(n)
    return float(sps.binom.cdf(high, n, 0.5) - sps.binom.cdf(low, n, 0.5))


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
@pytest.mark.parametrize("n", [6, 10, 30])
def test_exact_median_interval_covers_at_least_95_percent(name, n):
    draw, median = DISTRIBUTIONS[name]
    rng = np.random.default_rng(1000 * n + len(name))
    s = summarized(draw(rng, (REPLICATES, n)))
    assert (s["n"] == n).all() and (s["ci_note"] == "").all()
    covered = ((s["ci_low"] <= median) & (median <= s["ci_high"])).mean()
    assert covered >= stats.CONFIDENCE - MARGIN
    # and it is the binomial coverage of the ranks, not an interval wider than it needs to be
    assert abs(covered - theoretical_coverage(n)) <= MARGIN


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
@pytest.mark.parametrize("n", [3, 5])
def test_no_interval_is_claimed_below_six_values(name, n):
    draw, _ = DISTRIBUTIONS[name]
    s = summarized(draw(np.random.default_rng(n), (50, n)))
    assert s["ci_low"].isna().all() and s["ci_high"].isna().all()
    assert (s["ci_note"] == "too few repetitions for a 95 %% interval: n=%d, needs 6" % n).all()
    assert s["median"].notna().all()


def test_the_old_percentile_bootstrap_covered_far_less_than_95_percent_at_n3():
    """The bug being fixed: at n = 3 the percentile bootstrap's interval is at best the sample's range,
    which holds the median only 1 - 2/8 = 75 % of the time."""
    rng = np.random.default_rng(7)
    data = rng.normal(10.0, 2.0, (REPLICATES, 3))
    idx = rng.integers(0, 3, size=(1000, 3))
    boot = np.median(data[:, idx], axis=2)  # (replicates, resamples)
    low, high = np.percentile(boot, [2.5, 97.5], axis=1)
    covered = ((low <= 10.0) & (10.0 <= high)).mean()
    assert covered < 0.80


def test_median_ci_is_scipys_quantile_test_interval():
    rng = np.random.default_rng(3)
    for n in range(1, 41):
        x = rng.lognormal(0, 0.3, size=n)
        lo, hi = stats.median_ci(np.append(x, np.nan))  # NaN values are left out
        ref = sps.quantile_test(x, q=1.0, p=0.5).confidence_interval(0.95)
        if n < 6:
            assert math.isnan(lo) and math.isnan(hi) and math.isnan(ref.low)
            assert stats.ci_note(n) == "too few repetitions for a 95 %% interval: n=%d, needs 6" % n
        else:
            assert (lo, hi) == (ref.low, ref.high)
            assert lo <= np.median(x) <= hi and stats.ci_note(n) == ""
    assert stats.min_n_for_ci() == 6


def test_cells_with_a_missing_value_get_the_interval_of_the_values_they_have():
    rng = np.random.default_rng(11)
    values = rng.lognormal(0, 0.2, 14)
    df = pd.DataFrame({"cell": ["a"] * 7 + ["b"] * 7, "status": "ok", "rate_hz": values})
    df.loc[3, "rate_hz"] = np.nan  # cell a has 6 finite values: still an interval
    s = stats.summarize(df, ["cell"], ["rate_hz"]).set_index("cell")
    for cell, rows in (("a", values[[0, 1, 2, 4, 5, 6]]), ("b", values[7:])):
        assert s.loc[cell, "n"] == len(rows)
        assert (s.loc[cell, "ci_low"], s.loc[cell, "ci_high"]) == stats.median_ci(rows)


def test_without_an_interval_the_page_prints_why():
    rec = {"median": 2.0, "ci_low": np.nan, "ci_high": np.nan, "n": 3, "ci_note": stats.ci_note(3)}
    assert record_ci(rec, "x") == "2x (n=3, no 95 % CI)"
    assert record_ci(rec, short=False) == "2 (too few repetitions for a 95 % interval: n=3, needs 6)"
    ok = {"median": 0.002, "ci_low": 0.0015, "ci_high": 0.0031, "n": 8, "ci_note": ""}
    assert record_ci(ok, " ms", scale=1e3) == "2 ms [1.5–3.1]"
    assert with_ci(2.0, np.nan, np.nan) == "2"
