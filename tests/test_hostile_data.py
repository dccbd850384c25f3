"""Impossible data is refused: the rows of issue 14's table, through ``python -m report`` as users meet it."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from experiments.harness.plan import load_experiment
from report.analysis.load import DataProblems, load_results
from tests.conftest import ROOT
from tests.support.synthetic import io_grid, write_experiment, write_run

#: The rows the tests below spoil: four ok rows of io_vs_cpu.csv (file lines 3 to 6).
SPOILED = (1, 2, 3, 4)


@pytest.fixture
def run(tmp_path):
    """(results folder, run folder) of a small clean synthetic run."""
    grid = [p for p in io_grid(workers_cpu=(1, 2), workers_io=(1, 4)) if p[1] in ("sequential", "thread")]
    results = tmp_path / "results"
    return results, write_run(results, seed=5, repeats=3, grid=grid)


def report(results: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "report",
            "--results",
            str(results),
            "--output",
            str(results / "r.html"),
            *args,
        ],
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=300,
    )


def rewrite(path: Path, change) -> list:
    """Apply ``change(rows)`` to a CSV's data rows (lists of fields); return the header."""
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode())))
    header, body = rows[0], rows[1:]
    body = change(header, body)
    out = io.StringIO()
    csv.writer(out).writerows([header] + body)
    path.write_bytes(out.getvalue().encode())
    return header


def set_value(path: Path, column: str, value: str, rows=SPOILED) -> None:
    def change(header, body):
        for i in rows:
            body[i][header.index(column)] = value
        return body

    rewrite(path, change)


def assert_refused(out: subprocess.CompletedProcess, path: Path, lines, *fragments) -> None:
    """Exit 2, every stderr line a ``report: error:`` line, one per spoiled line (the first twenty, then a
    count), a last line saying what to do, no page."""
    assert out.returncode == 2, out.stderr
    errors = out.stderr.strip().splitlines()
    assert all(e.startswith("report: error: ") for e in errors), out.stderr
    named = [e for e in errors if e.startswith("report: error: %s:" % path)]
    assert [int(e.split("%s:" % path)[1].split(":")[0]) for e in named] == sorted(lines)[:20], out.stderr
    assert len(errors) == len(named) + 1 + (len(lines) > 20)
    assert errors[-1].startswith("report: error: %d row" % len(lines))
    for fragment in fragments:
        assert all(fragment in e for e in named), (fragment, out.stderr)
    assert "--lenient" in errors[-1] and "no page was written" in errors[-1]
    assert not (path.parent.parent / "r.html").exists()


def test_duplicated_rows_are_refused_and_counted_once_when_lenient(run):
    results, folder = run
    path = folder / "io_vs_cpu.csv"
    clean = load_results(results).frame("io_vs_cpu")
    rewrite(path, lambda header, body: [r for row in body for r in (row, row)])
    out = report(results)
    copies = [3 + 2 * i for i in range(len(clean))]  # every even row is the copy of the line above it
    assert_refused(out, path, copies, "repeats line", "remove the repeated line")
    lenient = load_results(results, lenient=True)
    pd.testing.assert_frame_equal(lenient.frame("io_vs_cpu"), clean)
    assert {p.line for p in lenient.problems} == set(copies)


def test_negative_time_is_refused(run):
    results, folder = run
    path = folder / "io_vs_cpu.csv"
    set_value(path, "wall_s", "-1.0")
    out = report(results)
    assert_refused(out, path, [i + 2 for i in SPOILED], "wall_s: -1 is below 0, the least a duration")


def test_absurd_value_is_refused_and_leaves_no_overflow_when_lenient(run):
    results, folder = run
    path = folder / "io_vs_cpu.csv"
    set_value(path, "wall_s", "1e308")
    out = report(results)
    assert_refused(out, path, [i + 2 for i in SPOILED], "1e+308 s is longer than the run that measured it")
    assert "Warning" not in out.stderr
    out = report(results, "--lenient")
    assert out.returncode == 0, out.stderr
    assert "Warning" not in out.stderr and "overflow" not in out.stderr
    assert [ln for ln in out.stderr.splitlines() if ln.startswith("report: warning: left out")]
    page = (results / "r.html").read_text()
    assert 'id="data-problems"' in page and "io_vs_cpu.csv:3: wall_s" in page
    text = re.sub(r'src="data:[^"]*"', "", page)
    assert not re.search(r"\d{16,}", text) and "e+308" not in text.split('id="data-problems"')[0]


def test_empty_wall_time_of_an_ok_row_is_refused(run):
    results, folder = run
    path = folder / "io_vs_cpu.csv"
    set_value(path, "wall_s", "")
    out = report(results)
    assert_refused(out, path, [i + 2 for i in SPOILED], "wall_s is empty in an ok row")


