"""``advise`` and the CI gate on synthetic runs with a known answer: the recommendation follows the
model the data were drawn from, ties go to the simplest option, and every output format and bad input
behaves. The measured recommendations (real workloads, wide margins) are in test_user_function.py."""

import csv
import json

import pandas as pd
import pytest

from report.__main__ import main as report_main
from report.analysis.advice import Option, _process_note, advise
from report.analysis.load import load_results
from report.page.advice import render
from tests.support.synthetic import write_run

PROCESSES = ("process", "process_pool")


@pytest.fixture(scope="module")
def two_interpreters(tmp_path_factory):
    """A GIL build and a free-threaded build (GIL off) on one 2-core machine, 8 rounds each."""
    results = tmp_path_factory.mktemp("advise")
    write_run(results, interpreter="cpython-3.12.1", gil=True, seed=1, repeats=8, demo=False)
    write_run(
        results,
        interpreter="cpython-3.13.1t",
        gil=False,
        seed=2,
        repeats=8,
        demo=False,
        created="2026-01-01T00:10:00Z",
    )
    return results


def _advice(results, **where):
    plan = advise(load_results(results))
    found = [a for a in plan.advice if all(a.to_dict()[k] == v for k, v in where.items())]
    return plan, found


def _one(results, interpreter, workload):
    _, found = _advice(results, interpreter=interpreter)
    found = [a for a in found if ("workload=%s," % workload) in a.workload]
    assert len(found) == 1, [a.workload for a in found]
    return found[0]


def test_processes_for_pure_python_on_the_gil_build(two_interpreters):
    a = _one(two_interpreters, "cpython-3.12.1", "cpu_python")
    # The model: processes 1.9x at 2 workers and no faster at 4 or 8 on 2 cores; threads 1x.
    assert a.choice.executor in PROCESSES and a.choice.workers == 2, a.to_dict()
    assert not a.provisional
    low, high = a.choice.speed.ci_low, a.choice.speed.ci_high
    assert 1.5 < low <= a.choice.speed.median <= high < 2.4


def test_threads_when_the_gil_is_off_or_released(two_interpreters):
    ft = _one(two_interpreters, "cpython-3.13.1t", "cpu_python")
    c_hash = _one(two_interpreters, "cpython-3.12.1", "c_hash")
    # Threads and processes are within a few per cent of each other: the simpler one wins, and says so.
    for a in (ft, c_hash):
        assert a.choice.executor in ("thread", "thread_pool") and a.choice.workers == 2, a.to_dict()
        assert "simplest" in a.why


def test_io_waits_take_many_threads(two_interpreters):
    a = _one(two_interpreters, "cpython-3.12.1", "sleep_io")
    assert a.choice.executor in ("thread", "thread_pool") and a.choice.workers >= 8, a.to_dict()


def test_every_speed_is_against_one_baseline(two_interpreters):
    plan, _ = _advice(two_interpreters)
    (base,) = plan.baselines.values()
    assert base.interpreter_label == "cpython-3.12.1"  # the GIL build, not each interpreter's own
    gil = _one(two_interpreters, "cpython-3.12.1", "cpu_python")
    assert gil.runner_up is not None and gil.runner_up.speed is not None


def test_a_process_cell_that_loses_gets_its_break_even():
    rows = lambda wall, tasks=8: pd.DataFrame({"wall_s": [wall], "repeat": [0], "tasks_done": [tasks]})  # noqa: E731
    seq = Option("sequential", 1, 0.160, rows(0.160))
    threads = Option("thread", 2, 0.085, rows(0.085))
    procs = Option("process", 2, 0.120, rows(0.120))

    class TwoCores:
        cores = 2.0

    note = _process_note([seq, threads, procs], threads, [threads], TwoCores())
    # 120 ms against an ideal 80 ms: 40 ms fixed; threads reach 160/85 = 1.88x, so the work at which
    # two processes repay 40 ms is 40 / (85/160 - 1/2) ms = 1280 ms, 160 ms per task of 8 (now 20 ms).
    assert "40 ms per cell" in note and "160 ms per task (now 20 ms)" in note, note
    assert _process_note([seq, threads, procs], threads, [threads, procs], TwoCores()) is None  # a tie


