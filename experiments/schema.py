"""The run folder's format: the one interface between measuring, bench/ and the report.

A run folder holds ``environment.json`` (an :class:`Environment`), ``experiments.json`` (one
:class:`ExperimentInfo` per experiment: titles, parameters and metrics with units and physical
ranges, what hangs on purpose) and one CSV per experiment whose columns are
:meth:`ExperimentInfo.columns`.  Everything that reads or writes those files goes through this
module, so a folder copied from another machine is understood without the code that measured it.

Standard library only: imported inside the measured interpreter (CPython >= 3.9, GIL or
free-threaded) as well as by the harness and the report.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

#: Version of the run folder's format. 2: experiments.json, the expected_timeout status,
#: Environment written by one class. Version 1 folders are migrated when read.
SCHEMA_VERSION = 2
ENVIRONMENT_FILE = "environment.json"
EXPERIMENTS_FILE = "experiments.json"

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


# --- units ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """What a metric's number means, and the range a physical value of it can take."""

    symbol: str
    kind: str  # duration, rate, fraction, size, count, ratio, flag, cores, items, text
    minimum: float | None = 0.0
    maximum: float | None = None
    #: +1 when a larger value is better, -1 when smaller is, 0 when neither is clear.
    better: int = 0


UNITS = {
    "s": Unit("s", "duration", better=-1),
    "ms": Unit("ms", "duration", better=-1),
    "us": Unit("µs", "duration", better=-1),
    "ns": Unit("ns", "duration", better=-1),
    "hz": Unit("/s", "rate", better=+1),
    "mib_s": Unit("MiB/s", "rate", better=+1),
    "gib_s": Unit("GiB/s", "rate", better=+1),
    "fraction": Unit("", "fraction", 0.0, 1.0),
    "mib": Unit("MiB", "size", better=-1),
    "bytes": Unit("B", "size"),
    "count": Unit("", "count"),
    "items": Unit("items", "items"),
    "ratio": Unit("x", "ratio", better=+1),
    "flag": Unit("", "flag", 0.0, 1.0),
    "cores": Unit("cores", "cores"),
    "text": Unit("", "text", None, None),
}
#: Name endings that say a metric's unit, most specific first (``_ops_s`` is a rate, not seconds).
SUFFIX_UNITS = (
    ("_ns_per_iter", "ns"),
    ("_ops_s", "hz"),
    ("_tasks_s", "hz"),
    ("_per_s", "hz"),
    ("_mib_s", "mib_s"),
    ("_gib_s", "gib_s"),
    ("_hz", "hz"),
    ("_ns", "ns"),
    ("_us", "us"),
    ("_ms", "ms"),
    ("_s", "s"),
    ("_fraction", "fraction"),
    ("_mib", "mib"),
    ("_bytes", "bytes"),
    ("_cores", "cores"),
)


def unit_from_name(name: str) -> str | None:
    """The unit a metric or parameter name's ending declares (``latency_p99_us`` -> ``us``), or None."""
    for suffix, unit in SUFFIX_UNITS:
        if name.endswith(suffix):
            return unit
    return None


