"""Rule 5: did the machine change between runs, and is a cell's change the machine's or the code's."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from report.analysis.verdicts.core import CONFIDENCE, Verdict, _band, _tq


@dataclass(frozen=True)
class MachineChange:
    """Whether a machine reading (parallel capacity, single-core loop speed) moved between runs.

    ``ratio`` new / base (geometric means of each run's readings) with its interval ``low``–``high``;
    ``verdict``: "changed" (the interval excludes 1 and the estimate is beyond ``tolerance``: a
    change beyond the readings' own noise), "unchanged" (the interval inside ±tolerance), "unknown"
    (neither, or too few readings to know their noise).
    """

    verdict: str
    ratio: float
    low: float
    high: float
    tolerance: float
    note: str = ""

    @property
    def changed(self) -> bool:
        return self.verdict == "changed"

    @property
    def log_ratio(self) -> float:
        return math.log(self.ratio)


def machine_change(
    base_readings: Sequence[float],
    new_readings: Sequence[float],
    *,
    tolerance: float = 0.05,
    confidence: float = CONFIDENCE,
    reading_sd: float | None = None,
) -> MachineChange:
    """Did the machine change between two runs, beyond the noise of its own readings?

    Parameters
    ----------
    base_readings, new_readings
        Each run's readings of one quantity (positive): capacity at the start, the end and in
        rounds; or single-core loop ns per iteration at the start and end.
    tolerance
        A relative change smaller than this is never "changed" (0.05: 5 %).
    reading_sd
        The sd (log) of one reading when known from elsewhere (e.g. an A/A pair); else estimated
        from the spread within each run (pooled; needs 3 readings over both runs).

    Returns
    -------
    MachineChange
        Welch-free pooled t interval of the difference of mean log readings.

    Notes
    -----
    Error rates (the scenarios of tests/test_verdicts.py, 3 readings a run with 4 % noise each,
    4000 simulations): an unchanged machine reads "changed" in 4.3 % (two-sided bound 5 %: the
    rule leans towards blaming the machine, never the code, for a change it cannot explain),
    "unchanged" in 3 % (3 readings say little); capacity moving 1.14 -> 1.95 is "changed" in 100 %,
    a +10 % move in 61 %.
    """
    a = np.log(_positive(base_readings))
    b = np.log(_positive(new_readings))
    if a.size == 0 or b.size == 0:
        return MachineChange("unknown", math.nan, math.nan, math.nan, tolerance, "no reading in one run")
    est = float(b.mean() - a.mean())
    if reading_sd is not None:
        sd, df = float(reading_sd), math.inf
    else:
        df = a.size + b.size - 2
        if df < 1:
            return MachineChange(
                "unknown", math.exp(est), math.nan, math.nan, tolerance, "one reading a run: noise unknown"
            )
        ss = float(np.sum((a - a.mean()) ** 2) + np.sum((b - b.mean()) ** 2))
        sd = math.sqrt(ss / df)
    se = sd * math.sqrt(1 / a.size + 1 / b.size)
    half = float(_tq(1 - (1 - confidence) / 2, df)) * se
    lo, hi = est - half, est + half
    band = math.log1p(tolerance)
    if (lo > 0 or hi < 0) and abs(est) > band:
        word = "changed"
    elif -band < lo and hi < band:
        word = "unchanged"
    else:
        word = "unknown"
    return MachineChange(word, math.exp(est), math.exp(lo), math.exp(hi), tolerance)


def _positive(values) -> np.ndarray:
    x = np.asarray([float(v) for v in values if v is not None], dtype=float)
    return x[np.isfinite(x) & (x > 0)]


def attribute(cell: Verdict, machine: MachineChange, exponent: float = 1.0) -> str:
    """Whose change a cell's "faster"/"slower" is: "code", "the machine changed", "machine or code".

    Parameters
    ----------
    cell
        The cell's verdict on a raw figure (e.g. its wall time).
    machine
        ``machine_change`` of the reading that figure scales with.
    exponent
        How the figure scales with the reading: the figure's log change the machine alone gives is
        ``exponent × log(machine.ratio)``. Wall time of a parallel cell against capacity: -1; wall
        time of a single-core cell against loop ns per iteration: +1.

    Returns
    -------
    str
        "" for a cell with no change to attribute; "code" when the machine is shown unchanged, or
        when the cell's change beyond what the machine explains still lies beyond the threshold
        (its interval shifted by the machine's expected effect and widened by the machine's
        half-width); "the machine changed" when the machine changed in the direction that explains
        it; "machine or code" when the machine's readings cannot say.

    Notes
    -----
    Parallel cells should also be judged on capacity-normalised figures (``capacity_fraction``, or
    log ratio minus log capacity ratio per round), with ``paired_verdict`` or ``family_verdicts``.
    """
    if not cell.changed:
        return ""
    if machine.verdict == "unchanged":
        return "code"
    if machine.verdict != "changed":
        return "machine or code"
    expected = exponent * machine.log_ratio
    widen = abs(exponent) * max(
        machine.log_ratio - math.log(machine.low), math.log(machine.high) - machine.log_ratio
    )
    lo = math.log(cell.low) - expected - widen
    hi = math.log(cell.high) - expected + widen
    delta = _band(cell.threshold)
    if lo > delta or hi < -delta:
        return "code"
    return "the machine changed"
