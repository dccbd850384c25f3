"""A reader that goes away (``| head``, a closed pipe) never stops a run, and ends a listing quietly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT

SMALL = ["--profile", "quick", "--only", "io_vs_cpu", "--set", "workload=sleep_io", "--set", "task_size=5",
         "--set", "workers=2", "--set", "executor=thread", "--repeat", "2",
         "--capacity-rounds", "1"]  # fmt: skip


def closed_pipe() -> int:
    """The write end of a pipe whose reader is already gone: every write to it fails with EPIPE."""
    read, write = os.pipe()
    os.close(read)
    return write


def test_a_run_whose_stderr_reader_stops_after_one_line_and_whose_stdout_is_closed_finishes(tmp_path):
    """``python -m experiments run ... 2>&1 | head -1``, with stdout gone as well."""
    results = tmp_path / "results"
    stdout = closed_pipe()
    proc = subprocess.Popen([sys.executable, "-m", "experiments", "run", *SMALL, "--results", str(results)],
                            cwd=str(ROOT), stdout=stdout, stderr=subprocess.PIPE, text=True)  # fmt: skip
    os.close(stdout)
    first = proc.stderr.readline()
    proc.stderr.close()  # what head does after its line
    assert proc.wait(timeout=600) == 0
    assert first.startswith("gilbench: run ")
    (folder,) = results.iterdir()
    env = json.loads((folder / "environment.json").read_text())
    assert env["finished_utc"] and env["capacity"]["end"]
    df = pd.read_csv(folder / "io_vs_cpu.csv")
    assert (df["status"] == "ok").all() and df.groupby("cell_id").size().eq(2).all()
    # Every progress line and message the terminal missed is in the run's log.
    log = (folder / "run.log").read_text().splitlines()
    assert log[1] == first.rstrip("\n")
    cells = [ln for ln in log if " ETA " in ln and " io_vs_cpu [" in ln]
    assert len(cells) == len(df)
    assert log[-1] == "gilbench: finished: %s" % folder and any(ln.startswith("done: ") for ln in log)


@pytest.mark.parametrize("command", ["list", "interpreters"])
def test_a_listing_into_a_closed_pipe_ends_quietly(command):
    """``python -m experiments list | head -3``: exit 0 and nothing on stderr, like ls."""
    stdout = closed_pipe()
    out = subprocess.run([sys.executable, "-m", "experiments", command], cwd=str(ROOT), stdout=stdout,
                         stderr=subprocess.PIPE, text=True, timeout=300)  # fmt: skip
    os.close(stdout)
    assert out.returncode == 0 and out.stderr == ""


def test_a_listing_cut_short_by_head_ends_quietly():
    out = subprocess.run(
        "%s -m experiments list | head -3; exit ${PIPESTATUS[0]}" % sys.executable,
        shell=True,
        executable="/bin/bash",
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0 and out.stderr == ""
    assert len(out.stdout.splitlines()) == 3


def test_the_report_into_a_closed_stdout_still_writes_its_page(tmp_path):
    from tests.support.synthetic import write_run

    results = tmp_path / "results"
    write_run(results, seed=1, repeats=2, demo=False)
    stdout = closed_pipe()
    page = tmp_path / "page.html"
    command = [sys.executable, "-m", "report", "--results", str(results), "--output", str(page)]
    out = subprocess.run(
        command, cwd=str(ROOT), stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=300
    )
    os.close(stdout)
    assert out.returncode == 0, out.stderr
    assert Path(page).read_text().startswith("<!DOCTYPE html>") and "Traceback" not in out.stderr
