"""The contract between an experiment module and the harness: parameters, profiles, regions.

Standard library only: this module is imported inside the measured interpreter.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Callable

from experiments.schema import ExperimentInfo, Metric, ParamInfo, SchemaError, metric, unit_from_name

__all__ = [
    "CellSkipped",
    "Metric",
    "Param",
    "ParamError",
    "Profile",
    "MIN_ROUNDS",
    "INTERVAL_ROUNDS",
    "PRECISION",
    "Region",
    "ExperimentSpec",
    "SpecError",
    "load_spec",
    "calibration",
    "CALIBRATION_ENV",
]

#: The worker environment variable holding, as JSON, each experiment's calibration for the run
#: (environment.json's ``interpreter.calibration``): {experiment name: what its ``calibrate()`` said}.
CALIBRATION_ENV = "GILBENCH_CALIBRATION"
_calibrated: dict = {}


def calibration(module: ModuleType) -> dict:
    """What ``module.calibrate()`` measured in this interpreter for the run: the figures recorded at
    the run's start (handed to every worker, so all cells of a run do the same work), or, outside a
    run (``run_standalone``), measured here once per process."""
    name = module.__name__.rsplit(".", 1)[-1]
    recorded = json.loads(os.environ.get(CALIBRATION_ENV) or "{}")
    if name in recorded:
        return recorded[name]
    if name not in _calibrated:
        _calibrated[name] = module.calibrate()
    return _calibrated[name]


class ParamError(ValueError):
    """A parameter value that an experiment cannot take."""


class CellSkipped(Exception):
    """Raised by ``run_cell`` before its region when the cell cannot run here (an executor this
    interpreter lacks, a function that cannot be pickled): the row's status is ``skipped`` and its
    ``error`` is this exception's message, the reason."""


class Param:
    """One parameter of an experiment: its type, its allowed range and what it means."""

    def __init__(self, kind, help="", minimum=None, maximum=None, choices=None, allow_none=False, unit=None):
        self.kind = kind
        self.help = help
        #: The unit of the value, when it has one; by default read from the name (``delay_ms``).
        self.unit = unit
        self.minimum = minimum
        self.maximum = maximum
        self.choices = tuple(choices) if choices is not None else None
        self.allow_none = allow_none

    def parse(self, name, text):
        """Turn command-line text into a checked value (``none`` where allowed)."""
        if self.allow_none and text.strip().lower() in ("none", "inf", "unbounded"):
            return None
        try:
            if self.kind is bool:
                low = text.strip().lower()
                if low not in ("0", "1", "true", "false", "yes", "no"):
                    raise ValueError(text)
                value = low in ("1", "true", "yes")
            else:
                value = self.kind(text)
        except ValueError:
            raise ParamError(
                "parameter %s=%r is not a %s%s" % (name, text, self.kind.__name__, self.range_text())
            ) from None
        return self.check(name, value)

    def check(self, name, value):
        """Return ``value`` if it is allowed, else raise ParamError naming the allowed values."""
        if value is None and self.allow_none:
            return value
        ok_type = isinstance(value, self.kind) and not (self.kind is not bool and isinstance(value, bool))
        if self.kind is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok_type = float(value), True
        if not ok_type:
            raise ParamError(
                "parameter %s=%r must be a %s%s" % (name, value, self.kind.__name__, self.range_text())
            )
        bad = (
            (self.choices is not None and value not in self.choices)
            or (self.minimum is not None and value < self.minimum)
            or (self.maximum is not None and value > self.maximum)
        )
        if bad:
            raise ParamError("parameter %s=%r is out of range%s" % (name, value, self.range_text()))
        return value

    def describe(self, name: str) -> ParamInfo:
        """This parameter as a run folder's experiments.json records it."""
        return ParamInfo(
            name=name,
            type=self.kind.__name__,
            unit=self.unit or unit_from_name(name),
            help=self.help,
            choices=self.choices,
            minimum=self.minimum,
            maximum=self.maximum,
            allow_none=self.allow_none,
        )

    def range_text(self):
        if self.choices is not None:
            return " (one of: %s)" % ", ".join(str(c) for c in self.choices)
        parts = []
        if self.minimum is not None:
            parts.append(">= %s" % self.minimum)
        if self.maximum is not None:
            parts.append("<= %s" % self.maximum)
        if self.allow_none:
            parts.append("or none")
        return " (%s)" % ", ".join(parts) if parts else ""


