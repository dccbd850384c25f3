"""Checks every row of a run folder's CSV against its declarations and physics before the report uses it.

One place decides what a row must be (report.analysis.load has kept the whole lines of the header's
width): numbers where the run folder declares numbers, a known status, each metric inside the range its
unit allows (no negative duration, no fraction above 1, nothing infinite), harness durations no longer
than the run that measured them, every always-measured column filled in an ``ok`` row, parameters
matching their declaration and the row's own ``cell_id``, and no (cell_id, repeat) twice. Each problem
is one line naming the file, the line and the fix; the caller refuses the folder or, when asked to be
lenient, leaves those rows out.
"""

from __future__ import annotations

import calendar
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.schema import STATUSES, Environment, ExperimentInfo, ParamInfo

#: Harness measurements an ``ok`` row always has (the worker's wall time; wait4's wall time, peak memory
#: and context switches; CPU times need the worker's marks, so they are not promised). A file whose
#: producer does not take them (bench/'s micro-benchmarks) leaves the column empty, not held to them.
ALWAYS_MEASURED = ("wall_s", "process_wall_s", "peak_rss_mib", "ctx_voluntary", "ctx_involuntary")
#: Harness durations bounded by the run's own span; CPU seconds also by the machine's logical cores.
WALL_DURATIONS = ("wall_s", "process_wall_s")
CPU_DURATIONS = ("cpu_user_s", "cpu_sys_s")
#: Slack on that span: timestamps are whole seconds and a wall clock may be stepped during a run.
SPAN_SLACK_S = 3600.0
#: No metric of any unit reaches this: far beyond anything measured (1e15 ns is 11 days, 1e15 Hz a
#: million GHz), and well below where squares and sums of such values overflow in the statistics.
CEILING = 1e15
#: More rounds than any run takes (a round starts a process per cell: a million would take days).
MAX_REPEAT = 10**6
#: Fix for a row that cannot be trusted.
FIX_ROW = "the file is damaged: correct or remove that line, or re-measure"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class Problem:
    """One row (or line) that cannot be trusted: where it is, what is wrong, what to do."""

    path: Path
    line: int
    what: str
    fix: str = FIX_ROW

    def __str__(self) -> str:
        return "%s:%d: %s; %s" % (self.path, self.line, self.what, self.fix)


@dataclass
class Table:
    """One CSV being checked: its frame, the file line of each row, and the rows found wanting."""

    path: Path
    df: pd.DataFrame
    lines: list
    problems: list
    bad: np.ndarray
    noted: set = field(default_factory=set)

    def flag(self, rows, column: str | None, what, fix: str = FIX_ROW) -> None:
        """Mark rows as bad. ``what`` is a text or a function of the row's position giving one; a
        (row, column) already found wanting is not reported twice (a text in ``repeat`` is not also
        a bad repetition number)."""
        for i in rows:
            i = int(i)
            if column is not None and (i, column) in self.noted:
                continue
            self.noted.add((i, column))
            self.bad[i] = True
            self.problems.append(Problem(self.path, self.lines[i], what(i) if callable(what) else what, fix))


def is_numeric(info: ExperimentInfo, column: str) -> bool:
    """Whether a column holds numbers, from its declaration (harness columns, metrics, parameters)."""
    if column in ("schema_version", "repeat"):
        return True
    declared = info.metric_info(column)
    if declared is not None:
        return declared.numeric
    param = info.params.get(column)
    return param is not None and param.type in ("int", "float")


def check_table(
    path: Path, df: pd.DataFrame, line_numbers: list, info: ExperimentInfo, version: int, env: Environment
) -> tuple:
    """(rows that can be trusted, problems) of one experiment's CSV, numeric columns as numbers;
    ``line_numbers`` gives each row's line in the file."""
    bad = np.zeros(len(df), dtype=bool)
    table = Table(Path(path), df.reset_index(drop=True), list(line_numbers), [], bad)
    _numbers(table, info)
    _head(table, info, version)
    _metrics(table, info, env)
    _always_measured(table)
    _params(table, info)
    _cell_ids(table, info)
    _duplicates(table)
    kept = table.df[~table.bad].reset_index(drop=True)
    for column in ["repeat"] + [p for p, d in info.params.items() if d.type == "int"]:
        if column in kept and kept[column].notna().all() and kept[column].dtype.kind == "f":
            kept[column] = kept[column].astype("int64")
    table.problems.sort(key=lambda p: p.line)
    return kept, table.problems


def _numbers(table: Table, info: ExperimentInfo) -> None:
    df = table.df
    for column in [c for c in df.columns if is_numeric(info, c)]:
        if pd.api.types.is_numeric_dtype(df[column]) and not pd.api.types.is_bool_dtype(df[column]):
            continue  # pandas read numbers only
        values = pd.to_numeric(df[column], errors="coerce")
        wrong = (values.isna() & df[column].notna()).to_numpy().nonzero()[0]
        table.flag(wrong, column, lambda i, c=column: "column %s holds %r, not a number" % (c, df[c].iloc[i]))
        df[column] = values


