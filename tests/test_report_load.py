"""report.analysis.load: every run folder into pandas in one call, and one clear line for every bad file."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from report.analysis.load import ResultsError, load_results
from tests.conftest import ROOT
from tests.support.synthetic import write_run


@pytest.fixture
def two_runs(tmp_path):
    results = tmp_path / "results"
    a = write_run(results, interpreter="cpython-3.12.1", created="2026-01-01T00:00:00Z", seed=1, repeats=3)
    b = write_run(
        results,
        interpreter="cpython-3.13.0t",
        gil=False,
        machine="other",
        created="2026-01-02T00:00:00Z",
        seed=2,
        repeats=3,
    )
    return results, a, b


def test_loads_every_run_joined_with_its_environment(two_runs):
    results, a, b = two_runs
    res = load_results(results)
    assert [r.run_id for r in res.runs] == [a.name, b.name]  # oldest first
    io = res.frame("io_vs_cpu")
    assert set(io["run_id"]) == {a.name, b.name}
    assert set(io["env_label"]) == {"cpython-3.12.1 @ synthetic", "cpython-3.13.0t @ other"}
    assert set(io.loc[io["run_id"] == b.name, "gil"]) == {"off"}
    assert (io["usable_cores"] == 2).all()
    assert res.param_columns("io_vs_cpu") == ["workload", "executor", "workers", "tasks", "task_size"]
    assert "speedup" in res.metric_columns("io_vs_cpu") and "workers" not in res.metric_columns("io_vs_cpu")
    assert {"capacity", "demo_counter", "io_vs_cpu"} <= set(res.experiments())
    assert res.experiments()[-1] == "capacity"
    assert io["workers"].dtype.kind == "i" and io["speedup"].dtype.kind == "f"


def test_what_the_harness_runs_itself_comes_last_whatever_its_name(two_runs):
    results, a, b = two_runs
    res = load_results(results)
    for run in res.runs:
        for name, own in (("capacity", False), ("demo_counter", True)):
            run.experiments[name] = dataclasses.replace(run.experiments[name], run_by_harness=own)
    assert res.experiments()[-1] == "demo_counter" and "capacity" in res.experiments()[:-1]


def test_run_ids_and_folder_paths_can_be_named(two_runs):
    results, a, b = two_runs
    assert [r.run_id for r in load_results([b.name], results).runs] == [b.name]
    assert [r.run_id for r in load_results([str(a)]).runs] == [a.name]
    with pytest.raises(ResultsError, match="no run folder nope"):
        load_results(["nope"], results)


def test_torn_last_line_is_skipped_with_a_warning_naming_file_and_line(two_runs):
    results, a, _ = two_runs
    path = a / "io_vs_cpu.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines) + lines[-1][: len(lines[-1]) // 2])  # a half-written extra row
    res = load_results(results)
    assert len(res.run(a.name).tables["io_vs_cpu"]) == len(lines) - 1
    assert any(
        str(path) in w and ":%d:" % (len(lines) + 1) in w and "half-written" in w for w in res.warnings
    )


def _expect_error(results, *fragments):
    with pytest.raises(ResultsError) as info:
        load_results(results)
    message = str(info.value)
    assert "\n" not in message
    for f in fragments:
        assert f in message, message
    return message


def test_missing_column_is_one_line_naming_the_file(two_runs):
    results, a, _ = two_runs
    path = a / "io_vs_cpu.csv"
    text = path.read_text().replace(",workers,", ",threads,", 1)
    path.write_text(text)
    _expect_error(results, str(path), "missing column", "workers")


def test_wrong_schema_version_in_csv_and_environment(two_runs):
    results, a, b = two_runs
    path = a / "capacity.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = "7" + lines[2][1:]
    path.write_text("".join(lines))
    _expect_error(results, str(path), "schema_version 7")
    path.write_text("".join(lines[:2] + ["2" + lines[2][1:]] + lines[3:]))
    env = json.loads((b / "environment.json").read_text())
    env["schema_version"] = 99
    (b / "environment.json").write_text(json.dumps(env))
    _expect_error(results, str(b / "environment.json"), "schema_version 99")


def test_garbage_bytes(two_runs):
    results, a, _ = two_runs
    path = a / "io_vs_cpu.csv"
    raw = path.read_bytes()
    path.write_bytes(raw[:200] + b"\xff\xfe\x80" + raw[200:])
    _expect_error(results, str(path), "not UTF-8")
    path.write_bytes(raw[:300] + b"\x00" * 64 + raw[300:])
    _expect_error(results, str(path), "NUL bytes")


def test_damaged_row_and_non_numeric_measurement(two_runs):
    results, a, _ = two_runs
    path = a / "io_vs_cpu.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:5] + ["1,2,3\n"] + lines[5:]))
    _expect_error(results, "%s:6:" % path, "fields")
    header = lines[0].rstrip("\n").split(",")
    row = lines[3].rstrip("\n")
    cells = row.split(",")
    # cell_id and group_id are quoted with commas inside: find wall_s by counting from the end
    offset = len(header) - header.index("wall_s")
    cells[len(cells) - offset] = "fast"
    lines[3] = ",".join(cells) + "\n"
    path.write_text("".join(lines))
    _expect_error(results, "%s:4:" % path, "wall_s", "fast")


def test_environment_not_json_or_incomplete(two_runs):
    results, _, b = two_runs
    env_path = b / "environment.json"
    good = env_path.read_text()
    env_path.write_text(good[: len(good) // 2])
    _expect_error(results, str(env_path), "not valid JSON")
    env = json.loads(good)
    del env["interpreter"]["label"]
    env_path.write_text(json.dumps(env))
    _expect_error(results, str(env_path), "interpreter.label")


def test_empty_file_and_folder_without_environment_are_warnings(two_runs):
    results, a, _ = two_runs
    (a / "lock_contention.csv").write_text("")
    stray = results / "copied-half"
    stray.mkdir()
    (stray / "io_vs_cpu.csv").write_text("x\n")
    res = load_results(results)
    assert len(res.runs) == 2
    assert any("lock_contention.csv: empty" in w for w in res.warnings)
    assert any("copied-half" in w and "no environment.json" in w for w in res.warnings)


def test_same_run_in_two_places_is_refused(two_runs, tmp_path):
    results, a, _ = two_runs
    import shutil

    copy = tmp_path / "elsewhere" / a.name
    shutil.copytree(a, copy)
    with pytest.raises(ResultsError, match="both hold run"):
        load_results([results, copy.parent])


def test_cli_prints_one_line_and_exits_2(two_runs):
    results, a, _ = two_runs
    (a / "environment.json").write_text("{not json")
    out = subprocess.run(
        [sys.executable, "-m", "report", "--results", str(results), "--output", str(results / "r.html")],
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("report: error: ") and "environment.json" in lines[0]
    assert not (results / "r.html").exists()
    out = subprocess.run(
        [sys.executable, "-m", "report", "--results", str(results / "missing")],
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
