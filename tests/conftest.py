"""Shared fixtures: run the command line in a temporary results folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Test modules whose every test counts as measured, for files that do not mark their tests themselves.
MEASURED_MODULES = ("test_gil_share.py",)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in MEASURED_MODULES:
            item.add_marker(pytest.mark.measured)


def run_cli(*args, cwd=ROOT, timeout=600, **kwargs) -> subprocess.CompletedProcess:
    """``python -m experiments ARGS`` as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "experiments", *args],
        cwd=str(cwd),
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,
    )


class Run:
    """A finished run folder, loaded."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.env = json.loads((self.path / "environment.json").read_text())

    def csv(self, experiment: str) -> pd.DataFrame:
        return pd.read_csv(self.path / ("%s.csv" % experiment))


@pytest.fixture
def run_experiment(tmp_path):
    """Run the CLI with ``run ARGS --results tmp`` and return the loaded Run (fails on non-zero exit)."""

    def _run(*args):
        # One capacity round at each end keeps test runs short; a test that reads capacity asks for more.
        extra = [] if "--capacity-rounds" in args else ["--capacity-rounds", "1"]
        out = run_cli("run", *args, *extra, "--results", str(tmp_path / "results"))
        assert out.returncode == 0, out.stderr[-2000:]
        return Run(Path(out.stdout.strip().splitlines()[-1]))

    return _run
