"""Loads run folders (any machine, any interpreter) into pandas, checking every file on the way."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

import pandas as pd

from experiments.schema import (
    ENVIRONMENT_FILE,
    EXPERIMENTS_FILE,
    HEAD_COLUMNS,
    REQUIRED_HEAD,
    SCHEMA_VERSION,
    VARIANT_COLUMN,
    Environment,
    ExperimentInfo,
    SchemaError,
    migrate_status,
    migrate_v1_info,
    read_experiments,
)
from report.analysis import validate
from report.analysis.run_folder import ResultsError, Run
from report.analysis.validate import Problem

#: Columns added to every row from the run's environment.json.
ENVIRONMENT_COLUMNS = (
    "machine",
    "env_label",
    "gil",
    "free_threaded_build",
    "usable_cores",
    "run_created_utc",
)
# Text that stands for a missing value; "none" (lower case) stays a value, e.g. a primitive called none.
_MISSING = ["", "nan", "NaN", "None", "null"]


class DataProblems(ResultsError):
    """Rows that cannot be trusted (analysis.validate), one line each; the message is a one-line summary."""

    def __init__(self, problems: list):
        self.problems = list(problems)
        first = str(self.problems[0])
        if len(self.problems) == 1:
            super().__init__(first)
        else:
            super().__init__("%d rows cannot be trusted, the first: %s" % (len(self.problems), first))


@dataclass(frozen=True)
class UnreadableRun:
    """A run folder left out whole (load_results(lenient=True)): a file in it cannot be read."""

    folder: Path
    #: The ResultsError's one line, naming the file and what is wrong with it.
    reason: str

    def __str__(self) -> str:
        return "the whole run folder, as %s" % self.reason  # the reason names the file, folder and all


@dataclass
class Results:
    """Every run loaded, oldest first, with each experiment's rows joined to their environment."""

    runs: list
    warnings: list = field(default_factory=list)
    frames: dict = field(default_factory=dict)
    #: Rows left out because they cannot be trusted (load_results(lenient=True)), as validate.Problem.
    problems: list = field(default_factory=list)
    #: Run folders left out because a file in them cannot be read (lenient), as UnreadableRun.
    unreadable: list = field(default_factory=list)

    def run(self, run_id: str) -> Run:
        for r in self.runs:
            if r.run_id == run_id:
                return r
        raise ResultsError(
            "no run %r among those loaded (%s)" % (run_id, ", ".join(r.run_id for r in self.runs) or "none")
        )

    def experiments(self) -> list:
        """Experiment names in the order the runs were configured to measure them (the catalogue's
        order), then any others alphabetically, what the harness runs itself (experiments.json's
        ``run_by_harness``: the machine's probe, which environment.json summarises) last."""
        order: list = []
        for r in self.runs:
            for name in r.env.config.get("experiments") or []:
                if name not in order:
                    order.append(name)
        names = {name for r in self.runs for name in r.tables}
        return sorted(
            names,
            key=lambda n: (self.info(n).run_by_harness, order.index(n) if n in order else len(order), n),
        )

    def frame(self, name: str) -> pd.DataFrame:
        return self.frames.get(name, pd.DataFrame())

    def info(self, name: str) -> ExperimentInfo:
        """How the newest run that measured ``name`` describes it (title, parameters, metrics)."""
        for r in reversed(self.runs):
            if name in r.experiments:
                return r.experiments[name]
        return ExperimentInfo(name=name, title=name)

    def param_columns(self, name: str) -> list:
        """The experiment's parameter columns, in the order its CSVs declare them."""
        cols = []
        for r in self.runs:
            for c in r.params.get(name, ()):
                if c not in cols:
                    cols.append(c)
        return cols

    def metric_columns(self, name: str) -> list:
        """Numeric columns that are measurements or metrics (not head or parameter columns)."""
        df = self.frame(name)
        skip = set(HEAD_COLUMNS) | {VARIANT_COLUMN} | set(self.param_columns(name)) | set(ENVIRONMENT_COLUMNS)
        return [c for c in df.columns if c not in skip and pd.api.types.is_numeric_dtype(df[c])]


PathLike = Union[str, Path]


