"""Faults provoked for real: a full disk, a read-only results folder, a long soak of heavy cells."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import psutil
import pytest

from experiments.cell_runner import Interpreter, run_cell
from tests.conftest import ROOT, run_cli

SLEEP = ["--profile", "quick", "--only", "io_vs_cpu", "--set", "workload=sleep_io", "--set", "task_size=5"]


@pytest.fixture
def tiny_disk(tmp_path):
    """A 96 KiB tmpfs (needs root, as on this project's machines and CI)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mount)]
    done = subprocess.run(command, capture_output=True)
    if done.returncode != 0:
        pytest.fail("cannot mount a tmpfs to simulate a full disk: %s" % done.stderr.decode().strip())
    yield mount
    subprocess.run(["umount", "-l", str(mount)])


def test_disk_full_mid_run_is_one_line_and_earlier_results_survive(tiny_disk):
    results = tiny_disk / "results"
    first = run_cli("run", *SLEEP, "--repeat", "1", "--capacity-rounds", "1", "--results", str(results))
    assert first.returncode == 0, first.stderr
    earlier = sorted(results.glob("*/io_vs_cpu.csv"))[0]
    earlier_text = earlier.read_text()
    # Fill the disk but for a few KiB: the next run starts, then cannot store its rounds.
    filler = tiny_disk / "filler"
    free = psutil.disk_usage(str(tiny_disk)).free
    filler.write_bytes(b"x" * max(0, free - 6 * 1024))
    out = run_cli("run", *SLEEP, "--repeat", "20", "--capacity-rounds", "1", "--results", str(results))
    assert out.returncode == 2, out.stderr
    errors = [ln for ln in out.stderr.splitlines() if ln.startswith("gilbench: error:")]
    assert len(errors) == 1 and "No space left on device" in errors[0] and "--resume" in errors[0]
    assert earlier.read_text() == earlier_text
    # What the failed run did store is whole rows, loadable, with no half round.
    for path in results.glob("*/*.csv"):
        df = pd.read_csv(path)
        if len(df):
            assert df.groupby("repeat").size().nunique() <= 2


def test_read_only_results_folder_is_refused(tiny_disk):
    results = tiny_disk / "results"
    results.mkdir()
    (results / "keep.txt").write_text("earlier")
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    out = run_cli("run", *SLEEP, "--results", str(results))
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Read-only file system" in lines[0] and "--results" in lines[0]
    assert (results / "keep.txt").read_text() == "earlier"


def test_soak_heavy_cells_leak_no_descriptors_or_processes():
    """The heaviest cells of the full profile (most threads, processes and sockets), three times over."""
    me = psutil.Process()
    heavy = [
        {"workload": "socket_io", "executor": "thread", "workers": 64, "tasks": 64, "task_size": 5},
        {"workload": "sleep_io", "executor": "process_pool", "workers": 16, "tasks": 64, "task_size": 10},
        {"workload": "cpu_python", "executor": "process", "workers": 16, "tasks": 16, "task_size": 50},
    ]
    interpreter = Interpreter(sys.executable)
    counts = []
    for _ in range(3):
        for params in heavy:
            outcome = run_cell(interpreter, "experiments.io_vs_cpu", params, timeout_s=120)
            assert outcome.status == "ok", outcome.error
        counts.append((me.num_fds(), len(me.children(recursive=True)), me.num_threads()))
    assert counts[-1] == counts[0], counts
    assert counts[0][1] == 0


def test_two_runs_at_once_on_one_results_folder_do_not_collide(tmp_path):
    results = tmp_path / "results"
    args = [sys.executable, "-m", "experiments", "run", *SLEEP, "--repeat", "2", "--capacity-rounds", "1",
            "--machine", "same-label", "--results", str(results)]  # fmt: skip
    procs = [subprocess.Popen(args, cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]  # fmt: skip
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-500:] for _, err in outs]
    folders = {out.strip().splitlines()[-1] for out, _ in outs}
    assert len(folders) == 2
    for folder in folders:
        df = pd.read_csv(Path(folder) / "io_vs_cpu.csv")
        assert (df["run_id"] == Path(folder).name).all() and (df["status"] == "ok").all()
        assert df.groupby("cell_id").size().eq(2).all()
