"""Stein's two-stage rule, as the harness applies it after every round: how many rounds a group needs.

The first ``n_first`` rounds' spread fixes the total number of rounds for an interval of a given
half-width, and later rounds never change that number, so asking after every round keeps the
intervals' coverage. The report computes its intervals with the same rule
(report/analysis/verdicts/stopping.py, given ``config.n_first``); the two sides share no code
because the measuring side never imports the reading side, and a test holds them in lockstep.
"""

from __future__ import annotations

import math
import statistics

from scipy import special

CONFIDENCE = 0.95


def stein_rounds(first_log_ratios: list, half_width: float, n_max: int | None = None) -> int:
    """N = max(n0, ceil((t(n0 - 1) × s0 / h)^2)), at most ``n_max``: n0 rounds of first stage with sd
    s0, h the half-width on the log scale, t the two-sided 95 % quantile."""
    x = [v for v in first_log_ratios if math.isfinite(v)]
    if len(x) < 2:
        raise ValueError("Stein's first stage needs 2 rounds or more")
    if not half_width > 0:
        raise ValueError("half_width must be > 0")
    t = float(special.stdtrit(len(x) - 1, 1 - (1 - CONFIDENCE) / 2))
    need = max(len(x), math.ceil((t * statistics.stdev(x) / half_width) ** 2 - 1e-9))
    return min(need, n_max) if n_max else need


def settled(log_ratios: list, half_width: float, n_first: int, n_max: int) -> bool:
    """Whether one ratio has all its rounds: False before ``n_first``, True at ``n_max``, else
    whether Stein's total from the first ``n_first`` rounds is reached."""
    x = [v for v in log_ratios if math.isfinite(v)]
    if len(x) < n_first:
        return False
    if len(x) >= n_max:
        return True
    return len(x) >= stein_rounds(x[:n_first], half_width, n_max=n_max)


def group_settled(log_ratios_by_cell: list, half_width: float, n_first: int, n_max: int) -> bool:
    """``settled`` for every ratio of a comparison group (a group runs until all are)."""
    return all(settled(x, half_width, n_first, n_max) for x in log_ratios_by_cell)
