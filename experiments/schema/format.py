"""The run folder's format in constants: its version, file names, CSV columns and statuses, and the
one-line error of a file that does not follow it.

Standard library only: imported inside the measured interpreter.
"""

from __future__ import annotations

import sys

#: Version of the run folder's format. 2: experiments.json, the expected_timeout status,
#: Environment written by one class. Version 1 folders are migrated when read.
SCHEMA_VERSION = 2
ENVIRONMENT_FILE = "environment.json"
EXPERIMENTS_FILE = "experiments.json"
#: The console's output of a run, in full (the console itself shows a progress bar and a summary).
LOG_FILE = "run.log"

#: Columns every experiment CSV starts with, before its parameters.
HEAD_COLUMNS = (
    "schema_version",
    "run_id",
    "experiment",
    "cell_id",
    "group_id",
    "repeat",
    "status",
    "error",
    "interpreter",
    "gil_enabled_start",
    "gil_enabled_end",
    "started_at_utc",
)
#: The version of the user's code a row measured (``--variant NAME=...``; empty without variants),
#: right after the head. CSVs written before variants existed lack it: see
#: ExperimentInfo.variant_column.
VARIANT_COLUMN = "variant"
#: The head columns a CSV cannot be read without.
REQUIRED_HEAD = ("schema_version", "run_id", "experiment", "cell_id", "repeat", "status")
#: Measurements the harness takes of every cell, after the parameters.
MEASURED_COLUMNS = (
    "wall_s",
    "cpu_user_s",
    "cpu_sys_s",
    "cpu_util_cores",
    "cpu_time_source",
    "peak_rss_mib",
    "ctx_voluntary",
    "ctx_involuntary",
    "process_wall_s",
)
#: Ratios the harness derives from the rounds of a comparison group, last.
RATIO_COLUMNS = ("speedup", "efficiency", "capacity_fraction")
#: What the harness records about the round a row belongs to: the machine's capacity measured in
#: that round (capacity-bound cells) and how far its group's rounds had got (see README, "How
#: gilbench measures"). Bookkeeping rather than results: a report need not summarise them per cell.
ROUND_COLUMNS = ("round_capacity", "capacity_above_cores", "group_rounds", "group_precision", "precision_met")
DERIVED_COLUMNS = RATIO_COLUMNS + ROUND_COLUMNS

#: How a repetition ended. ``expected_timeout``: a cell meant to hang (ExperimentInfo.hangs) was
#: ended by the harness's time limit, which is its result, not a failure. ``skipped``: the cell
#: cannot run on this interpreter or with this function (e.g. InterpreterPoolExecutor before 3.14, a
#: function that cannot be pickled for processes); ``error`` holds the reason. Not a failure either.
STATUSES = ("ok", "error", "timeout", "crashed", "expected_timeout", "skipped")
FAILED_STATUSES = ("error", "timeout", "crashed")


class SchemaError(ValueError):
    """A run-folder file that does not follow the format; the message is one line naming it."""


def gil_enabled() -> bool:
    """The value of ``gil_enabled_start`` / ``gil_enabled_end`` for this interpreter, now: True when
    the GIL is on (always, on builds that cannot turn it off)."""
    check = getattr(sys, "_is_gil_enabled", None)
    return True if check is None else bool(check())
