"""report.stats: bootstrap intervals, noise flags and run-to-run verdicts that are statistically honest."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from report import stats


def test_median_ci_contains_the_median_and_matches_scipy_bootstrap():
    rng = np.random.default_rng(3)
    for _ in range(20):
        x = rng.lognormal(0, 0.3, size=rng.integers(3, 12))
        lo, hi = stats.median_ci(x)
        assert lo <= np.median(x) <= hi
        ref = sps.bootstrap((x,), np.median, n_resamples=4000, method="percentile", random_state=1)
        width = np.ptp(x)
        assert abs(lo - ref.confidence_interval.low) <= 0.2 * width
        assert abs(hi - ref.confidence_interval.high) <= 0.2 * width
    assert np.isnan(stats.median_ci([1.0])[0])


def test_summarize_per_cell_with_cv_and_noisy_flag():
    df = pd.DataFrame(
        {
            "cell": ["quiet"] * 6 + ["noisy"] * 6 + ["broken"],
            "status": ["ok"] * 12 + ["error"],
            "wall_s": [1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 1.0, 2.0, 0.5, 1.5, 0.7, 1.2, 99.0],
            "rate_hz": [5.0] * 6 + [np.nan, 1.0, 2.0, 3.0, 4.0, 5.0] + [1.0],
        }
    )
    s = stats.summarize(df, ["cell"], ["wall_s", "rate_hz"]).set_index(["cell", "metric"])
    assert "broken" not in s.index.get_level_values(0)  # only ok repetitions count
    q = s.loc[("quiet", "wall_s")]
    assert q["n"] == 6 and q["median"] == 1.0 and q["ci_low"] <= 1.0 <= q["ci_high"] and not q["noisy"]
    n = s.loc[("noisy", "wall_s")]
    assert n["noisy"] and n["cv"] > stats.CV_NOISY
    partial = s.loc[("noisy", "rate_hz")]  # a NaN repetition is left out of that metric only
    assert partial["n"] == 5 and partial["median"] == 3.0 and partial["ci_low"] <= 3.0 <= partial["ci_high"]
    assert s.loc[("quiet", "rate_hz")]["cv"] == 0


def test_verdicts_need_significance_and_a_large_enough_change():
    rng = np.random.default_rng(5)
    base = rng.normal(1.0, 0.02, 10)
    slower = rng.normal(1.3, 0.02, 10)
    c = stats.compare(base, slower, "wall_s")
    assert c.verdict == "slower" and c.p_value < 0.01 and c.ci_low <= c.ratio <= c.ci_high and c.ratio > 1.2
    assert stats.compare(base, slower, "throughput_ops_s").verdict == "faster"
    assert stats.compare(base, slower, "tasks_done").verdict == "higher"
    same = stats.compare(base, rng.normal(1.0, 0.02, 10), "wall_s")
    assert same.verdict == "same"
    assert stats.compare(base, base.copy(), "wall_s").verdict == "same"
    # significant but below the 5 % threshold: still "same"
    tiny = stats.compare(
        np.full(10, 1.0) + rng.normal(0, 1e-4, 10),
        np.full(10, 1.03) + rng.normal(0, 1e-4, 10),
        "wall_s",
        full=True,
    )
    assert tiny.p_value < 0.01 and tiny.verdict == "same"
    assert np.isnan(stats.compare([1.0, 1.01, 1.02], [1.02, 1.03, 1.04], "wall_s").p_value)  # not tested
    # three repetitions each can never reach p < 0.05 with Mann–Whitney U
    few = stats.compare([1.0, 1.01, 1.02], [2.0, 2.01, 2.02], "wall_s")
    assert few.verdict == "same" and few.min_p >= stats.ALPHA
    assert stats.min_mannwhitney_p(5, 5) < stats.ALPHA


def test_direction_of_metrics():
    assert stats.direction("wall_s") == -1 and stats.direction("latency_p99_us") == -1
    assert stats.direction("speedup") == 1 and stats.direction("loop_rate_hz") == 1
    assert stats.direction("throughput_ops_s") == 1 and stats.direction("lost_updates") == 0


def test_load_reasons_against_cores():
    env = {"machine": {"load_avg_start": [1.5, 1, 1], "load_avg_end": [2.0, 1, 1]}}
    assert stats.load_reasons(env, 2) == ["load average 1.50 at the start on 2 cores"]
    assert stats.load_reasons(env, 8) == []
