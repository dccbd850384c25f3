"""Capacity measured inside the round: capacity_fraction divides by the probe of its own round, and a
capacity above the cores is flagged, never a plain number."""

from __future__ import annotations

import itertools
import math

import pandas as pd
import pytest

from experiments.catalogue import capacity
from experiments.harness import orchestrator
from experiments.harness.plan import load_experiment, plan_experiment
from experiments.spec import Profile, run_standalone
from tests import orchestrated

CPU = ["--profile", "quick", "--only", "io_vs_cpu", "--set", "workload=cpu_python", "--set", "tasks=4"]


def _probes(folder_or_path) -> pd.DataFrame:
    df = pd.read_csv(folder_or_path)
    return df[~df["phase"].isin(["start", "end"])]


def _check_pairing(rows: pd.DataFrame, probes: pd.DataFrame, cores: int) -> int:
    """Every capacity-bound row against the probe of its own group and round; returns rows checked."""
    checked = 0
    for _, row in rows.iterrows():
        n = min(int(row["workers"]), cores)
        if n == 1 or row["status"] != "ok":
            continue
        probe = probes[
            (probes["phase"] == "io_vs_cpu:" + row["group_id"])
            & (probes["repeat"] == row["repeat"])
            & (probes["processes"] == n)
        ]
        assert len(probe) == 1, (row["cell_id"], row["repeat"])
        probe = probe.iloc[0]
        if probe["capacity_low"] > n:
            assert row["capacity_above_cores"] == 1 and math.isnan(row["capacity_fraction"])
            assert row["round_capacity"] == probe["capacity"]
        else:
            assert row["capacity_above_cores"] == 0
            assert math.isclose(row["round_capacity"], min(probe["capacity"], n), rel_tol=1e-6)
            assert math.isclose(
                row["capacity_fraction"], row["speedup"] / row["round_capacity"], rel_tol=1e-6
            )
        # Never a plain number above the process count (at most the cores).
        assert row["round_capacity"] <= n or row["capacity_above_cores"] == 1
        checked += 1
    return checked


@pytest.mark.measured
def test_each_round_of_a_cpu_bound_group_measures_capacity_and_divides_by_it(run_experiment):
    run = run_experiment(*CPU, "--set", "task_size=100", "--set", "executor=process", "--set", "workers=2,4",
                         "--repeat", "2")  # fmt: skip
    cores = run.env["machine"]["usable_cores"]
    df = run.csv("io_vs_cpu")
    probes = _probes(run.path / "capacity.csv")
    groups = set(df["group_id"])
    assert set(probes["phase"]) == {"io_vs_cpu:" + g for g in groups}
    assert sorted(probes["repeat"].unique()) == [0, 1]
    assert (probes["status"] == "ok").all()
    # A probe is physics: N processes deliver between a fraction of one and N times one.
    assert (probes["capacity"] > 0.25).all() and (probes["capacity_low"] <= probes["capacity_high"]).all()
    assert _check_pairing(df, probes, cores) >= 2 * len(groups)
    # The start and end probes stay, for the run's noise verdict.
    assert {"start", "end"} <= set(pd.read_csv(run.path / "capacity.csv")["phase"])
    assert run.env["capacity"]["start"]["1"] == 1.0
    # Each end probe at 2 processes is counted, or flagged as a measurement error (its whole interval
    # above 2: the quick profile's 150 ms phases do that now and then) and left out.
    flagged = run.env["capacity"]["flagged_above_cores"]["end"]
    assert "2" in run.env["capacity"]["end"] or flagged > 0, run.env["capacity"]


def test_capacity_fraction_uses_its_own_rounds_probe_and_flags_impossible_ones(tmp_path, monkeypatch):
    # Probes alternate between plausible figures and ones no 2-core machine can give.
    figures = itertools.cycle(
        [
            {"capacity": 1.5, "capacity_low": 1.45, "capacity_high": 1.55},
            {"capacity": 2.6, "capacity_low": 2.3, "capacity_high": 2.9},  # impossible: flagged
            {"capacity": 1.9, "capacity_low": 1.8, "capacity_high": 2.0},
            {"capacity": 2.1, "capacity_low": 1.95, "capacity_high": 2.2},  # above 2 within its interval
        ]
    )
    walls = {"sequential": 1.0, "process": 0.6, "thread": 1.05}
    cells = orchestrated.ScriptedCells(lambda p: walls[p["executor"]], probe=lambda: next(figures))
    monkeypatch.setattr(orchestrator, "run_cell", cells)
    grid = [{"workload": ["cpu_python"], "tasks": [4], "task_size": [1], "executor": ["process", "thread"],
             "workers": [1, 2, 4]}]  # fmt: skip
    plan = plan_experiment(load_experiment("io_vs_cpu"), Profile(grid=grid, repeat=8))
    folder = orchestrated.run(tmp_path, [plan])
    df = orchestrated.table(folder, "io_vs_cpu")
    probes = _probes(folder.csv_path("capacity"))
    assert len(probes) == 8  # one probe (N = 2) a round: workers 2 and 4 both need min(w, 2) = 2
    assert _check_pairing(df, probes, orchestrated.CORES) == 8 * 4
    flagged = df[df["capacity_above_cores"] == 1]
    assert len(flagged) == 2 * 4 and flagged["capacity_fraction"].isna().all()
    assert (df.loc[df["capacity_above_cores"] == 0, "round_capacity"] <= 2.0).all()
    assert set(df.loc[df["workers"] == 1, "round_capacity"]) == {1.0}
    # The per-round figures differ, so dividing by any other round's probe would break the pairing.
    assert df.loc[df["workers"] == 2, "round_capacity"].nunique() == 4


@pytest.mark.measured
def test_a_probe_alternates_one_n_one_and_reports_its_interval():
    metrics = run_standalone(capacity, {"phase": "start", "processes": 2, "region_ms": 60})
    assert metrics["capacity_low"] <= metrics["capacity"] <= metrics["capacity_high"]
    assert metrics["capacity"] > 0.25 and metrics["loop_ns_per_iter"] > 0 and metrics["memcpy_gib_s"] > 0
    # The two single-process phases ran in different processes and agree to within the machine's drift.
    assert 0 <= metrics["single_drift_fraction"] < 1.0


def test_start_and_end_capacities_above_the_cores_are_left_out_and_counted(tmp_path, monkeypatch):
    plausible = {"capacity": 1.8, "capacity_low": 1.7, "capacity_high": 1.9}
    impossible = {"capacity": 2.6, "capacity_low": 2.3, "capacity_high": 2.9}
    above_within = {"capacity": 2.1, "capacity_low": 1.95, "capacity_high": 2.2}
    # An unrecorded warm-up probe and the recorded one at the start; at the end the machine is warm.
    figures = iter([plausible, impossible, above_within])
    cells = orchestrated.ScriptedCells(lambda p: 1.0, probe=lambda: next(figures))
    monkeypatch.setattr(orchestrator, "run_cell", cells)
    grid = [
        {"workload": ["sleep_io"], "tasks": [4], "task_size": [1], "executor": ["thread"], "workers": [2]}
    ]
    plan = plan_experiment(load_experiment("io_vs_cpu"), Profile(grid=grid, repeat=1))
    folder = orchestrated.run(tmp_path, [plan])
    env = folder.read_environment()
    # capacity_rounds is 1: the start probe was impossible, the end probe above 2 within its interval.
    assert env.capacity["start"] == {"1": 1.0} and env.capacity["end"] == {"1": 1.0, "2": 2.0}
    assert env.capacity["flagged_above_cores"] == {"start": 1, "end": 0}