def load_results(
    paths: PathLike | Iterable[PathLike], results_dir: PathLike | None = None, lenient: bool = False
) -> Results:
    """Load run folders: a results folder (every run in it), run folders, or run ids in ``results_dir``.

    Raises ResultsError (one line naming the file) for a file that cannot be read, and DataProblems
    (every row that cannot be trusted, one line each, see report.analysis.validate) unless ``lenient``, which
    leaves those rows out and lists them in ``Results.problems``, and leaves out a run folder with a file
    it cannot read (a corrupt environment.json, say), listed in ``Results.unreadable``: one damaged run
    does not hide the others. A torn last CSV line (a run killed mid-write) is skipped with a warning.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    warnings: list = []
    problems: list = []
    folders = _find_run_folders(
        [Path(p) for p in paths], Path(results_dir) if results_dir else None, warnings
    )
    runs = []
    unreadable = []
    seen: dict = {}
    for folder in folders:
        found: list = []
        try:
            run = read_run(folder, warnings, found)
        except ResultsError as exc:
            if not lenient:
                raise
            unreadable.append(UnreadableRun(folder, str(exc)))
            continue
        problems.extend(found)
        if run.run_id in seen:
            if seen[run.run_id].resolve() == folder.resolve():
                continue
            raise ResultsError(
                "%s and %s both hold run %r; keep one of them" % (seen[run.run_id], folder, run.run_id)
            )
        seen[run.run_id] = folder
        runs.append(run)
    if unreadable and not runs:  # nothing left to render: the first file at fault, in one line
        raise ResultsError(unreadable[0].reason)
    if problems and not lenient:
        raise DataProblems(problems)
    runs.sort(key=lambda r: (r.created, r.run_id))
    return Results(runs=runs, warnings=warnings, frames=_join(runs), problems=problems, unreadable=unreadable)


def _find_run_folders(paths: list, results_dir: Path | None, warnings: list) -> list:
    folders = []
    for p in paths:
        if not p.exists() and results_dir is not None and (results_dir / p).exists():
            p = results_dir / p
        if not p.exists():
            where = " in %s" % results_dir if results_dir is not None else ""
            known = _run_names(results_dir) if results_dir is not None else []
            hint = " (runs there: %s)" % ", ".join(known[-5:]) if known else ""
            raise ResultsError("no run folder %s%s%s" % (p, where, hint))
        if (p / ENVIRONMENT_FILE).is_file():
            folders.append(p)
        elif p.is_dir():
            for child in sorted(p.iterdir()):
                if not child.is_dir() or child.name.startswith("."):
                    continue
                if (child / ENVIRONMENT_FILE).is_file():
                    folders.append(child)
                elif any(child.glob("*.csv")):
                    warnings.append("%s: has CSV files but no environment.json; skipped" % child)
        else:
            raise ResultsError("%s is not a run folder (no environment.json) nor a folder of runs" % p)
    return folders


def _run_names(results_dir: Path) -> list:
    if not results_dir.is_dir():
        return []
    return sorted(c.name for c in results_dir.iterdir() if (c / ENVIRONMENT_FILE).is_file())


def read_run(folder: Path, warnings: list, problems: list) -> Run:
    """One run folder: environment.json, experiments.json and every CSV in it; rows that cannot be
    trusted are left out and added to ``problems``."""
    env = read_environment(folder / ENVIRONMENT_FILE)
    described = _read_descriptions(folder, env)
    run = Run(run_id=str(env.run_id), path=folder, env=env)
    for path in sorted(folder.glob("*.csv")):
        table = read_table(path, warnings, described.get(path.stem), env, problems)
        if table is None:
            continue
        run.tables[path.stem], run.experiments[path.stem] = table
    return run


def read_environment(path: Path) -> Environment:
    """environment.json through the schema (migrated from older versions), errors as one line."""
    try:
        return Environment.read(path)
    except SchemaError as exc:
        raise ResultsError(str(exc)) from None


def _read_descriptions(folder: Path, env: Environment) -> dict:
    if not (folder / EXPERIMENTS_FILE).exists():
        if env.schema_version == SCHEMA_VERSION:
            raise ResultsError(
                "%s: missing; this run folder is incomplete, re-run or remove it"
                % (folder / EXPERIMENTS_FILE)
            )
        return {}  # version 1 wrote none: each CSV is described from its header (read_table)
    try:
        return read_experiments(folder)
    except SchemaError as exc:
        raise ResultsError(str(exc)) from None


def read_table(
    path: Path, warnings: list, info: ExperimentInfo | None, env: Environment, problems: list
) -> tuple | None:
    """One experiment CSV as (DataFrame, ExperimentInfo), or None for an empty file.

    A last line without its newline was being written when the run stopped: it is dropped with a
    warning. A file that cannot be read raises ResultsError naming it; rows that cannot be trusted
    are left out and added to ``problems`` (see report.analysis.validate).
    """
    version = env.schema_version
    lines = _csv_lines(path, warnings)
    if lines is None:
        return None
    header = _header(path, lines)
    missing = [c for c in REQUIRED_HEAD if c not in header]
    if info is not None:
        missing += [c for c in info.columns() if c not in header and c not in missing]
    if missing:
        raise ResultsError(
            "%s: missing column%s %s; this file was not written by this gilbench version"
            % (path, "s" if len(missing) > 1 else "", ", ".join(missing))
        )
    rows = split_rows(path, header, lines, problems)
    text = lines[0] + "".join(line for _, line in rows)
    df = pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=_MISSING, low_memory=False)
    if info is None:
        numeric = {c: pd.api.types.is_numeric_dtype(df[c]) for c in df.columns}
        info = migrate_v1_info(path.stem, header, numeric)
        if version == SCHEMA_VERSION:
            warnings.append(
                "%s: not described in %s; columns read from its header" % (path, EXPERIMENTS_FILE)
            )
    if version != SCHEMA_VERSION:
        _migrate_statuses(df, info, version)
    df, found = validate.check_table(path, df, [n for n, _ in rows], info, version, env)
    problems.extend(found)
    if rows and df.empty:
        warnings.append("%s: no row can be trusted; skipped" % path)
        return None
    if "error" in df:
        df["error"] = df["error"].astype(object).where(df["error"].notna(), "").astype(str)
    return df, info


def _csv_lines(path: Path, warnings: list) -> list | None:
    """The file's complete lines, checked for damage; a torn last line is dropped with a warning."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ResultsError("%s: cannot read (%s)" % (path, exc.strerror or exc)) from None
    if not raw.strip():
        warnings.append("%s: empty file; skipped" % path)
        return None
    if b"\x00" in raw:
        raise ResultsError(
            "%s: contains NUL bytes (offset %d); the file is damaged, re-run or remove it"
            % (path, raw.index(b"\x00"))
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ResultsError(
            "%s:%d: not UTF-8 text (byte 0x%02x); the file is damaged, re-run or remove it"
            % (path, line, raw[exc.start])
        ) from None
    # Lines end at "\n" only (the store writes "\r\n"): a stray "\r" or "\x85" inside a field does
    # not split a row.
    lines = [line + "\n" for line in text.split("\n")]
    torn = lines.pop()[:-1]  # "" when the file ends with its newline
    if torn:
        if not lines:
            warnings.append("%s: only a half-written header; skipped" % path)
            return None
        warnings.append(
            "%s:%d: half-written last line (the run stopped while writing it); skipped"
            % (path, len(lines) + 1)
        )
    return lines


def split_rows(path: Path, header: list, lines: list, problems: list) -> list:
    """[(line number, line text)] of the rows (after the header) that parse to the header's width.

    A row is one line (the store never writes a line break inside a field), so a cut or damaged
    line is judged alone and cannot swallow the lines after it.
    """
    rows = []
    for number, text in enumerate(lines[1:], start=2):
        try:
            fields = next(csv.reader([text]), [])
        except csv.Error as exc:
            problems.append(Problem(path, number, "not valid CSV (%s)" % exc))
            continue
        if not fields:
            problems.append(Problem(path, number, "an empty line", "remove that line"))
        elif len(fields) != len(header):
            problems.append(
                Problem(path, number, "%d fields where the header has %d" % (len(fields), len(header)))
            )
        else:
            rows.append((number, text))
    return rows


def _migrate_statuses(df: pd.DataFrame, info: ExperimentInfo, version: int) -> None:
    """Statuses in this version's terms (version 1 stored an expected hang's timeout as ``timeout``)."""
    params = [p for p in info.params if p in df]
    records = df[params].to_dict("records") if params else [{}] * len(df)
    df["status"] = [migrate_status(str(s), version, info, rec) for s, rec in zip(df["status"], records)]


def _header(path: Path, lines: list) -> list:
    try:
        return next(csv.reader([lines[0]]))
    except csv.Error as exc:
        raise ResultsError("%s:1: not a valid CSV header (%s); the file is damaged" % (path, exc)) from None


def _join(runs: list) -> dict:
    """{experiment: rows of every run, each with its run's environment columns}."""
    parts: dict = {}
    for run in runs:
        for name, df in run.tables.items():
            df = df.copy()
            df["run_id"] = run.run_id  # the folder's identity wins over a stale column
            if "interpreter" not in df or df["interpreter"].isna().all():
                df["interpreter"] = run.interpreter_label
            if VARIANT_COLUMN not in df or df[VARIANT_COLUMN].isna().all():
                df[VARIANT_COLUMN] = run.variant  # text, also in folders written before variants
            df["machine"] = run.machine_label
            df["env_label"] = run.env_label
            df["gil"] = run.gil
            df["free_threaded_build"] = bool(run.interpreter.get("free_threaded_build"))
            df["usable_cores"] = run.cores
            df["run_created_utc"] = run.created
            parts.setdefault(name, []).append(df)
    return {name: pd.concat(dfs, ignore_index=True, sort=False) for name, dfs in parts.items()}
