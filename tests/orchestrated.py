"""Runs plans through the real orchestrator into a run folder, with real workers or scripted cells."""

from __future__ import annotations

import io
import itertools
import sys
from pathlib import Path

import pandas as pd

from experiments.harness import orchestrator
from experiments.harness.cell_runner import Interpreter, Outcome
from experiments.harness.environment import machine_facts, new_environment, probe_interpreter
from experiments.harness.plan import load_experiment
from experiments.harness.store import RunFolder

SELF = Interpreter(sys.executable)
CORES = 2


def start_run(results: Path, plans: list) -> tuple:
    """A new run folder described as the command line would: (folder, environment)."""
    folder = RunFolder.create(results, "run")
    config = {"profile": "quick", "capacity_rounds": 1, "memory_cap_mib": None, "python": SELF.executable}
    env = new_environment(folder.run_id, probe_interpreter(SELF), machine_facts("test"), config)
    folder.write_environment(env)
    folder.write_experiments([p.spec.info for p in plans] + [load_experiment("capacity").info])
    return folder, env


def execute(folder: RunFolder, env, plans: list) -> None:
    orchestrator.execute([(plans, folder, env, SELF)], CORES, progress_stream=io.StringIO())


def run(results: Path, plans: list) -> RunFolder:
    folder, env = start_run(results, plans)
    execute(folder, env, plans)
    return folder


def table(folder: RunFolder, experiment: str) -> pd.DataFrame:
    return pd.read_csv(folder.csv_path(experiment))


class ScriptedCells:
    """Stands in for cell_runner.run_cell: no worker process, outcomes from the test's script.

    ``wall(params)`` gives a cell's wall time, ``probe()`` the metrics of a capacity probe, and
    every cell "costs" ``cost_s`` of process wall time, so budgets are spent exactly.
    """

    def __init__(self, wall, probe=None, cost_s: float = 1.0):
        self.wall = wall
        self.probe = probe or (lambda: {"capacity": 1.9, "capacity_low": 1.8, "capacity_high": 2.0})
        self.cost_s = cost_s
        self.calls = itertools.count()

    def __call__(self, interpreter, module, params, timeout_s, memory_cap_mib=None) -> Outcome:
        next(self.calls)
        measured = {"process_wall_s": self.cost_s}
        if module == "experiments.catalogue.capacity":
            metrics = dict(self.probe(), loop_rate_hz=1e7, loop_ns_per_iter=60.0, single_drift_fraction=0.0)
            if params["phase"] in ("start", "end"):
                metrics["memcpy_gib_s"] = 5.0
            return Outcome("ok", wall_s=1.2, metrics=metrics, measured=measured)
        metrics = {"tasks_done": params.get("tasks", 1)} if "tasks" in params else {}
        return Outcome("ok", wall_s=self.wall(params), metrics=metrics, measured=measured)
