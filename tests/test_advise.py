"""``advise`` and the CI gate on synthetic runs with a known answer: the recommendation follows the
model the data were drawn from, ties go to the simplest option, and every output format and bad input
behaves. The measured recommendations (real workloads, wide margins) are in test_user_function.py."""

import json

import pandas as pd
import pytest

from report.__main__ import main as report_main
from report.analysis.advice import Option, _process_note, advise
from report.analysis.load import load_results
from report.page.advice import render
from tests.support.synthetic import edit_rows, scale_metric, write_run

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


def _open_options(a) -> str:
    """The options an inconclusive advice names as unsettled (its why, before the fastest)."""
    assert a.verdict == "inconclusive" and a.choice is None and a.provisional
    return a.why.split(" not shown slower")[0]


def test_processes_for_pure_python_on_the_gil_build(two_interpreters):
    a = _one(two_interpreters, "cpython-3.12.1", "cpu_python")
    # The model: processes 1.9x at 2 workers and no faster at 4 or 8 on 2 cores; threads 1x. 8 rounds
    # cannot show the process options within ±5 % of each other: inconclusive among processes only.
    if a.choice is not None:
        assert a.choice.executor in PROCESSES, a.to_dict()
    else:
        assert "process" in _open_options(a) and "thread" not in _open_options(a), a.why
        assert "sequential" not in _open_options(a) and "rounds" in a.why
    best = a.choice or a.runner_up
    assert (
        best.executor in PROCESSES
        and 1.5 < best.speed.ci_low <= best.speed.median <= best.speed.ci_high < 2.4
    )


def test_threads_when_the_gil_is_off_or_released(two_interpreters):
    ft = _one(two_interpreters, "cpython-3.13.1t", "cpu_python")
    c_hash = _one(two_interpreters, "cpython-3.12.1", "c_hash")
    # Threads and processes are within a few per cent of each other: a simpler option shown equivalent
    # to the fastest wins, and says so; never one worker.
    assert c_hash.choice.executor in ("thread", "thread_pool") and c_hash.choice.workers >= 2, (
        c_hash.to_dict()
    )
    assert c_hash.verdict == "equivalent" and "simpler and shown equivalent to the fastest" in c_hash.why
    assert ft.choice is not None and ft.choice.workers >= 2 and ft.choice.executor != "sequential", (
        ft.to_dict()
    )


def test_io_waits_take_many_threads(two_interpreters):
    a = _one(two_interpreters, "cpython-3.12.1", "sleep_io")
    if a.choice is not None:
        assert a.choice.executor in ("thread", "thread_pool") and a.choice.workers >= 8, a.to_dict()
    else:  # thread × 32 against thread_pool × 32: which pool, not whether threads
        assert _open_options(a) == "inconclusive: thread_pool × 32" and "rounds would settle it" in a.why


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
    first = next(a["recommended"] for a in data["advice"] if a["recommended"])
    assert first["ci_low"] <= first["speed_vs_baseline"] <= first["ci_high"]
    assert {a["verdict"] for a in data["advice"]} <= {"fastest", "equivalent", "inconclusive", "only option"}
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
    scale_metric(run, factor)
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
    assert "report: slower:" not in out.stderr
    slow = _slowed(two_interpreters, tmp_path / "slow", 1.3)
    args = [str(base), str(slow), "--output", str(tmp_path / "slow.html")]
    out = report("--fail-on", "slower", *args)
    # One pair of separately started runs: a common 1.3x cannot be told from the machine's drift, so
    # the gate says "inconclusive" (never "ok"), exits 0, and names the shift it could not judge.
    assert out.returncode == 0 and "report: ok" not in out.stderr, out.stderr[-2000:]
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("report: inconclusive: nothing shown slower"), last
    assert "all cells together: inconclusive 1.3" in out.stderr and "machine or code" in out.stderr
    assert (tmp_path / "slow.html").exists()  # the page is written either way
    strict = report("--fail-on", "slower,inconclusive", *args)
    assert strict.returncode == 1, strict.stderr[-2000:]


