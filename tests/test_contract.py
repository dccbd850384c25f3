"""The experiment contract's defaults: the name comes from the module, only the default profile is
required, and the run's flags (ON_REQUEST, workload_params, RUN_BY_HARNESS) decide what runs."""

from __future__ import annotations

import types

import pytest

from experiments.harness.plan import PlanError, plan_run
from experiments.spec import QUICK_ROUNDS, Param, Profile, SpecError, load_spec


def _module(name="experiments.catalogue.tiny", **attrs):
    module = types.ModuleType(name)
    base = dict(TITLE="t", PARAMS={"n": Param(int)}, METRICS=("wall_ms",), run_cell=lambda params, region: {})
    base["PROFILES"] = {"default": Profile([{"n": [1, 2]}], budget_s=10, timeout_s=7)}
    for k, v in {**base, **attrs}.items():
        setattr(module, k, v)
    return module


def test_the_name_is_the_modules_and_a_name_that_repeats_it_is_accepted():
    assert load_spec(_module()).name == "tiny"
    assert load_spec(_module(NAME="tiny")).name == "tiny"
    with pytest.raises(SpecError, match="NAME is 'other'"):
        load_spec(_module(NAME="other"))


def test_quick_and_full_fall_back_to_the_default_profile():
    spec = load_spec(_module())
    default, quick, full = (spec.profiles[p] for p in ("default", "quick", "full"))
    assert full is default
    assert quick.grid == default.grid and not quick.adaptive and quick.repeat == QUICK_ROUNDS
    assert quick.timeout_s == default.timeout_s
    declared = Profile([{"n": [1]}], repeat=2)
    assert load_spec(_module(PROFILES={"default": default, "quick": declared})).profiles["quick"] is declared


def test_a_profile_other_than_the_three_or_no_default_is_refused():
    with pytest.raises(SpecError, match="PROFILES lacks a Profile for default"):
        load_spec(_module(PROFILES={"quick": Profile([{"n": [1]}])}))
    with pytest.raises(SpecError, match="PROFILES\\['fast'\\] must be a Profile"):
        load_spec(_module(PROFILES={"default": Profile([{"n": [1]}]), "fast": Profile([{"n": [1]}])}))


def test_the_flags_say_what_runs():
    assert load_spec(_module(ON_REQUEST=True)).on_request
    taker = load_spec(_module(workload_params=lambda function, args: {}))
    assert taker.on_request and taker.workload_params is not None
    probe = load_spec(_module(RUN_BY_HARNESS=True, PROFILES={}))  # the harness gives it its profile
    assert probe.run_by_harness and probe.profiles == {}


def test_the_run_names_only_what_it_may_measure():
    names = [p.name for p in plan_run("quick")]
    assert "capacity" not in names and "user_function" not in names
    with pytest.raises(PlanError, match="unknown experiment 'capacity'"):
        plan_run("quick", only=["capacity"])
    with pytest.raises(PlanError, match="user_function measures your own function"):
        plan_run("quick", only=["user_function"])
    plans = plan_run("quick", workload={"function": "m:f", "args": {"size": 2}})
    assert [p.name for p in plans] == ["user_function"]
    cell = plans[0].cells()[0]
    assert cell.params["function"] == "m:f" and cell.params["function_args"] == '{"size":2}'
