"""queue_bursts keeps the books of a bounded queue straight and lands near M/M/c/K (wide margins)."""

import importlib.util
import math
import random
import statistics
import time
from pathlib import Path

import pandas as pd
import pytest

from experiments.catalogue import queue_bursts
from experiments.harness.plan import plan_experiment
from experiments.spec import ParamError, run_standalone

ROOT = Path(__file__).resolve().parent.parent
BASE = {
    "pattern": "poisson",
    "load": 0.9,
    "service_ms": 0.5,
    "service": "exponential",
    "consumers": 1,
    "maxsize": 2,
    "put": "drop",
    "arrivals": 600,
    "warmup_arrivals": 60,
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
    [
        ("maxsize", -1),
        ("consumers", 0),
        ("consumers", -2),
        ("load", 0.0),
        ("arrivals", 5),
        ("warmup_arrivals", -1),
        ("put", "wait"),
    ],
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


@pytest.mark.measured
def test_achieved_rate_never_exceeds_offered(by_maxsize):
    rows = list(by_maxsize.values())
    rows.append(cell(load=1.5, maxsize=5))
    rows.append(cell(pattern="bursts", load=0.5, maxsize=5, arrivals=300))
    for r in rows:
        # Only items served inside the arrival window count, but the warm-up's backlog is served
        # inside it too: up to ~3 % at 270-300 arrivals (2.5 % seen at load 6 on 2 cores).
        assert r["achieved_rate_hz"] <= r["offered_rate_hz"] * 1.04, r


@pytest.mark.measured
def test_a_larger_queue_never_drops_more(by_maxsize):
    drops = [by_maxsize[(m, "drop")]["drop_fraction"] for m in (1, 5, 50)]
    # M/M/1/2 at rho = 0.9 loses ~30 %; late wake-ups and stalled sleeps only add to that.
    assert drops[0] > 0.1, drops
    assert drops[1] <= drops[0] + 0.05 and drops[2] <= drops[1] + 0.05, drops


@pytest.mark.measured
def test_blocking_never_drops_and_dropping_never_blocks(by_maxsize):
    for (_maxsize, put), r in by_maxsize.items():
        if put == "block":
            assert r["drop_fraction"] == 0
        else:
            assert r["producer_blocked_fraction"] == 0
    assert by_maxsize[(1, "block")]["producer_blocked_fraction"] > 0.03


@pytest.mark.measured
def test_small_queues_land_near_mmck_at_the_measured_rates(by_maxsize):
    drop, block = by_maxsize[(1, "drop")], by_maxsize[(1, "block")]
    assert abs(drop["drop_fraction"] - drop["predicted_drop_fraction"]) < 0.12, drop
    assert abs(block["producer_blocked_fraction"] - block["predicted_blocked_fraction"]) < 0.12, block
    for r in (drop, block):
        assert 0.5 < r["load_measured"] < 1.5, r


@pytest.mark.measured
def test_the_measured_load_is_the_nominal_one(by_maxsize):
    # Stratified draws and the sleepers' overshoot correction: what is left is the machine, a few %.
    # A machine that stalls the producer for milliseconds stretches its gaps beyond what the correction
    # can take back (seen with other work loading 2 cores to 5: 920 arrivals/s offered of 1800, load
    # 0.76), so a cell that misses is measured once more, and must then land: a retry of a statistical
    # property. Pacing that is wrong misses on both tries.
    for (maxsize, put), r in by_maxsize.items():
        if r["load_measured"] != pytest.approx(0.9, rel=0.1):
            r = cell(maxsize=maxsize, put=put)
        assert r["load_measured"] == pytest.approx(0.9, rel=0.1), r


@pytest.mark.measured
def test_littles_law_holds_for_the_queue(by_maxsize):
    # L from the depths Poisson arrivals saw (PASTA, blocked time at maxsize) against lambda x W from
    # the put and get timestamps: two independent estimates of the same time average.
    for r in by_maxsize.values():
        little = r["achieved_rate_hz"] * r["wait_mean_ms"] / 1000.0
        assert r["queue_depth_sampled_mean"] == pytest.approx(little, rel=0.3, abs=0.05), r
        # The timestamp integral is lambda x W up to the window's edges: items still queued when the
        # window closes count whole in W but clipped in the integral. When a loaded machine slows the
        # consumers, the queue grows towards the end and that edge reaches ~7 % (seen under load:
        # 6.08 items against 6.52), hence the margin.
        assert r["queue_depth_mean"] == pytest.approx(little, rel=0.15, abs=0.01), r


@pytest.mark.measured
def test_bursts_have_no_sampled_depth():
    # Arrivals in bursts do not see time averages: there is no PASTA estimate to give.
    r = cell(pattern="bursts", load=0.5, maxsize=5, arrivals=300)
    assert r["queue_depth_sampled_mean"] is None
    assert r["arrival_gap_cv"] > 1.5  # idle gaps between bursts of short ones


def test_stratified_draws_are_exponential_with_the_exact_mean():
    draws = queue_bursts.stratified_exponential(1000, 2.0, random.Random(1))
    assert statistics.fmean(draws) == pytest.approx(2.0, rel=0.01)
    # One draw per stratum: the k-th smallest lies in the k-th thousandth of the distribution.
    for k, x in enumerate(sorted(draws)):
        assert k / 1000 - 1e-9 <= 1 - math.exp(-x / 2.0) <= (k + 1) / 1000 + 1e-9
    assert draws != sorted(draws)


@pytest.mark.measured
def test_a_sleeper_oversleeps_far_less_than_time_sleep():
    sleeper = queue_bursts._Sleeper(queue_bursts.sleep_overshoot_s(), random.Random(2))
    asked = queue_bursts.stratified_exponential(300, 0.0005, random.Random(3))
    late = {"sleeper": [], "time.sleep": []}
    now = time.perf_counter
    for d in asked:  # alternated, so both meet the same machine
        t = now()
        sleeper.sleep(d)
        late["sleeper"].append(now() - t - d)
        t = now()
        time.sleep(d)
        late["time.sleep"].append(now() - t - d)
    typical = {k: statistics.median(v) for k, v in late.items()}
    # time.sleep oversleeps every time (~60-100 us here); the sleeper takes its running estimate of
    # that off each sleep. Medians: a rare stall of the machine (milliseconds) hits both alike.
    assert typical["time.sleep"] > 0
    assert abs(typical["sleeper"]) < 0.5 * typical["time.sleep"], typical


def test_a_blocked_put_is_split_where_the_queue_had_room_again():
    blocked = [(1.0, 1.5), (2.0, 2.2)]
    records = [(0, 0.5, 0.9), (1, 1.4, 1.6), (2, 2.25, 2.3)]
    full, handoffs = queue_bursts._blocked_intervals(blocked, records)
    # First get after 1.0 is at 1.4: full until then, 0.1 s of hand-off; no get inside the second one.
    assert full == [(1.0, 1.4), (2.0, 2.2)]
    assert handoffs == pytest.approx([0.1, 0.0])


def test_an_unbounded_queue_never_drops():
    r = cell(maxsize=0, arrivals=300)
    assert r["drop_fraction"] == 0 and r["producer_blocked_fraction"] == 0
    assert r["queue_depth_p50"] <= r["queue_depth_p99"]
    assert r["latency_p50_ms"] <= r["latency_p99_ms"]


@pytest.mark.measured
def test_quick_profile_runs_through_the_command_line(run_experiment):
    run = run_experiment("--profile", "quick", "--only", "queue_bursts")
    df = run.csv("queue_bursts")
    plan = plan_experiment(queue_bursts, queue_bursts.PROFILES["quick"])
    assert len(df) == len(plan.cells()) * plan.profile.repeat
    assert (df["status"] == "ok").all(), df["error"].dropna().tolist()
    # Items cannot be served faster than they arrive, up to the edges of a 270-arrival window: the
    # warm-up's backlog (a queue at rho = 0.9 holds ~8 items on average) is served inside it.
    assert (df["achieved_rate_hz"] <= df["offered_rate_hz"] * 1.10).all()


def _gaps_script():
    spec = importlib.util.spec_from_file_location(
        "queue_model_gaps", ROOT / "scripts" / "queue_model_gaps.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_gaps_script_flags_a_cell_off_its_load_or_off_the_model(tmp_path, capsys):
    rows = []
    for r, (rho, drop) in enumerate([(0.91, 0.21), (0.89, 0.22), (0.90, 0.20)]):
        good = {**BASE, "repeat": r, "status": "ok", "load_measured": rho, "drop_fraction": drop}
        good.update(
            predicted_drop_fraction=0.21, producer_blocked_fraction=0.0, predicted_blocked_fraction=0.0
        )
        good.update(achieved_rate_hz=1000.0, wait_mean_ms=0.5, queue_depth_sampled_mean=0.5)
        # Same load point, maxsize 5: 10 % above its load and 30 % above the model in every round.
        bad = {
            **good,
            "maxsize": 5,
            "load_measured": 0.99,
            "drop_fraction": 0.13,
            "predicted_drop_fraction": 0.1,
        }
        rows += [good, bad]
    folder = tmp_path / "run"
    folder.mkdir()
    pd.DataFrame(rows).to_csv(folder / "queue_bursts.csv", index=False)
    script = _gaps_script()
    cells = {c["maxsize"]: c for c in script.cell_rows(pd.read_csv(folder / "queue_bursts.csv"))}
    assert cells[2]["load_gap"] == pytest.approx(0.0, abs=1e-9) and abs(cells[2]["model_gap"]) < 0.06
    assert cells[5]["load_gap"] == pytest.approx(0.1) and cells[5]["model_gap"] == pytest.approx(0.3)
    assert cells[2]["little_gap"] == pytest.approx(0.0)
    assert script.main([str(folder)]) == 1  # two misses: the maxsize 5 cell's load and its model gap
    assert capsys.readouterr().out.count("!") >= 2
