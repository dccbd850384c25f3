"""Faults provoked for real: a full disk, a read-only results folder, a long soak of heavy cells."""

import errno
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from experiments.harness.cell_runner import Interpreter, run_cell
from tests.conftest import ROOT, run_cli

SLEEP = ["--profile", "quick", "--only", "io_vs_cpu", "--set", "workload=sleep_io", "--set", "task_size=5",
         "--set", "executor=thread", "--set", "workers=2"]  # fmt: skip


@pytest.fixture
def tiny_disk(tmp_path):
    """A 1 MiB tmpfs (needs root, as on this project's machines and CI)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)]
    done = subprocess.run(command, capture_output=True)
    if done.returncode != 0:
        pytest.fail("cannot mount a tmpfs to simulate a full disk: %s" % done.stderr.decode().strip())
    yield mount
    subprocess.run(["umount", "-l", str(mount)])


def fill(disk: Path) -> Path:
    """Write a file until the disk is full: not one more block can be allocated on it."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"x" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    return filler


#: One comparison group of 17 cells (the sequential baseline and 16 thread counts) over 4 rounds:
#: a round's rows take more bytes than a block of the disk, so a round cannot fit in what is left
#: of the CSV's last block once the disk is full.
ROUNDS, CELLS = 4, 17
THREADS = ",".join(str(n) for n in range(1, CELLS))
WIDE = ["--profile", "quick", "--only", "io_vs_cpu", "--set", "workload=sleep_io", "--set", "task_size=5",
        "--set", "tasks=16", "--set", "executor=thread", "--set", "workers=" + THREADS,
        "--repeat", str(ROUNDS), "--capacity-rounds", "1"]  # fmt: skip


def _rounds(path: Path) -> pd.Series:
    """Rows per round of a CSV."""
    return pd.read_csv(path).groupby("repeat").size()


def test_disk_full_mid_round_rolls_back_to_whole_rounds_and_resume_finishes(tiny_disk, tmp_path):
    results = tiny_disk / "results"
    first = run_cli("run", *SLEEP, "--repeat", "1", "--capacity-rounds", "1", "--results", str(results))
    assert first.returncode == 0, first.stderr
    (earlier,) = results.glob("*/io_vs_cpu.csv")
    earlier_text = earlier.read_text()
    command = [sys.executable, "-m", "experiments", "run", *WIDE, "--results", str(results)]
    proc = subprocess.Popen(command, cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    path = None
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        found = [p for p in results.glob("*/io_vs_cpu.csv") if p != earlier]
        if found and len(found[0].read_bytes().splitlines()) > CELLS:
            path = found[0]
            break
        time.sleep(0.05)
    assert path is not None, "the run stored no round"
    round_bytes = len(b"".join(path.read_bytes().splitlines(keepends=True)[1 : 1 + CELLS]))
    block = os.statvfs(str(tiny_disk)).f_bsize
    assert round_bytes > block, (round_bytes, block)
    filler = fill(tiny_disk)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 2, err[-2000:]
    errors = [ln for ln in err.splitlines() if "error" in ln.lower()]
    assert len(errors) == 1 and errors[0].startswith("gilbench: error: cannot write %s: " % path), err[-2000:]
    assert "No space left on device" in errors[0] and "Traceback" not in err
    # The failing write was cut short rather than refused (the CSV's last block had room for part of
    # the round: its size is not a whole number of blocks), and the store took that part back:
    # what is on disk is whole rounds, fewer than asked.
    assert path.stat().st_size % block != 0
    stored = _rounds(path)
    assert (stored == CELLS).all() and list(stored.index) == list(range(len(stored)))
    assert 1 <= len(stored) < ROUNDS
    assert earlier.read_text() == earlier_text
    # Free the space and paste the printed command, from another folder: the run finishes.
    filler.unlink()
    hint = errors[0].split("then finish the run with: ", 1)[1]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(hint, shell=True, cwd=str(elsewhere), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (hint, done.stderr[-2000:])
    finished = _rounds(path)
    assert (finished == CELLS).all() and list(finished.index) == list(range(ROUNDS))
    assert earlier.read_text() == earlier_text


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
    # Children this process already had are not the cells': an earlier test that started a process
    # with spawn in this process left multiprocessing's resource tracker running.
    before = {p.pid for p in me.children(recursive=True)}
    counts = []
    for _ in range(3):
        for params in heavy:
            outcome = run_cell(interpreter, "experiments.catalogue.io_vs_cpu", params, timeout_s=120)
            assert outcome.status == "ok", outcome.error
        counts.append((me.num_fds(), len(me.children(recursive=True)), me.num_threads()))
    assert counts[-1] == counts[0], counts
    assert {p.pid for p in me.children(recursive=True)} <= before


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