@dataclass(frozen=True)
class Metric:
    """One metric column: its unit, the range a physical value lies in, and which way is better.

    ``samples`` names the metric that counts the observations behind a quantile (p99 of 40
    samples is not p99 of 40 000), so the report can tell a tail it may judge from one it may not.
    """

    name: str
    unit: str
    minimum: float | None = None
    maximum: float | None = None
    better: int | None = None
    samples: str | None = None
    help: str = ""

    def __post_init__(self):
        if self.unit not in UNITS:
            raise SchemaError(
                "metric %s: unknown unit %r (known: %s)" % (self.name, self.unit, ", ".join(UNITS))
            )

    @property
    def low(self) -> float | None:
        return UNITS[self.unit].minimum if self.minimum is None else self.minimum

    @property
    def high(self) -> float | None:
        return UNITS[self.unit].maximum if self.maximum is None else self.maximum

    @property
    def direction(self) -> int:
        return UNITS[self.unit].better if self.better is None else self.better

    @property
    def symbol(self) -> str:
        return UNITS[self.unit].symbol

    @property
    def numeric(self) -> bool:
        return self.unit != "text"

    def problem(self, value) -> str | None:
        """Why ``value`` cannot be a measurement of this metric (None when it can)."""
        if not self.numeric or value is None:
            return None
        try:
            x = float(value)
        except (TypeError, ValueError):
            return "%r is not a number" % (value,)
        if math.isnan(x):
            return None  # missing, judged by the caller (a metric a cell does not report is empty)
        if math.isinf(x):
            return "%r is not finite" % (value,)
        if self.low is not None and x < self.low:
            return "%s is below %g, the least a %s can be" % (value, self.low, UNITS[self.unit].kind)
        if self.high is not None and x > self.high:
            return "%s is above %g, the most a %s can be" % (value, self.high, UNITS[self.unit].kind)
        return None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k != "name"}

    @classmethod
    def from_dict(cls, name: str, data: dict) -> Metric:
        known = {k: data[k] for k in ("unit", "minimum", "maximum", "better", "samples", "help") if k in data}
        return cls(name=name, **known)


def metric(name: str, unit: str | None = None, **details) -> Metric:
    """A Metric whose unit comes from its name's ending unless given."""
    unit = unit or unit_from_name(name)
    if unit is None:
        raise SchemaError(
            "metric %r has no unit: end its name with one (%s) or declare Metric(%r, unit=...)"
            % (name, ", ".join(s for s, _ in SUFFIX_UNITS[:8]), name)
        )
    return Metric(name, unit, **details)


#: The harness's own measurements and ratios, declared like an experiment's metrics.
HARNESS_METRICS = {
    m.name: m
    for m in (
        metric("wall_s"),
        metric("cpu_user_s"),
        metric("cpu_sys_s"),
        metric("cpu_util_cores"),
        # Where cpu_* came from: "cpuclock" (the kernel's exact per-process clocks) or "psutil" (ticks).
        metric("cpu_time_source", "text"),
        metric("peak_rss_mib"),
        metric("ctx_voluntary", "count", better=-1),
        metric("ctx_involuntary", "count", better=-1),
        metric("process_wall_s"),
        metric("speedup", "ratio"),
        metric("efficiency", "ratio"),
        # Speedup over the machine's capacity measured in the same round: above 1 is impossible
        # and gets flagged, but it is a measurement (of noise), not corrupt data.
        metric("capacity_fraction", "ratio"),
        Metric(
            "round_capacity",
            "ratio",
            better=0,
            help="the machine's parallel capacity at min(parallelism, cores) processes, measured in this "
            "row's round (capacity.csv, phase experiment:group); 1.0 at one worker; a probe above that "
            "process count only within its interval is read as the count",
        ),
        Metric(
            "capacity_above_cores",
            "flag",
            help="1: this round's capacity exceeded its process count (at most the usable cores) beyond "
            "its interval, a measurement error; round_capacity holds it, capacity_fraction is empty",
        ),
        Metric(
            "group_rounds", "count", help="rounds the row's comparison group had completed when it was stored"
        ),
        Metric(
            "group_precision",
            "fraction",
            maximum=math.inf,
            better=-1,
            help="half-width of the 95 % interval of the group's least precise ratio (median per-round "
            "speedup), relative to its median, over the rounds so far; empty: too few rounds",
        ),
        Metric("precision_met", "flag", better=+1, help="1: group_precision was within the run's target"),
    )
}


