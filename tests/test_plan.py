"""The plan: grids, comparison groups, baselines, overrides and their errors."""

import pytest

from experiments import CATALOGUE
from experiments.plan import PlanError, parse_overrides, plan_run


def test_every_group_has_its_baseline_and_every_cell_is_unique():
    for profile in ("quick", "default", "full"):
        for plan in plan_run(profile):
            ids = [c.cell_id for c in plan.cells()]
            assert len(ids) == len(set(ids))
            if getattr(plan.module, "BASELINE", None):
                for group in plan.groups:
                    assert group.baseline is not None and group.baseline in group.cells


def test_every_catalogue_experiment_declares_the_contract():
    for plan in plan_run("quick"):
        module = plan.module
        assert module.NAME in CATALOGUE
        for attr in ("TITLE", "PARAMS", "METRICS", "PROFILES", "run_cell"):
            assert hasattr(module, attr), (module.NAME, attr)
        assert set(module.PROFILES) >= {"quick", "default", "full"}
        assert not set(module.METRICS) & set(module.PARAMS)


def test_override_replaces_values_and_keeps_baseline():
    plan = plan_run("quick", ["io_vs_cpu"], parse_overrides(["workers=3", "workload=sleep_io"]))[0]
    workers = {c.params["workers"] for c in plan.cells()}
    assert workers == {1, 3}  # 1 is the sequential baseline
    assert {c.params["workload"] for c in plan.cells()} == {"sleep_io"}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"profile_name": "fast"}, "unknown profile"),
        ({"profile_name": "quick", "only": ["nope"]}, "unknown experiment 'nope'"),
        ({"profile_name": "quick", "overrides": {"workers": ["-2"]}}, "out of range"),
        ({"profile_name": "quick", "overrides": {"workers": ["two"]}}, "is not a int"),
        ({"profile_name": "quick", "only": ["io_vs_cpu"], "overrides": {"colour": ["red"]}}, "no parameter"),
        ({"profile_name": "quick", "repeat": 0}, "--repeat"),
    ],
)
def test_bad_requests_are_explained(kwargs, message):
    with pytest.raises(PlanError, match=message):
        plan_run(**kwargs)


def test_override_syntax_is_checked():
    with pytest.raises(PlanError, match="NAME=VALUE"):
        parse_overrides(["workers"])


def test_rounds_spread_every_cell_across_the_round():
    from experiments.orchestrator import rotated

    cells = list(range(13))
    orders = [rotated(cells, r, 5) for r in range(5)]
    assert all(sorted(o) == cells for o in orders)
    baseline_positions = [o.index(0) for o in orders]
    # The baseline is not stuck at the end of most rounds: its positions span the round.
    assert max(baseline_positions) - min(baseline_positions) >= len(cells) // 2
