"""What the command lines print: argument errors in one line, hints that work when pasted, labels kept."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from experiments.harness import cli
from tests.conftest import ROOT, run_cli

SMALL = ["--profile", "quick", "--only", "io_vs_cpu", "--set", "workload=sleep_io", "--set", "task_size=5",
         "--set", "workers=2", "--set", "executor=thread", "--capacity-rounds", "1"]  # fmt: skip


def shell(command: str, cwd) -> subprocess.CompletedProcess:
    """A printed command, pasted into a shell in another folder."""
    return subprocess.run(command, shell=True, cwd=str(cwd), capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(
    "module, args, prefix, message",
    [
        ("experiments", ["run", "--gil", "2"], "gilbench", "argument --gil: invalid choice: '2'"),
        ("experiments", ["run", "--repeat", "many"], "gilbench", "argument --repeat: invalid int value"),
        ("experiments", ["list", "--verbose"], "gilbench", "unrecognized arguments: --verbose"),
        ("experiments", ["measure"], "gilbench", "invalid choice: 'measure'"),
        ("experiments", [], "gilbench", "the following arguments are required: command"),
        ("report", ["--bogus"], "report", "unrecognized arguments: --bogus"),
        ("report", ["--results"], "report", "argument --results: expected one argument"),
        ("bench.run", [], "bench", "the following arguments are required: --run-dir"),
        ("bench.export", ["--json", "x.json"], "bench.export", "required: --run-dir"),
    ],
)
def test_argument_errors_are_one_line_and_their_help_hint_runs(module, args, prefix, message, tmp_path):
    out = subprocess.run([sys.executable, "-m", module, *args], cwd=str(ROOT), capture_output=True, text=True)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("%s: error: " % prefix), out.stderr
    assert message in lines[0]
    hint = lines[0].rsplit("(see: ", 1)[1].rstrip(")")
    helped = shell(hint, tmp_path)
    assert helped.returncode == 0 and helped.stdout.startswith("usage: "), (hint, helped.stderr)


def test_the_resume_hint_after_sigterm_finishes_the_run_as_printed(tmp_path):
    results = tmp_path / "my results"  # a space: the hint must quote it
    args = [sys.executable, "-m", "experiments", "run", *SMALL, "--set", "task_size=40", "--repeat", "3",
            "--results", str(results)]  # fmt: skip
    proc = subprocess.Popen(args, cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while time.time() < deadline:
        found = list(results.glob("*/io_vs_cpu.csv"))
        if found and len(found[0].read_text().splitlines()) > 2:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-3000:]
    (hint_line,) = [ln for ln in err.splitlines() if "Resume with: " in ln]
    hint = hint_line.split("Resume with: ", 1)[1]
    assert "--results" in hint
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = shell(hint, elsewhere)
    assert done.returncode == 0, (hint, done.stderr[-2000:])
    (folder,) = results.iterdir()
    assert done.stdout.strip() == str(folder)
    df = pd.read_csv(folder / "io_vs_cpu.csv")
    assert sorted(df["repeat"].unique()) == [0, 1, 2] and df.groupby("cell_id").size().eq(3).all()
    assert json.loads((folder / "environment.json").read_text())["finished_utc"]


def test_labels_keep_their_characters(tmp_path):
    label = "ééé lab/1"
    out = run_cli("run", *SMALL, "--repeat", "1", "--machine", label, "--results", str(tmp_path))
    assert out.returncode == 0, out.stderr
    (folder,) = tmp_path.iterdir()
    # Letters of any script stay in the folder name; what a path cannot hold becomes "_".
    assert "-ééé_lab_1-" in folder.name
    env = json.loads((folder / "environment.json").read_text(encoding="utf-8"))
    assert env["machine"]["label"] == label


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the drop, expected
def test_a_stop_python_dropped_is_delivered_at_the_next_line():
    """SIGTERM while a destructor runs: Python prints the KeyboardInterrupt and drops it; the run's
    console raises it again at the next progress line, so the run still stops and says how to resume."""
    console = cli.RunConsole(io.StringIO())

    class Closing:
        def __del__(self):
            cli._terminate(signal.SIGTERM, None)

    closing = Closing()
    del closing  # the stop is raised inside __del__, printed as "Exception ignored", and dropped
    try:
        with pytest.raises(KeyboardInterrupt):
            print("3/28 ETA 33s io_vs_cpu [workers=2] r0", file=console)
        # Until the run acts on the stop (its handler clears it), every line raises it again.
        with pytest.raises(KeyboardInterrupt):
            print("4/28 ETA 31s io_vs_cpu [workers=2] r0", file=console)
        cli._stop["pending"] = False
        print("no stop is pending any more", file=console)
    finally:
        cli._stop["pending"] = False


def test_a_stop_dropped_while_python_reports_the_drop_on_the_console_still_stops_the_run(monkeypatch):
    """The run's console is sys.stderr, so Python's report of a dropped stop is itself a console line:
    raising the stop there raises it inside the report, where it is dropped again. The stop must stay
    pending for the next progress line (seen as a Ctrl-C run that went on to its end, exit 0)."""
    console = cli.RunConsole(io.StringIO())
    monkeypatch.setattr(sys, "stderr", console)
    monkeypatch.setattr(sys, "unraisablehook", sys.__unraisablehook__)  # Python's own, which prints

    class Closing:
        def __del__(self):
            cli._terminate(signal.SIGTERM, None)

    try:
        closing = Closing()
        del closing
        with pytest.raises(KeyboardInterrupt):
            print("4/14 ETA 7s io_vs_cpu [workers=2] r0", file=console)
    finally:
        cli._stop["pending"] = False
