"""Adaptive rounds: a group runs until its ratios are precise, its share of the budget is spent or
its maximum is reached; --repeat forces a count; a resumed run continues from what is stored."""

from __future__ import annotations

import itertools
import math
import random

import pandas as pd
import pytest
from scipy import stats

from experiments.harness import orchestrator
from experiments.harness.plan import PlanError, load_experiment, plan_experiment, plan_run
from experiments.harness.rounds import (
    GroupRecord,
    RoundPolicy,
    another_round,
    median_interval,
    relative_half_width,
)
from experiments.spec import INTERVAL_ROUNDS, MIN_ROUNDS, Profile, load_spec
from tests import adaptive_cells, orchestrated
from tests.conftest import run_cli

SPEC = load_spec(adaptive_cells)


def _plan(kinds, **profile):
    return plan_experiment(
        SPEC, Profile(grid=[{"kind": kinds, "variant": ["fast"]}], timeout_s=30, **profile)
    )


def _last(df: pd.DataFrame, kind: str) -> pd.Series:
    rows = df[df["kind"] == kind]
    return rows[rows["repeat"] == rows["repeat"].max()].iloc[0]


def _rounds(df: pd.DataFrame, kind: str) -> list:
    rows = df[df["kind"] == kind]
    assert rows.groupby("cell_id")["repeat"].apply(sorted).map(tuple).nunique() == 1  # every cell alike
    return sorted(rows[rows["variant"] == "base"]["repeat"])


# --- through the real orchestrator, with worker processes -----------------------------------------


def test_exact_ratios_stop_at_the_minimum_and_noisy_ones_at_the_maximum(tmp_path):
    folder = orchestrated.run(tmp_path, [_plan(["constant", "noisy"], budget_s=1000, max_rounds=8)])
    df = orchestrated.table(folder, "adaptive_cells")
    assert _rounds(df, "constant") == list(range(INTERVAL_ROUNDS))
    fast = df[(df["kind"] == "constant") & (df["variant"] == "fast")]
    assert fast["speedup"].sub(2.0).abs().max() < 1e-6
    done = _last(df, "constant")
    assert (
        done["group_rounds"] == INTERVAL_ROUNDS
        and done["precision_met"] == 1
        and done["group_precision"] < 1e-6
    )
    # Before the minimum there is no 95 % interval: no precision, target not met.
    early = df[(df["kind"] == "constant") & (df["repeat"] < INTERVAL_ROUNDS - 1)]
    assert early["group_precision"].isna().all() and (early["precision_met"] == 0).all()
    assert sorted(early["group_rounds"].unique()) == list(range(1, INTERVAL_ROUNDS))
    assert _rounds(df, "noisy") == list(range(8))
    noisy = _last(df, "noisy")
    assert noisy["precision_met"] == 0 and noisy["group_precision"] > 0.05 and noisy["group_rounds"] == 8


def test_noisy_ratios_stop_when_the_budget_is_spent_and_say_the_target_was_missed(tmp_path):
    # Each round runs two cells that sleep at least 1 ms each: three rounds spend at least 6 ms, so a
    # 5 ms budget is spent by the minimum however fast the machine is.
    folder = orchestrated.run(tmp_path, [_plan(["noisy"], budget_s=0.005, max_rounds=40)])
    df = orchestrated.table(folder, "adaptive_cells")
    assert _rounds(df, "noisy") == list(range(MIN_ROUNDS))  # the minimum runs whatever the budget
    last = _last(df, "noisy")
    assert last["precision_met"] == 0 and math.isnan(last["group_precision"])  # too few for an interval


def test_repeat_forces_exactly_n_rounds_even_below_the_minimum(tmp_path):
    plan = plan_experiment(
        SPEC, Profile(grid=[{"kind": ["constant"], "variant": ["fast"]}], budget_s=1000), repeat=3
    )
    folder = orchestrated.run(tmp_path, [plan])
    df = orchestrated.table(folder, "adaptive_cells")
    assert _rounds(df, "constant") == [0, 1, 2]
    last = _last(df, "constant")
    assert last["group_rounds"] == 3 and math.isnan(last["group_precision"]) and last["precision_met"] == 0


