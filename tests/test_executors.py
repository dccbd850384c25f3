"""The shared executors run every task exactly once, surface a task's failure, and explain what they lack."""

import os
import sys

import pytest

from experiments.catalogue.toolkit import executors

RUNNABLE = [e for e in executors.EXECUTORS if executors.unavailable(e) is None]


def claim(index, folder):
    """Create a file named after the task: a second call for the same index raises."""
    with open(os.path.join(folder, str(index)), "x"):
        pass
    return index


async def claim_async(index, folder):
    return claim(index, folder)


def fail_on_three(index):
    if index == 3:
        raise KeyError("task three")
    return index


@pytest.mark.parametrize("fn", [claim, claim_async], ids=["sync", "async"])
@pytest.mark.parametrize("executor", RUNNABLE)
def test_every_executor_runs_each_task_exactly_once(executor, fn, tmp_path):
    task = executors.Task(fn, kwargs={"folder": str(tmp_path)})
    with executors.Runner(executor, 3, task) as run:
        run(7)
    assert sorted(int(p.name) for p in tmp_path.iterdir()) == list(range(7))


@pytest.mark.parametrize("executor", [e for e in RUNNABLE if e != "process"])
def test_a_failing_task_fails_the_run_with_its_own_exception(executor):
    with pytest.raises(KeyError, match="task three"):
        with executors.Runner(executor, 2, executors.Task(fail_on_three)) as run:
            run(6)


def test_a_failing_task_in_a_raw_process_names_its_exception():
    with pytest.raises(RuntimeError, match="KeyError: 'task three'"):
        with executors.Runner("process", 2, executors.Task(fail_on_three)) as run:
            run(6)


def test_a_static_split_covers_every_index_once():
    for tasks in (1, 5, 8, 13):
        for workers in (1, 2, 3, 8):
            ranges = executors.shares(tasks, workers)
            assert len(ranges) == workers
            covered = [i for a, b in ranges for i in range(a, b)]
            assert covered == list(range(tasks))
            sizes = [b - a for a, b in ranges]
            assert max(sizes) - min(sizes) <= 1


def test_subinterpreters_are_explained_where_missing():
    reason = executors.unavailable("interpreter_pool")
    if sys.version_info >= (3, 14):
        assert reason is None
    else:
        assert "3.14" in reason and "%d.%d" % sys.version_info[:2] in reason
    assert all(executors.unavailable(e) is None for e in executors.EXECUTORS if e != "interpreter_pool")


def test_pickling_problems_are_one_stable_line():
    assert executors.pickling_problem(executors.Task(claim)) is None
    problem = executors.pickling_problem(executors.Task(lambda i: i))
    assert problem and "lambda" in problem and " at 0x" not in problem and "\n" not in problem
