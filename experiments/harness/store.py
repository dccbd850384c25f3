"""The results store: one folder per run, CSV appended round by round, environment.json atomically."""

from __future__ import annotations

import csv
import io
import os
import re
import socket
import sys
import time
from pathlib import Path

from experiments.schema import (
    ENVIRONMENT_FILE,
    VARIANT_COLUMN,
    Environment,
    ExperimentInfo,
    SchemaError,
    write_experiments,
)


class StoreError(Exception):
    """A results folder or file that cannot be used as asked.

    ``problem`` is what went wrong without the advice on what to do, for a caller that knows better
    (a run that fails mid-way is finished with --resume, not restarted elsewhere)."""

    def __init__(self, message: str, problem: str | None = None):
        super().__init__(message)
        self.problem = problem or message


def new_run_id(label: str, interpreter_label: str) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return "%s-%s-%s" % (stamp, _safe(label), _safe(interpreter_label))


def _safe(text: str) -> str:
    """A label as a folder-name part: letters of any script, digits and ``_.+-`` kept, the rest ``_``."""
    return re.sub(r"[^\w.+-]+", "_", text).strip("_")[:60] or "x"


def default_machine_label() -> str:
    return socket.gethostname().split(".")[0] or "machine"


class RunFolder:
    """One run's folder in the store."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.run_id = self.path.name

    @classmethod
    def create(cls, results: Path, run_id: str) -> RunFolder:
        """Make a new, empty run folder; never reuse one (a suffix is added on a name clash)."""
        results = Path(results)
        try:
            results.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                "cannot create results folder %s: %s; choose another with --results DIR"
                % (results, exc.strerror or exc)
            ) from None
        for attempt in range(100):
            name = run_id if attempt == 0 else "%s-%d" % (run_id, attempt + 1)
            try:
                (results / name).mkdir()
            except FileExistsError:
                continue
            except OSError as exc:
                raise StoreError(
                    "cannot write to results folder %s: %s; choose another with --results DIR"
                    % (results, exc.strerror or exc)
                ) from None
            folder = cls(results / name)
            folder._check_writable()
            return folder
        raise StoreError("could not find a free run folder name under %s" % results)

    @classmethod
    def open(cls, results: Path, run_id: str) -> RunFolder:
        """An existing run folder, for --resume."""
        path = Path(run_id) if os.sep in run_id else Path(results) / run_id
        if not (path / ENVIRONMENT_FILE).is_file():
            raise StoreError("no run %r: %s has no %s" % (run_id, path, ENVIRONMENT_FILE))
        folder = cls(path)
        folder._check_writable()
        return folder

    def _check_writable(self) -> None:
        probe = self.path / ".write-test"
        try:
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise StoreError(
                "cannot write to %s: %s; choose another folder with --results DIR" % (self.path, exc.strerror)
            ) from None

    def read_environment(self) -> Environment:
        try:
            return Environment.read(self.path / ENVIRONMENT_FILE)
        except SchemaError as exc:
            raise StoreError("%s; the run cannot be resumed" % exc) from None

    def write_environment(self, env: Environment) -> None:
        path = self.path / ENVIRONMENT_FILE
        try:
            env.write(path)
        except OSError as exc:
            raise _write_error(path, exc) from None

    def write_experiments(self, infos: list) -> None:
        """Describe the run's experiments in experiments.json, so the folder explains itself."""
        try:
            write_experiments(self.path, infos)
        except OSError as exc:
            raise _write_error(self.path / "experiments.json", exc) from None

    def csv_path(self, experiment: str) -> Path:
        return self.path / ("%s.csv" % experiment)

    def append_rows(self, info: ExperimentInfo, rows: list) -> None:
        """Append one round's rows and fsync them; a failed write is rolled back, never left half done."""
        path = self.csv_path(info.name)
        columns = info.columns()
        new = not path.exists() or path.stat().st_size == 0
        if not new and VARIANT_COLUMN in columns and not _has_column(path, VARIANT_COLUMN):
            # A folder from before variants, resumed: its rows keep its header.
            columns.remove(VARIANT_COLUMN)
            rows = [{k: v for k, v in row.items() if k != VARIANT_COLUMN} for row in rows]
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=columns, extrasaction="raise")
        if new:
            writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell_text(v) for k, v in row.items()})
        size_before = 0
        try:
            if not new:
                _drop_torn_tail(path)
                size_before = path.stat().st_size
            data = text.getvalue().encode("utf-8")
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            except OSError:
                os.ftruncate(fd, size_before)
                raise
            finally:
                os.close(fd)
        except OSError as exc:
            if new and path.exists() and path.stat().st_size == 0:
                path.unlink()
            raise _write_error(path, exc) from None

    def rows(self, experiment: str) -> list:
        """The experiment's stored rows as dicts of text; a torn last line is not a row."""
        path = self.csv_path(experiment)
        if not path.exists():
            return []
        with open(path, newline="", errors="replace") as f:
            text = f.read()
        lines = text.splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            lines = lines[:-1]  # a torn last line: that row is not done
        return list(csv.DictReader(lines))


def _write_error(path: Path, exc: OSError) -> StoreError:
    problem = "cannot write %s: %s" % (path, exc.strerror or exc)
    return StoreError("%s; free some space or choose another folder with --results DIR" % problem, problem)


def _has_column(path: Path, column: str) -> bool:
    with open(path, newline="", encoding="utf-8") as f:
        return column in next(csv.reader([f.readline()]), [])


def _drop_torn_tail(path: Path) -> None:
    """Cut a row that a killed run left half-written, so that new rows start on their own line."""
    with open(path, "rb+") as f:
        data = f.read()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            f.truncate(keep)
            print(
                "gilbench: warning: %s: dropped a half-written last line (line %d)"
                % (path, data[:keep].count(b"\n") + 1),
                file=sys.stderr,
            )


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(round(value, 9))
    return value
