"""deadlock: a timeout turns a deadlock into a result; without one the harness's limit ends the cell."""

import csv
import threading
from pathlib import Path

import pytest

from experiments.catalogue import deadlock as dl
from experiments.harness.plan import plan_experiment
from experiments.spec import ParamError, load_spec, run_standalone

ROOT = Path(__file__).resolve().parent.parent


def run_within_limit(params):
    """Run a cell in a daemon thread; fail, instead of hanging, if it outlives its cell timeout."""
    result = {}

    def target():
        result["out"] = run_standalone(dl, params)

    runner = threading.Thread(target=target, daemon=True)
    runner.start()
    runner.join(dl.cell_timeout_s(params))
    assert not runner.is_alive(), "the cell %r did not finish within its timeout" % params
    return result["out"]


@pytest.mark.parametrize("timeout_ms", [5.0, 30.0])
def test_opposite_lock_order_is_detected_and_recovered(timeout_ms):
    params = {"scenario": "lock_order", "detection": "timeout", "timeout_ms": timeout_ms}
    out = run_within_limit(params)
    assert out["detected"] == 1
    assert out["recovered"] == 1 and out["completed"] == 1
    assert out["acquire_attempts"] > 2  # at least one thread had to try again
    # acquire(timeout=t) gives up no earlier than t after it started waiting.
    assert out["time_to_detect_ms"] >= 0.9 * timeout_ms


def test_a_lock_reacquired_by_its_holder_is_detected():
    out = run_within_limit({"scenario": "lock_reentry", "detection": "timeout", "timeout_ms": 10.0})
    assert out["detected"] == 1
    assert out["recovered"] == 1  # the holder let go: the lock is free again
    assert out["completed"] == 0  # the nested section cannot run with a plain Lock


@pytest.mark.parametrize("detection, timeout_ms", [("timeout", 10.0), ("none", None)])
@pytest.mark.parametrize("scenario", ["same_order", "rlock_reentry"])
def test_the_deadlock_free_variants_complete_even_without_a_timeout(scenario, detection, timeout_ms):
    out = run_within_limit({"scenario": scenario, "detection": detection, "timeout_ms": timeout_ms})
    assert out["detected"] == 0 and out["completed"] == 1
    assert "time_to_detect_ms" not in out and "recovered" not in out


def test_only_a_cell_meant_to_hang_gets_the_short_limit():
    spec = load_spec(dl)
    profile = dl.PROFILES["default"]
    hang = {"scenario": "lock_order", "detection": "none", "timeout_ms": None}
    assert spec.info.expected_hang(hang) and spec.timeout_s(hang, profile) == dl.HANG_TIMEOUT_S
    patient = {"scenario": "rlock_reentry", "detection": "none", "timeout_ms": None}
    assert not spec.info.expected_hang(patient) and spec.timeout_s(patient, profile) > dl.HANG_TIMEOUT_S
    slow = {"scenario": "lock_order", "detection": "timeout", "timeout_ms": 500.0}
    assert spec.timeout_s(slow, profile) > 2 * dl.MAX_ATTEMPTS * 0.5


@pytest.mark.parametrize(
    "params",
    [
        {"scenario": "lock_order", "detection": "timeout", "timeout_ms": None},
        {"scenario": "lock_order", "detection": "none", "timeout_ms": 10.0},
    ],
)
def test_timeout_and_detection_must_agree(params):
    with pytest.raises(ParamError):
        run_standalone(dl, params)


@pytest.mark.parametrize(
    "name, value", [("scenario", "livelock"), ("detection", "watchdog"), ("timeout_ms", 0.0)]
)
def test_out_of_range_parameters_are_rejected(name, value):
    with pytest.raises(ParamError):
        dl.PARAMS[name].check(name, value)


def test_every_profile_cell_is_consistent():
    for profile in dl.PROFILES.values():
        for c in plan_experiment(dl, profile).cells():
            dl.check_params(c.params)


def test_quick_profile_through_the_cli_records_the_hang_as_an_expected_timeout(run_experiment):
    run = run_experiment("--profile", "quick", "--only", "deadlock")
    with open(run.path / "deadlock.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    deadlocking = {h["scenario"] for h in dl.HANGS}
    hung = [r for r in rows if r["detection"] == "none" and r["scenario"] in deadlocking]
    assert hung and {r["status"] for r in hung} == {"expected_timeout"}
    others = [r for r in rows if r not in hung]
    assert others and {r["status"] for r in others} == {"ok"}
    for r in others:
        if r["detection"] == "timeout" and r["scenario"] in deadlocking:
            assert r["detected"] in ("1", "True")
