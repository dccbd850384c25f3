"""The exact, distribution-free 95 % interval of a median (two order statistics of the values), and
"too few repetitions" where there is none."""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import stats as sps

CONFIDENCE = 0.95


def missing(value) -> bool:
    """None or NaN: how pandas holds a parameter the cell left empty."""
    return value is None or (isinstance(value, float) and math.isnan(value))


@functools.cache
def median_ranks(n: int) -> tuple | None:
    """0-based ranks ``(low, high)`` of the order statistics that bound the exact 95 % interval of the
    median of ``n`` values, or None when no pair of order statistics reaches 95 % (n <= 5).

    scipy's ``quantile_test`` interval computed on the ranks 0..n-1 *is* that pair of ranks, and every
    sample of size n uses the same two, so they are computed once per n and applied to sorted data.
    """
    if n < 1:
        return None
    ci = sps.quantile_test(np.arange(n, dtype=float), q=0.0, p=0.5).confidence_interval(CONFIDENCE)
    if not (math.isfinite(ci.low) and math.isfinite(ci.high)):
        return None
    return int(ci.low), int(ci.high)


@functools.cache
def min_n_for_ci() -> int:
    """The fewest values whose median has an exact 95 % interval (6: the chance that all of 5 values
    fall on one side of the median, 2 × 1/32, already exceeds 5 %)."""
    n = 1
    while median_ranks(n) is None:
        n += 1
    return n


def ci_note(n: int) -> str:
    """Why the median of ``n`` values has no 95 % interval; empty when it has one."""
    if n < 1 or median_ranks(int(n)) is not None:
        return ""
    return "too few repetitions for a 95 %% interval: n=%d, needs %d" % (n, min_n_for_ci())


def median_ci(values) -> tuple:
    """Exact, distribution-free 95 % interval of the median: ``(low, high)``, two order statistics of
    the finite values (binomial; scipy.stats.quantile_test). NaN bounds when there are too few values
    for 95 % (n <= 5; ``ci_note(n)`` says so).

    It needs only independent draws from one distribution, so it serves per-round ratios as well: a
    comparison group's ``speedup`` rows (baseline and cell from the same round) or the ratios of two
    interleaved runs round by round are such draws, and this is the interval of their median.
    """
    x = np.asarray(values, dtype=float)
    x = np.sort(x[np.isfinite(x)])
    ranks = median_ranks(x.size)
    if ranks is None:
        return (math.nan, math.nan)
    return (float(x[ranks[0]]), float(x[ranks[1]]))