#: Rounds an exact 95 % interval of a median needs: with 5, even [min, max] covers only 94 %.
INTERVAL_ROUNDS = 6
#: Rounds every group of an adaptive profile runs however small its budget.
MIN_ROUNDS = 3
#: The default precision target: each ratio's 95 % interval within +-5 % of its median.
PRECISION = 0.05


class Profile:
    """How much of an experiment's grid a profile runs, and for how many rounds.

    ``grid`` is a list of dicts mapping parameter names to lists of values; each dict
    is expanded as a Cartesian product and the union of all of them is the profile's
    set of cells.  ``timeout_s`` is the wall-clock limit of one cell's worker process.

    Rounds are fixed (``repeat``) or, when ``budget_s`` (seconds for the whole experiment) is
    given, adaptive: every comparison group runs ``min_rounds``; then, while the budget lasts,
    groups get more rounds until they have the INTERVAL_ROUNDS a 95 % interval needs and the
    interval of each of their ratios is within +-``precision`` of its median, or ``max_rounds``.
    """

    def __init__(
        self,
        grid,
        repeat=5,
        timeout_s=60.0,
        budget_s=None,
        precision=PRECISION,
        min_rounds=MIN_ROUNDS,
        max_rounds=40,
    ):
        self.grid = grid
        self.repeat = repeat
        self.timeout_s = timeout_s
        self.budget_s = budget_s
        self.precision = precision
        self.min_rounds = min_rounds
        self.max_rounds = max(max_rounds, min_rounds)

    @property
    def adaptive(self):
        return self.budget_s is not None

    def replace(self, **changes):
        """A copy with some settings changed (``grid``, ``repeat``, ``budget_s``, ...)."""
        settings = dict(
            grid=self.grid,
            repeat=self.repeat,
            timeout_s=self.timeout_s,
            budget_s=self.budget_s,
            precision=self.precision,
            min_rounds=self.min_rounds,
            max_rounds=self.max_rounds,
        )
        settings.update(changes)
        return Profile(**settings)

    def rounds_text(self):
        """The rounds rule in a few words, for listings."""
        if not self.adaptive:
            return "%d rounds" % self.repeat
        return "%d-%d rounds to +-%g %% in %g s" % (
            self.min_rounds,
            self.max_rounds,
            self.precision * 100,
            self.budget_s,
        )

    def rotation_rounds(self):
        """Rounds over which a group's cell order is rotated through every position."""
        return INTERVAL_ROUNDS if self.adaptive else self.repeat

    def points(self):
        """Every parameter point of the grid, in declaration order, without duplicates."""
        seen = set()
        for block in self.grid:
            names = list(block)
            for values in itertools.product(*(block[n] for n in names)):
                point = dict(zip(names, values))
                key = tuple(sorted(point.items(), key=lambda kv: kv[0]))
                if key not in seen:
                    seen.add(key)
                    yield point


class Region:
    """The measured region of one cell: ``with region() as timing: ...`` then ``timing.wall_s``.

    The harness hands a cell function a callable returning a Region; inside a worker
    process entering and leaving it also tells the parent, which reads the process
    tree's CPU counters from outside at exactly those two moments.
    """

    def __init__(self, on_enter=None, on_exit=None):
        self._on_enter = on_enter
        self._on_exit = on_exit
        self.wall_s = None
        self._start = None

    def __enter__(self):
        if self._start is not None or self.wall_s is not None:
            raise RuntimeError("a cell may enter its measured region only once")
        if self._on_enter is not None:
            self._on_enter()
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall_s = time.perf_counter() - self._start
        if self._on_exit is not None:
            self._on_exit()
        return False


