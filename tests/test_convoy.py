"""convoy: CPU-bound threads never speed up an I/O thread; CPU work in processes hurts it less."""

import sys

import pytest

from experiments import convoy
from experiments.plan import plan_experiment
from experiments.spec import ParamError, run_standalone


def cell(cpu_workers, cpu_kind="thread", switch_interval_ms=5.0, measure_s=0.2):
    params = {
        "cpu_workers": cpu_workers,
        "cpu_kind": cpu_kind,
        "switch_interval_ms": switch_interval_ms,
        "measure_s": measure_s,
    }
    return run_standalone(convoy, params)


def gil_enabled():
    check = getattr(sys, "_is_gil_enabled", None)
    return True if check is None else check()


@pytest.mark.parametrize(
    "name,value",
    [("cpu_workers", -1), ("switch_interval_ms", 0.0), ("measure_s", 0.0), ("cpu_kind", "fiber")],
)
def test_bad_parameters_are_refused(name, value):
    with pytest.raises(ParamError):
        convoy.PARAMS[name].check(name, value)


@pytest.mark.parametrize("profile", ["quick", "default", "full"])
def test_every_profile_plans(profile):
    plan = plan_experiment(convoy, convoy.PROFILES[profile])
    # Every group carries its own no-load baseline, measured in the same rounds.
    assert all(g.baseline is not None and g.baseline.params["cpu_workers"] == 0 for g in plan.groups)


def test_no_cpu_threads_is_not_slower_than_two():
    before = sys.getswitchinterval()
    idle, loaded = cell(0), cell(2)
    assert sys.getswitchinterval() == before  # the cell puts the interpreter back as it found it
    assert idle["round_trips_per_s"] >= loaded["round_trips_per_s"], (idle, loaded)
    for r in (idle, loaded):
        assert r["work_units"] == r["round_trips"] > 0
        assert r["latency_p50_us"] <= r["latency_p99_us"]


def test_cpu_work_in_processes_does_not_convoy_like_threads():
    if not gil_enabled():
        pytest.skip("without the GIL there is no convoy to compare against")
    threads, processes = cell(2, "thread"), cell(2, "process")
    # Processes share only the cores; GIL threads make every round trip wait for a switch interval.
    assert processes["round_trips_per_s"] > threads["round_trips_per_s"], (threads, processes)


def test_quick_profile_runs_through_the_command_line(run_experiment):
    run = run_experiment("--profile", "quick", "--only", "convoy")
    df = run.csv("convoy")
    plan = plan_experiment(convoy, convoy.PROFILES["quick"])
    assert len(df) == len(plan.cells()) * plan.profile.repeat
    assert (df["status"] == "ok").all(), df["error"].dropna().tolist()
    base = df[df["cpu_workers"] == 0]
    assert (base["speedup"] == 1.0).all()
    if run.env["interpreter"]["gil_enabled_start"]:
        # The harness's speedup is the throughput ratio: two CPU threads never raise it.
        assert df[df["cpu_workers"] == 2]["speedup"].median() < 1.0
