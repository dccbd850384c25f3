"""The contract between an experiment module and the harness: parameters, profiles, regions.

Standard library only: this module is imported inside the measured interpreter.
"""

from __future__ import annotations

import itertools
import time


class ParamError(ValueError):
    """A parameter value that an experiment cannot take."""


class Param:
    """One parameter of an experiment: its type, its allowed range and what it means."""

    def __init__(self, kind, help="", minimum=None, maximum=None, choices=None, allow_none=False):
        self.kind = kind
        self.help = help
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
                "parameter %s=%r is not a %s%s" % (name, text, self.kind.__name__, self._range_text())
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
                "parameter %s=%r must be a %s%s" % (name, value, self.kind.__name__, self._range_text())
            )
        bad = (
            (self.choices is not None and value not in self.choices)
            or (self.minimum is not None and value < self.minimum)
            or (self.maximum is not None and value > self.maximum)
        )
        if bad:
            raise ParamError("parameter %s=%r is out of range%s" % (name, value, self._range_text()))
        return value

    def _range_text(self):
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


class Profile:
    """How much of an experiment's grid a profile runs, and how often.

    ``grid`` is a list of dicts mapping parameter names to lists of values; each dict
    is expanded as a Cartesian product and the union of all of them is the profile's
    set of cells.  ``repeat`` is the number of interleaved rounds, ``timeout_s`` the
    wall-clock limit of one cell's worker process.
    """

    def __init__(self, grid, repeat=5, timeout_s=60.0):
        self.grid = grid
        self.repeat = repeat
        self.timeout_s = timeout_s

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
