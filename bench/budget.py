"""How long each micro-benchmark may run; GILBENCH_BENCH_SCALE shrinks or stretches every budget at once."""

from __future__ import annotations

import os

import pytest


def _scale() -> float:
    raw = os.environ.get("GILBENCH_BENCH_SCALE", "1")
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise ValueError(
            "GILBENCH_BENCH_SCALE=%r is not a positive number: unset it, or use e.g. 0.1 for a quick run"
            % raw
        )
    return value


SCALE = _scale()

#: Seconds a calibrated benchmark measures for at scale 1; the whole bench/ run stays well under 40 s.
MAX_TIME_S = 1.0

#: A round of a calibrated benchmark lasts at least this long, so that the timer calls around a round
#: (tens of ns) stay under 0.1 % of it even for primitives that cost ~50 ns.
MIN_ROUND_S = 100e-6


def calibrated(group: str) -> pytest.MarkDecorator:
    """The benchmark marker for an operation cheap enough for pytest-benchmark's own calibration."""
    return pytest.mark.benchmark(group=group, max_time=MAX_TIME_S * SCALE, min_time=MIN_ROUND_S, min_rounds=5)


def rounds(n: int) -> int:
    """Rounds for a pedantic benchmark: n at scale 1, never fewer than 2 (a spread needs two)."""
    return max(2, round(n * SCALE))
