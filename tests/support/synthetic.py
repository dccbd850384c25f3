"""Synthetic run folders that follow the store's contract, generated from known models (for tests and demos).

The speedups come from the Universal Scalability Law with the σ and κ given, times seeded
log-normal noise, so a test can check that the report recovers what was put in.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import numpy as np

from experiments.harness.plan import load_experiment
from experiments.schema import (
    MEASURED_COLUMNS,
    SCHEMA_VERSION,
    Environment,
    ExperimentInfo,
    Metric,
    ParamInfo,
    metric,
    write_experiments,
)
from experiments.spec import ExperimentSpec, load_spec
from report.analysis.models import usl

IO_PARAMS = ("workload", "executor", "workers", "tasks", "task_size")
#: An experiment with no dedicated report section, described as a run folder would describe it.
DEMO = ExperimentInfo(
    name="demo_counter",
    title="A demo counter (synthetic)",
    params={"threads": ParamInfo("threads", "int"), "primitive": ParamInfo("primitive", "str")},
    metrics={"throughput_ops_s": metric("throughput_ops_s"), "lost_updates": Metric("lost_updates", "count")},
)
#: Sequential wall seconds of each workload's cell.
BASE_WALL_S = {"cpu_python": 0.40, "c_hash": 0.30, "sleep_io": 0.32, "socket_io": 0.25}
CPU_BOUND = ("cpu_python", "c_hash")
CAPACITY = load_experiment("capacity")
IO = load_experiment("io_vs_cpu")


def io_grid(workers_cpu=(1, 2, 4, 8), workers_io=(1, 2, 4, 8, 16, 32)) -> list:
    """(workload, executor, workers, tasks, task_size) points shaped like the default profile."""
    grid = []
    for w in ("cpu_python", "c_hash"):
        grid.append((w, "sequential", 1, 8, 250))
        grid += [
            (w, ex, n, 8, 250)
            for ex in ("thread", "thread_pool", "process", "process_pool")
            for n in workers_cpu
        ]
    for w in ("sleep_io", "socket_io"):
        grid.append((w, "sequential", 1, 32, 10))
        grid += [(w, ex, n, 32, 10) for ex in ("thread", "thread_pool") for n in workers_io]
        grid += [(w, ex, n, 32, 10) for ex in ("process", "process_pool") for n in (2, 8)]
    return grid


def true_speedup(
    workload: str, executor: str, workers: int, cores: int, thread_sigma: float, thread_kappa: float
) -> float:
    """The model the synthetic measurements scatter around."""
    if executor == "sequential":
        return 1.0
    threads = executor in ("thread", "thread_pool")
    if workload in CPU_BOUND:
        n = min(workers, cores)
        if workload == "cpu_python" and threads:
            return float(usl(n, thread_sigma, thread_kappa))
        return float(usl(n, 0.05, 0.0))
    return float(usl(workers, 0.005 if threads else 0.02, 0.0002 if workload == "socket_io" else 0.0))


def _row(run_id, experiment, params, values, repeat, interpreter, gil, started, status="ok", error=""):
    # As the planner names cells (experiments.harness.plan.cell_key): None is written "none".
    cell = ",".join("%s=%s" % (k, "none" if v is None else v) for k, v in params.items())
    row = {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id,
        "experiment": experiment,
        "cell_id": cell,
        "group_id": cell,
        "repeat": repeat,
        "status": status,
        "error": error,
        "interpreter": interpreter,
        "gil_enabled_start": gil,
        "gil_enabled_end": gil,
        "started_at_utc": started,
    }
    row.update(params)
    row.update(values)
    return row


def _write_csv(path: Path, columns: list, rows: list) -> None:
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if v is None else v) for k, v in r.items()})


def _measured(rng, wall_s: float, cores_busy: float) -> dict:
    cpu = wall_s * cores_busy
    return {
        "wall_s": round(wall_s, 9),
        "cpu_user_s": round(cpu * 0.95, 4),
        "cpu_sys_s": round(cpu * 0.05, 4),
        "cpu_util_cores": round(cores_busy, 4),
        "peak_rss_mib": 22.4,
        "ctx_voluntary": int(rng.integers(5, 200)),
        "ctx_involuntary": int(rng.integers(1, 40)),
        "process_wall_s": round(wall_s + 0.05, 6),
    }


def write_run(
    results: Path,
    run_id: str | None = None,
    interpreter: str = "cpython-3.12.1",
    gil: bool = True,
    machine: str = "synthetic",
    cores: int = 2,
    created: str = "2026-01-01T00:00:00Z",
    seed: int = 0,
    repeats: int = 5,
    noise: float = 0.04,
    thread_sigma: float | None = None,
    thread_kappa: float = 0.0,
    grid: list | None = None,
    demo: bool = True,
    demo_error: str = "RuntimeError: synthetic failure",
    load_avg: float = 0.1,
) -> Path:
    """Write one run folder (environment.json, capacity.csv, io_vs_cpu.csv, maybe demo_counter.csv)."""
    rng = np.random.default_rng(seed)
    if run_id is None:
        stamp = created.replace(":", "").replace("-", "")
        run_id = re.sub(r"[^A-Za-z0-9_.+-]+", "_", "%s-%s-%s" % (stamp, machine, interpreter))
    folder = Path(results) / run_id
    folder.mkdir(parents=True)
    if thread_sigma is None:
        thread_sigma = 0.97 if gil else 0.08
    version = interpreter.split("-")[1] if "-" in interpreter else "3.12.1"
    capacity = {
        n: 1.0 if n == 1 else round(n * 0.93 * float(rng.lognormal(0, 0.01)), 4) for n in range(1, cores + 1)
    }

    def lognormal():
        return float(rng.lognormal(0.0, noise))

    # capacity.csv
    cap_rows = []
    for phase in ("start", "end"):
        for r in range(repeats):
            for n in range(2, cores + 1):
                single = 1.6e7 * lognormal()
                speed = capacity[n] * lognormal()
                vals = _measured(rng, 1.2 * lognormal(), (n + 2) / 3.0)
                vals.update(
                    capacity=speed,
                    capacity_low=speed / (1 + noise),
                    capacity_high=speed * (1 + noise),
                    loop_rate_hz=single * speed,
                    loop_ns_per_iter=1e9 / single,
                    single_drift_fraction=noise,
                    memcpy_gib_s=5.0 * lognormal(),
                )
                params = {"phase": phase, "processes": n, "region_ms": 400}
                cap_rows.append(_row(run_id, "capacity", params, vals, r, interpreter, gil, created))
    _write_csv(folder / "capacity.csv", CAPACITY.info.columns(), cap_rows)

    # io_vs_cpu.csv: one sequential baseline per group and round, ratios from the same round
    io_rows = []
    points = grid or io_grid()
    for r in range(repeats):
        base = {w: BASE_WALL_S[w] * lognormal() for w in BASE_WALL_S}
        for workload, executor, workers, tasks, size in points:
            truth = true_speedup(workload, executor, workers, cores, thread_sigma, thread_kappa)
            speed = 1.0 if executor == "sequential" else truth * lognormal()
            wall = base[workload] / speed
            if workload in CPU_BOUND:
                serial_threads = workload == "cpu_python" and executor in ("thread", "thread_pool") and gil
                busy = 1.0 if executor == "sequential" or serial_threads else min(workers, cores) * 0.95
            else:
                busy = 0.02 if workload == "sleep_io" else 0.15 * min(workers, cores)
            vals = _measured(rng, wall, busy * lognormal())
            vals.update(
                tasks_done=tasks,
                speedup=round(speed, 9),
                efficiency=round(speed / workers, 9),
                capacity_fraction=round(speed / capacity[min(workers, cores)], 9)
                if workload in CPU_BOUND
                else None,
            )
            params = dict(zip(IO_PARAMS, (workload, executor, workers, tasks, size)))
            io_rows.append(_row(run_id, "io_vs_cpu", params, vals, r, interpreter, gil, created))
    _write_csv(folder / "io_vs_cpu.csv", IO.info.columns(), io_rows)
    described = [CAPACITY.info, IO.info]

    # demo_counter.csv: an experiment without a dedicated section, with one error and one timeout
    if demo:
        rows = []
        for r in range(repeats):
            for threads in (1, 4):
                for primitive in ("none", "Lock"):
                    params = {"threads": threads, "primitive": primitive}
                    status, error = "ok", ""
                    if r == 0 and threads == 4 and primitive == "Lock":
                        status, error = "error", demo_error
                    if r == 1 and threads == 4 and primitive == "none":
                        status, error = "timeout", "cell exceeded its 30 s limit"
                    wall = 0.1 * lognormal()
                    vals = (
                        _measured(rng, wall, 1.0) if status == "ok" else {c: None for c in MEASURED_COLUMNS}
                    )
                    vals.update(
                        throughput_ops_s=(2e6 if primitive == "none" else 5e5) * lognormal()
                        if status == "ok"
                        else None,
                        lost_updates=int(rng.integers(0, 5000)) if primitive == "none" and threads > 1 else 0,
                        speedup=None,
                        efficiency=None,
                        capacity_fraction=None,
                    )
                    rows.append(
                        _row(
                            run_id, "demo_counter", params, vals, r, interpreter, gil, created, status, error
                        )
                    )
        _write_csv(folder / "demo_counter.csv", DEMO.columns(), rows)
        described.append(DEMO)
    write_experiments(folder, described)
    _environment(run_id, interpreter, gil, machine, cores, created, version, capacity, load_avg).write(
        folder / "environment.json"
    )
    return folder


def _environment(
    run_id, interpreter, gil, machine, cores, created, version, capacity, load_avg
) -> Environment:
    return Environment(
        run_id=run_id,
        tool={"name": "gilbench", "version": "0.1.0", "git_commit": "synthetic"},
        created_utc=created,
        finished_utc=created,
        config={
            "profile": "default",
            "experiments": ["io_vs_cpu"],
            "repeat": None,
            "overrides": {},
            "argv": [],
        },
        interpreter={
            "label": interpreter,
            "executable": "/usr/bin/python3",
            "version": version,
            "implementation": "cpython",
            "free_threaded_build": not gil,
            "gil_enabled_start": gil,
            "gil_enabled_end": gil,
            "python_gil_env": None if gil else "0",
            "switch_interval_s": 0.005,
            "start_method": "fork",
            "build_flags": "",
            "timer_slack_ns": 50000,
            "clock_resolution_s": {"perf_counter": 1e-9, "monotonic": 1e-9, "time": 1e-9},
        },
        machine={
            "label": machine,
            "hostname": machine,
            "cpu_model": "Synthetic CPU",
            "physical_cores": cores,
            "logical_cores": cores,
            "affinity": list(range(cores)),
            "cgroup_cpu_quota_cores": None,
            "usable_cores": cores,
            "memory_total_bytes": 8 * 2**30,
            "os": "Linux",
            "kernel": "6.1",
            "load_avg_start": [load_avg, load_avg, load_avg],
            "load_avg_end": [load_avg + 1, load_avg, load_avg],
            "fingerprint": "synthetic",
        },
        capacity={
            "start": {str(n): v for n, v in capacity.items()},
            "end": {str(n): v for n, v in capacity.items()},
            "moved_fraction": 0.0,
        },
    )


def _metric_value(rng, declared: Metric, baseline: bool) -> float | int | str | None:
    """A plausible value for a metric, from its declared unit and range."""
    name, unit = declared.name, declared.unit
    if name == "speedup":
        return 1.0 if baseline else float(rng.lognormal(0.0, 0.5))
    if name in ("efficiency", "capacity_fraction"):
        return None
    if unit == "text":
        return "fork"
    if unit in ("fraction", "flag"):
        return float(rng.uniform(0.0, 1.0)) if unit == "fraction" else int(rng.integers(0, 2))
    scale = {"ns": 1e3, "us": 1e2, "ms": 5.0, "s": 0.5, "hz": 1e3, "mib_s": 50.0, "ratio": 1.0}
    if unit in scale:
        return float(scale[unit] * rng.lognormal(0.0, 0.3))
    return int(rng.integers(1, 1000))


def _sync_objects_cell(rng, spec: ExperimentSpec, params: dict, noise: float) -> tuple:
    """(status, error, values) of one sync_objects repetition, shaped like the real runs: each object
    fills only its own metrics; skew and wake latency grow with the threads, the Semaphore never lets
    more than k in, a non-daemon thread holds the exit for its sleep."""

    def jitter(x: float) -> float:
        return float(x * rng.lognormal(0.0, noise))

    obj, threads = params["object"], params["threads"]
    vals: dict = {m: None for m in spec.metrics}
    if obj == "barrier":
        p50 = jitter(12.0 * threads)
        vals.update(
            barrier_skew_p50_us=p50,
            barrier_skew_max_us=p50 * jitter(4.0),
            barrier_passes=threads * params["cycles"],
        )
        wall = params["cycles"] * p50 * 2e-6
    elif obj == "semaphore":
        permits, task_s = params["permits"], params["sleep_ms"] / 1000.0
        ideal = threads / (math.ceil(threads / min(permits, threads)) * task_s)
        measured = min(ideal * 0.99, jitter(ideal * 0.92))
        vals.update(
            throughput_tasks_s=measured,
            ideal_throughput_tasks_s=ideal,
            throughput_vs_ideal=measured / ideal,
            max_concurrency=min(permits, threads),
        )
        wall = threads / measured
    elif obj == "event":
        p50 = jitter(30.0 * threads**0.65)
        vals.update(
            wake_latency_p50_us=p50,
            wake_latency_p99_us=p50 * jitter(2.8),
            wake_samples=threads * params["cycles"],
        )
        wall = params["cycles"] * (0.002 + p50 * 1e-6)
    else:
        delay = jitter(3.0) if params["daemon"] else params["sleep_ms"] + jitter(4.0)
        vals.update(exit_delay_ms=delay, exit_delay_max_ms=delay * jitter(1.05))
        wall = params["cycles"] * (delay / 1000.0 + 0.04)
    vals.update(_measured(rng, wall, 0.5))
    return "ok", "", vals


def _deadlock_cell(rng, spec: ExperimentSpec, params: dict, noise: float) -> tuple:
    """(status, error, values) of one deadlock repetition: opposite lock order and Lock re-entry
    deadlock; a timeout detects it just after timeout_ms; without one the harness ends the cell."""
    scenario, timeout_ms = params["scenario"], params["timeout_ms"]
    vals: dict = {m: None for m in spec.metrics}
    if spec.info.expected_hang(params):
        limit = spec.hang_timeout_s
        vals.update({c: None for c in MEASURED_COLUMNS})
        vals.update(peak_rss_mib=17.1, process_wall_s=round(limit + 0.004 * rng.lognormal(0.0, noise), 6))
        return "expected_timeout", "no result within the %.0f s cell timeout" % limit, vals
    deadlocks = scenario in ("lock_order", "lock_reentry")
    two_threads = scenario in ("lock_order", "same_order")
    vals.update(detected=int(deadlocks), completed=int(scenario != "lock_reentry"))
    vals["acquire_attempts"] = (3 if deadlocks else 2) if two_threads else 1
    wall = 0.0003 * rng.lognormal(0.0, noise)
    if deadlocks:
        detect_ms = timeout_ms + 0.15 * rng.lognormal(0.0, noise)
        vals.update(time_to_detect_ms=detect_ms, recovered=1)
        wall += detect_ms / 1000.0
        if scenario == "lock_order":
            vals["recovery_ms"] = timeout_ms * 0.5 + 0.05 * rng.lognormal(0.0, noise)
            wall += vals["recovery_ms"] / 1000.0
    vals.update(_measured(rng, wall, 0.01))
    return "ok", "", vals


#: Experiments whose rows write_experiment draws from a model of how they behave, rather than from
#: values guessed from each metric's unit.
MODELLED = {"sync_objects": _sync_objects_cell, "deadlock": _deadlock_cell}


def write_experiment(
    folder: Path, module, profile: str = "quick", repeats: int = 4, seed: int = 0, noise: float = 0.04
) -> Path:
    """Write ``<NAME>.csv`` (and its experiments.json entry) into a run folder with the experiment's
    own columns and grid, and values of the right kind (for tests of sections against the real column
    names); the experiments in MODELLED get values that behave like the real ones, timeouts included."""
    rng = np.random.default_rng(seed)
    spec = load_spec(module)
    env = Environment.read(Path(folder) / "environment.json")
    interpreter = env.interpreter["label"]
    gil = env.interpreter["gil_enabled_start"]
    model = MODELLED.get(spec.name)
    rows = []
    points = list(spec.profiles[profile].points())
    for r in range(repeats):
        for params in points:
            is_base = spec.is_baseline(params)
            status, error = "ok", ""
            if model is not None:
                status, error, vals = model(rng, spec, dict(params), noise)
            else:
                vals = _measured(rng, float(0.05 * rng.lognormal(0, 0.2)), 1.0)
                vals.update({m: _metric_value(rng, spec.metrics[m], is_base) for m in spec.metrics})
            vals.update(
                speedup=_metric_value(rng, metric("speedup", "ratio"), is_base) if spec.baseline else None,
                efficiency=None,
                capacity_fraction=None,
            )
            row = _row(env.run_id, spec.name, dict(params), vals, r, interpreter, gil, env.created_utc)
            row.update(status=status, error=error)
            rows.append(row)
    path = Path(folder) / ("%s.csv" % spec.name)
    _write_csv(path, spec.info.columns(), rows)
    write_experiments(folder, [spec.info])
    return path


def edit_rows(folder: Path, edit, experiment: str = "io_vs_cpu") -> None:
    """Rewrite a written run's table, each row (a dict of strings) passed through ``edit(row)`` in place."""
    import csv

    path = Path(folder) / ("%s.csv" % experiment)
    with path.open() as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        edit(r)
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def scale_metric(folder: Path, factor: float, metric: str = "wall_s", experiment: str = "io_vs_cpu") -> None:
    """Multiply one metric of a written run by ``factor`` (a run whose code does more work)."""

    def scale(r: dict) -> None:
        if r.get(metric) not in (None, ""):
            r[metric] = repr(float(r[metric]) * factor)

    edit_rows(folder, scale, experiment)


def write_pair(results: Path, factor: float = 1.0, repeats: int = 8, seed: int = 40, **kwargs) -> tuple:
    """Two runs of one interleaved invocation (a shared ``config.invocation_id``): the second's
    io_vs_cpu walls ``factor`` times the first's model."""
    import json

    folders = []
    for i in range(2):
        folder = write_run(
            results, run_id="pair-%d" % i, seed=seed + i, repeats=repeats, demo=False,
            created="2026-01-01T00:0%d:00Z" % i, **kwargs,
        )  # fmt: skip
        env_path = folder / "environment.json"
        env = json.loads(env_path.read_text())
        env["config"]["invocation_id"] = "pair-%d" % seed
        env_path.write_text(json.dumps(env))
        folders.append(folder)
    if factor != 1.0:
        scale_metric(folders[1], factor)
    return tuple(folders)