def test_the_readme_gate_with_four_runs_fails_on_the_regressed_one(tmp_path, report):
    """Three runs of the old code and one doing its work twice, in one folder: the regressed run is
    judged against the run-to-run noise of the other three (never its own), and the gate fails."""
    folder = tmp_path / "ci"
    for i in range(3):
        write_run(folder, interpreter="cpython-3.12.1", seed=10 + i, repeats=8, demo=False,
                  created="2025-12-0%dT00:00:00Z" % (i + 1))  # fmt: skip
    slow = _slowed(folder, folder, 2.0)
    assert slow.parent == folder
    out = report("--fail-on", "slower", "--results", str(folder), "--output", str(tmp_path / "ci.html"))
    assert out.returncode == 1, out.stderr[-3000:]
    offending = [line for line in out.stderr.splitlines() if line.startswith("report: slower:")]
    assert offending and all(slow.name in line for line in offending), offending
    assert any("all cells together: slower" in line and "cause: code" in line for line in offending)
    assert out.stderr.strip().splitlines()[-1].startswith("report: FAIL:")


def test_runs_of_one_invocation_count_once_in_the_run_to_run_noise(tmp_path):
    """Runs of the same code measured interleaved in one invocation do not measure the noise between
    separate starts (their drift cancels): with only such runs beside it, a separately started run is
    judged as a single pair ("machine or code"), never against their too-small spread."""
    from report.analysis.compare import compare_runs
    from report.analysis.separately import baseline_runs

    folder = tmp_path / "runs"
    together = [write_run(folder, interpreter="cpython-3.12.1", seed=20 + i, repeats=8, demo=False,
                          created="2025-12-01T00:0%d:00Z" % i) for i in range(2)]  # fmt: skip
    _invocation(together)
    later = _slowed(folder, folder, 1.2)
    results = load_results(folder)
    runs = {r.path.name: r for r in results.runs}
    base, other = runs[together[0].name], runs[later.name]
    family = compare_runs(base, other, lambda name: ["wall_s"] if name == "io_vs_cpu" else [], results)
    assert [r.run_id for r in baseline_runs(family, results, "io_vs_cpu")] == [base.run_id]
    (shift,) = [s for s in family.shifts if s["metric"] == "wall_s"]
    assert shift["runs"] == 1 and shift["cause"] == "machine or code"
    assert shift["shift"].verdict == "inconclusive"
    _invocation([together[1]], "inv-2")  # started on its own: now a repeated run of the baseline
    results = load_results(folder)
    runs = {r.path.name: r for r in results.runs}
    family = compare_runs(runs[together[0].name], runs[later.name], lambda n: ["wall_s"], results)
    assert len(baseline_runs(family, results, "io_vs_cpu")) == 2


def test_the_gate_threshold_means_what_it_says(tmp_path, report):
    """Interleaved runs (one invocation) of a 30 % slower build: slower at 5 % and at 2 %, not at 50 %."""
    from tests.support.synthetic import write_pair

    base, slow = write_pair(tmp_path / "pair", factor=1.3)
    for threshold, code in (("2%", 1), ("5%", 1), ("50%", 0)):
        out = report("--fail-on", "slower", "--threshold", threshold, str(base), str(slow),
                     "--output", str(tmp_path / "p.html"))  # fmt: skip
        assert out.returncode == code, (threshold, out.stderr[-2000:])
    # Where nothing failed, the gate says what all cells together showed (the pooled figure).
    together = [ln for ln in out.stderr.splitlines() if ln.startswith("report: together: ")]
    walls = [ln for ln in together if "io_vs_cpu wall_s over" in ln]
    assert len(walls) == 1 and ": equivalent 1.3" in walls[0] and slow.name in walls[0], out.stderr[-2000:]
    assert (
        "shown slower than the baseline by more than 2 %"
        in report(
            "--fail-on",
            "slower",
            "--threshold",
            "2%",
            str(base),
            str(slow),
            "--output",
            str(tmp_path / "p.html"),
        ).stderr
    )


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


def _invocation(folders: list, name: str = "inv-1") -> None:
    """Mark run folders as measured in one interleaved invocation."""
    for folder in folders:
        path = folder / "environment.json"
        env = json.loads(path.read_text())
        env["config"]["invocation_id"] = name
        path.write_text(json.dumps(env))


