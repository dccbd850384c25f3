"""The contract between an experiment module and the harness (README "How to add an experiment").

An experiment declares its parameters (``params.Param``), its profiles (``profiles.Profile``: a grid
and rounds; ``default`` required, ``quick`` and ``full`` falling back to it) and one function that
runs a cell inside a measured region (``cell.Region``); ``experiment.load_spec`` checks the module
once and describes it for the run folder (``experiments.schema.ExperimentInfo``). Import what an
experiment needs from here: ``from experiments.spec import Metric, Param, Profile``.

Standard library only: imported inside the measured interpreter.
"""

from __future__ import annotations

from experiments.schema import Metric
from experiments.spec.cell import CALIBRATION_ENV, CellSkipped, Region, calibration, run_standalone
from experiments.spec.experiment import HANG_TIMEOUT_S, ExperimentSpec, SpecError, experiment_name, load_spec
from experiments.spec.params import Param, ParamError
from experiments.spec.profiles import (
    INTERVAL_ROUNDS,
    MIN_ROUNDS,
    PRECISION,
    PROFILE_NAMES,
    QUICK_ROUNDS,
    Profile,
    resolve_profiles,
)

__all__ = [
    "CALIBRATION_ENV",
    "HANG_TIMEOUT_S",
    "INTERVAL_ROUNDS",
    "MIN_ROUNDS",
    "PRECISION",
    "PROFILE_NAMES",
    "QUICK_ROUNDS",
    "CellSkipped",
    "ExperimentSpec",
    "Metric",
    "Param",
    "ParamError",
    "Profile",
    "Region",
    "SpecError",
    "calibration",
    "experiment_name",
    "load_spec",
    "resolve_profiles",
    "run_standalone",
]
