"""What a running cell meets: its measured region, the exception that skips it, the run's calibration,
and ``run_standalone`` to run one cell in this process.

Standard library only: imported inside the measured interpreter (by the worker and every experiment).
"""

from __future__ import annotations

import json
import os
import time
from types import ModuleType

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


class CellSkipped(Exception):
    """Raised by ``run_cell`` before its region when the cell cannot run here (an executor this
    interpreter lacks, a function that cannot be pickled): the row's status is ``skipped`` and its
    ``error`` is this exception's message, the reason."""


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
        raise RuntimeError("%s.run_cell must enter its measured region exactly once" % module.__name__)
    out = dict(metrics)
    out["wall_s"] = regions[0].wall_s
    return out
