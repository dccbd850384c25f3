"""convoy: CPU-bound threads never speed up an I/O thread; CPU work in processes hurts it less."""

import sys

import pytest

from experiments.catalogue import convoy
from experiments.harness.plan import plan_experiment
from experiments.schema import gil_enabled
from experiments.spec import ParamError, run_standalone
from report.analysis.load import load_results
from report.page.sections.convoy.analysis import control_factors


def cell(cpu_workers, cpu_kind="thread", switch_interval_ms=5.0, io_round_trips=300):
    params = {
        "cpu_workers": cpu_workers,
        "cpu_kind": cpu_kind,
        "switch_interval_ms": switch_interval_ms,
        "io_round_trips": io_round_trips,
    }
    return run_standalone(convoy, params)


@pytest.mark.parametrize(
    "name,value",
    [("cpu_workers", -1), ("switch_interval_ms", 0.0), ("io_round_trips", 0), ("cpu_kind", "fiber")],
)
def test_bad_parameters_are_refused(name, value):
    with pytest.raises(ParamError):
        convoy.PARAMS[name].check(name, value)


@pytest.mark.parametrize("profile", ["quick", "default", "full"])
def test_every_profile_plans(profile):
    plan = plan_experiment(convoy, convoy.PROFILES[profile])
    for g in plan.groups:
        # Every group carries its own no-load baseline and, beside every thread count, its process
        # control: all measured in the same rounds.
        assert g.baseline is not None and g.baseline.params["cpu_workers"] == 0
        kinds = {}
        for c in g.cells:
            kinds.setdefault(c.params["cpu_workers"], set()).add(c.params["cpu_kind"])
        assert all(k == {"thread", "process"} for n, k in kinds.items() if n > 0), kinds
        # The idle baseline rests on at least ~1000 round trips in the profiles that report figures.
        if profile != "quick":
            assert g.baseline.params["io_round_trips"] >= 1000


@pytest.mark.measured
def test_no_cpu_threads_is_not_slower_than_two():
    before = sys.getswitchinterval()
    idle, loaded = cell(0), cell(2)
    assert sys.getswitchinterval() == before  # the cell puts the interpreter back as it found it
    assert idle["round_trips_per_s"] >= loaded["round_trips_per_s"], (idle, loaded)
    assert idle["round_trips"] == 300  # 300 idle round trips take well under REGION_CAP_S
    for r in (idle, loaded):
        assert r["work_units"] == r["round_trips"] <= 300
        assert r["latency_p50_us"] <= r["latency_p99_us"]


@pytest.mark.measured
def test_cpu_work_in_processes_does_not_convoy_like_threads():
    if not gil_enabled():
        pytest.skip("without the GIL there is no convoy to compare against")
    threads, processes = cell(2, "thread"), cell(2, "process")
    # Processes share only the cores; GIL threads make every round trip wait for a switch interval.
    assert processes["round_trips_per_s"] > threads["round_trips_per_s"], (threads, processes)


@pytest.mark.measured
def test_a_thread_cell_and_its_process_control_share_every_round(run_experiment):
    run = run_experiment("--profile", "quick", "--only", "convoy")
    df = run.csv("convoy")
    plan = plan_experiment(convoy, convoy.PROFILES["quick"])
    assert len(df) == len(plan.cells()) * plan.profile.repeat
    assert (df["status"] == "ok").all(), df["error"].dropna().tolist()
    assert (df[df["cpu_workers"] == 0]["speedup"] == 1.0).all()
    assert df["group_id"].nunique() == 1
    frame = load_results([run.path]).frame("convoy")
    factors = control_factors(frame)
    # One factor per round, each the process cell's rate over the thread cell's of that same round.
    assert sorted(factors["repeat"]) == list(range(plan.profile.repeat))
    for _, f in factors.iterrows():
        same = df[(df["repeat"] == f["repeat"]) & (df["cpu_workers"] == f["cpu_workers"])]
        rate = same.set_index("cpu_kind")["round_trips_per_s"]
        assert f["factor"] == pytest.approx(rate["process"] / rate["thread"])
    if run.env["interpreter"]["gil_enabled_start"]:
        threads = df[(df["cpu_workers"] == 2) & (df["cpu_kind"] == "thread")]
        # The harness's speedup is the throughput ratio: two CPU threads never raise it.
        assert threads["speedup"].median() < 1.0
        # Two GIL threads hold up every wake-up; two processes leave the GIL alone.
        assert factors["factor"].median() > 1.0
