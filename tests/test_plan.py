"""The plan: grids, comparison groups, baselines, overrides and their errors."""

import types

import pytest

from experiments.harness.plan import PlanError, parse_overrides, plan_run
from experiments.harness.registry import CATALOGUE
from experiments.schema import DERIVED_COLUMNS, UNITS, Metric
from experiments.spec import Param, Profile, SpecError, load_spec


def test_every_group_has_its_baseline_and_every_cell_is_unique():
    for profile in ("quick", "default", "full"):
        for plan in plan_run(profile):
            ids = [c.cell_id for c in plan.cells()]
            assert len(ids) == len(set(ids))
            if plan.spec.baseline:
                for group in plan.groups:
                    assert group.baseline is not None and group.baseline in group.cells


def test_every_catalogue_experiment_declares_the_contract():
    for plan in plan_run("quick"):
        spec = plan.spec
        assert spec.name in CATALOGUE and spec.title
        assert set(spec.profiles) >= {"quick", "default", "full"}
        assert not set(spec.metrics) & set(spec.params)
        for name, m in spec.metrics.items():
            assert m.unit in UNITS, (spec.name, name)


def _module(**attrs):
    module = types.ModuleType("experiments.bad_one")
    base = dict(NAME="bad_one", TITLE="t", PARAMS={"n": Param(int)}, METRICS=("wall_ms",))
    base.update(PROFILES={p: Profile([{"n": [1]}]) for p in ("quick", "default", "full")})
    base.update(run_cell=lambda params, region: {})
    for k, v in {**base, **attrs}.items():
        setattr(module, k, v)
    return module


@pytest.mark.parametrize(
    "attrs, words",
    [
        ({"NAME": "other"}, "NAME is 'other'"),
        ({"METRICS": ("round_trips",)}, "metric 'round_trips' has no unit"),
        ({"COMPARE": ("m",)}, "COMPARE names unknown parameter m"),
        ({"COMPARE": ("n",), "BASELINE": {"n": -1, "x": 1}}, "BASELINE may only fix COMPARE"),
        ({"HANGS": ({"q": 1},)}, "HANGS names unknown parameter q"),
        ({"PARALLELISM": "workers"}, "PARALLELISM names unknown parameter workers"),
        ({"PROFILES": {}}, "PROFILES lacks a Profile for default"),
        ({"cell_timeout_s": 3}, "cell_timeout_s must be a function"),
    ],
)
def test_a_module_that_breaks_the_contract_is_refused_in_one_line(attrs, words):
    with pytest.raises(SpecError) as info:
        load_spec(_module(**attrs))
    assert words in str(info.value) and "\n" not in str(info.value)


def test_a_valid_module_is_described_with_units():
    spec = load_spec(_module(METRICS=("wall_ms", Metric("lost", "count", better=-1))))
    assert spec.info.metrics["wall_ms"].unit == "ms" and spec.info.metrics["wall_ms"].direction == -1
    assert spec.info.metrics["lost"].direction == -1
    assert spec.info.columns()[-len(DERIVED_COLUMNS) :] == list(DERIVED_COLUMNS)
    assert DERIVED_COLUMNS[:3] == ("speedup", "efficiency", "capacity_fraction")


def test_override_replaces_values_and_keeps_baseline():
    plan = plan_run("quick", ["io_vs_cpu"], parse_overrides(["workers=3", "workload=sleep_io"]))[0]
    workers = {c.params["workers"] for c in plan.cells()}
    assert workers == {1, 3}  # 1 is the sequential baseline
    assert {c.params["workload"] for c in plan.cells()} == {"sleep_io"}


def test_a_workload_override_keeps_that_workloads_own_task_sizes():
    for profile in ("quick", "default"):
        whole = plan_run(profile, ["io_vs_cpu"])[0]
        own = {
            (c.params["tasks"], c.params["task_size"])
            for c in whole.cells()
            if c.params["workload"] == "c_hash"
        }
        plan = plan_run(profile, ["io_vs_cpu"], parse_overrides(["workload=c_hash"]))[0]
        assert {(c.params["tasks"], c.params["task_size"]) for c in plan.cells()} == own
        assert {c.params["workload"] for c in plan.cells()} == {"c_hash"}


def test_a_value_no_block_has_replaces_it_everywhere():
    plan = plan_run("quick", ["io_vs_cpu"], parse_overrides(["task_size=7"]))[0]
    assert {c.params["task_size"] for c in plan.cells()} == {7}
    assert len({c.params["workload"] for c in plan.cells()}) == 4


@pytest.mark.parametrize("experiment", ["io_vs_cpu", "user_function"])
def test_sequential_with_more_workers_is_refused_in_one_line(experiment):
    workload = {"function": "m:f", "args": {}} if experiment == "user_function" else None
    overrides = parse_overrides(["executor=sequential,thread_pool"])
    with pytest.raises(PlanError, match="executor=sequential runs only with workers=1") as caught:
        plan_run("default", [experiment], overrides, workload=workload)
    assert "\n" not in str(caught.value)
    # With workers=1 the combination exists.
    plan_run(
        "default",
        [experiment],
        parse_overrides(["executor=sequential,thread_pool", "workers=1"]),
        workload=workload,
    )


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
    from experiments.harness.orchestrator import rotated

    cells = list(range(13))
    orders = [rotated(cells, r, 5) for r in range(5)]
    assert all(sorted(o) == cells for o in orders)
    baseline_positions = [o.index(0) for o in orders]
    # The baseline is not stuck at the end of most rounds: its positions span the round.
    assert max(baseline_positions) - min(baseline_positions) >= len(cells) // 2