def test_an_interpreter_is_advised_only_where_its_advantage_is_shown(tmp_path):
    gil = write_run(tmp_path, interpreter="cpython-3.12.1", gil=True, seed=1, repeats=8, demo=False)
    ft = write_run(tmp_path, interpreter="cpython-3.13.1t", gil=False, seed=1, repeats=8, demo=False,
                   created="2026-01-01T00:00:01Z")  # fmt: skip
    scale_metric(ft, 0.6)  # everything 40 % faster on the free-threaded build, round by round
    _invocation([gil, ft])
    plan = advise(load_results(tmp_path))
    assert len(plan.interpreters) == 4  # one per workload panel
    for line in plan.interpreters:
        a = line["advice"]
        assert a.choice == "cpython-3.13.1t (GIL off)" and a.verdict == "fastest", a.reason
    text = render(plan, "text")
    assert "interpreter cpython-3.13.1t (GIL off) (fastest, and every simpler option is shown slower" in text
    # the same data without the change: the free-threaded build is never advised
    scale_metric(ft, 1 / 0.6)
    for line in advise(load_results(tmp_path)).interpreters:
        assert line["advice"].choice in (None, "cpython-3.12.1 (GIL on)"), line["advice"].reason


def test_a_busy_machine_says_what_it_could_not_show(tmp_path):
    # the in-round probe of CPU-bound cells read a busy machine
    busy = _busy_machine(tmp_path, "1.05", 1.0)
    cpu = busy["workload=cpu_python"]
    note = [n for n in cpu.notes if "cores' worth" in n]
    assert note and "gave 1.05 cores' worth of parallel work of its 2" in note[0], cpu.notes
    assert "cannot show whether they beat" in note[0]
    sleep = busy["workload=sleep_io"]
    assert not any("cores' worth" in n for n in sleep.notes)  # no capacity probe on I/O cells


def _busy_machine(tmp_path, capacity: str, process_factor: float):
    """A GIL build's run whose CPU-bound rounds probed ``capacity`` cores' worth, its process cells'
    times multiplied by ``process_factor`` (what a neighbour on a core does to them)."""
    run = write_run(tmp_path, seed=5, repeats=8, demo=False)

    def busy(r: dict) -> None:
        cpu_bound = r["workload"] in ("cpu_python", "c_hash")
        r["round_capacity"] = capacity if cpu_bound else ""
        if cpu_bound and r["executor"] in PROCESSES and r["wall_s"]:
            r["wall_s"] = repr(float(r["wall_s"]) * process_factor)

    edit_rows(run, busy)
    plan = advise(load_results(tmp_path))
    return {a.workload.split(",")[0]: a for a in plan.advice}


def test_a_busy_machine_never_makes_sequential_beat_processes(tmp_path):
    """Pure Python on a GIL build, one core taken by a neighbour: processes got 1.05 cores' worth and
    lost to sequential (0.9x). With the core they lacked they could reach ~1.7x: inconclusive, saying
    why, never "use sequential". The same times on a machine that gave both cores are a real loss."""
    busy = _busy_machine(tmp_path / "busy", "1.05", 1.9 / 0.9)["workload=cpu_python"]
    assert busy.choice is None and busy.verdict == "inconclusive" and busy.provisional, busy.why
    assert "gave 1.05 cores' worth of parallel work of its 2" in busy.why
    assert "could reach about" in busy.why and "with the cores it lacked" in busy.why
    assert busy.runner_up is not None and busy.runner_up.executor in ("sequential", "thread", "thread_pool")
    assert busy.machine_bound and busy.to_dict()["machine_bound"]
    text = render(advise(load_results(tmp_path / "busy")), "text")
    assert "inconclusive: the machine gave too few cores' worth to decide\n  runner-up: " in text
    quiet = _busy_machine(tmp_path / "quiet", "1.95", 1.9 / 0.9)["workload=cpu_python"]
    assert quiet.choice is not None and quiet.choice.executor not in PROCESSES, quiet.why
    assert "cores it lacked" not in quiet.why and not quiet.machine_bound
    # Where the choice uses the cores as processes do (C code releasing the GIL on threads), the
    # cores both lacked cancel: threads still win.
    c_hash = _busy_machine(tmp_path / "c_hash", "1.05", 1.0)["workload=c_hash"]
    assert "cores it lacked" not in c_hash.why, c_hash.why