def test_a_resumed_run_continues_adaptively_from_what_is_stored(tmp_path):
    plans = [_plan(["constant", "noisy"], budget_s=1000, max_rounds=8)]
    folder = orchestrated.run(tmp_path, plans)
    path = folder.csv_path("adaptive_cells")
    full = pd.read_csv(path)
    # Keep rounds 0-2 of the first group and 0-4 of the second, as a run killed mid-way would.
    kept = full[
        ((full["kind"] == "constant") & (full["repeat"] < 3))
        | ((full["kind"] == "noisy") & (full["repeat"] < 5))
    ]
    kept.to_csv(path, index=False)
    orchestrated.execute(
        folder, folder.read_environment(), [_plan(["constant", "noisy"], budget_s=1000, max_rounds=8)]
    )
    resumed = pd.read_csv(path)
    assert _rounds(resumed, "constant") == list(range(INTERVAL_ROUNDS)) and _rounds(resumed, "noisy") == list(
        range(8)
    )
    assert _last(resumed, "constant")["precision_met"] == 1
    key = ["cell_id", "repeat"]
    before = kept.sort_values(key)[key + ["started_at_utc"]].reset_index(drop=True)
    after = resumed.merge(kept[key], on=key).sort_values(key)[key + ["started_at_utc"]].reset_index(drop=True)
    assert before.equals(after)  # stored rounds were not run again


def test_repeat_on_an_adaptive_profile_from_the_command_line(run_experiment):
    run = run_experiment(
        "--profile", "default", "--only", "io_vs_cpu", "--set", "workload=sleep_io", "--set", "workers=2",
        "--set", "tasks=4", "--set", "task_size=2", "--set", "executor=thread,process", "--repeat", "2",
    )  # fmt: skip
    df = run.csv("io_vs_cpu")
    assert all(sorted(r) == [0, 1] for _, r in df.groupby("cell_id")["repeat"])
    assert run.env["config"]["repeat"] == 2 and run.env["config"]["budget_s"] is None


# --- budgets spent exactly: scripted cells that each cost one second -------------------------------


def _scripted_plan(budget_s, max_rounds=40, workers=(2,)):
    grid = [
        {
            "workload": ["sleep_io"],
            "tasks": [4],
            "task_size": [1],
            "executor": ["thread"],
            "workers": list(workers),
        }
    ]
    profile = Profile(grid=grid, budget_s=budget_s, max_rounds=max_rounds)
    return plan_experiment(load_experiment("io_vs_cpu"), profile)


#: Walls of a cell that never settles: 0.5 s and 2 s in turn against a sequential 1 s, so its ratio
#: holds 1 inside an interval far wider than ±5 %: neither precise nor decided, whatever the rounds.
#: (Random walls of 0.3-0.9 s settle by chance: every speedup above 1.1, a "faster" decision stopped
#: a run at 8 rounds of its 11.)
_UNSETTLED = itertools.cycle((0.5, 2.0))


def _noisy_wall(params):
    return 1.0 if params["executor"] == "sequential" else next(_UNSETTLED)


@pytest.mark.parametrize(
    "budget_s, rounds", [(1.0, MIN_ROUNDS), (10.0, 5), (20.0, 10), (21.0, 10), (22.0, 11)]
)
def test_rounds_continue_while_the_next_round_fits_in_the_budget(tmp_path, monkeypatch, budget_s, rounds):
    monkeypatch.setattr(orchestrator, "run_cell", orchestrated.ScriptedCells(_noisy_wall, cost_s=1.0))
    folder = orchestrated.run(tmp_path, [_scripted_plan(budget_s)])
    df = orchestrated.table(folder, "io_vs_cpu")
    # Two cells of one second a round: after r rounds 2r seconds are spent, and past the minimum
    # another round runs only while 2r + 2 <= budget.
    assert df.groupby("cell_id")["repeat"].max().eq(rounds - 1).all() and len(df) == 2 * rounds
    assert (df[df["repeat"] == rounds - 1]["precision_met"] == 0).all()


