"""Measuring a user's own function (--workload): the physics it must show, and every bad function
ending as one clear line or a row, never a traceback or a hung run (wide margins, no wall times)."""

import re
import sys
from pathlib import Path

import pandas as pd
import pytest

from experiments.catalogue.user_function import PATH_ENV
from experiments.harness.cell_runner import Interpreter, run_cell
from experiments.harness.interpreters import discover, is_free_threaded
from experiments.harness.plan import plan_run
from experiments.harness.workload_check import Workload, _notes
from report.analysis.advice import advise
from report.analysis.load import load_results
from tests.conftest import ROOT, run_cli
from tests.sample_workloads import raises_from_fifth
from tests.support.measured import capacity, median_speedup, two_cores


def _free_threaded_build():
    """A free-threaded CPython this machine offers, found as ``gilbench interpreters`` finds one (the
    project's own ``make python-ft`` build, PATH, pyenv, uv), or None."""
    builds = [path for path in discover() if is_free_threaded(path)]
    return Path(builds[-1]) if builds else None


FREE_THREADED = _free_threaded_build()
THREADS = ("thread", "thread_pool")
PROCESSES = ("process", "process_pool")


def _workload_run(run_experiment, function, *extra):
    return run_experiment("--workload", function, "--profile", "quick", *extra)


def _speedups(df, executors):
    """Median speedup of each executor at 2 workers (every row of it ok)."""
    out = {}
    for executor in executors:
        out[executor] = median_speedup(df, executor=executor, workers=2)
    return out


def _recommended(run, gil_on: bool):
    """``advise``'s choice for the run's interpreter with the GIL on or off (one panel each)."""
    plan = advise(load_results(run.path.parent))
    found = [a for a in plan.advice if (a.run.gil == "on") == gil_on]
    assert len(found) == 1, [a.to_dict() for a in plan.advice]
    best = found[0].choice or found[0].runner_up  # advised, else the fastest by median
    assert best.speed is not None and best.speed.n >= 6, found[0].to_dict()
    return found[0]


def _right_or_inconclusive(advice, executors: tuple) -> None:
    """The advice is one of ``executors``, or inconclusive with the fastest by median among them and
    the rounds that would settle it (issue 19: right or inconclusive, never the opposite)."""
    if advice.choice is not None:
        assert advice.choice.executor in executors, advice.to_dict()
    else:
        assert advice.verdict == "inconclusive" and advice.runner_up.executor in executors, advice.to_dict()


def _right_or_tied(advice, executors: tuple, speedups: dict) -> None:
    """Where the textbook's choice ties with the other kind in speed (zlib, or pure Python with the
    GIL off: threads and processes both use the second core; threads only save the start): the
    advice never picks the other kind. Inconclusive may name either as the fastest by median, and
    then the textbook's choice is within 10 % of it. (Asking for threads as the runner-up failed two
    quiet make tests in a row: process_pool 1.64x and 1.74x, a coin flip with threads.)"""
    if advice.choice is not None:
        assert advice.choice.executor in executors, advice.to_dict()
        return
    assert advice.verdict == "inconclusive", advice.to_dict()
    if advice.runner_up.executor not in executors:
        assert max(speedups.values()) >= 0.9 * advice.runner_up.speed.median, (speedups, advice.to_dict())


def _machine_can_show_parallel(run) -> bool:
    """Two loop processes got 1.4x of one at the run's start and end and in its rounds' own probes: a
    parallel gain can be seen (a busy core on a shared machine leaves one: then no option may beat
    one thread, and advise says so)."""
    df = run.csv("user_function")
    return two_cores() and capacity(run, rows=df[df["executor"] != "sequential"]) >= 1.4


@pytest.mark.measured
def test_pure_python_runs_faster_on_processes_than_on_gil_threads(run_experiment):
    run = _workload_run(
        run_experiment,
        "tests.sample_workloads:pure_python",
        "--set",
        "executor=thread,thread_pool,process,process_pool",
        "--capacity-rounds",
        "3",
    )
    if not run.env["interpreter"]["gil_enabled_start"]:
        pytest.skip("the project's Python runs without the GIL")
    df = run.csv("user_function")
    assert (df["function"] == "tests.sample_workloads:pure_python").all()
    assert (df["task_ms"] > 0).all() and (df["gil_enabled_end"] == True).all()  # noqa: E712
    s = _speedups(df, THREADS + PROCESSES)
    # One at a time under the GIL: about 1x quiet, up to 1.26x with other work loading 2 cores to 5
    # (test_io_vs_cpu says why 1.5x).
    assert df[df["executor"].isin(THREADS)]["speedup"].median() < 1.5, s
    if two_cores():
        # Processes use the second core as far as the machine gives it (its start, its end and its
        # rounds' own probes): each process executor's speedup, a ratio from its own rounds, against
        # that capacity. Not against the threads' speedup: with other work loading 2 cores to 5, GIL
        # threads came out at 1.13-1.26x of one thread and processes at 1.08-1.12x, at a capacity of
        # 1.32x (the threads' own bound is asserted above).
        cap = capacity(run, rows=df[df["executor"].isin(PROCESSES)])
        assert min(s[e] for e in PROCESSES) > min(1.25, 0.7 * cap), (cap, s)
    if _machine_can_show_parallel(run):
        _right_or_inconclusive(_recommended(run, gil_on=True), PROCESSES)


