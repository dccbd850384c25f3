"""Version-1 run folders, read as version 2: their experiments described from their CSV headers, and
their statuses in today's terms.

Standard library only.
"""

from __future__ import annotations

from experiments.schema.files import _NEVER_INTERLEAVED, _RUN_BY_HARNESS_BEFORE, ExperimentInfo, ParamInfo
from experiments.schema.format import DERIVED_COLUMNS, HEAD_COLUMNS, MEASURED_COLUMNS
from experiments.schema.units import Metric, unit_from_name

#: not carry one, and the cells meant to hang (their timeouts were stored as plain ``timeout``).
_V1_TITLES = {
    "io_vs_cpu": "I/O-bound vs CPU-bound work across the GIL",
    "lock_contention": "Race conditions and the cost and fairness of Lock, RLock and Semaphore",
    "sync_objects": "Barrier, Semaphore, Event and daemon threads, measured",
    "deadlock": "Deadlock: opposite lock order and Lock re-entry, detected by timeout",
    "queue_bursts": "Bounded queues under bursts, against M/M/c/K",
    "timer_drift": "Timer lateness and periodic drift",
    "convoy": "The convoy effect: I/O latency beside CPU-bound threads",
    "process_overhead": "What processes cost: start methods, IPC, break-even task size",
    "capacity": "Parallel capacity of the machine",
    "primitives": "Micro-benchmarks of the primitives (pytest-benchmark)",
}
_V1_UNITS = {
    "count": (
        "tasks_done round_trips work_units lost_updates acquire_samples barrier_passes max_concurrency "
        "wake_samples acquire_attempts rounds iterations"
    ).split(),
    "flag": ["detected", "recovered", "completed"],
    "items": "queue_depth_p50 queue_depth_p99 queue_depth_mean predicted_mean_depth".split(),
    "ratio": "load_measured throughput_vs_ideal jain_fairness".split(),
    "text": ["default_start_method", "start_method_used"],
}
_V1_HANGS = {
    "deadlock": (
        {"scenario": "lock_order", "detection": "none"},
        {"scenario": "lock_reentry", "detection": "none"},
    )
}
_V1_COMPARE = {
    "io_vs_cpu": (("executor", "workers"), {"executor": "sequential", "workers": 1}, "workers"),
    "capacity": (("processes",), {"processes": 1}, "processes"),
}


def migrate_v1_info(name: str, header: list, numeric: dict) -> ExperimentInfo:
    """Describe a version-1 CSV from its header: parameters sit between the head and ``wall_s``
    (or, without ``wall_s``, are its text columns); the rest are metrics, units from their names.
    ``numeric`` says, per column, whether its values are numbers."""
    rest = [c for c in header if c not in HEAD_COLUMNS]
    if "wall_s" in rest:
        params = rest[: rest.index("wall_s")]
    else:
        params = [c for c in rest if not numeric.get(c, False)]
    units = {m: u for u, names in _V1_UNITS.items() for m in names}
    metrics = {}
    for col in rest:
        if col in params or col in MEASURED_COLUMNS or col in DERIVED_COLUMNS:
            continue
        unit = units.get(col) or unit_from_name(col) or ("count" if numeric.get(col) else "text")
        metrics[col] = Metric(col, unit)
    compare, baseline, parallelism = _V1_COMPARE.get(name, ((), {}, None))
    return ExperimentInfo(
        name=name,
        title=_V1_TITLES.get(name, name),
        params={p: ParamInfo(p, "str" if not numeric.get(p) else "float", unit_from_name(p)) for p in params},
        metrics=metrics,
        compare=compare,
        baseline=baseline,
        parallelism=parallelism,
        hangs=_V1_HANGS.get(name, ()),
        interleaved_rounds=name not in _NEVER_INTERLEAVED,
        variant_column=False,
        run_by_harness=name in _RUN_BY_HARNESS_BEFORE,
    )


def migrate_status(status: str, version: int, info: ExperimentInfo, params: dict) -> str:
    """A row's status in this version's terms: version 1 stored an expected hang as ``timeout``."""
    if version == 1 and status == "timeout" and info.expected_hang(params):
        return "expected_timeout"
    return status