@pytest.mark.parametrize("exact_tasks", [4, 8])
def test_what_precise_groups_leave_goes_to_the_imprecise_one_before_or_after_them(
    tmp_path, monkeypatch, exact_tasks
):
    def wall(params):
        if params["executor"] == "sequential":
            return 1.0
        return 0.5 if params["tasks"] == exact_tasks else next(_UNSETTLED)

    monkeypatch.setattr(orchestrator, "run_cell", orchestrated.ScriptedCells(wall, cost_s=1.0))
    grid = [
        {"workload": ["sleep_io"], "tasks": [4, 8], "task_size": [1], "executor": ["thread"], "workers": [2]}
    ]
    plan = plan_experiment(load_experiment("io_vs_cpu"), Profile(grid=grid, budget_s=40.0, max_rounds=40))
    df = orchestrated.table(orchestrated.run(tmp_path, [plan]), "io_vs_cpu")
    rounds = df.groupby("tasks")["repeat"].max() + 1
    # Both groups run 3 rounds, then take turns (fewest rounds first) until the exact one has its 6;
    # the 16 s left then go to the noisy one, whether it comes before the exact one or after it.
    noisy_tasks = 12 - exact_tasks
    assert rounds[exact_tasks] == INTERVAL_ROUNDS and rounds[noisy_tasks] == 14


# --- the rule itself ------------------------------------------------------------------------------


def _record(spent_s, rows):
    rec = GroupRecord(("base", "fast"), "base")
    for r, speedup in enumerate(rows):
        rec.add(r, "base", 1.0, spent_s / len(rows) / 2)
        rec.add(r, "fast", speedup, spent_s / len(rows) / 2)
    return rec


def test_the_rule_decides_from_rounds_precision_budget_and_bounds():
    policy = RoundPolicy(fixed=None, min_rounds=3, max_rounds=9, precision=0.05, budget_s=30.0)
    exact, noisy = [2.0] * 6, [1.0, 2.0, 1.5, 1.2, 1.8, 1.4]
    assert policy.wants([_record(2.0, exact[:2])], 0) == (True, True, True)
    assert policy.wants([_record(4.0, exact[:4])], 0) == (False, True, True)  # no 95 % interval yet
    assert policy.wants([_record(6.0, exact)], 0)[:2] == (False, False)
    assert policy.wants([_record(6.0, noisy)], 0) == (False, True, True)
    assert policy.wants([_record(29.5, noisy)], 0)[2] is False  # the next round would not fit
    assert policy.wants([_record(6.0, noisy + [1.5] * 3)], 0)[2] is False  # the maximum is reached
    # What is left is the experiment's budget less what all of its groups spent.
    records = [_record(6.0, exact), _record(20.0, noisy), _record(0.0, [])]
    assert policy.left_s(records) == 4.0 and policy.wants(records, 1) == (False, True, True)
    assert policy.wants([_record(6.0, exact), _record(23.0, noisy)], 1)[2] is False
    fixed = RoundPolicy(fixed=3, min_rounds=3, max_rounds=9, precision=0.05, budget_s=None)
    assert fixed.wants([_record(3.0, exact[:3])], 0) == (False, False, False)
    assert fixed.wants([_record(3.0, exact[:2])], 0)[0] is True


def test_interleaved_interpreters_go_on_while_one_is_imprecise_and_all_can_afford_it():
    assert another_round([(False, False, True), (False, True, True)])
    assert not another_round([(False, False, True), (False, True, False)])
    assert another_round([(True, False, False), (False, False, False)])
    assert not another_round([(False, False, True), (False, False, True)])


def test_the_interval_is_scipys_exact_interval_of_the_median():
    values = [1.3, 1.1, 1.25, 1.4, 1.2, 1.35, 1.15, 1.3]
    median, low, high = median_interval(values)
    ci = stats.quantile_test(values, p=0.5).confidence_interval(0.95)
    assert (low, high) == (ci.low, ci.high) and median == pd.Series(values).median()
    assert math.isinf(relative_half_width(values[:5]))  # five values give no 95 % interval
    assert relative_half_width([2.0] * 6) == 0.0


@pytest.mark.parametrize(
    "args, words",
    [
        (["--precision", "0"], "--precision must be a fraction between 0 and 1"),
        (["--precision", "1.5"], "--precision must be a fraction between 0 and 1"),
        (["--precision", "nan"], "--precision must be a fraction between 0 and 1"),
        (["--budget", "-5"], "--budget must be a positive number of seconds"),
        (["--budget", "soon"], "invalid float value: 'soon'"),
        (["--budget", "60", "--repeat", "3"], "give one of them"),
    ],
)
def test_bad_rounds_options_are_one_line(args, words, tmp_path):
    out = run_cli("run", "--only", "io_vs_cpu", *args, "--results", str(tmp_path / "r"))
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2 and len(lines) == 1 and lines[0].startswith("gilbench: error:"), out.stderr
    assert words in lines[0]
    assert not (tmp_path / "r").exists()