@pytest.mark.measured
def test_zlib_threads_scale_on_the_gil_build(run_experiment):
    if not two_cores():
        pytest.skip("one core: nothing can scale")
    run = _workload_run(
        run_experiment,
        "tests.sample_workloads:zlib_compress",
        "--set",
        "executor=thread,thread_pool,process_pool",
        "--capacity-rounds",
        "3",
    )
    s = _speedups(run.csv("user_function"), THREADS)
    # zlib drops the GIL while it compresses: two threads use the second core.
    assert min(s.values()) > min(1.25, 0.7 * capacity(run)), (s, capacity(run))
    if _machine_can_show_parallel(run):
        # ... as well as processes do, without their cost: advise says threads, or cannot tell.
        _right_or_tied(_recommended(run, gil_on=True), THREADS, s)


@pytest.mark.measured
@pytest.mark.skipif(
    FREE_THREADED is None, reason="no free-threaded build on this machine (make python-ft builds one)"
)
def test_pure_python_threads_scale_with_the_gil_off(run_experiment):
    # Without --gil the free-threaded build runs twice in the same interleaved rounds: GIL off, GIL on.
    run = _workload_run(
        run_experiment,
        "tests.sample_workloads:pure_python",
        "--set",
        "executor=thread,thread_pool,process_pool",
        "--python",
        str(FREE_THREADED),
        "--capacity-rounds",
        "3",
    )
    # One run folder per variant, in the same results folder.
    df = pd.concat(pd.read_csv(p / "user_function.csv") for p in run.path.parent.iterdir() if p.is_dir())
    off, on = df[df["gil_enabled_end"] == False], df[df["gil_enabled_end"] == True]  # noqa: E712
    assert len(off) and len(on), df["gil_enabled_end"].value_counts()
    assert on[on["executor"].isin(THREADS)]["speedup"].median() < 1.3
    if two_cores():
        # Each round's GIL-off speedup against the same round's GIL-on one: drift between rounds cancels.
        ratios = []
        for executor in THREADS:
            a = off[(off["executor"] == executor) & (off["workers"] == 2)].set_index("repeat")["speedup"]
            b = on[(on["executor"] == executor) & (on["workers"] == 2)].set_index("repeat")["speedup"]
            ratios += list((a / b).dropna())
        ratio = float(pd.Series(ratios).median())
        assert ratio > min(1.15, 0.8 * capacity(run)), (ratio, capacity(run))
    if _machine_can_show_parallel(run):
        # GIL off: threads use both cores without the processes' start and pickling; GIL on: processes.
        _right_or_tied(_recommended(run, gil_on=False), THREADS, _speedups(off, THREADS))
        _right_or_inconclusive(_recommended(run, gil_on=True), PROCESSES)


@pytest.mark.parametrize(
    "function, args, words",
    [
        ("nosuch_package.tasks:work", [], "cannot import nosuch_package.tasks:work under"),
        ("tests.sample_workloads:nope", [], "has no attribute 'nope'"),
        ("tests.sample_workloads:NOT_CALLABLE", [], "is not callable"),
        ("tests.sample_workloads:raises", [], "raised ValueError: bad input 0 on a sample call raises(0)"),
        ("tests.sample_workloads:never_returns", [], "did not return from a sample call never_returns(0)"),
        ("tests.sample_workloads:generator", [], "generator function"),
        ("tests.sample_workloads:exits_the_interpreter", [], "crashed cpython-"),
        ("tests.sample_workloads:pure_python", ["--workload-args", '{"sise": 3}'], "unexpected keyword"),
        ("tests.sample_workloads:pure_python", ["--workload-args", "[3]"], "must be a JSON object"),
        ("tests.sample_workloads:pure_python", ["--workload-args", "{size: 3}"], "not valid JSON"),
        ("tests.sample_workloads:pure_python", ["--path", "/no/such/dir"], "is not a folder"),
        ("tests/sample_workloads.py:raises", [], "name the module, not its file"),
    ],
)
def test_a_bad_workload_is_one_line_before_anything_is_measured(function, args, words, tmp_path):
    out = run_cli("run", "--workload", function, *args, "--profile", "quick", "--results", str(tmp_path))
    assert out.returncode == 2, out.stderr[-1500:]
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gilbench: error: "), out.stderr
    assert words in lines[0] and "Traceback" not in out.stderr
    assert not list(tmp_path.iterdir())  # no run folder: nothing was measured


