"""lock_contention: locked counts are exact, a race only ever loses updates, fairness spans many turns."""

import csv
import sys
from pathlib import Path

import pytest

from experiments.catalogue import lock_contention as lc
from experiments.harness.plan import PlanError, plan_experiment
from experiments.spec import ParamError, run_standalone

ROOT = Path(__file__).resolve().parent.parent


def cell(**overrides):
    params = {
        "threads": 4,
        "primitive": "Lock",
        "pattern": "counter",
        "work": "inside",
        "work_iters": 5,
        # The shortest switch interval interleaves the threads most, so a race has most chances.
        "switch_interval_ms": 0.05,
        "turns_per_thread": 20,
    }
    params.update(overrides)
    return params


@pytest.mark.parametrize("primitive", ["Lock", "RLock", "Semaphore"])
@pytest.mark.parametrize("pattern", ["counter", "fake_database"])
def test_a_locked_update_is_never_lost(primitive, pattern):
    out = run_standalone(lc, cell(primitive=primitive, pattern=pattern, work_iters=0))
    assert out["updates"] > 0 and out["lost_updates"] == 0
    assert out["acquire_samples"] > 0
    assert 0 <= out["acquire_wait_p50_us"] <= out["acquire_wait_p99_us"]


@pytest.mark.parametrize("pattern", ["counter", "fake_database"])
def test_without_a_lock_updates_are_only_ever_lost(pattern):
    out = run_standalone(lc, cell(primitive="none", pattern=pattern))
    assert 0 <= out["lost_updates"] < out["updates"]
    assert out["lost_update_fraction"] == out["lost_updates"] / out["updates"]
    assert out["work_units"] == out["updates"]
    assert "acquire_wait_p50_us" not in out  # nothing to acquire


@pytest.mark.measured
@pytest.mark.skipif(
    sys.version_info < (3, 11),
    reason="before 3.11 sleep(0) is a select() that returns at once, and the thread often takes the GIL back",
)
def test_the_tutorials_fake_database_loses_updates_without_a_lock():
    # From 3.11 sleep(0) is a clock_nanosleep that lasts the timer slack (~50 us on Linux): long enough
    # for another thread to take over between the read and the write.
    out = run_standalone(lc, cell(primitive="none", pattern="fake_database", work_iters=0))
    assert out["lost_updates"] > 0


def test_acquires_are_sampled_one_in_sample_every():
    out = run_standalone(lc, cell(threads=3, switch_interval_ms=0.5))
    every = lc.SAMPLE_EVERY["counter"]
    # A thread looks at the stop flag only on a sampled update, so it stops on a multiple of ``every``.
    assert out["acquire_samples"] * every == out["updates"]


def test_fairness_lies_between_one_thread_alone_and_perfect_sharing():
    out = run_standalone(lc, cell(threads=4, primitive="RLock"))
    assert 0.25 - 1e-9 <= out["jain_fairness"] <= 1 + 1e-9
    assert 0 <= out["slowest_thread_fraction"] <= 1
    single = run_standalone(lc, cell(threads=1))
    assert single["jain_fairness"] == 1.0


@pytest.mark.measured
@pytest.mark.parametrize("primitive", ["none", "Lock"])
def test_fairness_spans_many_switch_intervals_per_thread(primitive):
    # At the default 5 ms a GIL turn is ~15k counter updates. With a fixed 100k updates over 8 threads
    # a thread used to finish its share inside its first turn, leaving the others at zero: Jain 1/8
    # every time. Over 20 turns each, every thread has run many times; a Jain index of 0.5 or less
    # would need half the threads to have had almost none of them.
    params = cell(threads=8, primitive=primitive, switch_interval_ms=5.0)
    out = run_standalone(lc, params)
    assert lc.region_s(params) == pytest.approx(8 * 20 * 0.005)
    assert out["wall_s"] >= lc.region_s(params)
    assert out["jain_fairness"] > 0.5, out
    assert out["slowest_thread_fraction"] > 0, out


def test_a_single_thread_takes_no_turns_and_gets_the_shortest_region():
    assert lc.region_s(cell(threads=1, switch_interval_ms=5.0)) == lc.MIN_REGION_S
    assert lc.region_s(cell(threads=4, switch_interval_ms=0.05)) == lc.MIN_REGION_S


def test_jain_index():
    assert lc.jain_index([3, 3, 3, 3]) == pytest.approx(1.0)
    assert lc.jain_index([1, 0, 0, 0]) == pytest.approx(0.25)
    assert lc.jain_index([1, 1, 0, 0]) == pytest.approx(0.5)


def test_the_switch_interval_is_set_only_inside_the_cell():
    before = sys.getswitchinterval()
    run_standalone(lc, cell(threads=1, switch_interval_ms=0.5))
    assert sys.getswitchinterval() == before


@pytest.mark.parametrize(
    "name, value",
    [
        ("threads", 0),
        ("threads", 65),
        ("primitive", "Mutex"),
        ("switch_interval_ms", 0.0),
        ("turns_per_thread", 0),
    ],
)
def test_out_of_range_parameters_are_rejected(name, value):
    with pytest.raises(ParamError):
        lc.PARAMS[name].check(name, value)


def test_a_bad_override_is_rejected_by_the_plan():
    with pytest.raises(PlanError, match="switch_interval_ms"):
        plan_experiment(lc, lc.PROFILES["quick"], {"switch_interval_ms": ["-1"]})


def test_every_group_has_its_no_lock_baseline():
    for profile in lc.PROFILES.values():
        for group in plan_experiment(lc, profile).groups:
            assert group.baseline is not None and group.baseline.params["primitive"] == "none"


def test_quick_profile_through_the_cli(run_experiment):
    run = run_experiment("--profile", "quick", "--only", "lock_contention")
    with open(run.path / "lock_contention.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(plan_experiment(lc, lc.PROFILES["quick"]).cells()) * lc.PROFILES["quick"].repeat
    assert {r["status"] for r in rows} == {"ok"}
    for r in rows:
        assert int(r["lost_updates"]) >= 0
        if r["primitive"] != "none":
            assert int(r["lost_updates"]) == 0
            assert float(r["speedup"]) > 0  # a ratio against the none cell of the same round
