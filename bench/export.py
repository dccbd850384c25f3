"""Converts pytest-benchmark's JSON into the store's ``<run-dir>/primitives.csv`` (harness columns first).

Usage: python -m bench.export --json results/<run_id>/primitives-0.json [--json .../primitives-1.json ...]
                              --run-dir results/<run_id>

Each --json is one pytest process's report, in order; the rows of the k-th get ``repeat`` = k.
"""

from __future__ import annotations

import csv
import io
import json
import shlex
import sys
from pathlib import Path

from experiments.schema import (
    ENVIRONMENT_FILE,
    HEAD_COLUMNS,
    SCHEMA_VERSION,
    Environment,
    ExperimentInfo,
    OneLineParser,
    ParamInfo,
    SchemaError,
    as_typed,
    metric,
    write_atomically,
    write_experiments,
)

EXPERIMENT = "primitives"
TITLE = "Micro-benchmarks of the primitives (pytest-benchmark)"
CSV_NAME = EXPERIMENT + ".csv"

HARNESS_COLUMNS = HEAD_COLUMNS
IDENTITY_COLUMNS = ("benchmark", "group")

#: (CSV column, pytest-benchmark stats key, factor): the stats are seconds per operation.
METRICS = (
    ("min_ns", "min", 1e9),
    ("median_ns", "median", 1e9),
    ("mean_ns", "mean", 1e9),
    ("stddev_ns", "stddev", 1e9),
    ("iqr_ns", "iqr", 1e9),
    ("max_ns", "max", 1e9),
    ("ops_per_s", "ops", 1.0),
    ("rounds", "rounds", None),
    ("iterations", "iterations", None),
)
METRIC_COLUMNS = tuple(column for column, _, _ in METRICS)
RESERVED = frozenset(HARNESS_COLUMNS + IDENTITY_COLUMNS + METRIC_COLUMNS)

BENCH = Path(__file__).resolve().parent


def rerun(path: Path) -> str:
    """How to produce the JSON report again, as a command that works from any folder."""
    command = "python -m pytest %s --benchmark-only --benchmark-json=%s" % (
        shlex.quote(str(BENCH)),
        shlex.quote(str(Path(path).resolve())),
    )
    return "produce it with `%s`" % as_typed(command)


class ExportError(Exception):
    """What is wrong, in one line that names the file and the fix."""


def load_report(path: Path) -> dict:
    """pytest-benchmark's JSON report, checked for the parts the export reads."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExportError("%s does not exist: %s" % (path, rerun(path))) from None
    except OSError as exc:
        raise ExportError("cannot read %s (%s): %s" % (path, exc.strerror, rerun(path))) from None
    except UnicodeDecodeError:
        raise ExportError("%s is not UTF-8 text: %s" % (path, rerun(path))) from None
    try:
        report = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExportError(
            "%s is not valid JSON (line %d column %d: %s), probably an interrupted run: %s"
            % (path, exc.lineno, exc.colno, exc.msg, rerun(path))
        ) from None
    benchmarks = report.get("benchmarks") if isinstance(report, dict) else None
    if not isinstance(benchmarks, list) or not isinstance(report.get("machine_info"), dict):
        raise ExportError(
            "%s is JSON but not a pytest-benchmark report (no 'benchmarks'/'machine_info'): %s"
            % (path, rerun(path))
        )
    if not benchmarks:
        raise ExportError("%s holds no benchmarks (all skipped or failed?): %s" % (path, rerun(path)))
    for index, bench in enumerate(benchmarks):
        stats = bench.get("stats") if isinstance(bench, dict) else None
        if (
            not isinstance(stats, dict)
            or not bench.get("name")
            or any(key not in stats for _, key, _ in METRICS)
        ):
            raise ExportError(
                "%s: benchmark #%d has no name or lacks stats %s: %s"
                % (path, index, ", ".join(key for _, key, _ in METRICS), rerun(path))
            )
    return report


def built_label(machine_info: dict) -> str:
    """The interpreter label the harness's probe would give, built from the machine info."""
    impl = str(machine_info.get("python_implementation", "python")).lower()
    free_threaded = bool(machine_info.get("py_gil_disabled"))
    label = "%s-%s%s" % (impl, machine_info.get("python_version", "unknown"), "t" if free_threaded else "")
    if free_threaded and machine_info.get("python_gil_env") is not None:
        label += "-gil" + str(machine_info["python_gil_env"])
    return label


def interpreter_label(run_dir: Path, machine_info: dict) -> str:
    """The run's interpreter label from environment.json when it is the interpreter that ran bench/."""
    label = built_label(machine_info)
    env_path = run_dir / ENVIRONMENT_FILE
    if not env_path.exists():
        return label
    try:
        interpreter = Environment.read(env_path).interpreter
    except SchemaError as exc:
        raise ExportError(
            "%s; restore it, or remove it to label rows from the benchmark JSON" % exc
        ) from None
    if not interpreter.get("label"):
        return label
    # The run may have measured other Pythons (PYTHONS=...) than the one running pytest: keep the
    # run's label only when it names the same version, so rows are never attributed to the wrong one.
    version = interpreter.get("version")
    if version is not None and version != machine_info.get("python_version"):
        return label
    return str(interpreter["label"])


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, sort_keys=True)
    return value


