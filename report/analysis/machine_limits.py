"""What a busy machine could not show an advice: the cores' worth its parallel options got, and
whether an option that lost could have won with the cores it lacked (report.analysis.advice)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from report.analysis.numbers import num

if TYPE_CHECKING:
    from report.analysis.advice import Option
    from report.analysis.load import Run

#: Executors of worker processes (an advice's peak memory counts each of them).
PROCESSES = ("process", "process_pool")


def short_capacity(run: Run, options: list) -> float | None:
    """The cores' worth of parallel work the panel's parallel options got (their in-round probes; the
    run's start probe for a run without them), where it was short of the cores they could use (below
    90 %); None on a machine that gave them all, or for work that does not use the cores."""
    parallel = [o for o in options if o.workers > 1]
    if not parallel:
        return None
    if any("round_capacity" in o.rows for o in options):
        found = [float(o.rows["round_capacity"].median()) for o in parallel if "round_capacity" in o.rows]
        found = [c for c in found if math.isfinite(c)]
        capacity = max(found) if found else None  # no probe: work that does not use the cores
    else:
        cap = run.capacity("start")
        capacity = cap[max(cap)] if cap else None
    cores = min(run.cores, max(o.workers for o in parallel))
    return None if capacity is None or capacity >= 0.9 * cores else capacity


def capacity_note(run: Run, capacity: float | None, choice: Option | None) -> str | None:
    """What a busy machine could not show: parallel options ran on fewer cores' worth than it has."""
    if capacity is None:
        return None
    return (
        "the machine gave %s cores' worth of parallel work of its %s during this run: parallel options "
        "could not show more than about %sx, so this cannot show whether they beat %s on a quiet machine"
        % (num(capacity), num(run.cores), num(capacity), choice.label if choice else "the others")
    )


def held_back(run: Run, options: list, choice: Option, capacity: float | None, threshold: float):
    """Why the choice cannot stand, when the machine gave its parallel options fewer cores' worth
    (``capacity``) than they could use: an option that lost might beat the choice by more than the
    threshold with the cores it lacked (its speed against the choice's, times the cores it could use
    over the capacity it got, against the choice's own such factor). None when no option could."""
    if capacity is None:
        return None

    def lacked(o: Option) -> float:
        """What the cores it lacked could multiply the option's speed by: processes and interpreters
        run in parallel by nature, threads only where they were seen busy on more than one core (work
        that releases the GIL, or no GIL); the choice is credited alike, so only a difference counts."""
        probed = "round_capacity" in o.rows and o.rows["round_capacity"].notna().any()
        busy = o.rows["cpu_util_cores"].median() if "cpu_util_cores" in o.rows else math.nan
        by_nature = o.executor in PROCESSES + ("interpreter_pool",)
        parallel = o.workers > 1 and probed and (by_nature or busy > 1.1)
        return max(1.0, min(o.workers, run.cores) / capacity) if parallel else 1.0

    own = lacked(choice)
    bounds = [(choice.wall_s / o.wall_s * lacked(o) / own, o) for o in options if o is not choice]
    best, o = max(bounds, key=lambda b: b[0], default=(0.0, None))
    if o is None or best <= 1 + threshold:
        return None
    return (
        "inconclusive: the machine gave %s cores' worth of parallel work of its %s during this run; %s "
        "(%sx %s's speed here) could reach about %sx of it with the cores it lacked, so only a run on "
        "a quieter machine can decide"
        % (num(capacity), num(run.cores), o.label, num(choice.wall_s / o.wall_s), choice.label, num(best))
    )