def _head(table: Table, info: ExperimentInfo, version: int) -> None:
    df, path = table.df, table.path
    # Plain lists and arrays: a table is checked on every load, and pandas' per-call cost adds up.
    versions = df["schema_version"].to_numpy(dtype=float, na_value=np.nan)
    table.flag(
        (versions != version).nonzero()[0],
        "schema_version",
        lambda i: (
            "schema_version %s, but its run folder is version %d; the row is from another gilbench "
            "version or damaged" % (_text(versions[i]), version)
        ),
    )
    if "experiment" in df:
        names = df["experiment"].tolist()
        wrong = [i for i, name in enumerate(names) if name != path.stem]
        table.flag(wrong, "experiment", lambda i: "experiment %r in %s" % (names[i], path.name))
    repeat = df["repeat"].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        wrong = ~(np.isfinite(repeat) & (repeat >= 0) & (repeat <= MAX_REPEAT) & (repeat == np.floor(repeat)))
    table.flag(
        wrong.nonzero()[0],
        "repeat",
        lambda i: "repeat %s is not a repetition number (0, 1, 2, ...)" % _text(repeat[i]),
    )
    statuses = df["status"].tolist()
    wrong = [i for i, status in enumerate(statuses) if status not in STATUSES]
    table.flag(
        wrong,
        "status",
        lambda i: "unknown status %r (expected one of %s)" % (statuses[i], ", ".join(STATUSES)),
    )
    if info.params:
        cells = df["cell_id"].tolist()
        empty = [i for i, cell in enumerate(cells) if not isinstance(cell, str) or not cell.strip()]
        table.flag(empty, "cell_id", "no cell_id")


def run_span(env: Environment) -> tuple:
    """(seconds the run lasted, what that span is): created to finished, or to now if unfinished."""
    try:
        start = calendar.timegm(time.strptime(str(env.created_utc), TIME_FORMAT))
    except ValueError:
        return None, ""
    end, until = time.time(), "now (it never finished)"
    if env.finished_utc:
        try:
            end, until = calendar.timegm(time.strptime(str(env.finished_utc), TIME_FORMAT)), env.finished_utc
        except ValueError:
            pass
    return max(0.0, end - start), "%s to %s" % (env.created_utc, until)


def _metrics(table: Table, info: ExperimentInfo, env: Environment) -> None:
    df = table.df
    span, between = run_span(env)
    cores = float(env.machine.get("logical_cores") or 1)
    for column in df.columns:
        declared = info.metric_info(column)
        if declared is None or not declared.numeric or column in info.params:
            continue
        x = df[column].to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            wrong = np.isinf(x)
            if declared.low is not None:
                wrong |= x < declared.low
            if declared.high is not None:
                wrong |= x > declared.high
        ruled = wrong.nonzero()[0]
        table.flag(
            ruled, column, lambda i, m=declared, c=column, x=x: "%s: %s" % (c, m.problem(_number(x[i])))
        )
        limit, why = CEILING, "beyond anything a run measures (above %g)" % CEILING
        if span is not None and column in WALL_DURATIONS + CPU_DURATIONS:
            per = cores if column in CPU_DURATIONS else 1.0
            limit = (span + SPAN_SLACK_S) * per
            why = "longer than the run that measured it (%s%s)" % (
                between,
                ", on %g cores" % cores if column in CPU_DURATIONS else "",
            )
        with np.errstate(invalid="ignore"):
            huge = (np.abs(x) > limit) & ~wrong
        table.flag(
            huge.nonzero()[0],
            column,
            lambda i, c=column, w=why, x=x: (
                "%s: %s is %s" % (c, (_text(x[i]) + " " + _unit(c, info)).strip(), w)
            ),
        )


def _unit(column: str, info: ExperimentInfo) -> str:
    declared = info.metric_info(column)
    return declared.symbol if declared is not None else ""


def _always_measured(table: Table) -> None:
    df = table.df
    ok = np.array([status == "ok" for status in df["status"].tolist()], dtype=bool)
    for column in ALWAYS_MEASURED:
        if column not in df:
            continue
        empty = np.isnan(df[column].to_numpy(dtype=float, na_value=np.nan))
        if empty.all():
            continue  # a producer that does not measure it (bench/'s primitives)
        table.flag(
            (ok & empty).nonzero()[0],
            column,
            "%s is empty in an ok row (the harness measures it for every cell that ends ok)" % column,
        )


def _params(table: Table, info: ExperimentInfo) -> None:
    df = table.df
    for name, declared in info.params.items():
        if name not in df:
            continue
        judged: dict = {}  # a parameter takes few values: judge each once
        for i, value in enumerate(df[name].tolist()):
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            key = (type(value), value)
            if key not in judged:
                judged[key] = param_problem(declared, value)
            if judged[key]:
                table.flag([i], name, "%s: %s" % (name, judged[key]))