def test_options_of_a_workload_need_the_workload(tmp_path):
    out = run_cli("run", "--workload-args", "{}", "--results", str(tmp_path))
    assert out.returncode == 2 and "go with --workload" in out.stderr
    out = run_cli("run", "--only", "user_function", "--results", str(tmp_path))
    assert out.returncode == 2 and "give --workload MODULE:FUNCTION" in out.stderr
    out = run_cli("run", "--workload", "a:b", "--set", "function=c:d", "--results", str(tmp_path))
    assert out.returncode == 2 and "not --set" in out.stderr


def test_a_function_that_cannot_be_pickled_skips_process_executors_and_the_rest_run(tmp_path):
    out = run_cli(
        "run",
        "--workload",
        "tests.sample_workloads:lambda_task",
        "--profile",
        "quick",
        "--set",
        "executor=thread_pool,process_pool",
        "--repeat",
        "2",
        "--capacity-rounds",
        "1",
        "--results",
        str(tmp_path),
    )
    assert out.returncode == 0, out.stderr[-1500:]
    assert "gilbench: note: under cpython-" in out.stderr and "process_pool will be skipped" in out.stderr
    from tests.conftest import Run

    df = Run(Path(out.stdout.strip().splitlines()[-1])).csv("user_function")
    by = {e: g for e, g in df.groupby("executor")}
    assert (by["process_pool"]["status"] == "skipped").all()
    assert by["process_pool"]["error"].str.contains("cannot be pickled").all()
    assert by["process_pool"]["error"].str.contains("define it with def at module level").all()
    assert (by["thread_pool"]["status"] == "ok").all() and by["thread_pool"]["speedup"].notna().all()


def test_a_run_whose_every_cell_fails_has_error_rows_goes_on_and_exits_non_zero(tmp_path, capsys):
    # raises_after_first passes the check (task 0), then fails on task 1 in every cell.
    out = run_cli(
        "run",
        "--workload",
        "tests.sample_workloads:raises_after_first",
        "--profile",
        "quick",
        "--set",
        "executor=thread_pool,process",
        "--repeat",
        "1",
        "--capacity-rounds",
        "1",
        "--results",
        str(tmp_path),
    )
    assert out.returncode == 1, out.stderr[-1500:]
    last = out.stderr.strip().splitlines()[-1]
    assert "every cell of user_function failed" in last and "ValueError: bad input 1" in last
    from tests.conftest import Run

    run = Run(next(p for p in tmp_path.iterdir() if p.is_dir()))
    df = run.csv("user_function")
    assert len(df) == 3 and (df["status"] == "error").all()
    assert df["error"].str.contains("ValueError: bad input 1 at sample_workloads.py:").all()
    assert run.env["capacity"]["end"]  # the run went on to its end
    # advise names the function and why, instead of "nothing to advise" alone.
    from report.__main__ import main as report_main

    assert report_main(["advise", "--results", str(tmp_path)]) == 0
    said = capsys.readouterr().out
    assert "user_function tests.sample_workloads:raises_after_first failed in every cell" in said
    assert "ValueError: bad input 1 at sample_workloads.py:" in said


@pytest.mark.parametrize("executor", ["sequential", "thread", "thread_pool", "process", "process_pool"])
def test_an_error_row_names_the_line_of_the_users_file(executor):
    # The calls before the region pass (tasks 0..2); the fifth task raises inside it.
    outcome = _user_cell(executor, "tests.sample_workloads:raises_from_fifth", tasks=8)
    assert outcome.status == "error"
    line = raises_from_fifth.__code__.co_firstlineno + 3  # its raise statement
    assert re.match(r"ValueError: bad input \d+ at sample_workloads.py:%d$" % line, outcome.error), (
        outcome.error
    )


def _user_cell(executor, function, timeout_s=60, python=sys.executable, **given):
    params = {"function": function, "function_args": "{}", "executor": executor, "workers": 2, "tasks": 4}
    params.update(given)
    return run_cell(
        Interpreter(python, {PATH_ENV: str(ROOT)}), "experiments.catalogue.user_function", params, timeout_s
    )


def test_a_function_that_never_returns_inside_a_cell_is_a_timeout_row():
    outcome = _user_cell("thread_pool", "tests.sample_workloads:hangs_after_first", timeout_s=3)
    assert outcome.status == "timeout" and "3 s cell timeout" in outcome.error


def _pyenv_39():
    path = Path.home() / ".pyenv/versions/3.9.18/bin/python3"
    return str(path) if path.exists() else None


