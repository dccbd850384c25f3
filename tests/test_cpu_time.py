"""CPU time of a cell's process tree, read from outside, against CPU the cell measured itself."""

import sys

import pytest

from experiments.harness import cputime
from experiments.harness.cell_runner import Interpreter, run_cell
from experiments.harness.cputime import TreeCpu, region_cpu
from report.analysis.load import load_results

SELF = Interpreter(sys.executable)
BURN_S = 0.02  # the shortest region the exact figure promises to be within 5 % for


def _run(params):
    outcome = run_cell(SELF, "tests.cpu_cells", params, timeout_s=60)
    assert outcome.status == "ok", outcome.error
    return outcome


def _harness_cpu_s(outcome):
    return outcome.measured["cpu_util_cores"] * outcome.wall_s


@pytest.mark.parametrize(
    "params, work_s",
    [
        ({"kind": "threads", "n": 1, "cpu_s": BURN_S}, BURN_S),
        ({"kind": "threads", "n": 2, "cpu_s": BURN_S}, 2 * BURN_S),
        ({"kind": "forks", "n": 1, "cpu_s": BURN_S}, BURN_S),
        ({"kind": "forks", "n": 2, "cpu_s": BURN_S}, 2 * BURN_S),
        ({"kind": "pool", "cpu_s": BURN_S}, BURN_S),
    ],
    ids=["1-thread", "2-threads", "1-child", "2-children", "pool-process"],
)
def test_busy_cells_read_within_5_percent_of_their_own_cpu_time(params, work_s):
    outcome = _run(params)
    truth = outcome.metrics["truth_cpu_s"]
    assert truth >= work_s  # the cell did burn what it was asked to
    assert outcome.measured["cpu_time_source"] == cputime.CPUCLOCK
    assert _harness_cpu_s(outcome) == pytest.approx(truth, rel=0.05)
    # The busy threads' own per-thread clocks are a floor no process clock is involved in.
    assert _harness_cpu_s(outcome) >= 0.999 * outcome.metrics["threads_cpu_s"]


def test_a_child_alive_at_the_start_and_reaped_inside_is_counted_once():
    # It burns 5x the region's CPU before the region: counted twice or missed, the figure is far off.
    outcome = _run({"kind": "held_child", "cpu_before_s": 5 * BURN_S, "cpu_s": BURN_S})
    truth = outcome.metrics["truth_cpu_s"]
    assert truth >= BURN_S
    assert outcome.measured["cpu_time_source"] == cputime.CPUCLOCK
    assert _harness_cpu_s(outcome) == pytest.approx(truth, rel=0.05)


def test_a_sleeping_cell_keeps_no_core_busy():
    outcome = _run({"kind": "sleep", "sleep_s": BURN_S})
    assert outcome.measured["cpu_time_source"] == cputime.CPUCLOCK
    assert 0 <= outcome.measured["cpu_util_cores"] < 0.05


def test_user_and_system_split_adds_up_to_the_exact_total():
    outcome = _run({"kind": "threads", "n": 1, "cpu_s": 5 * BURN_S})  # long enough for ticks to land
    m = outcome.measured
    assert m["cpu_user_s"] >= 0 and m["cpu_sys_s"] >= 0
    assert m["cpu_user_s"] + m["cpu_sys_s"] == pytest.approx(_harness_cpu_s(outcome), rel=0.01)


def _unreadable(pid):
    raise PermissionError(1, "Operation not permitted")


@pytest.mark.parametrize("how", ["clock unreadable", "not linux"])
def test_without_the_kernel_clocks_it_falls_back_to_psutil_and_says_so(how, monkeypatch):
    if how == "clock unreadable":
        monkeypatch.setattr(cputime, "process_cpu_ns", _unreadable)
    else:
        monkeypatch.setattr(cputime, "exact_clock_available", lambda: False)
    outcome = _run({"kind": "threads", "n": 1, "cpu_s": 5 * BURN_S})
    m = outcome.measured
    assert m["cpu_time_source"] == cputime.PSUTIL
    # psutil's ticks: the same total, to within a few 10 ms ticks.
    assert m["cpu_user_s"] + m["cpu_sys_s"] == pytest.approx(outcome.metrics["truth_cpu_s"], abs=0.04)


def test_the_split_is_the_tick_split_scaled_to_the_exact_total():
    start, end = TreeCpu(1.0, 0.5, 10.0), TreeCpu(1.03, 0.51, 10.032)
    m = region_cpu(start, end, wall_s=0.016)
    assert m["cpu_time_source"] == cputime.CPUCLOCK
    assert m["cpu_util_cores"] == pytest.approx(2.0)
    assert m["cpu_user_s"] == pytest.approx(0.024) and m["cpu_sys_s"] == pytest.approx(0.008)


def test_the_workers_own_handshake_cpu_is_taken_off_the_exact_total():
    start, end = TreeCpu(1.0, 0.5, 10.0), TreeCpu(1.02, 0.5, 10.0203)
    m = region_cpu(start, end, wall_s=0.02, handshake_cpu_s=0.0003)
    assert m["cpu_util_cores"] == pytest.approx(1.0)
    assert m["cpu_user_s"] == pytest.approx(0.02) and m["cpu_sys_s"] == pytest.approx(0.0)


def test_no_tick_inside_the_region_leaves_the_split_unknown_not_invented():
    m = region_cpu(TreeCpu(1.0, 0.5, 10.0), TreeCpu(1.0, 0.5, 10.0004), wall_s=0.02)
    assert m["cpu_util_cores"] == pytest.approx(0.02)
    assert m["cpu_user_s"] is None and m["cpu_sys_s"] is None


@pytest.mark.parametrize(
    "start, end",
    [
        (TreeCpu(1.0, 0.5, None), TreeCpu(1.02, 0.5, 10.0)),
        (TreeCpu(1.0, 0.5, 10.0), TreeCpu(1.02, 0.5, None)),
        (TreeCpu(1.0, 0.5, 10.0), TreeCpu(1.02, 0.5, 9.9)),  # went backwards: a race, not a figure
    ],
)
def test_a_mark_without_an_exact_figure_makes_the_region_psutil(start, end):
    m = region_cpu(start, end, wall_s=0.1)
    assert m["cpu_time_source"] == cputime.PSUTIL
    assert m["cpu_util_cores"] == pytest.approx(0.2)


def test_a_run_records_the_source_and_the_report_reads_it(run_experiment):
    small = ["--profile", "quick", "--only", "io_vs_cpu", "--set", "workload=sleep_io", "--repeat", "1"]
    run = run_experiment(*small, "--set", "task_size=5")
    io = load_results(run.path).frame("io_vs_cpu")
    assert set(io["cpu_time_source"]) == {cputime.CPUCLOCK}
    # One thread sleeping 16 times keeps no core busy (starting 8 threads does cost real CPU).
    assert (io.loc[io["executor"] == "sequential", "cpu_util_cores"] < 0.05).all()
