"""An experiment module checked once against the contract and held as data plus its hooks.

Standard library only: imported inside the measured interpreter.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Callable

from experiments.schema import ExperimentInfo, Metric, SchemaError, metric
from experiments.spec.params import Param, ParamError
from experiments.spec.profiles import Profile, resolve_profiles


class SpecError(ValueError):
    """An experiment module that does not follow the contract (README: How to add an experiment)."""


#: The wall-clock limit of a cell that is meant to hang, unless the module sets HANG_TIMEOUT_S.
HANG_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class ExperimentSpec:
    """An experiment module, checked once and held as data plus its hooks.

    Module attributes (README "How to add an experiment"): TITLE, PARAMS, METRICS, a ``default``
    Profile in PROFILES and ``run_cell(params, region)`` are required; the name is the module's (a
    NAME, if given, must repeat it); ``quick`` and ``full`` profiles, COMPARE and BASELINE (the
    comparison group and its baseline point; empty: no ratios), PARALLELISM (the parameter counting workers),
    ``capacity_bound(params)`` (cells whose speedup the machine's cores cap), ``cell_timeout_s(params)``
    (a per-cell wall-clock limit), ``calibrate()`` (measured once per interpreter at the run's start,
    inside it; its JSON-able result is recorded in environment.json and read by cells through
    ``calibration(module)``), HANGS (partial parameter points meant to hang), HANG_TIMEOUT_S and
    NOTES (facts for the report) are optional. Which runs measure it: ON_REQUEST (only when asked
    for, by ``--only`` or, with ``workload_params(function, args)``, by ``--workload``, whose function
    and arguments that hook turns into cell parameters) and RUN_BY_HARNESS (the machine's capacity
    probe, run by the harness itself); neither: ``run`` measures it with the catalogue.
    """

    module: ModuleType
    info: ExperimentInfo
    params: dict
    profiles: dict
    run_cell: Callable
    capacity_bound: Callable | None = None
    cell_timeout: Callable | None = None
    calibrate: Callable | None = None
    hang_timeout_s: float = HANG_TIMEOUT_S
    on_request: bool = False
    run_by_harness: bool = False
    workload_params: Callable | None = None

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def title(self) -> str:
        return self.info.title

    @property
    def metrics(self) -> dict:
        return self.info.metrics

    @property
    def compare(self) -> tuple:
        return self.info.compare

    @property
    def baseline(self) -> dict:
        return self.info.baseline

    @property
    def parallelism(self) -> str | None:
        return self.info.parallelism

    @property
    def import_name(self) -> str:
        """What the worker imports to run a cell."""
        return self.module.__name__

    def is_baseline(self, params: dict) -> bool:
        return bool(self.baseline) and all(params.get(k) == v for k, v in self.baseline.items())

    def is_capacity_bound(self, params: dict) -> bool:
        return bool(self.capacity_bound is not None and self.capacity_bound(params))

    def timeout_s(self, params: dict, profile: Profile) -> float:
        """The wall-clock limit of one repetition of the cell at ``params``."""
        if self.info.expected_hang(params):
            return float(self.hang_timeout_s)
        if self.cell_timeout is not None:
            return float(self.cell_timeout(params))
        return float(profile.timeout_s)


def _required(module: ModuleType, name: str, kind, what: str):
    value = getattr(module, name, None)
    if not isinstance(value, kind):
        raise SpecError("experiment module %s: %s must be %s" % (module.__name__, name, what))
    return value


def _optional_hook(module: ModuleType, name: str) -> Callable | None:
    hook = getattr(module, name, None)
    if hook is not None and not callable(hook):
        raise SpecError(
            "experiment module %s: %s must be a function of the cell's params" % (module.__name__, name)
        )
    return hook


def _metrics(module: ModuleType, params: dict) -> dict:
    declared = _required(module, "METRICS", (tuple, list), "a tuple of metric names or Metric(...)")
    out = {}
    for m in declared:
        try:
            m = m if isinstance(m, Metric) else metric(m)
        except SchemaError as exc:
            raise SpecError("experiment module %s: %s" % (module.__name__, exc)) from None
        if m.name in out or m.name in params:
            raise SpecError("experiment module %s: metric %s is declared twice" % (module.__name__, m.name))
        out[m.name] = m
    return out


def _check_points(module: ModuleType, params: dict, points, what: str) -> None:
    for point in points:
        unknown = [k for k in point if k not in params]
        if unknown:
            raise SpecError(
                "experiment module %s: %s names unknown parameter %s" % (module.__name__, what, unknown[0])
            )
        for k, v in point.items():
            try:
                params[k].check(k, v)
            except ParamError as exc:
                raise SpecError("experiment module %s: %s: %s" % (module.__name__, what, exc)) from None


def experiment_name(module: ModuleType) -> str:
    """An experiment's name: its module's (``experiments.catalogue.io_vs_cpu``: io_vs_cpu)."""
    return module.__name__.rsplit(".", 1)[-1]


def _name(module: ModuleType) -> str:
    name = experiment_name(module)
    declared = getattr(module, "NAME", name)
    if declared != name:
        raise SpecError(
            "experiment module %s: NAME is %r; it must be the module's name (or left out: the name "
            "comes from the file)" % (module.__name__, declared)
        )
    return name


def _comparison(module: ModuleType, params: dict) -> tuple:
    """(COMPARE, BASELINE, PARALLELISM), checked against the parameters."""
    compare = getattr(module, "COMPARE", ())
    baseline = getattr(module, "BASELINE", {})
    if not isinstance(compare, (tuple, list)) or not isinstance(baseline, dict):
        raise SpecError(
            "experiment module %s: COMPARE must be a tuple of names, BASELINE a dict" % module.__name__
        )
    compare, baseline = tuple(compare), dict(baseline)
    for c in compare:
        if c not in params:
            raise SpecError("experiment module %s: COMPARE names unknown parameter %s" % (module.__name__, c))
    if any(k not in compare for k in baseline):
        raise SpecError("experiment module %s: BASELINE may only fix COMPARE parameters" % module.__name__)
    _check_points(module, params, [baseline], "BASELINE")
    parallelism = getattr(module, "PARALLELISM", None)
    if parallelism is not None and parallelism not in params:
        raise SpecError(
            "experiment module %s: PARALLELISM names unknown parameter %s" % (module.__name__, parallelism)
        )
    return compare, baseline, parallelism


def _profiles(module: ModuleType, harness_run: bool) -> dict:
    """Every profile by name, the fallbacks filled in; none for the harness's own probe."""
    declared = dict(getattr(module, "PROFILES", {}) or {})
    if harness_run:
        return declared
    try:
        return resolve_profiles(declared)
    except ValueError as exc:
        raise SpecError("experiment module %s: %s" % (module.__name__, exc)) from None


def _info(module: ModuleType, name: str, params: dict) -> ExperimentInfo:
    """What experiments.json says about the module."""
    title = _required(module, "TITLE", str, "a short title")
    compare, baseline, parallelism = _comparison(module, params)
    hangs = tuple(dict(h) for h in getattr(module, "HANGS", ()))
    _check_points(module, params, hangs, "HANGS")
    doc = (module.__doc__ or "").strip().splitlines()
    return ExperimentInfo(
        name=name,
        title=title,
        doc=doc[0] if doc else "",
        params={n: p.describe(n) for n, p in params.items()},
        metrics=_metrics(module, params),
        compare=compare,
        baseline=baseline,
        parallelism=parallelism,
        hangs=hangs,
        notes=dict(getattr(module, "NOTES", {}) or {}),
        run_by_harness=bool(getattr(module, "RUN_BY_HARNESS", False)),
    )


def load_spec(module: ModuleType) -> ExperimentSpec:
    """Check an experiment module against the contract once and describe it; SpecError if it fails."""
    name = _name(module)
    params = _required(module, "PARAMS", dict, "a dict of name -> Param(...)")
    for pname, param in params.items():
        if not isinstance(param, Param):
            raise SpecError("experiment module %s: PARAMS[%r] is not a Param" % (module.__name__, pname))
    info = _info(module, name, params)
    run_cell = _optional_hook(module, "run_cell")
    if run_cell is None:
        raise SpecError("experiment module %s: run_cell(params, region) is missing" % module.__name__)
    harness_run = info.run_by_harness
    workload_params = _optional_hook(module, "workload_params")
    return ExperimentSpec(
        module=module,
        info=info,
        params=dict(params),
        profiles=_profiles(module, harness_run),
        run_cell=run_cell,
        capacity_bound=_optional_hook(module, "capacity_bound"),
        cell_timeout=_optional_hook(module, "cell_timeout_s"),
        calibrate=_optional_hook(module, "calibrate"),
        hang_timeout_s=float(getattr(module, "HANG_TIMEOUT_S", HANG_TIMEOUT_S)),
        on_request=bool(getattr(module, "ON_REQUEST", False)) or workload_params is not None,
        run_by_harness=harness_run,
        workload_params=workload_params,
    )