def test_many_problems_print_the_first_twenty_and_a_count(run):
    results, folder = run
    path = folder / "io_vs_cpu.csv"
    total = len(load_results(results).frame("io_vs_cpu"))
    set_value(path, "speedup", "inf", rows=range(total))
    out = report(results)
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2 and len(lines) == 22, out.stderr
    assert lines[20] == "report: error: ... and %d more like these" % (total - 20)
    assert lines[21].startswith("report: error: %d rows in 1 file cannot be trusted" % total)


def _problems(results) -> list:
    with pytest.raises(DataProblems) as info:
        load_results(results)
    assert "\n" not in str(info.value)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    "column, value, message",
    [
        ("status", "finished", "unknown status 'finished' (expected one of ok, error"),
        ("schema_version", "3", "schema_version 3, but its run folder is version 2"),
        ("repeat", "-1", "repeat -1 is not a repetition number"),
        ("workers", "0", "workers: 0 is below 1, its least value"),
        ("workers", "2", "cell_id says workers=1 but column workers holds 2"),
        ("workload", "gpu", "workload: 'gpu' is not one of cpu_python, c_hash, sleep_io, socket_io"),
        ("cell_id", "garbage", "cell_id 'garbage' does not name this experiment's parameters"),
        ("experiment", "convoy", "experiment 'convoy' in io_vs_cpu.csv"),
        ("cpu_util_cores", "inf", "cpu_util_cores: inf is not finite"),
        ("tasks_done", "-3", "tasks_done: -3 is below 0, the least a count"),
        ("process_wall_s", "9e9", "process_wall_s: 9000000000 s is longer than the run that measured it"),
        ("ctx_voluntary", "1e300", "ctx_voluntary: 1e+300 is beyond anything a run measures"),
    ],
)
def test_each_rule_names_file_line_and_fix(run, column, value, message):
    results, folder = run
    path = folder / "io_vs_cpu.csv"
    set_value(path, column, value, rows=(0,))
    problems = _problems(results)
    assert problems == ["%s:2: %s" % (path, problems[0].split(":2: ", 1)[1])], problems
    assert message in problems[0] and problems[0].endswith("correct or remove that line, or re-measure")


def test_fractions_and_flags_stay_within_0_and_1(run):
    results, folder = run
    path = write_experiment(folder, load_experiment("deadlock").module, repeats=2)
    df = pd.read_csv(path)
    row = int(df.index[df["status"].eq("ok") & df["detected"].notna()][0])
    set_value(path, "detected", "2", rows=(row,))
    assert _problems(results) == [
        "%s:%d: detected: 2 is above 1, the most a flag can be; the file is damaged: correct or remove "
        "that line, or re-measure" % (path, row + 2)
    ]


def test_a_clean_run_and_its_lenient_reading_agree(run):
    results, _ = run
    strict, lenient = load_results(results), load_results(results, lenient=True)
    assert not lenient.problems
    for name in strict.frames:
        pd.testing.assert_frame_equal(strict.frame(name), lenient.frame(name))


@pytest.mark.parametrize(
    "name, damage, fragment",
    [
        ("environment.json", b'{"run_id": "x", "created_utc": ', "environment.json: not valid JSON"),
        ("experiments.json", b"\xff\xfe not json", "experiments.json: not valid JSON"),
    ],
)
def test_an_unreadable_run_folder_is_one_error_or_left_out_when_lenient(run, name, damage, fragment):
    """One damaged run among good ones: refused in one line naming the file, or with --lenient left
    out, listed in the data problems box, and the other runs rendered."""
    results, good = run
    bad = write_run(results, interpreter="cpython-3.13.0", created="2026-01-02T00:00:00Z", seed=6, repeats=3)
    (bad / name).write_bytes(damage)
    out = report(results)
    assert out.returncode == 2, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert out.stderr.startswith("report: error: %s: " % (bad / name)) and fragment in out.stderr
    assert not (results / "r.html").exists()

    out = report(results, "--lenient")
    assert out.returncode == 0, out.stderr
    warned = [
        ln
        for ln in out.stderr.splitlines()
        if ln.startswith("report: warning: left out the whole run folder, as %s" % bad)
    ]
    assert len(warned) == 1 and fragment in warned[0], out.stderr
    page = (results / "r.html").read_text()
    box = page.split('id="data-problems"')[1].split("</div>")[0]
    assert "1 run folder could not be read" in box and bad.name in box and fragment in box
    assert "cpython-3.12.1" in page.split('id="data-problems"')[1]  # the good run is rendered
    lenient = load_results(results, lenient=True)
    assert [r.path for r in lenient.runs] == [good]
    assert [u.folder for u in lenient.unreadable] == [bad]


def test_lenient_with_no_readable_run_is_one_error(run):
    results, folder = run
    (folder / "environment.json").write_text("[]")
    out = report(results, "--lenient")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "report: error: %s: expected a JSON object, found list" % (folder / "environment.json")
    ]