def run_standalone(module, params):
    """Run one cell of ``module`` in this process (for tests and quick trials): metrics + wall_s."""
    regions = []

    def region():
        r = Region()
        regions.append(r)
        return r

    metrics = module.run_cell(dict(params), region)
    if len(regions) != 1 or regions[0].wall_s is None:
        raise RuntimeError("%s.run_cell must enter its measured region exactly once" % module.NAME)
    out = dict(metrics)
    out["wall_s"] = regions[0].wall_s
    return out


class SpecError(ValueError):
    """An experiment module that does not follow the contract (README: How to add an experiment)."""


PROFILE_NAMES = ("quick", "default", "full")
#: The wall-clock limit of a cell that is meant to hang, unless the module sets HANG_TIMEOUT_S.
HANG_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class ExperimentSpec:
    """An experiment module, checked once and held as data plus its hooks.

    Module attributes (README "How to add an experiment"): NAME, TITLE, PARAMS, METRICS, PROFILES
    and ``run_cell(params, region)`` are required; COMPARE and BASELINE (the comparison group and
    its baseline point; empty: no ratios), PARALLELISM (the parameter counting workers),
    ``capacity_bound(params)`` (cells whose speedup the machine's cores cap), ``cell_timeout_s(params)``
    (a per-cell wall-clock limit), ``calibrate()`` (measured once per interpreter at the run's start,
    inside it; its JSON-able result is recorded in environment.json and read by cells through
    ``calibration(module)``), HANGS (partial parameter points meant to hang), HANG_TIMEOUT_S and
    NOTES (facts for the report) are optional.
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


def load_spec(module: ModuleType, require_profiles: bool = True) -> ExperimentSpec:
    """Check an experiment module against the contract once and describe it; SpecError if it fails."""
    name = _required(module, "NAME", str, "the module's name as a string")
    if name != module.__name__.rsplit(".", 1)[-1]:
        raise SpecError(
            "experiment module %s: NAME is %r; it must be the module's name" % (module.__name__, name)
        )
    title = _required(module, "TITLE", str, "a short title")
    params = _required(module, "PARAMS", dict, "a dict of name -> Param(...)")
    for pname, param in params.items():
        if not isinstance(param, Param):
            raise SpecError("experiment module %s: PARAMS[%r] is not a Param" % (module.__name__, pname))
    metrics = _metrics(module, params)
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
    hangs = tuple(dict(h) for h in getattr(module, "HANGS", ()))
    _check_points(module, params, hangs, "HANGS")
    profiles = dict(getattr(module, "PROFILES", {}) or {})
    missing = [p for p in PROFILE_NAMES if not isinstance(profiles.get(p), Profile)]
    if require_profiles and missing:
        raise SpecError(
            "experiment module %s: PROFILES lacks a Profile for %s" % (module.__name__, missing[0])
        )
    run_cell = _optional_hook(module, "run_cell")
    if run_cell is None:
        raise SpecError("experiment module %s: run_cell(params, region) is missing" % module.__name__)
    doc = (module.__doc__ or "").strip().splitlines()
    info = ExperimentInfo(
        name=name,
        title=title,
        doc=doc[0] if doc else "",
        params={n: p.describe(n) for n, p in params.items()},
        metrics=metrics,
        compare=compare,
        baseline=baseline,
        parallelism=parallelism,
        hangs=hangs,
        notes=dict(getattr(module, "NOTES", {}) or {}),
    )
    return ExperimentSpec(
        module=module,
        info=info,
        params=dict(params),
        profiles=profiles,
        run_cell=run_cell,
        capacity_bound=_optional_hook(module, "capacity_bound"),
        cell_timeout=_optional_hook(module, "cell_timeout_s"),
        calibrate=_optional_hook(module, "calibrate"),
        hang_timeout_s=float(getattr(module, "HANG_TIMEOUT_S", HANG_TIMEOUT_S)),
    )
