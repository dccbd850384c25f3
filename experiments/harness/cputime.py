"""Reads the CPU time of a worker's process tree from outside, to the nanosecond where Linux allows.

The harness reads the tree at the two moments the worker enters and leaves its measured region
(the worker is blocked on the handshake then). On Linux each process's CPU time comes from the
kernel's per-process CPU clock (``sum_exec_runtime`` of all its threads, exited threads included),
and children the worker reaped inside the region from the worker's own ``RUSAGE_CHILDREN``, which
it sends with the handshake. A child alive at the start and reaped before the end is then counted
once: by its clock at the start, by the worker's reaped total at the end. The worker's own CPU for
the handshake inside that window (~0.3 ms), timed with its thread clock, is taken off.

Limits, accepted: a thread running on another CPU at a mark is read as of its last scheduler tick
(4 ms at HZ=250; cells are normally idle at the marks); grandchildren reaped by a still-live child
(e.g. processes of a forkserver) are counted in 10 ms ticks; a child reaped in the instant between
the worker's ``getrusage`` and the parent's read is missed at that mark. The user/system split is
psutil's tick figures scaled to the exact total. Elsewhere (not Linux, clock unreadable) the
figures are psutil's ticks alone, and ``cpu_time_source`` says which was used.

Parent side only (imports psutil): never imported inside the measured interpreter.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import psutil

#: ``cpu_time_source`` values: exact kernel CPU clocks, or psutil's 10 ms ticks.
CPUCLOCK = "cpuclock"
PSUTIL = "psutil"

# The kernel encodes a process's CPU clock as ((~pid) << 3) | clock; CPUCLOCK_SCHED = 2 is the
# scheduler's exact runtime (PROF and VIRT are tick-based).
_CPUCLOCK_SCHED = 2


@dataclass(frozen=True)
class TreeCpu:
    """CPU seconds of a process tree at one moment: psutil's ticks and, where readable, the exact total."""

    user_s: float
    sys_s: float
    exact_s: float | None = None


def process_tree(proc: psutil.Process) -> list:
    """The process and all its live descendants (empty if it is gone)."""
    try:
        return [proc] + proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def exact_clock_available() -> bool:
    """True where another process's CPU clock can be read (Linux)."""
    return sys.platform.startswith("linux") and hasattr(time, "clock_gettime_ns")


def process_cpu_ns(pid: int) -> int:
    """On-CPU nanoseconds of every thread ``pid`` ran, read from outside; OSError if it is gone."""
    return time.clock_gettime_ns(((~pid) << 3) | _CPUCLOCK_SCHED)


def read_tree(proc: psutil.Process, reaped_children_s: float | None) -> TreeCpu:
    """The tree's CPU time now; ``reaped_children_s`` is the root's own RUSAGE_CHILDREN user+sys."""
    tree = process_tree(proc)
    user = system = 0.0
    exact_ns = 0
    exact = bool(tree) and exact_clock_available() and reaped_children_s is not None
    for p in tree:
        try:
            t = p.cpu_times()
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            t = None
        if t is not None:
            # A reaped child's time moves into its parent's children_* fields: counted once.
            user += t.user + t.children_user
            system += t.system + t.children_system
        if exact:
            exact, ns = _exact_ns(p, t, is_root=p is proc)
            exact_ns += ns
    if not exact:
        return TreeCpu(user, system)
    return TreeCpu(user, system, exact_ns / 1e9 + reaped_children_s)


def _exact_ns(p: psutil.Process, times, is_root: bool) -> tuple:
    """(readable, ns) of one process of the tree; a descendant that is gone adds nothing."""
    try:
        ns = process_cpu_ns(p.pid)
    except OSError:
        # Unreadable, not merely gone: this mark has no exact figure.
        return (False, 0) if is_root or _running(p) else (True, 0)
    if not is_root and times is not None:
        # What a live child reaped itself is only visible from outside in ticks.
        ns += round((times.children_user + times.children_system) * 1e9)
    return True, ns


def _running(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def region_cpu(start: TreeCpu, end: TreeCpu, wall_s: float, handshake_cpu_s: float = 0.0) -> dict:
    """The measured columns of a region: user/sys CPU seconds, busy cores, and their source.

    ``handshake_cpu_s`` is what the worker itself spent between the two readings on the handshake
    (waking from the start ack, sending the end event), taken off the exact total.
    """
    user, system = end.user_s - start.user_s, end.sys_s - start.sys_s
    if start.exact_s is None or end.exact_s is None or end.exact_s < start.exact_s:
        return {
            "cpu_user_s": round(user, 6),
            "cpu_sys_s": round(system, 6),
            "cpu_util_cores": round((user + system) / wall_s, 4),
            "cpu_time_source": PSUTIL,
        }
    total = max(end.exact_s - start.exact_s - handshake_cpu_s, 0.0)
    user, system = max(user, 0.0), max(system, 0.0)
    if user + system > 0:
        exact_user = total * user / (user + system)
        # + 0.0: a share that rounds to nothing is written as 0.0, never -0.0.
        split = {"cpu_user_s": round(exact_user, 6) + 0.0, "cpu_sys_s": round(total - exact_user, 6) + 0.0}
    else:
        # No tick landed inside the region: the total is known, its split is not.
        split = {"cpu_user_s": None, "cpu_sys_s": None}
    split.update(cpu_util_cores=round(total / wall_s, 4), cpu_time_source=CPUCLOCK)
    return split
