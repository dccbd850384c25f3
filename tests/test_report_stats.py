"""report.analysis.statistics: exact intervals, noise flags, directions and the tail rule (verdicts between
runs: tests/test_verdicts.py and tests/test_comparisons.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

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


def test_the_tail_rule_judges_a_p99_only_with_samples_enough():
    assert stats.judgeable("wall_s", None) and stats.judgeable("latency_p50_us", None)
    assert stats.tail_samples_needed("latency_p99_us") == 1000
    assert stats.judgeable("latency_p99_us", 1000) and not stats.judgeable("latency_p99_us", 999)
    assert not stats.judgeable("latency_p99_us", None) and not stats.judgeable("x_max_us", 10**9)


def test_direction_of_metrics():
    assert stats.direction("wall_s") == -1 and stats.direction("latency_p99_us") == -1
    assert stats.direction("speedup") == 1 and stats.direction("loop_rate_hz") == 1
    assert stats.direction("throughput_ops_s") == 1 and stats.direction("lost_updates") == 0
