"""Quantiles of the samples a cell collects (standard library only, runs in the measured interpreter)."""

from __future__ import annotations

import math


def quantile(values, q: float) -> float:
    """The q-quantile (0..1) of a non-empty sample, interpolated between order statistics
    (numpy's default "linear" method, so the report's figures agree with the cell's)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("quantile of an empty sample")
    pos = q * (len(ordered) - 1)
    low = int(math.floor(pos))
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)
