"""Whose change it is: the machine's readings of two runs started separately (parallel capacity,
single-core loop speed) compared beyond their noise, and each faster/slower verdict attributed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from experiments.schema import UNITS
from report.analysis import statistics as stats
from report.analysis.family import MACHINE_CHANGED
from report.analysis.runs import run_speeds
from report.analysis.verdicts.machine import MachineChange, attribute, machine_change

if TYPE_CHECKING:
    from report.analysis.family import Family
    from report.analysis.load import Run


@dataclass
class Machine:
    """The two runs' machine readings compared: ``capacity`` (cores' worth of parallel work the machine
    gave: start, end and in-round probes) and ``speed`` (loop ns per iteration at start and end)."""

    capacity: MachineChange
    speed: MachineChange
    capacity_base: list
    capacity_other: list

    @property
    def changed(self) -> bool:
        return self.capacity.changed or self.speed.changed


def capacity_readings(run: Run) -> list:
    """Every reading of the machine's parallel capacity a run took: at its start and end (the most
    processes probed) and in its rounds (``round_capacity``)."""
    out = []
    for phase in ("start", "end"):
        cap = run.capacity(phase)
        if cap:
            out.append(cap[max(cap)])
    for df in run.tables.values():
        if "round_capacity" in df:
            values = df["round_capacity"].to_numpy(dtype=float)
            out += [float(v) for v in np.unique(values[np.isfinite(values) & (values > 0)])]
    return out


def machine_readings(base: Run, other: Run) -> Machine:
    a, b = capacity_readings(base), capacity_readings(other)
    capacity = machine_change(a, b)
    speed = machine_change(run_speeds(base), run_speeds(other))
    return Machine(capacity, speed, a, b)


def _parallel(run: Run, experiment: str, cell: str) -> bool:
    """Whether a cell ran parallel work: its rows carry an in-round capacity probe."""
    df = run.tables.get(experiment)
    if df is None or "round_capacity" not in df:
        return False
    values = df.loc[df["cell_id"].astype(str) == cell, "round_capacity"].to_numpy(dtype=float)
    return bool(np.isfinite(values).any())


def exponent(metric: str, info, reading: str) -> float:
    """How a metric scales with a machine reading (its log change = exponent × the reading's): a time
    falls as capacity grows (-1) and grows with loop ns (+1); a rate the other way; a speedup grows with
    capacity; a capacity-normalised figure (a fraction) does not move with either."""
    declared = stats.declared(metric, info)
    kind = UNITS[declared.unit].kind if declared is not None else ""
    sign = {"duration": 1.0, "rate": -1.0}.get(kind)
    if sign is not None:
        return -sign if reading == "capacity" else sign
    if kind == "ratio" and reading == "capacity":
        return 1.0
    return 0.0


def attribute_items(family: Family) -> None:
    """Set ``cause`` on every faster/slower item and shift of runs started separately: judged against
    the capacity change for a parallel cell, the loop-speed change otherwise."""
    machine = family.machine
    for item in family.changed:
        if item.by_round:
            continue
        info = family.base.experiments.get(item.experiment) or family.other.experiments.get(item.experiment)
        parallel = _parallel(family.base, item.experiment, item.cell)
        reading = "capacity" if parallel else "speed"
        change = machine.capacity if parallel else machine.speed
        power = exponent(item.metric, info, reading)
        item.cause = attribute(item.verdict, change, power) if power else "code"
    for shift in family.shifts:
        if shift["shift"].changed and machine.speed.changed:
            info = family.base.experiments.get(shift["experiment"])
            power = exponent(shift["metric"], info, "speed")
            if power and attribute(shift["shift"], machine.speed, power) == MACHINE_CHANGED:
                shift["cause"] = MACHINE_CHANGED