def test_a_run_budget_is_shared_in_proportion_to_the_profiles_budgets():
    plans = plan_run("default", budget_s=100.0)
    own = [p.profile.budget_s for p in plan_run("default")]
    shared = [p.profile.budget_s for p in plans]
    assert math.isclose(sum(shared), 100.0)
    for a, b in zip(own, shared):
        assert math.isclose(b / 100.0, a / sum(own))
    with pytest.raises(PlanError, match="--precision"):
        plan_run("default", precision=2.0)
    assert {p.profile.precision for p in plan_run("default", precision=0.1)} == {0.1}


def test_the_report_counts_groups_at_target_and_names_the_others(tmp_path, monkeypatch):
    from report.analysis.load import load_results
    from report.page import quality

    def wall(params):
        if params["executor"] == "sequential":
            return 1.0
        return 0.5 if params["tasks"] == 4 else next(_UNSETTLED)

    monkeypatch.setattr(orchestrator, "run_cell", orchestrated.ScriptedCells(wall, cost_s=1.0))
    grid = [
        {"workload": ["sleep_io"], "tasks": [4, 8], "task_size": [1], "executor": ["thread"], "workers": [2]}
    ]
    plan = plan_experiment(load_experiment("io_vs_cpu"), Profile(grid=grid, budget_s=40.0, max_rounds=8))
    orchestrated.run(tmp_path, [plan])
    results = load_results(tmp_path)
    met, judged, missed = quality.precision_targets(results.runs[0])
    assert (met, judged) == (1, 2) and len(missed) == 1
    assert "tasks=8" in missed[0] and "after 8 rounds" in missed[0]
    html = str(quality.render(results))
    assert "1 of 2" in html and "did not reach the precision target" in html and "tasks=8" in html


def test_the_eta_counts_down_the_budget_when_rounds_adapt():
    import io

    from experiments.harness.progress import Progress

    p = Progress(10, stream=io.StringIO(), tty=False)
    assert p.eta() == "?"  # nothing done, no budget: nothing to extrapolate from
    p.expected_s = 600.0
    assert p.eta() in ("10m00s", "9m59s")  # the budget, not the cells done so far
    p.expected_s = 0.0  # over budget: back to extrapolating the cells
    p.done = 5
    assert p.eta() != "?"


def test_steins_rule_fixes_the_rounds_from_the_first_stage_and_later_rounds_never_change_them():
    from experiments.harness.rounds import N_FIRST
    from report.analysis.verdicts import stein_rounds

    rng = random.Random(5)
    rec = GroupRecord(cells=("base", "x"), baseline="base")
    first = []
    for r in range(N_FIRST):
        value = 2.0 * math.exp(rng.gauss(0.0, 0.05))
        first.append(math.log(value))
        rec.add(r, "base", 1.0, 0.0)
        rec.add(r, "x", value, 0.0)
    need = stein_rounds(first, math.log1p(0.05), n_max=40)
    assert need > N_FIRST  # 5 % noise needs more than the first stage for ±5 %
    for r in range(N_FIRST, 40):
        assert rec.settled(0.05, 40) is (r >= need)
        rec.add(r, "base", 1.0, 0.0)
        rec.add(r, "x", 2.0 * math.exp(rng.gauss(0.0, 0.5)), 0.0)  # wild later rounds change nothing
    assert GroupRecord(cells=("base",), baseline="base").settled(0.05, 40) is None


def test_the_harness_and_the_report_apply_one_stein_rule():
    # The measuring side never imports the reading side: two copies of the formula, held equal here.
    from experiments.harness import stopping
    from report.analysis.verdicts import stein_rounds

    rng = random.Random(11)
    for _ in range(200):
        first = [rng.gauss(0.0, rng.choice((0.01, 0.05, 0.2))) for _ in range(rng.randint(2, 9))]
        h = rng.choice((0.01, 0.025, 0.05))
        assert stopping.stein_rounds(first, h, n_max=40) == stein_rounds(first, h, n_max=40)
