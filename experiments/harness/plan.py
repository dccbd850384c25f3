"""Turns experiments, a profile and command-line overrides into cells and comparison groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType

from experiments.harness import registry
from experiments.spec import PROFILE_NAMES, ExperimentSpec, ParamError, Profile, SpecError, load_spec

PROFILES = PROFILE_NAMES


class PlanError(ValueError):
    """A request the plan cannot honour (unknown experiment, profile or parameter)."""


@dataclass(frozen=True)
class Cell:
    """One experiment at one parameter point."""

    experiment: str
    params: dict
    cell_id: str
    group_id: str


@dataclass
class Group:
    """Cells compared with each other: their repetitions run interleaved, round by round."""

    experiment: str
    group_id: str
    cells: list = field(default_factory=list)
    baseline: Cell | None = None


@dataclass
class ExperimentPlan:
    spec: ExperimentSpec
    profile: Profile
    groups: list

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def params(self) -> list:
        return list(self.spec.params)

    def cells(self) -> list:
        return [c for g in self.groups for c in g.cells]


def load_experiment(name: str) -> ExperimentSpec:
    """An experiment's checked spec by name, or a PlanError saying which names exist."""
    if name not in registry.names():
        runnable = registry.catalogue_names() + registry.on_request()
        raise PlanError("unknown experiment %r; known: %s" % (name, ", ".join(runnable)))
    try:
        return registry.spec(name)
    except SpecError as exc:
        raise PlanError(str(exc)) from None


def format_value(value) -> str:
    return "none" if value is None else str(value)


def cell_key(spec: ExperimentSpec, params: dict, names) -> str:
    return ",".join("%s=%s" % (n, format_value(params[n])) for n in spec.params if n in names)


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
    spec: ExperimentSpec | ModuleType,
    profile: Profile,
    overrides: dict | None = None,
    repeat: int | None = None,
    fixed: dict | None = None,
) -> ExperimentPlan:
    """Cells of one experiment (its spec, or its module) for one profile, ``--set`` overrides applied
    (text, parsed here) and ``fixed`` values (typed: one value per parameter, in every cell)."""
    if isinstance(spec, ModuleType):
        spec = load_spec(spec)
    typed = _typed(spec, overrides or {})
    grid = profile.grid
    for name, values in typed.items():
        grid = _override(grid, name, values)
    for name, value in (fixed or {}).items():
        grid = [{**block, name: [value]} for block in grid]
    if typed or fixed:
        profile = profile.replace(grid=grid)
    compare, baseline = spec.compare, spec.baseline
    groups: dict = {}
    seen = set()
    for point in profile.points():
        points = [point]
        if baseline:
            points.insert(0, {**point, **baseline})
        for p in points:
            missing = [n for n in spec.params if n not in p]
            if missing:
                raise PlanError("%s: grid point %r lacks %s" % (spec.name, p, ", ".join(missing)))
            try:
                p = {n: spec.params[n].check(n, p[n]) for n in spec.params}
            except ParamError as exc:
                raise PlanError("%s: %s" % (spec.name, exc)) from None
            if typed:
                _check_exists(spec, p)
            cell_id = cell_key(spec, p, spec.params)
            if cell_id in seen:
                continue
            seen.add(cell_id)
            group_id = cell_key(spec, p, [n for n in spec.params if n not in compare]) or "all"
            if not compare:
                group_id = cell_id
            group = groups.setdefault(group_id, Group(spec.name, group_id))
            cell = Cell(spec.name, p, cell_id, group_id)
            group.cells.append(cell)
            if spec.is_baseline(p):
                group.baseline = cell
    if repeat is not None:
        if repeat < 1:
            raise PlanError("--repeat must be at least 1, got %d" % repeat)
        profile = profile.replace(repeat=repeat, budget_s=None)
    return ExperimentPlan(spec, profile, list(groups.values()))


def _typed(spec: ExperimentSpec, overrides: dict) -> dict:
    """``--set`` values (text) parsed by the parameters' types, or a PlanError naming the problem."""
    typed = {}
    for name, texts in overrides.items():
        if name not in spec.params:
            raise PlanError(
                "experiment %s has no parameter %r; its parameters: %s"
                % (spec.name, name, ", ".join(spec.params))
            )
        try:
            typed[name] = [spec.params[name].parse(name, t) for t in texts]
        except ParamError as exc:
            raise PlanError("%s: %s" % (spec.name, exc)) from None
    return typed


def _override(grid: list, name: str, values: list) -> list:
    """The grid with ``--set name=values``. Where every block of the grid has one value of ``name``
    (io_vs_cpu's workload), a value some blocks have selects those blocks, with their own other
    values (a workload's own task sizes); any other value replaces ``name`` in every block."""
    if not all(len(block.get(name, ())) == 1 for block in grid):
        return [{**block, name: values} for block in grid]
    out = [block for block in grid if block[name][0] in values]
    new = [v for v in values if all(block[name][0] != v for block in grid)]
    if new:
        out += [{**block, name: new} for block in grid]
    return out


