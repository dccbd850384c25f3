"""The run folder's format: the one interface between measuring, bench/ and the report.

A run folder holds ``environment.json`` (an :class:`Environment`), ``experiments.json`` (one
:class:`ExperimentInfo` per experiment: titles, parameters and metrics with units and physical
ranges, what hangs on purpose) and one CSV per experiment whose columns are
:meth:`ExperimentInfo.columns`.  Everything that reads or writes those files goes through this
package, so a folder copied from another machine is understood without the code that measured it.
Import from here (``from experiments.schema import Environment``); inside, ``format`` holds the
version, file names, columns and statuses (and ``gil_enabled()``, the value of the GIL columns),
``units`` the units and metric declarations, ``files`` experiments.json, environment.json and atomic
writes, ``version1`` the reading of older folders, and ``command_line`` what every command shares (a
bad argument is one line and exit 2).

Standard library only: imported inside the measured interpreter (CPython >= 3.9, GIL or
free-threaded) as well as by the harness and the report.
"""

from __future__ import annotations

from experiments.schema.files import (
    Environment,
    ExperimentInfo,
    ParamInfo,
    read_experiments,
    write_atomically,
    write_experiments,
)
from experiments.schema.format import (
    DERIVED_COLUMNS,
    ENVIRONMENT_FILE,
    EXPERIMENTS_FILE,
    FAILED_STATUSES,
    HEAD_COLUMNS,
    LOG_FILE,
    MEASURED_COLUMNS,
    RATIO_COLUMNS,
    REQUIRED_HEAD,
    ROUND_COLUMNS,
    SCHEMA_VERSION,
    STATUSES,
    VARIANT_COLUMN,
    SchemaError,
    gil_enabled,
)
from experiments.schema.units import (
    HARNESS_METRICS,
    SUFFIX_UNITS,
    UNITS,
    Metric,
    Unit,
    metric,
    unit_from_name,
)
from experiments.schema.version1 import migrate_status, migrate_v1_info

__all__ = [
    "LOG_FILE",
    "gil_enabled",
    "DERIVED_COLUMNS",
    "ENVIRONMENT_FILE",
    "EXPERIMENTS_FILE",
    "Environment",
    "ExperimentInfo",
    "FAILED_STATUSES",
    "HARNESS_METRICS",
    "HEAD_COLUMNS",
    "MEASURED_COLUMNS",
    "Metric",
    "ParamInfo",
    "RATIO_COLUMNS",
    "REQUIRED_HEAD",
    "ROUND_COLUMNS",
    "SCHEMA_VERSION",
    "STATUSES",
    "SUFFIX_UNITS",
    "SchemaError",
    "UNITS",
    "VARIANT_COLUMN",
    "Unit",
    "metric",
    "migrate_status",
    "migrate_v1_info",
    "read_experiments",
    "unit_from_name",
    "write_atomically",
    "write_experiments",
    "OneLineParser",
    "UsageError",
    "as_typed",
]

#: What every command line shares (``command_line``), loaded on first use: argparse stays out of the
#: measured interpreter's workers, which import this package too.
_COMMAND_LINE = ("OneLineParser", "UsageError", "as_typed")


def __getattr__(name: str):
    if name in _COMMAND_LINE:
        from experiments.schema import command_line

        return getattr(command_line, name)
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
