"""Runs from two machines: compared side by side, with the machines' speed difference divided out."""

import json

from report.analysis.compare import machine_speed_factor, normalised
from report.analysis.load import load_results
from report.page.build import write_report
from tests.support.synthetic import write_run


def _set_speed(run_dir, loop_ns, fingerprint):
    path = run_dir / "environment.json"
    env = json.loads(path.read_text())
    env["speed"] = {"start": {"loop_ns_per_iter": loop_ns, "memcpy_gib_s": 2.0}}
    env["machine"]["fingerprint"] = fingerprint
    path.write_text(json.dumps(env))


def test_two_machines_are_normalised_by_loop_speed(tmp_path):
    results = tmp_path / "results"
    fast = write_run(results, machine="fast-box", created="2026-01-01T00:00:00Z", seed=1)
    slow = write_run(results, machine="slow-box", created="2026-01-02T00:00:00Z", seed=2)
    _set_speed(fast, 50.0, "aaaa")
    _set_speed(slow, 100.0, "bbbb")
    loaded = load_results(results)
    base, other = loaded.runs
    assert machine_speed_factor(base, other) == 2.0
    assert machine_speed_factor(base, base) is None
    # Twice the wall time on a machine twice as slow is the same interpreter speed.
    assert normalised(2.0, "wall_s", 2.0) == normalised(0.5, "tasks_per_s", 2.0)
    assert normalised(2.0, "lost_updates", 2.0) == "—"
    page = write_report(loaded, tmp_path / "report.html").read_text()
    assert "100.0 ns/iteration here against 50.0" in page
    assert "single-process speed at start" in page and "fast-box" in page and "slow-box" in page


def test_a_rate_with_seconds_in_its_name_is_normalised_as_a_rate_across_machines():
    """sync_objects' throughput_tasks_s is tasks per second (its experiments.json entry declares unit hz):
    on a machine twice as slow, half the throughput is the same interpreter speed, as twice the wall
    time is. (Read as a time from its ``_s`` ending, it came out 0.25x: upside down.)"""
    from experiments.schema import ExperimentInfo, Metric
    from report.analysis.compare import normalised_ratio

    declared = {"throughput_tasks_s": Metric("throughput_tasks_s", "hz")}
    info = ExperimentInfo("sync_objects", "Barrier, Semaphore, Event", metrics=declared)
    assert normalised_ratio(0.5, "throughput_tasks_s", 2.0, info) == 1.0
    assert normalised_ratio(2.0, "wall_s", 2.0, info) == 1.0
    assert normalised(0.5, "throughput_tasks_s", 2.0, info) == normalised(2.0, "wall_s", 2.0, info) == "1x"
