"""bench/ runs for real on a small subset, and bench.export turns its JSON into a sane primitives.csv."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bench import export
from experiments.schema import SCHEMA_VERSION, Environment, gil_enabled, read_experiments

ROOT = Path(__file__).resolve().parent.parent
SUBSET = "lock or empty_call"  # the four Lock/RLock variants and the empty-call floor: about a second


@pytest.fixture(scope="module")
def bench_json(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bench") / "primitives.json"
    command = [sys.executable, "-m", "pytest", "bench", "-q", "-p", "no:cacheprovider", "--benchmark-only"]
    command += ["--benchmark-json=%s" % out, "-k", SUBSET]
    # Not the variables of a pytest-xdist worker running this test: pytest-benchmark would take the
    # inner pytest for one and disable benchmarking.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["GILBENCH_BENCH_SCALE"] = "0.02"
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


@pytest.fixture
def run_dir(tmp_path) -> Path:
    path = tmp_path / "results" / "20250101T000000-test"
    path.mkdir(parents=True)
    return path


def run_export(json_paths, run_dir: Path) -> subprocess.CompletedProcess:
    paths = [json_paths] if isinstance(json_paths, Path) else json_paths
    command = [sys.executable, "-m", "bench.export"]
    command += [arg for path in paths for arg in ("--json", str(path))] + ["--run-dir", str(run_dir)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)


def another_process(bench_json: Path, tmp_path: Path, name: str, factor: float, **machine_info) -> Path:
    """bench_json as another pytest process might have written it: every statistic times ``factor``,
    and ``machine_info`` (its start time, say) changed."""
    report = json.loads(bench_json.read_text())
    report["machine_info"].update(machine_info)
    for bench in report["benchmarks"]:
        for key in ("min", "median", "mean", "stddev", "iqr", "max"):
            bench["stats"][key] *= factor
        bench["stats"]["ops"] /= factor
    out = tmp_path / name
    out.write_text(json.dumps(report))
    return out


def test_machine_info_carries_gil_and_scheduler_facts(bench_json):
    info = json.loads(bench_json.read_text())["machine_info"]
    assert info["started_at_utc"] <= json.loads(bench_json.read_text())["datetime"]
    assert info["gil_enabled_start"] is gil_enabled()
    assert info["gil_enabled_end"] is gil_enabled()
    assert isinstance(info["py_gil_disabled"], bool)
    assert info["switch_interval_s"] == pytest.approx(sys.getswitchinterval())
    assert info["start_method"] in info["start_methods_available"]
    if hasattr(os, "sched_getaffinity"):
        assert info["cpu_affinity"] == sorted(os.sched_getaffinity(0))


def test_export_writes_tidy_csv_with_units(bench_json, run_dir):
    proc = run_export(bench_json, run_dir)
    assert proc.returncode == 0, proc.stderr
    csv_path = run_dir / "primitives.csv"
    assert proc.stdout.strip().splitlines()[-1] == str(csv_path)
    df = pd.read_csv(csv_path)

    assert list(df.columns[: len(export.HARNESS_COLUMNS)]) == list(export.HARNESS_COLUMNS)
    for column in export.METRIC_COLUMNS + ("benchmark", "group", "primitive", "style"):
        assert column in df.columns
    assert len(df) == 5, df["cell_id"].tolist()
    assert (df["repeat"] == 0).all()  # one --json: one process
    assert (
        df["started_at_utc"] == json.loads(bench_json.read_text())["machine_info"]["started_at_utc"]
    ).all()
    assert (df["schema_version"] == SCHEMA_VERSION).all()
    assert (df["run_id"] == run_dir.name).all()
    assert (df["experiment"] == "primitives").all()
    assert (df["status"] == "ok").all()
    assert df["cell_id"].is_unique
    assert set(df["group_id"]) == {"lock", "baseline"}
    assert (df["group"] == df["group_id"]).all()
    assert (df["gil_enabled_start"] == gil_enabled()).all()
    # No environment.json in the run dir: the label is built from the benchmark JSON, as the probe would.
    assert set(df["interpreter"]) == {export.built_label(json.loads(bench_json.read_text())["machine_info"])}
    assert df["interpreter"][0].startswith("cpython-%s" % platform.python_version())

    locks = df[df["group"] == "lock"]
    assert sorted(zip(locks["primitive"], locks["style"])) == [
        ("Lock", "bare"),
        ("Lock", "with"),
        ("RLock", "bare"),
        ("RLock", "with"),
    ]
    assert set(locks["benchmark"]) == {"test_lock_acquire_release"}

    assert (df["median_ns"] > 0).all()
    assert (df["min_ns"] <= df["median_ns"]).all() and (df["median_ns"] <= df["max_ns"]).all()
    assert (df["stddev_ns"] >= 0).all() and (df["iqr_ns"] >= 0).all()
    assert (df["rounds"] >= 2).all() and (df["iterations"] >= 1).all()
    # ops/s is pytest-benchmark's 1/mean: the ns conversion must agree with it.
    assert (df["ops_per_s"] * df["mean_ns"]).between(1e9 * 0.999, 1e9 * 1.001).all()


def test_several_json_give_one_row_per_benchmark_per_process(bench_json, run_dir, tmp_path):
    # The second process saw the GIL turned back on at its end (an extension module can do that).
    second = another_process(
        bench_json,
        tmp_path,
        "p-1.json",
        1.25,
        started_at_utc="2026-01-01T00:00:08+00:00",
        gil_enabled_end=not gil_enabled(),
    )
    third = another_process(bench_json, tmp_path, "p-2.json", 0.8, started_at_utc="2026-01-01T00:00:09+00:00")
    proc = run_export([bench_json, second, third], run_dir)
    assert proc.returncode == 0, proc.stderr
    df = pd.read_csv(run_dir / "primitives.csv")
    first = json.loads(bench_json.read_text())

    assert len(df) == 3 * 5
    assert {cell: sorted(r) for cell, r in df.groupby("cell_id")["repeat"]} == {
        cell: [0, 1, 2] for cell in df["cell_id"].unique()
    }
    starts = df.groupby("repeat")["started_at_utc"].unique().map(list).to_dict()
    assert starts == {
        0: [first["machine_info"]["started_at_utc"]],
        1: ["2026-01-01T00:00:08+00:00"],
        2: ["2026-01-01T00:00:09+00:00"],
    }
    ends = df.groupby("repeat")["gil_enabled_end"].unique().map(list).to_dict()
    assert ends == {0: [gil_enabled()], 1: [not gil_enabled()], 2: [gil_enabled()]}
    medians = df.pivot(index="cell_id", columns="repeat", values="median_ns")
    assert (medians[1] / medians[0]).round(9).eq(1.25).all()
    assert (medians[2] / medians[0]).round(9).eq(0.8).all()
    # one description of primitives.csv in experiments.json, whatever the number of processes
    assert list(read_experiments(run_dir)) == ["primitives"]


def test_a_json_passed_twice_or_of_another_interpreter_exits_2(bench_json, run_dir, tmp_path, capsys):
    assert export.main(["--json", str(bench_json), "--json", str(bench_json), "--run-dir", str(run_dir)]) == 2
    assert_one_line_error(capsys, bench_json, "passed twice")
    other = another_process(bench_json, tmp_path, "other.json", 1.0, python_version="3.0.0")
    assert export.main(["--json", str(bench_json), "--json", str(other), "--run-dir", str(run_dir)]) == 2
    assert_one_line_error(capsys, other, "3.0.0")
    assert list(run_dir.iterdir()) == []


def test_label_comes_from_environment_json_only_for_the_same_interpreter(bench_json, run_dir):
    env_path = run_dir / "environment.json"

    def environment(label, version):
        interpreter = {"label": label, "version": version}
        Environment("r", "2025-01-01T00:00:00Z", interpreter, {"label": "m"}).write(env_path)

    environment("my-python", platform.python_version())
    assert run_export(bench_json, run_dir).returncode == 0
    assert set(pd.read_csv(run_dir / "primitives.csv")["interpreter"]) == {"my-python"}

    # The run measured another Python than the one that ran pytest: its label would mislabel the rows.
    environment("cpython-3.0.0", "3.0.0")
    assert export.main(["--json", str(bench_json), "--run-dir", str(run_dir)]) == 0
    labels = set(pd.read_csv(run_dir / "primitives.csv")["interpreter"])
    assert labels == {export.built_label(json.loads(bench_json.read_text())["machine_info"])}


def assert_one_line_error(capsys, *names):
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("bench.export: error: ")
    for name in names:
        assert str(name) in lines[0]
    assert captured.out == ""


@pytest.mark.parametrize(
    "content",
    ['{"machine_info": {}, "benchmarks": [{"name": "x", "st', "[]", '{"machine_info": {}, "benchmarks": []}'],
    ids=["truncated", "not-a-report", "no-benchmarks"],
)
def test_bad_json_exits_2_and_keeps_existing_csv(tmp_path, run_dir, capsys, content):
    bad = tmp_path / "primitives.json"
    bad.write_text(content)
    existing = run_dir / "primitives.csv"
    existing.write_text("an earlier export\n")
    assert export.main(["--json", str(bad), "--run-dir", str(run_dir)]) == 2
    assert_one_line_error(capsys, bad)
    assert existing.read_text() == "an earlier export\n"
    assert sorted(p.name for p in run_dir.iterdir()) == ["primitives.csv"]


def test_missing_json_exits_2(tmp_path, run_dir, capsys):
    missing = tmp_path / "never-written.json"
    assert export.main(["--json", str(missing), "--run-dir", str(run_dir)]) == 2
    assert_one_line_error(capsys, missing, "-m pytest %s --benchmark-only" % export.BENCH)


def test_run_dir_under_a_regular_file_exits_2(bench_json, tmp_path, capsys):
    # Tests run as root, so a chmod would not stop the write: a parent that is a file does.
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    proc = run_export(bench_json, blocker / "run")
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert str(blocker / "run") in proc.stderr


def test_failed_write_leaves_no_partial_file(bench_json, run_dir, capsys):
    # primitives.csv being a directory makes the final rename fail after the temporary file is written.
    (run_dir / "primitives.csv").mkdir()
    assert export.main(["--json", str(bench_json), "--run-dir", str(run_dir)]) == 2
    assert_one_line_error(capsys, run_dir / "primitives.csv")
    assert [p.name for p in run_dir.iterdir()] == ["primitives.csv"]
    assert (run_dir / "primitives.csv").is_dir()


def test_the_console_gets_a_few_lines_per_group_not_the_tables(tmp_path):
    from bench.run import summary

    reports = []
    for k, factor in enumerate((1.0, 1.2, 0.9)):
        benchmarks = [
            {"group": "lock", "name": "test_lock[Lock]", "stats": {"median": 90e-9 * factor}},
            {"group": "lock", "name": "test_lock[RLock]", "stats": {"median": 130e-9 * factor}},
            {"group": "process", "name": "test_start[spawn]", "stats": {"median": 0.05 * factor}},
        ]
        path = tmp_path / ("primitives-%d.json" % k)
        path.write_text(json.dumps({"benchmarks": benchmarks}))
        reports.append(path)
    lines = summary(reports).splitlines()
    assert lines[0] == "bench: 3 micro-benchmarks in 3 processes -> primitives.csv (full tables: run.log)"
    assert lines[1:] == [
        "  lock (2): test_lock[Lock] 90 ns … test_lock[RLock] 130 ns",
        "  process (1): test_start[spawn] 50 ms",
    ]
