"""Runs bench/ under a run's own interpreter (in a small venv of its own) and exports primitives.csv.

Usage: python -m bench.run --run-dir results/<run_id>

bench/ runs in PROCESSES pytest processes one after another, each on 1/PROCESSES of the time budget
(GILBENCH_BENCH_SCALE, if set, scales all of them), each writing primitives-<k>.json: a
micro-benchmark's median can move by up to ~25 % from one process to the next (memory layout, hash
seed, CPU state), which one process cannot show, so primitives.csv holds one row per benchmark per
process (``repeat`` = k) and run comparisons judge each benchmark against that spread.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench.budget import SCALE_ENV, parse_scale
from bench.export import main as export_main
from experiments.schema import ENVIRONMENT_FILE, LOG_FILE, Environment, OneLineParser, SchemaError

ROOT = Path(__file__).resolve().parent.parent

VENVS = ROOT / ".venv-bench"
PACKAGES = ("pytest", "pytest-benchmark")

#: pytest processes per run, as pyperf runs several workers: the spread between them is the
#: process-to-process noise that run comparisons judge a micro-benchmark against.
PROCESSES = 3


class Skipped(Exception):
    """The micro-benchmarks cannot run under this interpreter; the reason says why."""


def bench_python(executable: str, label: str) -> str:
    """A Python with pytest-benchmark for ``executable``: this one, or a venv made for it once."""
    if os.path.realpath(executable) == os.path.realpath(sys.executable):
        return sys.executable
    venv = VENVS / label.split("-gil")[0]
    python = venv / "bin" / "python"
    marker = venv / ".installed"
    if not marker.exists():
        steps = (
            [executable, "-m", "venv", "--clear", str(venv)],
            [str(python), "-m", "pip", "install", "--quiet", *PACKAGES],
        )
        for step in steps:
            out = subprocess.run(step, capture_output=True, text=True)
            if out.returncode != 0:
                last = (out.stderr.strip().splitlines() or ["no output"])[-1]
                raise Skipped("cannot set up %s with %s: %s" % (venv, " ".join(PACKAGES), last))
        marker.write_text("ok\n")
    return str(python)


def main(argv=None) -> int:
    parser = OneLineParser(prog="python -m bench.run", description=__doc__, error_prefix="bench")
    parser.add_argument("--run-dir", required=True, type=Path)
    args = parser.parse_args(argv)
    env_path = args.run_dir / ENVIRONMENT_FILE
    try:
        env = Environment.read(env_path)
        executable = env.config["python"]
        label = env.interpreter["label"]
        run_env = dict(os.environ, **(env.config.get("python_env") or {}))
    except (SchemaError, KeyError) as exc:
        print(
            "bench: error: %s: pass a run folder made by 'python -m experiments run'" % exc,
            file=sys.stderr,
        )
        return 2
    try:
        scale = parse_scale(run_env.get(SCALE_ENV)) / PROCESSES
    except ValueError as exc:
        print("bench: error: %s" % exc, file=sys.stderr)
        return 2
    try:
        python = bench_python(executable, label)
    except Skipped as exc:
        print("bench: skipped micro-benchmarks for %s: %s" % (label, exc), file=sys.stderr)
        return 0
    run_env["PYTHONPATH"] = str(ROOT)
    run_env[SCALE_ENV] = repr(scale)
    reports = []
    log = args.run_dir / LOG_FILE
    print("bench: micro-benchmarks under %s, %d pytest processes ..." % (label, PROCESSES), flush=True)
    for k in range(PROCESSES):
        report = args.run_dir / ("primitives-%d.json" % k)
        with open(log, "a") as tables:
            tables.write("bench: process %d of %d -> %s\n" % (k + 1, PROCESSES, report))
            tables.flush()
            out = _pytest(python, report, run_env, tables)
        if out.returncode != 0:
            print(
                "bench: error: the micro-benchmarks failed under %s in process %d of %d (exit %d); see %s"
                % (label, k + 1, PROCESSES, out.returncode, log),
                file=sys.stderr,
            )
            return 1
        reports.append(report)
    argv = [arg for report in reports for arg in ("--json", str(report))]
    with contextlib.redirect_stdout(io.StringIO()) as exported:  # the summary names the file
        status = export_main(argv + ["--run-dir", str(args.run_dir)])
    if status == 0:
        print(summary(reports, exported.getvalue().strip(), log), flush=True)
    return status


def _pytest(python: str, report: Path, run_env: dict, tables) -> subprocess.CompletedProcess:
    """One pytest process of bench/, its output (the full tables) appended to ``tables``."""
    return subprocess.run(
        [
            python,
            "-m",
            "pytest",
            "bench",
            "-q",
            "-p",
            "no:cacheprovider",
            "--benchmark-only",
            "--benchmark-json=%s" % report,
        ],
        cwd=str(ROOT),
        env=run_env,
        stdout=tables,
        stderr=subprocess.STDOUT,
    )


def _duration(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return "%.3g %s" % (seconds / scale, unit)
    return "%.3g ns" % (seconds * 1e9)


def summary(reports: list, csv_path: str = "primitives.csv", log: str | Path = LOG_FILE) -> str:
    """A few lines for the console: per group of benchmarks, its fastest and slowest median (the
    median over the pytest processes); the full tables are in the run's log."""
    medians: dict = {}
    for report in reports:
        for bench in json.loads(Path(report).read_text()).get("benchmarks", []):
            key = (bench.get("group") or "other", bench["name"])
            medians.setdefault(key, []).append(bench["stats"]["median"])
    groups: dict = {}
    for (group, name), values in medians.items():
        groups.setdefault(group, []).append((statistics.median(values), name))
    lines = [
        "bench: %d micro-benchmarks in %d processes -> %s (full tables: %s)"
        % (len(medians), len(reports), csv_path, log)
    ]
    for group in sorted(groups):
        ranked = sorted(groups[group])
        (low, fast), (high, slow) = ranked[0], ranked[-1]
        span = "%s %s" % (fast, _duration(low))
        if len(ranked) > 1:
            span += " … %s %s" % (slow, _duration(high))
        lines.append("  %s (%d): %s" % (group, len(ranked), span))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
