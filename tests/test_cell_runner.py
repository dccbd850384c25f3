"""One cell in one worker process: every way it can end becomes an outcome, nothing is left behind."""

import sys

import psutil
import pytest

from experiments.harness.cell_runner import Interpreter, run_cell

SELF = Interpreter(sys.executable)


def _descendants():
    return {p.pid for p in psutil.Process().children(recursive=True)}


@pytest.mark.parametrize(
    "kind, status, error",
    [
        ("ok", "ok", ""),
        ("raise", "error", "ValueError: cell failed on purpose"),
        ("exit", "crashed", "exited with code 3"),
        ("segfault", "crashed", "SIGSEGV"),
        ("hang", "timeout", "cell timeout"),
        ("orphan", "ok", ""),
    ],
)
def test_outcomes(kind, status, error, tmp_path):
    before = _descendants()
    pid_file = tmp_path / "orphan.pid"
    outcome = run_cell(SELF, "tests.faulty_cells", {"kind": kind, "pid_file": str(pid_file)}, timeout_s=3)
    assert outcome.status == status
    assert error in outcome.error
    assert outcome.measured["process_wall_s"] > 0
    assert outcome.measured["peak_rss_mib"] > 1
    if status == "ok":
        assert outcome.metrics == {"kind_done": kind}
        assert outcome.wall_s > 0 and outcome.gil_enabled_start is not None
    # Nothing the cell started outlives it (psutil sees no new descendants or orphans).
    assert _descendants() <= before
    if kind == "orphan":
        orphan = int(pid_file.read_text())
        gone = not psutil.pid_exists(orphan) or psutil.Process(orphan).status() == psutil.STATUS_ZOMBIE
        assert gone, "the grandchild a cell left behind is still running"


def test_missing_interpreter_is_a_crash_row_not_an_exception():
    outcome = run_cell(Interpreter("/nonexistent/python"), "tests.faulty_cells", {"kind": "ok"}, 5)
    assert outcome.status == "crashed" and "cannot start" in outcome.error


def test_cpu_is_measured_from_outside_including_child_processes():
    params = {"workload": "cpu_python", "executor": "process", "workers": 2, "tasks": 2, "task_size": 300}
    outcome = run_cell(SELF, "experiments.catalogue.io_vs_cpu", params, timeout_s=60)
    assert outcome.status == "ok"
    # Two processes each ran ~20 ms of pure Python: their CPU shows up in the worker's tree.
    assert outcome.measured["cpu_user_s"] + outcome.measured["cpu_sys_s"] > 0.01


def test_a_cell_that_exhausts_its_memory_cap_is_an_error_row():
    outcome = run_cell(SELF, "tests.faulty_cells", {"kind": "memory"}, timeout_s=30, memory_cap_mib=300)
    assert outcome.status in ("error", "crashed")
    assert "MemoryError" in outcome.error or "memory" in outcome.error.lower()
    assert outcome.measured["peak_rss_mib"] < 400
