"""The command line as a user meets it: runs, the store, resume, Ctrl-C and bad input."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from experiments.schema import DERIVED_COLUMNS, HEAD_COLUMNS, MEASURED_COLUMNS, SCHEMA_VERSION
from tests.conftest import ROOT, run_cli

SMALL = ["--profile", "quick", "--only", "io_vs_cpu", "--set", "workload=sleep_io", "--set", "task_size=5"]
#: Two groups (4 and 16 tasks) of two cells, a thread cell beside its sequential baseline: for tests
#: about the store and the command line, not about the grid.
NARROW = [*SMALL, "--set", "executor=thread", "--set", "workers=2"]


def test_list_names_every_experiment():
    out = run_cli("list")
    assert out.returncode == 0
    assert "io_vs_cpu" in out.stdout and "workers" in out.stdout


def test_run_writes_a_tidy_self_describing_run(run_experiment):
    run = run_experiment(*SMALL, "--repeat", "2", "--machine", "lab-1")
    df = run.csv("io_vs_cpu")
    assert list(df.columns[: len(HEAD_COLUMNS)]) == list(HEAD_COLUMNS)
    assert set(MEASURED_COLUMNS) <= set(df.columns) and set(DERIVED_COLUMNS) <= set(df.columns)
    assert (df["status"] == "ok").all()
    assert set(df["repeat"]) == {0, 1}
    # Every group's baseline is 1.0x against itself, and every other row's speedup is its group's
    # baseline wall over its own, from the same round (how far sleeping threads overlap is
    # test_io_vs_cpu's measured test; here the harness's bookkeeping is checked, exactly).
    base = df[df["executor"] == "sequential"]
    assert (base["speedup"] == 1.0).all()
    base_wall = base.set_index(["group_id", "repeat"])["wall_s"]
    expected = [base_wall[(g, r)] / w for g, r, w in zip(df["group_id"], df["repeat"], df["wall_s"])]
    assert df["speedup"].to_numpy() == pytest.approx(expected, rel=1e-9)
    env = run.env
    assert env["schema_version"] == SCHEMA_VERSION and env["run_id"] == run.path.name
    assert env["machine"]["label"] == "lab-1" and env["machine"]["logical_cores"] >= 1
    assert env["interpreter"]["gil_enabled_start"] in (True, False)
    for key in ("switch_interval_s", "start_method", "version", "free_threaded_build", "gil_enabled_end"):
        assert key in env["interpreter"]
    for key in (
        "cpu_model",
        "affinity",
        "cgroup_cpu_quota_cores",
        "load_avg_start",
        "load_avg_end",
        "kernel",
    ):
        assert key in env["machine"]
    assert env["capacity"]["start"]["1"] == 1.0 and env["capacity"]["end"]["1"] == 1.0
    assert env["finished_utc"] is not None
    capacity = run.csv("capacity")
    assert set(capacity["phase"]) == {"start", "end"}


def test_resume_runs_only_the_missing_rounds(run_experiment, tmp_path):
    run = run_experiment(*SMALL, "--set", "executor=thread,process", "--set", "workers=2", "--repeat", "3")
    path = run.path / "io_vs_cpu.csv"
    full = pd.read_csv(path)
    lines = path.read_text().splitlines(keepends=True)
    kept = [ln for ln in lines[1:] if ",2,ok," not in ln]
    # Keep rounds 0 and 1, and leave a torn half-row at the end as a killed run would.
    path.write_text(lines[0] + "".join(kept) + lines[-1][:25])
    out = run_cli("run", "--resume", run.path.name, "--results", str(run.path.parent))
    assert out.returncode == 0, out.stderr
    assert "half-written" in out.stderr
    resumed = pd.read_csv(path)
    assert len(resumed) == len(full)
    assert sorted(resumed["repeat"].tolist()) == sorted(full["repeat"].tolist())
    before = full[full["repeat"] < 2].sort_values("cell_id")["started_at_utc"].tolist()
    after = resumed[resumed["repeat"] < 2].sort_values("cell_id")["started_at_utc"].tolist()
    assert before == after  # finished rounds were not run again


def _start_long_run(results):
    """Start a run in the background and return (process, csv path) once it has stored rows."""
    args = [
        "run",
        "--profile",
        "quick",
        "--only",
        "io_vs_cpu",
        "--set",
        "workload=sleep_io",
        "--set",
        "task_size=40",
        # One group of three cells: a sequential, a thread and a process cell (whose own child
        # processes must not outlive the harness either).
        "--set",
        "tasks=4",
        "--set",
        "executor=thread,process",
        "--set",
        "workers=2",
        "--repeat",
        "4",
        "--capacity-rounds",
        "1",
        "--results",
        str(results),
    ]
    proc = subprocess.Popen([sys.executable, "-m", "experiments", *args], cwd=str(ROOT),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.time() + 120
    while time.time() < deadline:
        found = list(results.glob("*/io_vs_cpu.csv"))
        if found and len(found[0].read_text().splitlines()) > 3:
            return proc, found[0]
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("the run wrote no rows")


def test_ctrl_c_keeps_finished_rounds_and_leaves_no_workers(tmp_path):
    proc, csv_path = _start_long_run(tmp_path / "results")
    workers_before = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "--resume" in err
    df = pd.read_csv(csv_path)
    assert len(df) >= 3 and (df.groupby("repeat").size() == df.groupby("repeat").size().max()).all()
    gone, alive = psutil.wait_procs(workers_before, timeout=5)
    assert not alive, "worker processes survived Ctrl-C"
    env = json.loads((csv_path.parent / "environment.json").read_text())
    assert env["finished_utc"] is None


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "--only", "nope"], "unknown experiment"),
        (["run", "--profile", "fast"], "unknown profile"),
        (["run", "--only", "io_vs_cpu", "--set", "workers=lots"], "workers='lots' is not a int"),
        (["run", "--only", "io_vs_cpu", "--set", "workers=-1"], "out of range"),
        (["run", "--python", "/bin/true"], "is not a Python interpreter"),
        (["run", "--python", "/no/such/python"], "not found"),
        (["run", "--python", "2.1"], "no Python 2.1 found"),
        (["run", "--resume", "no-such-run"], "no run 'no-such-run'"),
    ],
)
def test_bad_input_is_one_clear_line(args, message, tmp_path):
    results = tmp_path / "results"
    out = run_cli(*args, "--results", str(results))
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gilbench: error:"), out.stderr
    assert message in lines[0]
    assert not results.exists() or not any(results.iterdir())


def test_unwritable_results_folder_is_refused_and_earlier_runs_survive(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    out = run_cli("run", *SMALL, "--results", str(blocker / "results"))
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "--results" in out.stderr
    assert blocker.read_text() == "not a folder"


def test_a_run_folder_is_never_overwritten(run_experiment, tmp_path):
    first = run_experiment(*NARROW, "--repeat", "1")
    second = run_experiment(*NARROW, "--repeat", "1")
    assert first.path != second.path
    assert (first.path / "io_vs_cpu.csv").exists() and (second.path / "io_vs_cpu.csv").exists()


def test_progress_is_plain_lines_when_not_a_terminal(run_experiment, tmp_path):
    out = run_cli("run", *NARROW, "--repeat", "1", "--results", str(tmp_path / "r"))
    assert out.returncode == 0
    lines = [ln for ln in out.stderr.splitlines() if " ETA " in ln]
    assert lines and all("\r" not in ln for ln in lines)
    assert lines[-1].startswith("%d/%d" % (len(lines), len(lines)))
    assert Path(out.stdout.strip()).is_dir()
    assert os.path.basename(out.stdout.strip()) in out.stderr


def test_sigkill_of_the_harness_loses_no_finished_round_and_leaves_no_worker(tmp_path):
    results = tmp_path / "results"
    proc, csv_path = _start_long_run(results)
    workers = psutil.Process(proc.pid).children(recursive=True)
    proc.kill()
    proc.communicate()
    _, alive = psutil.wait_procs(workers, timeout=5)
    assert not alive, "workers outlived the killed harness"
    before = pd.read_csv(csv_path)
    assert len(before) >= 3
    out = run_cli("run", "--resume", csv_path.parent.name, "--results", str(results), timeout=300)
    assert out.returncode == 0, out.stderr
    after = pd.read_csv(csv_path)
    assert sorted(after["repeat"].unique()) == list(range(4))
    assert after.groupby("cell_id").size().eq(4).all()


def test_a_python_too_old_is_refused_before_anything_runs(tmp_path):
    old = sorted(Path.home().glob(".pyenv/versions/3.8*/bin/python3.8"))
    if old:
        python = str(old[0])
    else:  # no real 3.8 here: an executable that answers like one
        fake = tmp_path / "python3.8"
        fake.write_text("#!/bin/sh\necho 3.8\n")
        fake.chmod(0o755)
        python = str(fake)
    results = tmp_path / "results"
    out = run_cli("run", "--python", python, "--results", str(results))
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "is Python 3.8; gilbench needs 3.9 or newer" in lines[0]
    assert not results.exists()


def test_several_interpreters_are_measured_interleaved_round_by_round(tmp_path):
    other = sorted(Path.home().glob(".pyenv/versions/3.9*/bin/python3.9")) or sorted(
        Path.home().glob(".pyenv/versions/3.1*/bin/python3.1?")
    )
    assert other, "a second interpreter is needed (pyenv's)"
    out = run_cli("run", *NARROW, "--repeat", "3", "--capacity-rounds", "1",
                  "--python", str(other[0]), "--python", sys.executable,
                  "--results", str(tmp_path))  # fmt: skip
    assert out.returncode == 0, out.stderr
    folders = out.stdout.split()
    assert len(folders) == 2
    # Progress lines name the interpreter, the experiment, the cell and the round: every interpreter's
    # round r runs before any round r + 1, and inside a round each cell runs under both interpreters,
    # one right after the other, before the next cell; which goes first alternates from cell to cell.
    seen = {}
    for line in out.stderr.splitlines():
        parts = line.split()
        if len(parts) > 4 and parts[4] == "io_vs_cpu":
            group = [p for p in parts[5].strip("[]").split(",") if p.startswith("tasks=")][0]
            seen.setdefault(group, []).append((int(parts[-1].lstrip("r")), parts[3], parts[5]))
    assert len(seen) >= 1
    for group in seen.values():
        rounds = [r for r, _, _ in group]
        assert rounds == sorted(rounds)
        for r in range(3):
            runs = [(who, cell) for rr, who, cell in group if rr == r]
            assert len({who for who, _ in runs}) == 2
            pairs = list(zip(runs[::2], runs[1::2]))
            assert len(runs) == 2 * len(pairs) >= 4
            assert all(a[1] == b[1] and a[0] != b[0] for a, b in pairs), runs
            assert len({a[0] for a, _ in pairs}) == 2, runs
    for folder in folders:
        assert pd.read_csv(Path(folder) / "io_vs_cpu.csv").groupby("cell_id").size().eq(3).all()