def _check_exists(spec: ExperimentSpec, point: dict) -> None:
    """PlanError for a point that cannot exist: the baseline's executor (sequential) at another
    parallelism than the baseline's (workers other than 1)."""
    par, base = spec.parallelism, spec.baseline or {}
    rest = {k: v for k, v in base.items() if k != par}
    if not rest or par not in base or point.get(par) == base[par]:
        return
    if all(point.get(k) == v for k, v in rest.items()):
        what = ",".join("%s=%s" % (k, format_value(v)) for k, v in rest.items())
        raise PlanError(
            "%s: %s runs only with %s=%s (it is the baseline, measured in every group anyway); "
            "leave it out of --set" % (spec.name, what, par, format_value(base[par]))
        )


def check_rounds(repeat: int | None, precision: float | None, budget_s: float | None) -> None:
    """PlanError for a rounds request that cannot be honoured, in one line."""
    if repeat is not None and repeat < 1:
        raise PlanError("--repeat must be at least 1, got %d" % repeat)
    if precision is not None and not 0 < precision < 1:
        raise PlanError(
            "--precision must be a fraction between 0 and 1 (0.05: intervals within +-5 %%), got %g"
            % precision
        )
    if budget_s is not None and not 0 < budget_s < float("inf"):
        raise PlanError("--budget must be a positive number of seconds, got %g" % budget_s)
    if repeat is not None and budget_s is not None:
        raise PlanError("--repeat fixes the rounds and --budget makes them adaptive: give one of them")


def share_budget(plans: list, budget_s: float) -> list:
    """Split a whole run's budget over its experiments in proportion to their profiles' budgets
    (or, where a profile has none, to the cell runs its fixed rounds would take)."""
    if all(p.profile.adaptive for p in plans):
        weights = [p.profile.budget_s for p in plans]
    else:
        weights = [len(p.cells()) * p.profile.rotation_rounds() for p in plans]
    total = sum(weights) or 1.0
    return [
        ExperimentPlan(p.spec, p.profile.replace(budget_s=budget_s * w / total), p.groups)
        for p, w in zip(plans, weights)
    ]


def _workload_params(spec: ExperimentSpec, workload: dict | None) -> dict:
    """The cell parameters a --workload sets in an experiment that measures it (see spec.workload_params);
    with no workload, the names alone (values None)."""
    if workload is None:
        return dict.fromkeys(spec.workload_params("module:function", {}))
    return spec.workload_params(workload["function"], dict(workload.get("args") or {}))


def _chosen(only, workload: dict | None) -> list:
    """The specs a run measures: those named in ``only`` (else the catalogue); with a ``workload``,
    the experiments that measure it first (and the catalogue only where named)."""
    runnable = registry.catalogue_names() + registry.on_request()
    names = list(only) if only else ([] if workload else list(registry.catalogue_names()))
    for name in names:
        if name not in runnable:
            raise PlanError("unknown experiment %r; known: %s" % (name, ", ".join(runnable)))
    if workload:
        takers = [n for n in registry.on_request() if load_experiment(n).workload_params]
        names = [n for n in takers if n not in names] + names
    specs = [load_experiment(n) for n in names]
    for spec in specs:
        if spec.workload_params and not workload:
            raise PlanError("%s measures your own function: give --workload MODULE:FUNCTION" % spec.name)
    return specs


def plan_run(
    profile_name: str,
    only=None,
    overrides: dict | None = None,
    repeat: int | None = None,
    precision: float | None = None,
    budget_s: float | None = None,
    workload: dict | None = None,
) -> list:
    """Plans of every experiment the run measures, in catalogue order. ``repeat`` forces that many
    rounds; ``precision`` sets the target of adaptive rounds; ``budget_s`` is the whole run's
    budget for adaptive rounds, shared over its experiments (see share_budget). With a ``workload``
    ({"function": "MODULE:NAME", "args": {...}}, from --workload), the experiment that measures it
    (user_function) comes first, and only the catalogue experiments named in ``only`` run beside it."""
    check_rounds(repeat, precision, budget_s)
    if profile_name not in PROFILES:
        raise PlanError("unknown profile %r; choose one of: %s" % (profile_name, ", ".join(PROFILES)))
    specs = _chosen(only, workload)
    overrides = overrides or {}
    named = [n for s in specs if s.workload_params for n in _workload_params(s, None) if n in overrides]
    if named:
        raise PlanError("%s comes from --workload and --workload-args, not --set" % " and ".join(named))
    if overrides and len(specs) > 1:
        unknown = [n for n in overrides if not any(n in s.params for s in specs)]
        if unknown:
            raise PlanError("no experiment in this run has parameter %s" % ", ".join(unknown))
    plans = []
    for spec in specs:
        mine = {k: v for k, v in overrides.items() if k in spec.params or len(specs) == 1}
        profile = spec.profiles[profile_name]
        if precision is not None:
            profile = profile.replace(precision=precision)
        fixed = _workload_params(spec, workload) if spec.workload_params else None
        plans.append(plan_experiment(spec, profile, mine, repeat, fixed))
    return share_budget(plans, budget_s) if budget_s is not None else plans
