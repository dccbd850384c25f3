"""sync_objects: a Semaphore(k) pool runs at most k, a Barrier releases all, Event wakes, exit waits."""

import csv
from pathlib import Path

import pytest

from experiments.catalogue import sync_objects as so
from experiments.harness.plan import plan_experiment
from experiments.spec import ParamError, run_standalone

ROOT = Path(__file__).resolve().parent.parent


def cell(obj, threads, permits=None, cycles=None, sleep_ms=None, daemon=None):
    return {"object": obj, "threads": threads, "permits": permits, "cycles": cycles, "sleep_ms": sleep_ms,
            "daemon": daemon}  # fmt: skip


@pytest.mark.parametrize("tasks, permits", [(9, 3), (4, 1), (3, 8)])
def test_a_semaphore_pool_never_runs_more_than_k_tasks(tasks, permits):
    out = run_standalone(so, cell("semaphore", tasks, permits=permits, sleep_ms=5.0))
    assert 1 <= out["max_concurrency"] <= min(permits, tasks)
    # Each wave of k sleeping tasks lasts at least one sleep: no pool beats the ideal.
    assert 0 < out["throughput_vs_ideal"] <= 1 + 1e-9


def test_a_barrier_releases_every_party_every_cycle():
    out = run_standalone(so, cell("barrier", 5, cycles=40))
    assert out["barrier_passes"] == 5 * 40
    assert 0 <= out["barrier_skew_p50_us"] <= out["barrier_skew_max_us"]


def test_event_waiters_are_woken_after_the_set():
    out = run_standalone(so, cell("event", 3, cycles=10))
    assert 0 < out["wake_samples"] <= 3 * 10
    assert 0 < out["wake_latency_p50_us"] <= out["wake_latency_p99_us"]


def test_only_a_non_daemon_thread_holds_up_interpreter_exit():
    sleep_ms = 300.0
    kept = run_standalone(so, cell("daemon_exit", 1, cycles=1, sleep_ms=sleep_ms, daemon=False))
    dropped = run_standalone(so, cell("daemon_exit", 1, cycles=1, sleep_ms=sleep_ms, daemon=True))
    # The non-daemon thread's sleep began before the child's main thread said it was done.
    assert kept["exit_delay_ms"] >= 0.5 * sleep_ms
    assert dropped["exit_delay_ms"] < kept["exit_delay_ms"]


@pytest.mark.parametrize(
    "params, message",
    [
        (cell("semaphore", 4, sleep_ms=1.0), "needs permits"),
        (cell("barrier", 4, cycles=3, permits=2), "does not use permits"),
        (cell("daemon_exit", 1, cycles=1, sleep_ms=1.0), "needs daemon"),
    ],
)
def test_a_parameter_an_object_does_not_take_is_rejected(params, message):
    with pytest.raises(ParamError, match=message):
        run_standalone(so, params)


@pytest.mark.parametrize(
    "name, value", [("object", "mutex"), ("threads", 0), ("permits", 0), ("sleep_ms", -1.0)]
)
def test_out_of_range_parameters_are_rejected(name, value):
    with pytest.raises(ParamError):
        so.PARAMS[name].check(name, value)


def test_every_profile_cell_gives_each_object_what_it_needs():
    for profile in so.PROFILES.values():
        for c in plan_experiment(so, profile).cells():
            so.check_params(c.params)


def test_quick_profile_through_the_cli(run_experiment):
    run = run_experiment("--profile", "quick", "--only", "sync_objects")
    with open(run.path / "sync_objects.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["object"] for r in rows} == set(so.OBJECTS)
    assert {r["status"] for r in rows} == {"ok"}
    for r in rows:
        if r["object"] == "semaphore":
            assert 1 <= int(r["max_concurrency"]) <= int(r["permits"])
        elif r["object"] == "barrier":
            assert int(float(r["barrier_passes"])) == int(r["threads"]) * int(r["cycles"])
        else:
            assert r["barrier_passes"] == ""  # metrics of other objects stay empty