def describe(param_columns: list, records: list) -> ExperimentInfo:
    """primitives.csv as experiments.json describes it: the benchmark's identity and parameters, its stats."""
    params = {}
    for name in list(IDENTITY_COLUMNS) + list(param_columns):
        values = [r[name] for r in records if r.get(name) not in (None, "")]
        kind = (
            "int" if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values) else "str"
        )
        params[name] = ParamInfo(name, kind)
    counts = {"rounds": "count", "iterations": "count"}
    metrics = {column: metric(column, counts.get(column)) for column in METRIC_COLUMNS}
    return ExperimentInfo(
        name=EXPERIMENT,
        title=TITLE,
        doc=__doc__.splitlines()[0],
        params=params,
        metrics=metrics,
        interleaved_rounds=False,  # the k-th pytest process of each interpreter is not one round
    )


def rows(reports: list, run_dir: Path) -> tuple:
    """(ExperimentInfo, rows as dicts) for primitives.csv: the k-th report's rows get ``repeat`` = k."""
    param_columns: list = []
    out = []
    for repeat, report in enumerate(reports):
        machine_info = report["machine_info"]
        # Each report is its own process: its start time and GIL state (an extension module can turn
        # the GIL back on mid-run in one process and not in another) are its own.
        common = {
            "schema_version": SCHEMA_VERSION,
            "run_id": run_dir.name,
            "experiment": EXPERIMENT,
            "repeat": repeat,
            "status": "ok",
            "error": "",
            "interpreter": interpreter_label(run_dir, machine_info),
            "gil_enabled_start": _cell(machine_info.get("gil_enabled_start")),
            "gil_enabled_end": _cell(machine_info.get("gil_enabled_end")),
            # when the process started; pytest-benchmark's "datetime" (when it wrote the JSON) for
            # reports made before bench/conftest.py recorded the start
            "started_at_utc": _cell(machine_info.get("started_at_utc") or report.get("datetime")),
        }
        for bench in report["benchmarks"]:
            name = bench["name"]
            group = bench.get("group") or ""
            row = dict(common, cell_id=name, group_id=group, benchmark=name.split("[", 1)[0], group=group)
            # Parametrize arguments and extra_info share one namespace: the executor benchmark's
            # start_method means what the Process benchmark's start_method parameter means.
            for source in (bench.get("params") or {}, bench.get("extra_info") or {}):
                for key, value in source.items():
                    column = "param_" + key if key in RESERVED else key
                    if column not in param_columns:
                        param_columns.append(column)
                    row[column] = _cell(value)
            stats = bench["stats"]
            for column, key, factor in METRICS:
                row[column] = stats[key] if factor is None else stats[key] * factor
            out.append(row)
    return describe(param_columns, out), out


def load_reports(paths: list) -> list:
    """The reports of ``paths`` in order, each checked, all of one interpreter and each read once."""
    seen = set()
    for path in paths:
        key = Path(path).resolve()
        if key in seen:
            raise ExportError(
                "%s is passed twice as --json: each --json must be a different process's report" % path
            )
        seen.add(key)
    reports = [load_report(Path(path)) for path in paths]
    labels = [built_label(report["machine_info"]) for report in reports]
    for path, label in zip(paths, labels):
        if label != labels[0]:
            raise ExportError(
                "%s was measured under %s but %s under %s: export each interpreter into its own run folder"
                % (path, label, paths[0], labels[0])
            )
    return reports


def csv_text(columns: list, records: list) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, restval="")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue()


def export(json_paths: list, run_dir: Path) -> Path:
    """Convert the reports json_paths (one per pytest process, in order) into run_dir/primitives.csv and
    return that path."""
    if not run_dir.is_dir():
        why = "is not a directory" if run_dir.exists() else "does not exist"
        raise ExportError(
            "run dir %s %s: pass the results/<run_id> folder of an existing run as --run-dir" % (run_dir, why)
        )
    info, records = rows(load_reports(list(json_paths)), run_dir)
    target = run_dir / CSV_NAME
    try:
        write_atomically(target, csv_text(info.columns(), records))
        write_experiments(run_dir, [info])
    except OSError as exc:
        raise ExportError(
            "cannot write %s (%s): check the folder's permissions and free space"
            % (target, exc.strerror or exc)
        ) from None
    return target


def main(argv: list | None = None) -> int:
    parser = OneLineParser(
        prog="python -m bench.export", description=__doc__.splitlines()[0], error_prefix="bench.export"
    )
    parser.add_argument(
        "--json",
        required=True,
        type=Path,
        action="append",
        help="pytest-benchmark's --benchmark-json file; once per pytest process, in order (repeat 0, 1, ...)",
    )
    parser.add_argument(
        "--run-dir", required=True, type=Path, help="the results/<run_id> folder to write into"
    )
    args = parser.parse_args(argv)
    try:
        target = export(args.json, args.run_dir)
    except ExportError as exc:
        print("bench.export: error: %s" % exc, file=sys.stderr)
        return 2
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
