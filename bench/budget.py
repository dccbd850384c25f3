"""How long each micro-benchmark may run; GILBENCH_BENCH_SCALE shrinks or stretches every budget at once."""

from __future__ import annotations

import os

import pytest

SCALE_ENV = "GILBENCH_BENCH_SCALE"

#: Seconds a calibrated benchmark measures for at scale 1; the whole bench/ run stays well under 40 s.
MAX_TIME_S = 1.0

#: A round of a calibrated benchmark lasts at least this long, so that the timer calls around a round
#: (tens of ns) stay under 0.1 % of it even for primitives that cost ~50 ns.
MIN_ROUND_S = 100e-6


def parse_scale(raw: str | None) -> float:
    """The budget scale a GILBENCH_BENCH_SCALE value asks for (1 when unset); ValueError when not > 0."""
    raw = "1" if raw is None else raw
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not (value > 0 and value != float("inf")):
        raise ValueError(
            "%s=%r is not a positive finite number: unset it, or use e.g. 0.1 for a quick run"
            % (SCALE_ENV, raw)
        )
    return value


def scale() -> float:
    """This process's budget scale, from the environment (bench.run sets it for each of its processes)."""
    return parse_scale(os.environ.get(SCALE_ENV))


def calibrated(group: str) -> pytest.MarkDecorator:
    """The benchmark marker for an operation cheap enough for pytest-benchmark's own calibration."""
    return pytest.mark.benchmark(
        group=group, max_time=MAX_TIME_S * scale(), min_time=MIN_ROUND_S, min_rounds=5
    )


def rounds(n: int) -> int:
    """Rounds for a pedantic benchmark: n at scale 1, never fewer than 2 (a spread needs two)."""
    return max(2, round(n * scale()))