@pytest.mark.skipif(_pyenv_39() is None, reason="no CPython 3.9 under ~/.pyenv")
def test_python_3_9_runs_the_worker_side():
    for executor, function in (
        ("thread_pool", "tests.sample_workloads:pure_python"),
        ("process_pool", "tests.sample_workloads:zlib_compress"),
        ("asyncio", "tests.sample_workloads:async_sleeps"),
        ("asyncio", "tests.sample_workloads:sleeps"),
    ):
        outcome = _user_cell(executor, function, python=_pyenv_39())
        assert outcome.status == "ok", (executor, function, outcome.error)
        assert outcome.metrics["tasks_done"] == 4 and outcome.metrics["task_ms"] > 0
    outcome = _user_cell("interpreter_pool", "tests.sample_workloads:sleeps", python=_pyenv_39())
    assert outcome.status == "skipped" and "3.14" in outcome.error


@pytest.mark.measured
def test_async_functions_overlap_on_the_event_loop():
    seq = _user_cell("sequential", "tests.sample_workloads:async_sleeps")
    loop = _user_cell("asyncio", "tests.sample_workloads:async_sleeps", workers=4)
    assert seq.status == loop.status == "ok"
    # 4 waits of 10 ms: one after another on the sequential cell, two at a time on the loop.
    assert seq.wall_s > 1.5 * loop.wall_s


def test_notes_name_what_will_be_skipped_and_a_gil_turned_back_on():
    plan = plan_run("quick", workload={"function": "m:f"})[0]
    answer = {
        "pickle_problem": "PicklingError: no",
        "unavailable": {"interpreter_pool": "needs 3.14"},
        "gil_enabled_before": False,
        "gil_enabled_after_import": True,
    }
    notes = _notes(answer, Workload("m:f"), plan)
    assert notes[0] == "interpreter_pool will be skipped: needs 3.14"
    assert notes[1].startswith(
        "process, process_pool will be skipped: m:f cannot be pickled (PicklingError: no)"
    )
    assert "turned the GIL back on" in notes[2]
    assert _notes({"gil_enabled_before": True, "gil_enabled_after": True}, Workload("m:f"), plan) == []


def test_a_workload_run_resumes_with_its_own_function(run_experiment, tmp_path):
    run = _workload_run(
        run_experiment, "tests.sample_workloads:sleeps", "--workload-args", '{"ms": 2}', "--repeat", "1"
    )
    assert run.env["config"]["workload"]["args"] == {"ms": 2}
    rows = len(run.csv("user_function"))
    out = run_cli("run", "--resume", run.path.name, "--results", str(run.path.parent))
    assert out.returncode == 0, out.stderr[-1500:]
    assert len(run.csv("user_function")) == rows  # nothing was missing, nothing ran twice


def test_a_note_shared_by_several_interpreters_is_printed_once_naming_them_all():
    from experiments.harness.workload_check import check_workloads

    plan = plan_run("quick", workload={"function": "tests.sample_workloads:lambda_task"})[0]
    interps = [Interpreter(sys.executable, {}, label) for label in ("first", "second")]
    notes = check_workloads(interps, Workload("tests.sample_workloads:lambda_task", path=str(ROOT)), plan)
    pickling = [n for n in notes if "cannot be pickled" in n]
    assert len(pickling) == 1 and pickling[0].startswith(
        "under first, second: process, process_pool will be skipped"
    )


def test_a_cell_that_hangs_costs_its_limit_once(tmp_path, monkeypatch):
    # hangs_from_fifth passes the check and the calls before the region (tasks 0..3), then hangs in
    # every cell: the unrecorded warm-up's timeout is that cell's result, not a reason to wait again.
    from experiments.harness import cli, orchestrator, registry

    spec = registry.spec("user_function")
    quick = spec.profiles["quick"].replace(timeout_s=3)
    monkeypatch.setitem(spec.profiles, "quick", quick)
    calls = []
    real = orchestrator.run_cell

    def counted(interp, module, params, *rest):
        if module.endswith("user_function"):
            calls.append(params["executor"])
        return real(interp, module, params, *rest)

    monkeypatch.setattr(orchestrator, "run_cell", counted)
    argv = ["run", "--workload", "tests.sample_workloads:hangs_from_fifth", "--profile", "quick"]
    argv += ["--set", "executor=thread_pool", "--repeat", "2", "--capacity-rounds", "1"]
    assert cli.main(argv + ["--results", str(tmp_path)]) == 1
    # One run each: the warm-up's timeout stands for round 0, and round 1 does not wait again.
    assert sorted(calls) == ["sequential", "thread_pool"]
    from tests.conftest import Run

    df = Run(next(p for p in tmp_path.iterdir() if p.is_dir())).csv("user_function")
    assert list(df.sort_values("repeat")["status"]) == ["timeout", "timeout", "skipped", "skipped"]
    assert df.loc[df["repeat"] == 1, "error"].str.contains("not run again: it timed out in round 0").all()