def param_problem(declared: ParamInfo, value) -> str | None:
    """Why ``value`` cannot be this parameter (None when it can)."""
    if declared.type in ("int", "float"):
        x = float(value)
        if not math.isfinite(x):
            return "%s is not finite" % _text(x)
        if declared.type == "int" and x != int(x):
            return "%s is not a whole number" % _text(x)
        if declared.minimum is not None and x < declared.minimum:
            return "%s is below %s, its least value" % (_text(x), declared.minimum)
        if declared.maximum is not None and x > declared.maximum:
            return "%s is above %s, its largest value" % (_text(x), declared.maximum)
        value = x
    if declared.choices is not None and not any(_same(value, c) for c in declared.choices):
        return "%r is not one of %s" % (value, ", ".join(str(c) for c in declared.choices))
    return None


def _same(value, choice) -> bool:
    if isinstance(choice, bool) or isinstance(value, bool):
        return str(value) == str(choice)
    if isinstance(choice, (int, float)):
        try:
            return float(value) == float(choice)
        except (TypeError, ValueError):
            return False
    return str(value) == str(choice)


def _cell_ids(table: Table, info: ExperimentInfo) -> None:
    """A row's parameters are the ones its cell_id names (``workers=4,...``), when the file's cell ids
    name parameters at all (bench/'s name benchmarks instead)."""
    names = [n for n in info.params if n in table.df]
    if not names or len(names) != len(info.params):
        return
    df = table.df
    cells = df["cell_id"].astype(str).tolist()
    parsed = [_parse_cell(c, names) for c in cells]
    if not any(p is not None for p in parsed):
        return
    values = {name: df[name].tolist() for name in names}
    for i, point in enumerate(parsed):
        if point is None:
            if not table.bad[i]:
                table.flag([i], "cell_id", "cell_id %r does not name this experiment's parameters" % cells[i])
            continue
        for name in names:
            if not _matches(point[name], values[name][i], info.params[name]):
                table.flag(
                    [i],
                    name,
                    "cell_id says %s=%s but column %s holds %s"
                    % (name, point[name], name, _text(values[name][i])),
                )
                break


def _parse_cell(cell, names: list) -> dict | None:
    """``name=value,...`` in declared order -> {name: value text}, or None. Each value runs up to the
    next declared ``,name=``, so a value may itself hold commas or equals signs (a capacity probe's
    phase names its group: ``phase=io_vs_cpu:workload=cpu_python,tasks=4,...,processes=2``)."""
    if not isinstance(cell, str):
        return None
    point, rest = {}, cell
    for i, name in enumerate(names):
        if not rest.startswith(name + "="):
            return None
        rest = rest[len(name) + 1 :]
        if i + 1 == len(names):
            point[name] = rest
            break
        end = rest.find(",%s=" % names[i + 1])
        if end < 0:
            return None
        point[name], rest = rest[:end], rest[end + 1 :]
    return point


def _matches(text: str, value, declared: ParamInfo) -> bool:
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    if text == "none" and (missing or str(value) == "none"):
        return True  # None is written "none"; a text parameter may also be the word itself
    if missing:
        return False
    if declared.type in ("int", "float"):
        try:
            return float(text) == float(value)
        except (TypeError, ValueError):
            return False
    return str(value) == text


def _duplicates(table: Table) -> None:
    """One row per (cell_id, repeat): a copy of a line is left out; copies that differ are all left out
    (which of them is right cannot be told)."""
    df = table.df
    keys = list(zip(df["cell_id"].tolist(), df["repeat"].tolist()))
    seen: dict = {}
    for pos in np.flatnonzero(~table.bad):
        seen.setdefault(keys[pos], []).append(int(pos))
    for (cell, rep), positions in seen.items():
        if len(positions) < 2:
            continue
        original = table.lines[positions[0]]
        rep = _text(rep)
        if len(df.iloc[positions].drop_duplicates()) == 1:
            what = "repeats line %d (cell %s, repeat %s)" % (original, cell, rep)
            table.flag(positions[1:], None, what, "remove the repeated line")
            continue
        lines = ", ".join(str(table.lines[p]) for p in positions)
        what = "cell %s, repeat %s is on lines %s with different values" % (cell, rep, lines)
        table.flag(positions, None, what, "keep the line that is right and remove the others")


def _number(x: float):
    """3 for 3.0 (a count read back from CSV), the float otherwise."""
    x = float(x)
    return int(x) if math.isfinite(x) and x == int(x) and abs(x) < CEILING else x


def _text(value) -> str:
    """A number as a reader wants it: 3 not 3.0, 1e+308 not a 309-digit string."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return repr(value)
    if math.isnan(x):
        return "empty"
    if math.isfinite(x) and x == int(x) and abs(x) < CEILING:
        return "%d" % x
    return "%g" % x
