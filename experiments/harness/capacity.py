"""The machine's capacity as the harness uses it: the probe's profile, a round's capacity columns,
the readings at the start and end of a run, and the verdict on a run whose machine moved under it.

The probe itself is the catalogue's RUN_BY_HARNESS experiment (experiments/catalogue/capacity.py);
README "How gilbench measures" says how its phase length was chosen.
"""

from __future__ import annotations

import statistics
import time

from experiments.harness.registry import capacity_probe
from experiments.harness.store import RunFolder
from experiments.schema import Environment
from experiments.spec import Profile

#: Rounds of the capacity probe at each end of a run, per profile (for the noise verdict).
CAPACITY_ROUNDS = {"quick": 2, "default": 3, "full": 5}
#: Length of each phase of a capacity probe, per profile: quick is a smoke test and gives no
#: intervals, so its probes are short (and flagged more often).
PROBE_REGION_MS = {"quick": 150, "default": 400, "full": 400}
#: A run whose capacity at N = cores moved more than this between start and end is noisy.
CAPACITY_MOVED_LIMIT = 0.15
#: Steal time above this fraction of the run's core-seconds marks a run on a contended host.
STEAL_LIMIT = 0.05
#: A 1-minute load average above this fraction of the cores at the start marks a loaded machine.
LOAD_LIMIT = 0.5
#: At the end the run's own workers add load; only more than this many times the cores is suspicious.
LOAD_END_LIMIT = 1.5


def probe_profile(cores: int, rounds: int, phase: str, region_ms: int) -> Profile:
    """The start/end probe of a machine with ``cores`` usable cores: N = 2..cores (1 is 1.0x)."""
    grid = [{"phase": [phase], "processes": list(range(2, cores + 1)) or [1], "region_ms": [region_ms]}]
    return Profile(grid=grid, repeat=rounds, timeout_s=60)


def number(text) -> float | None:
    """A CSV field as a number, or None when it is empty or not one."""
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def capacity_columns(speedup: float, processes: int, probes: dict) -> dict:
    """A capacity-bound row's capacity columns, from the probes of its own round ({N: metrics}).

    N processes cannot deliver more than N times one. A probe whose whole interval (capacity_low,
    from the faster single-process phase) lies above N measured noise, not the machine: it is
    flagged and no fraction is computed from it. One above N only within its interval is read as N.
    """
    if processes <= 1:
        return {"round_capacity": 1.0, "capacity_above_cores": 0, "capacity_fraction": speedup}
    probe = probes.get(processes)
    if not probe or not probe.get("capacity"):
        return {}
    if probe["capacity_low"] > processes:
        return {"round_capacity": probe["capacity"], "capacity_above_cores": 1}
    available = min(probe["capacity"], float(processes))
    return {"round_capacity": available, "capacity_above_cores": 0, "capacity_fraction": speedup / available}


def read_capacity(folder: RunFolder, phase: str) -> tuple:
    """({processes: median capacity}, probes flagged) for one phase, from the run's capacity.csv.

    1 process is 1.0 by definition. As inside a round, a probe whose whole interval lies above its
    process count is a measurement error, left out and counted; one above it only within its
    interval counts as the process count.
    """
    ratios: dict = {1: [1.0]}
    flagged = 0
    for row in _capacity_rows(folder, phase):
        n, cap, low = int(row["processes"]), number(row.get("capacity")), number(row.get("capacity_low"))
        if cap is None:
            continue
        if low is not None and low > n:
            flagged += 1
            continue
        ratios.setdefault(n, []).append(min(cap, float(n)))
    return {n: statistics.median(v) for n, v in sorted(ratios.items())}, flagged


def _capacity_rows(folder: RunFolder, phase: str) -> list:
    return [
        r for r in folder.rows(capacity_probe().name) if r.get("phase") == phase and r.get("status") == "ok"
    ]


def read_speed(folder: RunFolder, phase: str) -> dict:
    """The machine's single-process speed in one phase: loop ns per iteration, memory copy GiB/s."""
    rows = _capacity_rows(folder, phase)
    speed = {}
    for key in ("loop_ns_per_iter", "memcpy_gib_s"):
        values = [float(r[key]) for r in rows if number(r.get(key)) is not None]
        if values:
            speed[key] = statistics.median(values)
    return speed


def _seconds_between(start: str, end: str | None) -> float | None:
    if not end:
        return None
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return (time.mktime(time.strptime(end, fmt)) - time.mktime(time.strptime(start, fmt))) or None


def assess_noise(env: Environment, cores: int) -> None:
    """Flag a run whose machine changed under it or was busy when it started."""
    reasons = []
    start, end = env.capacity["start"] or {}, env.capacity["end"] or {}
    key = str(cores)
    if key in start and key in end and start[key]:
        moved = abs(end[key] - start[key]) / start[key]
        env.capacity["moved_fraction"] = moved
        if moved > CAPACITY_MOVED_LIMIT:
            reasons.append(
                "capacity at %d processes moved from %.2fx to %.2fx during the run"
                % (cores, start[key], end[key])
            )
    machine = env.machine
    steal_start, steal_end = machine.get("cpu_steal_s_start"), machine.get("cpu_steal_s_end")
    if steal_start is not None and steal_end is not None:
        wall = _seconds_between(env.created_utc, env.finished_utc)
        if wall and (steal_end - steal_start) > STEAL_LIMIT * wall * cores:
            reasons.append(
                "the hypervisor took %.1f s of CPU (steal) from this machine's %d cores during the run"
                % (steal_end - steal_start, cores)
            )
    load = machine.get("load_avg_start") or [0]
    if load[0] > LOAD_LIMIT * cores:
        reasons.append("1-minute load average was %.2f on %d cores when the run started" % (load[0], cores))
    load = machine.get("load_avg_end") or [0]
    if load[0] > LOAD_END_LIMIT * cores:
        reasons.append("1-minute load average was %.2f on %d cores when the run ended" % (load[0], cores))
    env.noisy = bool(reasons)
    env.noisy_reasons = reasons
