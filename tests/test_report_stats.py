"""report.analysis.statistics: exact intervals, noise flags and honest run-to-run verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from report.analysis import statistics as stats


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
    assert partial["n"] == 5 and partial["median"] == 3.0  # and 5 values are too few for a 95 % interval
    assert np.isnan(partial["ci_low"]) and "n=5, needs 6" in partial["ci_note"] and q["ci_note"] == ""
    assert s.loc[("quiet", "rate_hz")]["cv"] == 0


def test_verdicts_need_significance_and_a_large_enough_change():
    rng = np.random.default_rng(5)
    base = rng.normal(1.0, 0.02, 10)
    slower = rng.normal(1.3, 0.02, 10)
    c = stats.compare(base, slower, "wall_s")
    assert c.verdict == "slower" and c.p_value < 0.01 and c.ci_low <= c.ratio <= c.ci_high and c.ratio > 1.2
    assert stats.compare(base, slower, "throughput_ops_s").verdict == "faster"
    assert stats.compare(base, slower, "tasks_done").verdict == "higher"
    assert stats.compare(slower, base, "tasks_done").verdict == "lower"
    assert stats.compare(base, rng.normal(1.0, 0.02, 10), "wall_s").verdict == "same"
    assert stats.compare(base, base.copy(), "wall_s").verdict == "same"
    # significant but below the 5 % threshold: still "same"
    tiny = stats.compare(1.0 + rng.normal(0, 1e-4, 10), 1.03 + rng.normal(0, 1e-4, 10), "wall_s")
    assert tiny.p_value < 0.01 and tiny.verdict == "same"
    # three repetitions each are tested too: their spread is what it is
    few = stats.compare([1.0, 1.01, 1.02], [2.0, 2.01, 2.02], "wall_s")
    assert few.verdict == "slower" and few.tested


def test_run_to_run_noise_floor_widens_intervals_and_raises_the_minimum_effect():
    rng = np.random.default_rng(6)
    base, other = rng.lognormal(0, 0.01, 8), 1.12 * rng.lognormal(0, 0.01, 8)
    alone = stats.compare(base, other, "wall_s")
    assert alone.verdict == "slower" and not alone.ci_low <= 1.0 <= alone.ci_high
    # 12 % slower is inside the noise between two runs of ±15 %: not called, and the interval holds 1
    noisy = stats.compare(base, other, "wall_s", noise_floor=0.15)
    assert noisy.verdict == "same" and noisy.ci_low <= 1.0 <= noisy.ci_high and noisy.noise_floor == 0.15
    assert stats.minimum_effect(0.15) == 0.15 and stats.minimum_effect(0.0) == pytest.approx(np.log(1.05))


def test_comparisons_that_cannot_give_a_ratio_are_not_tested():
    zero = stats.compare([0.0, 0.0, 1.0], [0.0, 2.0, 0.0], "lost_updates")
    assert zero.verdict == "n/a" and not zero.tested and "positive" in zero.note
    constant = stats.compare([0, 0, 0], [0, 0, 0], "lost_updates")
    assert constant.verdict == "same" and not constant.tested
    assert stats.compare([], [1.0], "wall_s").verdict == "n/a"


def test_direction_of_metrics():
    assert stats.direction("wall_s") == -1 and stats.direction("latency_p99_us") == -1
    assert stats.direction("speedup") == 1 and stats.direction("loop_rate_hz") == 1
    assert stats.direction("throughput_ops_s") == 1 and stats.direction("lost_updates") == 0
