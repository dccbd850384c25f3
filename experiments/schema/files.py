"""The run folder's files: experiments.json (ExperimentInfo), environment.json (Environment), and
atomic writes, so a reader sees the old file or the whole new one.

Standard library only: imported inside the measured interpreter.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from experiments.schema.format import (
    DERIVED_COLUMNS,
    ENVIRONMENT_FILE,
    EXPERIMENTS_FILE,
    HEAD_COLUMNS,
    MEASURED_COLUMNS,
    SCHEMA_VERSION,
    VARIANT_COLUMN,
    SchemaError,
)
from experiments.schema.units import HARNESS_METRICS, Metric

#: Experiments written without rounds before ``interleaved_rounds`` was stored: bench/'s export.
_NEVER_INTERLEAVED = ("primitives",)
#: The harness's own probe of the machine before ``run_by_harness`` was stored.
_RUN_BY_HARNESS_BEFORE = ("capacity",)


@dataclass(frozen=True)
class ParamInfo:
    """One parameter as the run folder describes it."""

    name: str
    type: str  # int, float, str, bool
    unit: str | None = None
    help: str = ""
    choices: tuple | None = None
    minimum: float | None = None
    maximum: float | None = None
    allow_none: bool = False

    def to_dict(self) -> dict:
        out = {k: v for k, v in asdict(self).items() if k != "name"}
        out["choices"] = list(self.choices) if self.choices is not None else None
        return out

    @classmethod
    def from_dict(cls, name: str, data: dict) -> ParamInfo:
        choices = data.get("choices")
        return cls(
            name=name,
            type=str(data.get("type", "str")),
            unit=data.get("unit"),
            help=str(data.get("help", "")),
            choices=tuple(choices) if choices is not None else None,
            minimum=data.get("minimum"),
            maximum=data.get("maximum"),
            allow_none=bool(data.get("allow_none", False)),
        )


@dataclass(frozen=True)
class ExperimentInfo:
    """What a run folder says about one experiment: enough to read and title its CSV.

    ``hangs`` lists partial parameter points; a cell matching one of them is meant to hang (the
    deadlock lesson), so its timeout is stored as ``expected_timeout``. ``notes`` holds facts a
    report needs about the parameters (e.g. the unit of ``task_size`` per workload).
    ``interleaved_rounds``: the rows of repeat *r* were measured in round *r*, under every
    interpreter of one invocation in turn (the orchestrator's rounds), so two runs of one
    invocation pair up row by row; false for bench/'s micro-benchmarks, whose *r*-th pytest process
    under one interpreter ran minutes apart from that under another.
    ``variant_column``: the CSV carries ``variant`` after the head; false for folders written before
    variants existed, whose CSVs (and rows appended on --resume) keep their header.
    ``run_by_harness``: the harness runs it itself, at a run's start and end (the machine's capacity
    probe), not as a lesson.
    """

    name: str
    title: str
    doc: str = ""
    params: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    compare: tuple = ()
    baseline: dict = field(default_factory=dict)
    parallelism: str | None = None
    hangs: tuple = ()
    notes: dict = field(default_factory=dict)
    interleaved_rounds: bool = True
    variant_column: bool = True
    run_by_harness: bool = False

    def columns(self) -> list:
        """The CSV header: harness head, parameters, measurements, metrics, derived ratios."""
        return (
            list(HEAD_COLUMNS)
            + ([VARIANT_COLUMN] if self.variant_column else [])
            + list(self.params)
            + list(MEASURED_COLUMNS)
            + list(self.metrics)
            + list(DERIVED_COLUMNS)
        )

    def metric_info(self, name: str) -> Metric | None:
        """The declaration of a metric column of this experiment or of the harness."""
        return self.metrics.get(name) or HARNESS_METRICS.get(name)

    def expected_hang(self, params: dict) -> bool:
        return any(all(params.get(k) == v for k, v in point.items()) for point in self.hangs)

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "doc": self.doc,
            "params": {n: p.to_dict() for n, p in self.params.items()},
            "metrics": {n: m.to_dict() for n, m in self.metrics.items()},
            "compare": list(self.compare),
            "baseline": dict(self.baseline),
            "parallelism": self.parallelism,
            "hangs": [dict(h) for h in self.hangs],
            "notes": dict(self.notes),
            "interleaved_rounds": self.interleaved_rounds,
            "variant_column": self.variant_column,
            "run_by_harness": self.run_by_harness,
        }

    @classmethod
    def from_dict(cls, name: str, data: dict) -> ExperimentInfo:
        return cls(
            name=name,
            title=str(data.get("title") or name),
            doc=str(data.get("doc") or ""),
            params={n: ParamInfo.from_dict(n, p) for n, p in (data.get("params") or {}).items()},
            metrics={n: Metric.from_dict(n, m) for n, m in (data.get("metrics") or {}).items()},
            compare=tuple(data.get("compare") or ()),
            baseline=dict(data.get("baseline") or {}),
            parallelism=data.get("parallelism"),
            hangs=tuple(dict(h) for h in data.get("hangs") or ()),
            notes=dict(data.get("notes") or {}),
            interleaved_rounds=bool(data.get("interleaved_rounds", name not in _NEVER_INTERLEAVED)),
            variant_column=bool(data.get("variant_column", False)),
            run_by_harness=bool(data.get("run_by_harness", name in _RUN_BY_HARNESS_BEFORE)),
        )


def write_experiments(folder: Path, infos: list) -> None:
    """Write (or extend) a run folder's experiments.json with these experiments' descriptions."""
    path = Path(folder) / EXPERIMENTS_FILE
    known = read_experiments(folder) if path.exists() else {}
    for info in infos:
        known[info.name] = info
    doc = {
        "schema_version": SCHEMA_VERSION,
        "experiments": {name: known[name].to_dict() for name in sorted(known)},
    }
    # Not sorted: the order of parameters and metrics is the order of the CSV columns.
    write_atomically(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def read_experiments(folder: Path) -> dict:
    """{name: ExperimentInfo} from a run folder; a version-1 folder has none (see migrate_v1_info)."""
    path = Path(folder) / EXPERIMENTS_FILE
    data = _read_json(path)
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise SchemaError(
            "%s: schema_version %r; this gilbench reads versions 1 to %d" % (path, version, SCHEMA_VERSION)
        )
    try:
        return {n: ExperimentInfo.from_dict(n, d) for n, d in (data.get("experiments") or {}).items()}
    except (AttributeError, TypeError, SchemaError) as exc:
        raise SchemaError("%s: not a valid description of experiments (%s)" % (path, exc)) from None


# --- environment.json --------------------------------------------------------------------------


@dataclass
class Environment:
    """environment.json: who measured what, where and how, and how steady the machine stayed.

    ``interpreter`` and ``machine`` are flat dicts of self-explaining facts (pyperf-style
    metadata); ``config`` is the run's command-line configuration; ``capacity`` the machine's
    parallel capacity at start and end ({"start": {processes: ratio}, ...}); ``speed`` its
    single-process speed at start and end.
    """

    run_id: str
    created_utc: str
    interpreter: dict
    machine: dict
    config: dict = field(default_factory=dict)
    tool: dict = field(default_factory=dict)
    finished_utc: str | None = None
    capacity: dict = field(default_factory=lambda: {"start": None, "end": None, "moved_fraction": None})
    speed: dict = field(default_factory=dict)
    noisy: bool = False
    noisy_reasons: list = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION

    @property
    def label(self) -> str:
        """Interpreter @ machine: what a row of the report's scorecard stands for."""
        return "%s @ %s" % (self.interpreter.get("label"), self.machine.get("label"))

    def to_json(self) -> str:
        data = asdict(self)
        data["schema_version"] = SCHEMA_VERSION
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = ENVIRONMENT_FILE) -> Environment:
        """Parse, migrate an older version, and check the keys every reader relies on."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SchemaError(
                "%s: not valid JSON (%s at line %d column %d); the file is damaged or half-written"
                % (source, exc.msg, exc.lineno, exc.colno)
            ) from None
        if not isinstance(data, dict):
            raise SchemaError("%s: expected a JSON object, found %s" % (source, type(data).__name__))
        version = data.get("schema_version")
        if version == 1:
            data = dict(data, schema_version=SCHEMA_VERSION)  # v1 environment.json has the same keys
        elif version != SCHEMA_VERSION:
            raise SchemaError(
                "%s: schema_version %r; this gilbench reads versions 1 to %d"
                % (source, version, SCHEMA_VERSION)
            )
        for dotted in ("run_id", "created_utc", "interpreter.label", "machine.label"):
            node = data
            for key in dotted.split("."):
                node = node.get(key) if isinstance(node, dict) else None
            if node in (None, ""):
                raise SchemaError("%s: missing %r; this file was not written by gilbench" % (source, dotted))
        known = {f for f in cls.__dataclass_fields__}
        env = cls(**{k: v for k, v in data.items() if k in known})
        env.schema_version = version
        for name in ("interpreter", "machine", "config", "tool", "capacity", "speed"):
            if not isinstance(getattr(env, name), dict):
                raise SchemaError("%s: %r must be an object" % (source, name))
        return env

    @classmethod
    def read(cls, path: Path) -> Environment:
        path = Path(path)
        raw = _read_bytes(path)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SchemaError(
                "%s: not UTF-8 text (byte 0x%02x at offset %d); the file is damaged, re-run or remove the run"
                % (path, raw[exc.start], exc.start)
            ) from None
        return cls.from_json(text, str(path))

    def write(self, path: Path) -> None:
        write_atomically(path, self.to_json())


def _read_bytes(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise SchemaError("%s: cannot read (%s)" % (path, exc.strerror or exc)) from None


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(_read_bytes(path).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SchemaError(
            "%s: not valid JSON (%s); the file is damaged or half-written" % (path, exc)
        ) from None
    if not isinstance(data, dict):
        raise SchemaError("%s: expected a JSON object" % path)
    return data


def write_atomically(path: Path, text: str) -> None:
    """Write a file beside its final name, then rename: readers see the old file or the whole new one."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=str(path.parent), prefix="." + path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes files private; results are for everyone to read
        os.replace(tmp, str(path))
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
