"""Finds the experiments: every module of experiments/catalogue/, in the catalogue's ORDER, each
checked against the contract once; which ``run`` measures, which run on request, and the capacity
probe the harness runs itself."""

from __future__ import annotations

import functools
import importlib
import pkgutil

from experiments import catalogue
from experiments.spec import ExperimentSpec, load_spec


def names() -> tuple:
    """Every experiment module found, those in ``catalogue.ORDER`` first in that order, then the
    others alphabetically (a new experiment needs only its own file)."""
    found = {m.name for m in pkgutil.iter_modules(catalogue.__path__) if not m.ispkg}
    listed = [n for n in catalogue.ORDER if n in found]
    return tuple(listed + sorted(found - set(listed)))


@functools.cache
def spec(name: str) -> ExperimentSpec:
    """The checked spec of the experiment module ``name`` (SpecError if it breaks the contract)."""
    return load_spec(importlib.import_module("%s.%s" % (catalogue.__name__, name)))


def catalogue_names() -> tuple:
    """What ``run`` measures when no experiment is named: neither on request nor the harness's own."""
    return tuple(n for n in names() if not (spec(n).on_request or spec(n).run_by_harness))


def on_request() -> tuple:
    """Experiments measured only when asked for (``user_function``: with --workload)."""
    return tuple(n for n in names() if spec(n).on_request and not spec(n).run_by_harness)


def capacity_probe() -> ExperimentSpec:
    """The machine's capacity probe (RUN_BY_HARNESS), run by the harness at the start and end of
    every run and inside CPU-bound rounds."""
    found = [spec(n) for n in names() if spec(n).run_by_harness]
    if len(found) != 1:
        raise LookupError(
            "experiments/catalogue/ must hold exactly one RUN_BY_HARNESS experiment, found %d" % len(found)
        )
    return found[0]


def __getattr__(attribute: str) -> tuple:
    # CATALOGUE and ON_REQUEST as names, found on first use: importing the harness imports no experiment.
    if attribute == "CATALOGUE":
        return catalogue_names()
    if attribute == "ON_REQUEST":
        return on_request()
    raise AttributeError("module %r has no attribute %r" % (__name__, attribute))
