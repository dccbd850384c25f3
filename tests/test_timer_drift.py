"""timer_drift: timers never fire early, re-arming accumulates, deadlines do not (wide margins)."""

import time

import pytest

from experiments.catalogue import timer_drift
from experiments.harness.plan import plan_experiment
from experiments.spec import ParamError, run_standalone


def cell(mode, delay_ms=1.0, cpu_threads=0, samples=20):
    params = {"mode": mode, "delay_ms": delay_ms, "cpu_threads": cpu_threads, "samples": samples}
    return run_standalone(timer_drift, params)


@pytest.fixture(scope="module")
def cells():
    return {
        (mode, cpu): cell(mode, cpu_threads=cpu, samples=15) for mode in timer_drift.MODES for cpu in (0, 1)
    }


@pytest.mark.parametrize(
    "name,value",
    [("delay_ms", 0.0), ("delay_ms", -1.0), ("cpu_threads", -1), ("samples", 0), ("mode", "cron")],
)
def test_bad_parameters_are_refused(name, value):
    with pytest.raises(ParamError):
        timer_drift.PARAMS[name].check(name, value)


@pytest.mark.parametrize("profile", ["quick", "default", "full"])
def test_every_profile_plans(profile):
    plan = plan_experiment(timer_drift, timer_drift.PROFILES[profile])
    assert plan.cells()


def test_timer_lateness_is_never_negative(cells):
    for key, r in cells.items():
        assert r["lateness_min_us"] >= 0, key
        assert r["lateness_min_us"] <= r["lateness_p50_us"] <= r["lateness_p99_us"] <= r["lateness_max_us"]


def test_rearming_accumulates_every_periods_lateness(cells):
    for cpu in (0, 1):
        r = cells[("rearmed", cpu)]
        # Each period starts after the previous firing, so the drift holds every lateness and more.
        assert r["cumulative_drift_ms"] >= r["lateness_mean_us"] * 15 / 1000.0 * (1 - 1e-9)
        loop = cells[("deadline_loop", cpu)]
        # On absolute deadlines the drift is only the last firing's lateness.
        low, high = loop["lateness_min_us"] / 1000.0, loop["lateness_max_us"] / 1000.0
        assert low - 1e-6 <= loop["cumulative_drift_ms"] <= high + 1e-6
    assert cells[("one_shot", 0)]["cumulative_drift_ms"] is None


def test_a_one_shot_fires_after_its_delay_even_for_long_delays():
    start = time.monotonic()
    r = cell("one_shot", delay_ms=50.0, samples=2)
    assert time.monotonic() - start >= 0.1
    assert r["lateness_min_us"] >= 0


def test_the_environment_of_timing_is_recorded(cells):
    r = cells[("one_shot", 0)]
    assert r["clock_resolution_ns"] > 0
    slack = timer_drift.timer_slack_ns()
    assert r["timer_slack_ns"] == slack
    if slack is not None:
        assert slack >= 0


def test_quick_profile_runs_through_the_command_line(run_experiment):
    run = run_experiment("--profile", "quick", "--only", "timer_drift")
    df = run.csv("timer_drift")
    plan = plan_experiment(timer_drift, timer_drift.PROFILES["quick"])
    assert len(df) == len(plan.cells()) * plan.profile.repeat
    assert (df["status"] == "ok").all(), df["error"].dropna().tolist()
    assert (df["lateness_min_us"] >= 0).all()
