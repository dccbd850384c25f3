"""process_overhead: a process costs more to start and to talk to than a thread (wide margins)."""

import ast
import multiprocessing
import sys
from pathlib import Path

import pytest

from experiments.catalogue import process_overhead
from experiments.harness.plan import plan_experiment
from experiments.spec import ParamError, run_standalone

BASE = {
    "measure": "start_join",
    "runner": "process",
    "start_method": "default",
    "workers": 2,
    "tasks": 2,
    "payload_bytes": 0,
    "task_kiter": 0,
    "target": "minimal",
}
ROOT = Path(__file__).resolve().parent.parent


def cell(**overrides):
    return run_standalone(process_overhead, {**BASE, **overrides})


@pytest.mark.parametrize(
    "name,value",
    [
        ("workers", 0),
        ("workers", -2),
        ("tasks", 0),
        ("payload_bytes", -1),
        ("task_kiter", -1),
        ("start_method", "vfork"),
        ("runner", "greenlet"),
        ("target", "medium"),
    ],
)
def test_bad_parameters_are_refused(name, value):
    with pytest.raises(ParamError):
        process_overhead.PARAMS[name].check(name, value)


@pytest.mark.parametrize("profile", ["quick", "default", "full"])
def test_every_profile_plans(profile):
    plan = plan_experiment(process_overhead, process_overhead.PROFILES[profile])
    assert all(g.baseline is not None and g.baseline.params["runner"] == "thread" for g in plan.groups)
    starts = [g for g in plan.groups if g.cells[0].params["measure"] == "start_join"]
    # One group, so one round, holds every start method and target beside one thread start.
    assert len(starts) == 1
    targets = {
        (c.params["start_method"], c.params["target"])
        for c in starts[0].cells
        if c.params["runner"] == "process"
    }
    assert ("spawn", "minimal") in targets and ("spawn", "heavy") in targets


def test_the_minimal_target_and_the_package_import_nothing():
    # A spawned or forkserver child imports them all to find noop: what they import is what it pays.
    for name in ("__init__.py", "catalogue/__init__.py", "catalogue/toolkit/__init__.py",
                 "catalogue/toolkit/start_target.py"):  # fmt: skip
        tree = ast.parse((ROOT / "experiments" / name).read_text())
        imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
        assert all(isinstance(n, ast.ImportFrom) and n.module == "__future__" for n in imports), name


@pytest.mark.measured
def test_a_start_pays_for_the_targets_imports_and_not_for_this_module():
    # Interleaved, so both targets meet the same machine. The heavy module imports ~15 standard-library
    # modules (tens of ms); the minimal one nothing: without the main module's and this module's imports
    # in the child, that difference is a large share of a spawn start. A busy machine only adds to a
    # start (a neighbour's time slice, a late wake-up): each target's least cell median is the one
    # compared (seen with a neighbour on a core and other work loading 2 cores to 6: minimal starts of
    # 56-133 ms, heavy ones of 107-183 ms, whose medians were 1.19x apart).
    costs = {"minimal": [], "heavy": []}
    for _ in range(5):
        for target in costs:
            out = cell(start_method="spawn", target=target, tasks=5)  # the median of 4 starts after the first
            assert out["start_method_used"] == "spawn"
            costs[target].append(out["start_join_ms"])
    assert min(costs["heavy"]) > 1.25 * min(costs["minimal"]), costs


def test_the_parent_main_module_is_back_after_the_starts():
    main = sys.modules["__main__"]
    cell(start_method="spawn")
    assert sys.modules["__main__"] is main


@pytest.mark.measured
@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_process_costs_more_to_start_than_a_thread(method):
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip("%s is not available here" % method)
    process = cell(start_method=method)
    thread = cell(start_method=method, runner="thread")
    assert process["start_method_used"] == method
    assert process["default_start_method"] == multiprocessing.get_start_method()
    assert process["start_join_ms"] > thread["start_join_ms"] > 0
    assert process["first_start_join_ms"] > 0


@pytest.mark.measured
def test_a_process_pool_pays_for_every_byte_a_thread_pool_does_not():
    size = 1_000_000
    process = cell(measure="round_trip", payload_bytes=size, tasks=5)
    thread = cell(measure="round_trip", payload_bytes=size, tasks=5, runner="thread")
    # Pickling and a pipe each way against handing over a reference.
    assert process["round_trip_ms"] > thread["round_trip_ms"]
    assert process["payload_mib_s"] < thread["payload_mib_s"]


@pytest.mark.measured
def test_cpu_task_cells_report_the_task_duration_they_race():
    # Which runner wins at a ~50 us task depends on how much of the second core is free (two pool
    # processes can outrun two GIL threads even then), so only the cell's own figures are checked here;
    # the race itself is the experiment's measurement, paired round by round in the harness.
    common = {"measure": "cpu_task", "task_kiter": 1, "tasks": 300}
    process, thread = cell(**common), cell(runner="thread", **common)
    for r in (process, thread):
        assert r["task_ms"] > 0 and r["tasks_per_s"] > 0
        # Two cores at most (with a wide margin for the machine drifting between the two timings).
        assert r["tasks_per_s"] < 3 / (r["task_ms"] / 1000)


@pytest.mark.measured
def test_quick_profile_runs_through_the_command_line(run_experiment):
    run = run_experiment("--profile", "quick", "--only", "process_overhead")
    df = run.csv("process_overhead")
    plan = plan_experiment(process_overhead, process_overhead.PROFILES["quick"])
    assert len(df) == len(plan.cells()) * plan.profile.repeat
    assert (df["status"] == "ok").all(), df["error"].dropna().tolist()
    assert (df[df["runner"] == "thread"]["speedup"] == 1.0).all()
    assert set(df["default_start_method"]) == {run.env["interpreter"]["start_method"]}
    # The minimal and the heavy spawn start of each round, side by side (how far apart they are is
    # test_a_start_pays_for_the_targets_imports_and_not_for_this_module's, on more starts: the quick
    # profile's three rounds of one start each were 1.13x apart with a neighbour on a core).
    spawn = df[(df["measure"] == "start_join") & (df["runner"] == "process")]
    per_round = spawn.pivot(index="repeat", columns="target", values="start_join_ms")
    assert len(per_round) == plan.profile.repeat
    assert (per_round[["heavy", "minimal"]] > 0).all().all(), per_round
