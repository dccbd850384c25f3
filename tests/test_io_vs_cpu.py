"""io_vs_cpu obeys the physics of the GIL, measured through the whole harness (wide margins)."""

import glob
from pathlib import Path

import pytest

from experiments.harness.cell_runner import Interpreter, run_cell
from experiments.harness.environment import probe_interpreter
from tests.support.measured import capacity, median_speedup, two_cores

QUICK = ["--profile", "quick", "--only", "io_vs_cpu"]


@pytest.mark.measured
def test_sleeping_threads_overlap(run_experiment):
    run = run_experiment(
        *QUICK,
        "--set",
        "workload=sleep_io",
        "--set",
        "executor=thread,thread_pool",
        "--set",
        "task_size=20",
        "--set",
        "tasks=16",
        "--set",
        "workers=8",
        "--repeat",
        "3",
    )
    df = run.csv("io_vs_cpu")
    for executor in ("thread", "thread_pool"):
        assert median_speedup(df, executor=executor, workers=8) > 4


@pytest.mark.measured
def test_pure_python_cpu_does_not_scale_on_gil_threads_and_c_code_that_releases_it_does(run_experiment):
    cpu = run_experiment(
        *QUICK,
        "--set",
        "workload=cpu_python",
        "--set",
        "executor=thread,thread_pool",
        "--set",
        "workers=2",
        "--set",
        "tasks=8",
        "--set",
        "task_size=300",
        "--repeat",
        "5",
    )
    if not cpu.env["interpreter"]["gil_enabled_start"]:
        pytest.skip("the measured interpreter runs without the GIL")
    df = cpu.csv("io_vs_cpu")
    # GIL threads run one at a time: about 1x quiet. With other work loading 2 cores to 5 they came out
    # at up to 1.30x of one thread (two threads taking turns won more of the CPU than one busy thread),
    # hence 1.5x; threads that ran in parallel would reach the machine's ~1.9x.
    assert median_speedup(df, executor="thread", workers=2) < 1.5
    assert median_speedup(df, executor="thread_pool", workers=2) < 1.5
    # GIL threads keep about one core busy, however many there are.
    assert df[df["executor"] == "thread"]["cpu_util_cores"].median() < 1.4

    if not two_cores():
        return
    c_code = run_experiment(
        *QUICK,
        "--set",
        "workload=c_hash",
        "--set",
        "executor=thread",
        "--set",
        "workers=2",
        "--set",
        "tasks=8",
        "--set",
        "task_size=48",
        "--repeat",
        "6",
        "--capacity-rounds",
        "3",
    )
    df = c_code.csv("io_vs_cpu")
    cap = capacity(c_code, rows=df[df["workers"] == 2])
    speedup = median_speedup(df, executor="thread", workers=2)
    # hashlib drops the GIL: two threads use the second core as far as the machine gives it.
    assert speedup > min(1.25, 0.7 * cap), (speedup, cap)


def _pyenv_interpreters():
    found = []
    for path in sorted(glob.glob(str(Path.home() / ".pyenv/versions/3.*/bin/python3"))):
        version = Path(path).parent.parent.name
        major, minor = (int(x) for x in version.split(".")[:2])
        if (major, minor) >= (3, 9):
            found.append(path)
    return found


@pytest.mark.parametrize("python", _pyenv_interpreters() or [None])
def test_one_cell_runs_under_every_pyenv_interpreter(python):
    if python is None:
        pytest.skip("no pyenv interpreters on this machine")
    interpreter = Interpreter(python)
    facts = probe_interpreter(interpreter)
    assert facts["version_info"][:2] >= [3, 9]
    for params in (
        {"workload": "sleep_io", "executor": "thread_pool", "workers": 4, "tasks": 8, "task_size": 5},
        {"workload": "c_hash", "executor": "process_pool", "workers": 2, "tasks": 2, "task_size": 2},
        {"workload": "socket_io", "executor": "thread", "workers": 2, "tasks": 2, "task_size": 2},
        {"workload": "socket_io", "executor": "asyncio", "workers": 2, "tasks": 2, "task_size": 2},
        {"workload": "c_hash", "executor": "process", "workers": 2, "tasks": 2, "task_size": 2},
    ):
        outcome = run_cell(interpreter, "experiments.catalogue.io_vs_cpu", params, timeout_s=60)
        assert outcome.status == "ok", (python, outcome.error)
        assert outcome.metrics == {"tasks_done": params["tasks"]}
        assert outcome.gil_enabled_start is (not facts["free_threaded_build"] or facts["gil_enabled_start"])
        assert outcome.wall_s > 0 and "cpu_util_cores" in outcome.measured
    params = {"workload": "c_hash", "executor": "interpreter_pool", "workers": 2, "tasks": 2, "task_size": 2}
    outcome = run_cell(interpreter, "experiments.catalogue.io_vs_cpu", params, timeout_s=60)
    if facts["version_info"][:2] < [3, 14]:
        assert outcome.status == "skipped" and "needs Python 3.14" in outcome.error
    else:
        assert outcome.status == "ok", (python, outcome.error)


@pytest.mark.measured
def test_sleeping_tasks_overlap_on_the_event_loop_and_subinterpreters_are_explained(run_experiment):
    run = run_experiment(
        *QUICK,
        "--set",
        "workload=sleep_io",
        "--set",
        "executor=asyncio,interpreter_pool",
        "--set",
        "task_size=20",
        "--set",
        "tasks=16",
        "--set",
        "workers=8",
        "--repeat",
        "2",
    )
    df = run.csv("io_vs_cpu")
    assert median_speedup(df, executor="asyncio", workers=8) > 4
    pool = df[df["executor"] == "interpreter_pool"]
    if run.env["interpreter"]["version_info"][:2] < [3, 14]:
        assert (pool["status"] == "skipped").all() and pool["error"].str.contains("3.14").all()
