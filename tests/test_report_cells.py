"""The shared toolkit's comparisons: interval sides, per-round and separate-run ratios, rank tests."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from report.analysis import statistics as stats
from report.analysis.cells import Ratio, round_ratios, separate_ratios, shifted, side
from report.page.figures import EXECUTOR_COLOURS, executor_colour, known_first


def test_side_needs_an_interval_wholly_on_one_side():
    assert side({"ci_low": 1.1, "ci_high": 1.3}) == 1
    assert side({"ci_low": 0.7, "ci_high": 0.9}) == -1
    assert side({"ci_low": 0.9, "ci_high": 1.1}) == 0
    assert side({"ci_low": math.nan, "ci_high": math.nan, "median": 5.0}) == 0  # no interval, no word
    assert side({"ci_low": 3.0, "ci_high": 4.0}, at=2.0) == 1


def test_ratio_inverse_swaps_the_bounds():
    r = Ratio(2.0, 1.6, 2.5, 8, True).inverse()
    assert (r.median, r.ci_low, r.ci_high) == (0.5, 0.4, 0.625)
    assert r.side == -1 and "paired round by round over 8 rounds" in r.how()


def _frame(values: dict, on_value: str = "x") -> pd.DataFrame:
    rows = []
    for cell, per_round in values.items():
        for r, v in enumerate(per_round):
            rows.append({"g": on_value, "cell": cell, "repeat": r, "status": "ok", "wall_s": v})
    return pd.DataFrame(rows)


def test_round_ratios_pair_each_round_with_the_baseline_of_that_round():
    drift = np.array([1.0, 2.0, 0.5, 1.5, 1.2, 0.8, 1.1])
    base = _frame({"seq": drift})
    other = _frame({"a": 0.5 * drift, "b": drift * np.array([1, 1.1, 0.9, 1, 1.05, 0.95, 1])})
    other.loc[(other["cell"] == "b") & (other["repeat"] == 3), "status"] = "error"
    found = round_ratios(base, other, ["g"], ["g", "cell"], "wall_s")
    a, b = found[("x", "a")], found[("x", "b")]
    assert a.median == pytest.approx(0.5) and a.ci_low == pytest.approx(0.5) and a.paired and a.n == 7
    assert b.n == 6  # the failed round has no ratio
    assert (b.ci_low, b.ci_high) == stats.median_ci([1, 1.1, 0.9, 1.05, 0.95, 1])
    few = round_ratios(base.head(4), other, ["g"], ["g", "cell"], "wall_s")[("x", "a")]
    assert math.isnan(few.ci_low) and few.ci_note == stats.ci_note(4)


def test_separate_ratios_say_their_interval_holds_within_run_noise_only():
    rng = np.random.default_rng(1)
    base = _frame({"seq": rng.lognormal(0, 0.02, 8)})
    other = _frame({"a": 2 * rng.lognormal(0, 0.02, 8)})
    r = separate_ratios(base, other, ["g"], ["g", "cell"], "wall_s")[("x", "a")]
    expected = np.median(other["wall_s"]) / np.median(base["wall_s"])
    assert r.median == pytest.approx(expected) and not r.paired
    assert r.ci_low < r.median < r.ci_high and 1.9 < r.ci_low and r.ci_high < 2.1
    assert "within-run noise only" in r.ci_note and "within-run noise" in r.how()
    one = separate_ratios(base.head(1), other, ["g"], ["g", "cell"], "wall_s")[("x", "a")]
    assert math.isnan(one.ci_low) and "no interval" in one.ci_note


def test_shifted_is_a_rank_test():
    assert shifted([1, 2, 3, 4, 5], [10, 11, 12, 13, 14])[0] == -1
    assert shifted([10, 11, 12, 13, 14], [1, 2, 3, 4, 5])[0] == 1
    assert shifted([1, 2, 3], [10, 11, 12]) == (0, pytest.approx(0.1))  # 3 against 3 cannot reach 5 %
    assert shifted([], [1.0])[0] == 0


def test_unknown_executors_get_a_colour_of_their_own_and_come_last():
    assert known_first(["zeta", "thread", "alpha", "sequential"], EXECUTOR_COLOURS) == [
        "sequential",
        "thread",
        "alpha",
        "zeta",
    ]
    new = executor_colour("subinterpreters")
    assert new == executor_colour("subinterpreters") and new not in EXECUTOR_COLOURS.values()
