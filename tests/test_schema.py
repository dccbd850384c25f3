"""The run folder's format: Environment round trips, metric declarations, and version-1 folders migrated."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from experiments.schema import (
    SCHEMA_VERSION,
    Environment,
    ExperimentInfo,
    Metric,
    SchemaError,
    metric,
    read_experiments,
    write_experiments,
)
from report.analysis.load import load_results
from report.page.build import render_report

V1_RUN = Path(__file__).resolve().parent / "data" / "v1-run"


def test_environment_round_trips_through_json():
    env = Environment("r1", "2026-01-01T00:00:00Z", {"label": "cpython-3.12.1"}, {"label": "lab é"})
    env.noisy_reasons.append("load")
    back = Environment.from_json(env.to_json())
    assert back == env and back.label == "cpython-3.12.1 @ lab é"


@pytest.mark.parametrize(
    "text, words",
    [
        ("{", "not valid JSON"),
        ("[]", "expected a JSON object"),
        ('{"schema_version": 99}', "schema_version 99"),
        ('{"schema_version": %d, "run_id": "r"}' % SCHEMA_VERSION, "missing 'created_utc'"),
    ],
)
def test_a_bad_environment_is_one_line(text, words):
    with pytest.raises(SchemaError) as info:
        Environment.from_json(text, "x/environment.json")
    assert words in str(info.value) and "x/environment.json" in str(info.value)


def test_units_come_from_names_and_say_what_is_physical():
    assert metric("latency_p99_us").unit == "us" and metric("throughput_ops_s").unit == "hz"
    assert metric("loop_ns_per_iter").unit == "ns" and metric("drop_fraction").unit == "fraction"
    with pytest.raises(SchemaError, match="no unit"):
        metric("round_trips")
    wall = metric("wall_s")
    assert wall.problem(0.5) is None and math.isnan(float("nan")) and wall.problem(float("nan")) is None
    assert "below 0" in wall.problem(-1.0) and "not finite" in wall.problem(float("inf"))
    assert "above 1" in metric("drop_fraction").problem(1.5)
    assert Metric("start_method", "text").problem("fork") is None


def test_experiments_json_keeps_declaration_order(tmp_path):
    info = ExperimentInfo("e", "E", metrics={n: metric(n) for n in ("z_s", "a_ms")}, hangs=({"x": 1},))
    write_experiments(tmp_path, [info])
    back = read_experiments(tmp_path)["e"]
    assert list(back.metrics) == ["z_s", "a_ms"] and back == info and back.expected_hang({"x": 1, "y": 2})


def test_a_version_1_run_folder_loads_migrated_and_renders(tmp_path):
    folder = tmp_path / V1_RUN.name
    shutil.copytree(V1_RUN, folder)
    results = load_results(tmp_path)
    run = results.runs[0]
    assert run.env.schema_version == 1 and not (folder / "experiments.json").exists()
    deadlock = results.frame("deadlock")
    hung = deadlock[deadlock["status"] == "expected_timeout"]
    assert len(hung) and set(hung["detection"]) == {"none"}
    assert set(hung["scenario"]) <= {"lock_order", "lock_reentry"}
    assert "timeout" not in set(deadlock["status"])
    io = results.info("io_vs_cpu")
    assert list(io.params) == ["workload", "executor", "workers", "tasks", "task_size"]
    assert io.metrics["tasks_done"].unit == "count" and io.title.startswith("I/O-bound")
    assert results.info("primitives").metrics["median_ns"].unit == "ns"
    html = render_report(results)
    assert "deadlock" in html and "Comparisons across runs" in html


def test_what_the_harness_runs_itself_is_declared_and_older_folders_keep_their_probe(tmp_path):
    from experiments.catalogue import capacity, io_vs_cpu
    from experiments.spec import load_spec

    assert load_spec(capacity).info.run_by_harness and not load_spec(io_vs_cpu).info.run_by_harness
    probe = ExperimentInfo("probe", "Probe", run_by_harness=True)
    write_experiments(tmp_path, [probe, ExperimentInfo("e", "E")])
    back = read_experiments(tmp_path)
    assert back["probe"].run_by_harness and not back["e"].run_by_harness
    # A folder written before the field was stored: the harness's probe then was "capacity".
    assert ExperimentInfo.from_dict("capacity", {}).run_by_harness
    assert not ExperimentInfo.from_dict("probe", {}).run_by_harness