def test_formats(two_interpreters):
    plan = advise(load_results(two_interpreters))
    data = json.loads(render(plan, "json"))
    assert {a["interpreter"] for a in data["advice"]} == {"cpython-3.12.1", "cpython-3.13.1t"}
    first = data["advice"][0]["recommended"]
    assert first["ci_low"] <= first["speed_vs_baseline"] <= first["ci_high"]
    md = render(plan, "markdown").splitlines()
    assert md[0].startswith("| workload |") and md[1].startswith("|---")
    assert len(md) < 3 + len(plan.advice) + 4  # short enough to paste into an issue
    assert "use process" in render(plan, "text")


def test_the_cli_and_its_errors(two_interpreters, tmp_path, report):
    out = report("advise", "--results", str(two_interpreters), "--format", "markdown")
    assert out.returncode == 0, out.stderr
    assert "| workload |" in out.stdout
    for args, words in [
        (["--format", "yaml"], "invalid choice"),
        (["--baseline", "nope"], "nope"),
    ]:
        out = report("advise", "--results", str(two_interpreters), *args)
        lines = out.stderr.strip().splitlines()
        assert out.returncode == 2 and len(lines) == 1 and lines[0].startswith("report: error:"), out.stderr
        assert words in lines[0]
    out = report("advise", "--results", str(tmp_path / "none"))
    assert out.returncode == 2 and "run `make bench` first" in out.stderr


def _slowed(results, tmp_path, factor):
    """A copy of the GIL run whose io_vs_cpu walls are ``factor`` times longer, as a later run."""
    run = write_run(
        tmp_path,
        interpreter="cpython-3.12.1",
        gil=True,
        seed=3,
        repeats=8,
        demo=False,
        created="2026-01-02T00:00:00Z",
    )
    path = run / "io_vs_cpu.csv"
    with path.open() as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["wall_s"] = repr(float(r["wall_s"]) * factor)
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return run


class Out:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def report(capsys):
    """``python -m report ARGS`` in this process: (exit code, stdout, stderr)."""

    def _run(*args):
        capsys.readouterr()
        code = report_main([str(a) for a in args])
        captured = capsys.readouterr()
        return Out(code, captured.out, captured.err)

    return _run


def test_the_ci_gate(two_interpreters, tmp_path, report):
    base = next(p for p in two_interpreters.iterdir() if "3.12" in p.name)
    same = write_run(
        tmp_path / "aa",
        interpreter="cpython-3.12.1",
        gil=True,
        seed=4,
        repeats=8,
        demo=False,
        created="2026-01-02T00:00:00Z",
    )
    out = report("--fail-on", "slower", str(base), str(same), "--output", str(tmp_path / "aa.html"))
    assert out.returncode == 0, out.stderr[-2000:]  # two runs of the same thing pass
    slow = _slowed(two_interpreters, tmp_path / "slow", 1.3)
    out = report("--fail-on", "slower", str(base), str(slow), "--output", str(tmp_path / "slow.html"))
    assert out.returncode == 1, out.stderr[-2000:]
    offending = [line for line in out.stderr.splitlines() if line.startswith("report: slower:")]
    assert offending and all("io_vs_cpu" in line and "wall_s" in line for line in offending)
    assert (tmp_path / "slow.html").exists()  # the page is written either way
    out = report(
        "--fail-on",
        "slower",
        str(base),
        str(slow),
        "--threshold",
        "50%",
        "--output",
        str(tmp_path / "t.html"),
    )
    assert out.returncode == 0, out.stderr[-2000:]  # 30 % slower is within a 50 % threshold


@pytest.mark.parametrize(
    "args, words",
    [
        (["--threshold", "5%"], "only means something with --fail-on"),
        (["--fail-on", "slower", "--threshold", "lots"], "not a percentage"),
        (["--fail-on", "faster"], "invalid choice"),
    ],
)
def test_gate_arguments_are_one_line(two_interpreters, args, words, tmp_path, report):
    out = report("--results", str(two_interpreters), "--output", str(tmp_path / "x.html"), *args)
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2 and len(lines) == 1 and words in lines[0], out.stderr


def test_the_gate_needs_two_runs(tmp_path, report):
    write_run(tmp_path, repeats=6, demo=False)
    out = report("--fail-on", "slower", "--results", str(tmp_path), "--output", str(tmp_path / "x.html"))
    assert out.returncode == 2 and "needs two runs" in out.stderr, out.stderr


def test_the_page_opens_with_the_advice(two_interpreters, tmp_path, report):
    out = report("--results", str(two_interpreters), "--output", str(tmp_path / "p.html"))
    assert out.returncode == 0, out.stderr
    html = (tmp_path / "p.html").read_text()
    assert html.index('id="advice"') < html.index('id="scorecard"')
    assert "process_pool × 2" in html or "process × 2" in html