# --- experiments.json --------------------------------------------------------------------------


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

    def columns(self) -> list:
        """The CSV header: harness head, parameters, measurements, metrics, derived ratios."""
        return (
            list(HEAD_COLUMNS)
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


# --- files -------------------------------------------------------------------------------------


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


# --- version 1 ---------------------------------------------------------------------------------

#: What version 1 folders did not say about themselves: titles, units of metrics whose names do
#: not carry one, and the cells meant to hang (their timeouts were stored as plain ``timeout``).
_V1_TITLES = {
    "io_vs_cpu": "I/O-bound vs CPU-bound work across the GIL",
    "lock_contention": "Race conditions and the cost and fairness of Lock, RLock and Semaphore",
    "sync_objects": "Barrier, Semaphore, Event and daemon threads, measured",
    "deadlock": "Deadlock: opposite lock order and Lock re-entry, detected by timeout",
    "queue_bursts": "Bounded queues under bursts, against M/M/c/K",
    "timer_drift": "Timer lateness and periodic drift",
    "convoy": "The convoy effect: I/O latency beside CPU-bound threads",
    "process_overhead": "What processes cost: start methods, IPC, break-even task size",
    "capacity": "Parallel capacity of the machine",
    "primitives": "Micro-benchmarks of the primitives (pytest-benchmark)",
}
_V1_UNITS = {
    "count": (
        "tasks_done round_trips work_units lost_updates acquire_samples barrier_passes max_concurrency "
        "wake_samples acquire_attempts rounds iterations"
    ).split(),
    "flag": ["detected", "recovered", "completed"],
    "items": "queue_depth_p50 queue_depth_p99 queue_depth_mean predicted_mean_depth".split(),
    "ratio": "load_measured throughput_vs_ideal jain_fairness".split(),
    "text": ["default_start_method", "start_method_used"],
}
_V1_HANGS = {
    "deadlock": (
        {"scenario": "lock_order", "detection": "none"},
        {"scenario": "lock_reentry", "detection": "none"},
    )
}
_V1_COMPARE = {
    "io_vs_cpu": (("executor", "workers"), {"executor": "sequential", "workers": 1}, "workers"),
    "capacity": (("processes",), {"processes": 1}, "processes"),
}


#: Experiments written without rounds before ``interleaved_rounds`` was stored: bench/'s export.
_NEVER_INTERLEAVED = ("primitives",)


def migrate_v1_info(name: str, header: list, numeric: dict) -> ExperimentInfo:
    """Describe a version-1 CSV from its header: parameters sit between the head and ``wall_s``
    (or, without ``wall_s``, are its text columns); the rest are metrics, units from their names.
    ``numeric`` says, per column, whether its values are numbers."""
    rest = [c for c in header if c not in HEAD_COLUMNS]
    if "wall_s" in rest:
        params = rest[: rest.index("wall_s")]
    else:
        params = [c for c in rest if not numeric.get(c, False)]
    units = {m: u for u, names in _V1_UNITS.items() for m in names}
    metrics = {}
    for col in rest:
        if col in params or col in MEASURED_COLUMNS or col in DERIVED_COLUMNS:
            continue
        unit = units.get(col) or unit_from_name(col) or ("count" if numeric.get(col) else "text")
        metrics[col] = Metric(col, unit)
    compare, baseline, parallelism = _V1_COMPARE.get(name, ((), {}, None))
    return ExperimentInfo(
        name=name,
        title=_V1_TITLES.get(name, name),
        params={p: ParamInfo(p, "str" if not numeric.get(p) else "float", unit_from_name(p)) for p in params},
        metrics=metrics,
        compare=compare,
        baseline=baseline,
        parallelism=parallelism,
        hangs=_V1_HANGS.get(name, ()),
        interleaved_rounds=name not in _NEVER_INTERLEAVED,
    )


def migrate_status(status: str, version: int, info: ExperimentInfo, params: dict) -> str:
    """A row's status in this version's terms: version 1 stored an expected hang as ``timeout``."""
    if version == 1 and status == "timeout" and info.expected_hang(params):
        return "expected_timeout"
    return status
