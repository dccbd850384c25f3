"""Turns experiments, a profile and command-line overrides into cells and comparison groups."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType

from experiments import CATALOGUE
from experiments.spec import ParamError, Profile

PROFILES = ("quick", "default", "full")


class PlanError(ValueError):
    """A request the plan cannot honour (unknown experiment, profile or parameter)."""


@dataclass(frozen=True)
class Cell:
    """One experiment at one parameter point."""

    experiment: str
    params: dict
    cell_id: str
    group_id: str

    def is_baseline(self, module: ModuleType) -> bool:
        baseline = getattr(module, "BASELINE", {})
        return bool(baseline) and all(self.params.get(k) == v for k, v in baseline.items())


@dataclass
class Group:
    """Cells compared with each other: their repetitions run interleaved, round by round."""

    experiment: str
    group_id: str
    cells: list = field(default_factory=list)
    baseline: Cell | None = None


@dataclass
class ExperimentPlan:
    module: ModuleType
    profile: Profile
    groups: list

    @property
    def name(self) -> str:
        return self.module.NAME

    @property
    def params(self) -> list:
        return list(self.module.PARAMS)

    def cells(self) -> list:
        return [c for g in self.groups for c in g.cells]


def load_experiment(name: str) -> ModuleType:
    """Import an experiment module by name, or explain which names exist."""
    if name not in CATALOGUE:
        raise PlanError("unknown experiment %r; known: %s" % (name, ", ".join(CATALOGUE)))
    return importlib.import_module("experiments." + name)


def format_value(value) -> str:
    return "none" if value is None else str(value)


def cell_key(module: ModuleType, params: dict, names) -> str:
    return ",".join("%s=%s" % (n, format_value(params[n])) for n in module.PARAMS if n in names)


def parse_overrides(items) -> dict:
    """``["workers=1,2", "tasks=8"]`` -> ``{"workers": ["1", "2"], "tasks": ["8"]}`` (still text)."""
    out = {}
    for item in items or ():
        name, sep, values = item.partition("=")
        if not sep or not name.strip() or not values.strip():
            raise PlanError("--set expects NAME=VALUE[,VALUE...], got %r" % item)
        out[name.strip()] = [v.strip() for v in values.split(",")]
    return out


def plan_experiment(
    module: ModuleType, profile: Profile, overrides: dict | None = None, repeat: int | None = None
) -> ExperimentPlan:
    """Cells of one experiment for one profile, with ``--set`` overrides applied and checked."""
    overrides = dict(overrides or {})
    typed = {}
    for name, texts in overrides.items():
        if name not in module.PARAMS:
            raise PlanError(
                "experiment %s has no parameter %r; its parameters: %s"
                % (module.NAME, name, ", ".join(module.PARAMS))
            )
        try:
            typed[name] = [module.PARAMS[name].parse(name, t) for t in texts]
        except ParamError as exc:
            raise PlanError("%s: %s" % (module.NAME, exc)) from None
    if typed:
        # An override replaces that parameter's values in every block of the grid.
        grid = [{**block, **typed} for block in profile.grid]
        profile = Profile(grid=grid, repeat=profile.repeat, timeout_s=profile.timeout_s)
    compare = tuple(getattr(module, "COMPARE", ()))
    baseline = dict(getattr(module, "BASELINE", {}))
    groups: dict = {}
    seen = set()
    for point in profile.points():
        points = [point]
        if baseline:
            points.insert(0, {**point, **baseline})
        for p in points:
            missing = [n for n in module.PARAMS if n not in p]
            if missing:
                raise PlanError("%s: grid point %r lacks %s" % (module.NAME, p, ", ".join(missing)))
            try:
                p = {n: module.PARAMS[n].check(n, p[n]) for n in module.PARAMS}
            except ParamError as exc:
                raise PlanError("%s: %s" % (module.NAME, exc)) from None
            cell_id = cell_key(module, p, module.PARAMS)
            if cell_id in seen:
                continue
            seen.add(cell_id)
            group_id = cell_key(module, p, [n for n in module.PARAMS if n not in compare]) or "all"
            if not compare:
                group_id = cell_id
            group = groups.setdefault(group_id, Group(module.NAME, group_id))
            cell = Cell(module.NAME, p, cell_id, group_id)
            group.cells.append(cell)
            if cell.is_baseline(module):
                group.baseline = cell
    if repeat is not None:
        if repeat < 1:
            raise PlanError("--repeat must be at least 1, got %d" % repeat)
        profile = Profile(grid=profile.grid, repeat=repeat, timeout_s=profile.timeout_s)
    return ExperimentPlan(module, profile, list(groups.values()))


def plan_run(profile_name: str, only=None, overrides: dict | None = None, repeat: int | None = None) -> list:
    """Plans of every experiment the run measures, in catalogue order."""
    if profile_name not in PROFILES:
        raise PlanError("unknown profile %r; choose one of: %s" % (profile_name, ", ".join(PROFILES)))
    names = list(only) if only else list(CATALOGUE)
    modules = [load_experiment(n) for n in names]
    overrides = overrides or {}
    if overrides and len(modules) > 1:
        unknown = [n for n in overrides if not any(n in m.PARAMS for m in modules)]
        if unknown:
            raise PlanError("no experiment in this run has parameter %s" % ", ".join(unknown))
    plans = []
    for m in modules:
        mine = {k: v for k, v in overrides.items() if k in m.PARAMS or len(modules) == 1}
        plans.append(plan_experiment(m, m.PROFILES[profile_name], mine, repeat))
    return plans
