"""queue_bursts keeps the books of a bounded queue straight and lands near M/M/c/K (wide margins)."""

import pytest

from experiments import queue_bursts
from experiments.plan import plan_experiment
from experiments.spec import ParamError, run_standalone

BASE = {
    "pattern": "poisson",
    "load": 0.9,
    "service_ms": 1.0,
    "service": "exponential",
    "consumers": 1,
    "maxsize": 2,
    "put": "drop",
    "arrivals": 300,
    "burst_items": 20,
    "burst_peak": 4.0,
}


def cell(**overrides):
    return run_standalone(queue_bursts, {**BASE, **overrides})


@pytest.fixture(scope="module")
def by_maxsize():
    """One dropping and one blocking producer per maxsize, at rho = 0.9."""
    return {(m, put): cell(maxsize=m, put=put) for m in (1, 5, 50) for put in ("drop", "block")}


@pytest.mark.parametrize(
    "name,value",
    [("maxsize", -1), ("consumers", 0), ("consumers", -2), ("load", 0.0), ("arrivals", 5), ("put", "wait")],
)
def test_bad_parameters_are_refused(name, value):
    with pytest.raises(ParamError):
        queue_bursts.PARAMS[name].check(name, value)


def test_command_line_text_is_checked_too():
    with pytest.raises(ParamError):
        queue_bursts.PARAMS["maxsize"].parse("maxsize", "-1")
    assert queue_bursts.PARAMS["maxsize"].parse("maxsize", "0") == 0


def test_bursts_slower_than_the_mean_rate_are_refused():
    with pytest.raises(ParamError, match="burst_peak"):
        cell(pattern="bursts", load=1.5, burst_peak=1.2)


@pytest.mark.parametrize("profile", ["quick", "default", "full"])
def test_every_profile_plans(profile):
    plan = plan_experiment(queue_bursts, queue_bursts.PROFILES[profile])
    assert plan.cells()


def test_achieved_rate_never_exceeds_offered(by_maxsize):
    rows = list(by_maxsize.values())
    rows.append(cell(load=1.5, maxsize=5))
    rows.append(cell(pattern="bursts", load=0.5, maxsize=5, arrivals=200))
    for r in rows:
        # Only items served inside the arrival window count: a little slack for its edges.
        assert r["achieved_rate_hz"] <= r["offered_rate_hz"] * 1.02, r


def test_a_larger_queue_never_drops_more(by_maxsize):
    drops = [by_maxsize[(m, "drop")]["drop_fraction"] for m in (1, 5, 50)]
    # M/M/1/2 at rho = 0.9 loses ~30 %; late wake-ups and longer sleeps only add to that.
    assert drops[0] > 0.1, drops
    assert drops[1] <= drops[0] + 0.05 and drops[2] <= drops[1] + 0.05, drops


def test_blocking_never_drops_and_dropping_never_blocks(by_maxsize):
    for (_maxsize, put), r in by_maxsize.items():
        if put == "block":
            assert r["drop_fraction"] == 0
        else:
            assert r["producer_blocked_fraction"] == 0
    assert by_maxsize[(1, "block")]["producer_blocked_fraction"] > 0.03


def test_small_queues_land_near_mmck_at_the_measured_rates(by_maxsize):
    drop, block = by_maxsize[(1, "drop")], by_maxsize[(1, "block")]
    assert abs(drop["drop_fraction"] - drop["predicted_drop_fraction"]) < 0.12, drop
    assert abs(block["producer_blocked_fraction"] - block["predicted_blocked_fraction"]) < 0.12, block
    for r in (drop, block):
        assert 0.5 < r["load_measured"] < 1.5, r


def test_littles_law_holds_for_the_queue(by_maxsize):
    for r in by_maxsize.values():
        little = r["achieved_rate_hz"] * r["wait_mean_ms"] / 1000.0
        assert r["queue_depth_mean"] == pytest.approx(little, rel=0.3, abs=0.05), r


def test_an_unbounded_queue_never_drops():
    r = cell(maxsize=0, arrivals=150)
    assert r["drop_fraction"] == 0 and r["producer_blocked_fraction"] == 0
    assert r["queue_depth_p50"] <= r["queue_depth_p99"]
    assert r["latency_p50_ms"] <= r["latency_p99_ms"]


def test_quick_profile_runs_through_the_command_line(run_experiment):
    run = run_experiment("--profile", "quick", "--only", "queue_bursts")
    df = run.csv("queue_bursts")
    plan = plan_experiment(queue_bursts, queue_bursts.PROFILES["quick"])
    assert len(df) == len(plan.cells()) * plan.profile.repeat
    assert (df["status"] == "ok").all(), df["error"].dropna().tolist()
    assert (df["achieved_rate_hz"] <= df["offered_rate_hz"] * 1.02).all()
