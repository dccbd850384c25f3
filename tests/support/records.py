"""Hand-built runs held in memory, for tests of the report's sentences: rows written out one by one,
no measurement and no run folder, so a test states exactly the numbers a sentence must quote."""

from __future__ import annotations

import pandas as pd

from experiments.harness.plan import load_experiment
from experiments.schema import Environment
from report.analysis.load import Results, Run, _join
from report.page.figures import Palette
from report.page.sections import Context
from report.page.sections.deadlock.analysis import Cell


def environment(
    label: str = "cpython-3.12.1",
    gil: bool = True,
    machine: str = "m",
    created: str = "2026-01-01T00:00:00Z",
    invocation: str | None = "inv1",
    cores: int = 2,
    free_threaded: bool | None = None,
    switch_interval_s: float = 0.005,
    capacity: dict | None = None,
) -> Environment:
    """An environment.json as the harness writes it, with only what the report reads."""
    cap = capacity or {n: (1.0 if n == 1 else 0.95 * n) for n in range(1, cores + 1)}
    run_id = "%s-%s-%s" % (created[:10], machine, label)
    return Environment(
        run_id=run_id,
        created_utc=created,
        finished_utc=created,
        interpreter={
            "label": label,
            "version": label.split("-")[-1],
            "gil_enabled_start": gil,
            "gil_enabled_end": gil,
            "free_threaded_build": (not gil) if free_threaded is None else free_threaded,
            "switch_interval_s": switch_interval_s,
            "timer_slack_ns": 50000,
        },
        machine={"label": machine, "usable_cores": cores, "logical_cores": cores},
        config={"invocation_id": invocation} if invocation else {},
        capacity={"start": {str(k): v for k, v in cap.items()}, "end": None, "moved_fraction": None},
    )


def row(env: Environment, experiment: str, repeat: int, params: dict, status: str = "ok", **metrics) -> dict:
    """One CSV row: the harness head, the cell's parameters, then its metrics."""
    cell = ",".join("%s=%s" % kv for kv in params.items())
    compare = load_experiment(experiment).info.compare
    group = ",".join("%s=%s" % kv for kv in params.items() if kv[0] not in compare)
    out = {"run_id": env.run_id, "experiment": experiment, "cell_id": cell, "group_id": group}
    out.update(repeat=repeat, status=status, error="", interpreter=env.interpreter["label"])
    out.update(params)
    out.update(metrics)
    return out


def io_rows(env: Environment, walls: dict, panel: dict | None = None, cores: int = 2) -> list:
    """io_vs_cpu rows of one panel: ``walls`` maps (executor, workers) to one wall time per round; the
    ratios are derived as the harness derives them, from the sequential cell of the same round."""
    panel = panel or {"workload": "cpu_python", "tasks": 8, "task_size": 250}
    cap = {int(k): v for k, v in env.capacity["start"].items()}
    base = walls[("sequential", 1)]
    out = []
    for r, base_wall in enumerate(base):
        for (executor, workers), per_round in walls.items():
            wall = per_round[r]
            speedup = base_wall / wall
            params = dict(panel, executor=executor, workers=workers)
            out.append(
                row(
                    env,
                    "io_vs_cpu",
                    r,
                    params,
                    wall_s=wall,
                    speedup=speedup,
                    efficiency=speedup / workers,
                    capacity_fraction=speedup / cap[min(workers, cores)],
                    cpu_util_cores=1.0,
                    tasks_done=8,
                )
            )
    return out


def results(tables: list) -> Results:
    """Results from ``[(Environment, {experiment: [rows]}), ...]``, oldest first, each experiment
    described as its module declares it."""
    runs = []
    for env, experiments in tables:
        run = Run(run_id=env.run_id, path=None, env=env)
        for name, rows in experiments.items():
            run.tables[name] = pd.DataFrame(rows)
            run.experiments[name] = load_experiment(name).info
        runs.append(run)
    runs.sort(key=lambda r: (r.created, r.run_id))
    return Results(runs=runs, frames=_join(runs))


def context(res: Results, baseline: str | None = None) -> Context:
    return Context(res, Palette(r.env_label for r in res.runs), baseline)


def deadlock_cell(
    scenario, detection, ok, hung=0, detected=0, recovered=None, completed=None, timeout_ms=None, **summary
):
    """A deadlock section Cell built by hand: counts given, the rest as a run of ok + hung would have them."""
    return Cell(
        env="e",
        scenario=scenario,
        detection=detection,
        timeout_ms=timeout_ms,
        repetitions=ok + hung,
        ok=ok,
        hung=hung,
        failed=0,
        detected=detected,
        recovered=detected if recovered is None else recovered,
        completed=ok if completed is None else completed,
        killed_after_s=1.02,
        expected_hang=detection == "none" and scenario in ("lock_order", "lock_reentry"),
        summary=summary,
    )
