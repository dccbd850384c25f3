"""How many rounds a comparison group runs: fixed, or until its ratios are settled or its budget is spent.

A group's ratios are its non-baseline cells' per-round ``speedup``s. Adaptive rounds stop by Stein's
two-stage rule (experiments/harness/stopping.py; the report's intervals apply the same rule): the
first N_FIRST rounds' spread fixes how many rounds the group needs for an interval of half-width
``precision`` (relative, on the log scale), and later rounds never change that number, so asking
after every round keeps the intervals' coverage. The run records N_FIRST (``config.n_first``) and
the report passes it back to its t intervals.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from experiments.harness.stopping import group_settled
from experiments.spec import INTERVAL_ROUNDS, Profile

#: A maximum no group reaches: Stein's own count, not a cap, decides whether a target was met.
UNCAPPED = 10**6
#: Rounds of Stein's first stage: their spread fixes the total (recorded as ``config.n_first``).
N_FIRST = INTERVAL_ROUNDS

#: Confidence of the interval the precision target refers to.
CONFIDENCE = 0.95


def median_interval(values) -> tuple:
    """(median, low, high) with the exact 95 % order-statistic interval of the median; low and high
    are NaN when there are too few values for one (fewer than 6)."""
    values = sorted(float(v) for v in values)
    if not values:
        return math.nan, math.nan, math.nan
    from scipy import stats  # imported here: a second's import only runs that use rounds pay

    ci = stats.quantile_test(values, p=0.5).confidence_interval(CONFIDENCE)
    return statistics.median(values), float(ci.low), float(ci.high)


def relative_half_width(values) -> float:
    """The larger side of the median's 95 % interval over the median; inf without an interval."""
    median, low, high = median_interval(values)
    if not (math.isfinite(low) and math.isfinite(high)) or not median > 0:
        return math.inf
    return max(median - low, high - median) / median


@dataclass
class GroupRecord:
    """What is stored of one comparison group in one run: its complete rounds, ratios and cost."""

    cells: tuple
    baseline: str | None
    rows: dict = field(default_factory=dict)  # round -> {cell_id: speedup or None}
    spent_s: float = 0.0

    def add(self, r: int, cell_id: str, speedup, seconds) -> None:
        self.rows.setdefault(r, {})[cell_id] = speedup
        self.spent_s += seconds or 0.0

    def complete(self) -> list:
        """Rounds in which every cell of the group has a stored row, in order."""
        return sorted(r for r, got in self.rows.items() if all(c in got for c in self.cells))

    def next_round(self) -> int:
        """The lowest round not yet complete (a hole left by a crash is filled first)."""
        done = set(self.complete())
        r = 0
        while r in done:
            r += 1
        return r

    def round_cost_s(self) -> float:
        """Mean cost of one of its stored rounds (0 before any)."""
        n = len(self.rows)
        return self.spent_s / n if n else 0.0

    def has_ratios(self) -> bool:
        return self.baseline is not None and len(self.cells) > 1

    def log_ratios(self) -> list | None:
        """Each non-baseline cell's log speedups in round order (None: the group has no ratios)."""
        if not self.has_ratios():
            return None
        out = []
        for cell in self.cells:
            if cell == self.baseline:
                continue
            ratios = [self.rows[r].get(cell) for r in sorted(self.rows)]
            logs = [math.log(v) for v in ratios if v is not None and v > 0]
            if not logs and any(cell in got for got in self.rows.values()):
                continue  # a cell that never succeeds has no ratio to settle
            out.append(logs)
        return out

    def settled(self, precision: float, n_max: int) -> bool | None:
        """Whether Stein's rule says the group has all its rounds for intervals of half-width
        ``precision``; None for a group without ratios."""
        ratios = self.log_ratios()
        if ratios is None or not ratios:
            return None
        return group_settled(ratios, math.log1p(precision), N_FIRST, n_max)

    def precision(self) -> float | None:
        """Relative half-width of its least precise ratio (inf: too few rounds); None: no ratios."""
        if not self.has_ratios():
            return None
        widths = []
        for cell in self.cells:
            if cell == self.baseline:
                continue
            ratios = [got[cell] for got in self.rows.values() if got.get(cell) is not None]
            if not ratios and any(cell in got for got in self.rows.values()):
                continue  # a cell that never succeeds has no ratio to make precise
            widths.append(relative_half_width(ratios))
        return max(widths) if widths else None


@dataclass(frozen=True)
class RoundPolicy:
    """The rounds rule of one experiment in one run: fixed, or adaptive within a time budget.

    Adaptive rounds come in two phases. First every group runs ``min_rounds``, group by group,
    whatever the budget. Then what is left of the experiment's budget goes, one round at a time,
    to the group that wants one and has run the fewest rounds (ties: the first in the plan): a group
    wants rounds until Stein's rule says it is settled (its first N_FIRST rounds fix how many it
    needs for intervals of half-width ``precision``), as long as a round of its cost fits in what is
    left and it is below ``max_rounds``.
    An expensive group early in the plan is so not starved by cheap, precise ones after it.
    """

    fixed: int | None
    min_rounds: int
    max_rounds: int
    precision: float
    budget_s: float | None

    @classmethod
    def of(cls, profile: Profile) -> RoundPolicy:
        fixed = None if profile.adaptive else profile.repeat
        return cls(fixed, profile.min_rounds, profile.max_rounds, profile.precision, profile.budget_s)

    def left_s(self, records: list) -> float:
        """Seconds of the experiment's budget its groups have not spent."""
        return (self.budget_s or 0.0) - sum(rec.spent_s for rec in records)

    def wants(self, records: list, index: int) -> tuple:
        """(must, wanting, affordable) for group ``index``'s next round: must run it (fixed count
        or minimum not reached); wants it (Stein's first stage not done, or the rounds it fixed not
        yet run); can afford it (below the maximum, and a round of its mean cost fits in
        what is left of the budget)."""
        rec = records[index]
        r = rec.next_round()
        if self.fixed is not None:
            return r < self.fixed, False, False
        settled = rec.settled(self.precision, self.max_rounds)
        wanting = r < N_FIRST or settled is False
        affordable = r < self.max_rounds and rec.round_cost_s() <= self.left_s(records)
        return r < self.min_rounds, wanting, affordable


def another_round(wants: list) -> bool:
    """Whether a group runs another round, given each interpreter's ``wants``: measured interleaved,
    its rounds go on while one interpreter must, or while one wants and all can afford it."""
    return any(m for m, _, _ in wants) or (any(i for _, i, _ in wants) and all(a for _, _, a in wants))


def must_round(wants: list) -> bool:
    """Whether some interpreter has not reached the group's fixed or minimum rounds yet."""
    return any(m for m, _, _ in wants)


def precision_columns(record: GroupRecord, target: float) -> dict:
    """The derived columns a round's rows carry: rounds so far, the precision its medians' intervals
    reached, and whether the group ran all the rounds Stein's rule asks for the target (uncapped:
    a group stopped by its maximum or its budget did not meet it)."""
    width = record.precision()
    out = {"group_rounds": len(record.complete())}
    if width is not None:
        out["group_precision"] = width if math.isfinite(width) else None
        out["precision_met"] = int(bool(record.settled(target, UNCAPPED)))
    return out
