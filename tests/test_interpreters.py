"""Finding interpreters by version or path, and running a free-threaded build with the GIL off and on."""

import os
import subprocess
import sys

import pytest

from experiments.harness.cell_runner import Interpreter
from experiments.harness.interpreters import (
    InterpreterNotFound,
    discover,
    is_free_threaded,
    resolve,
    variants,
)


def _versions():
    found = set()
    for path in discover():
        out = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True)  # fmt: skip
        if out.returncode == 0 and tuple(map(int, out.stdout.split("."))) >= (3, 9):
            found.add(out.stdout.strip() + ("t" if is_free_threaded(path) else ""))
    return sorted(found)


def test_every_discovered_version_resolves_to_a_build_of_its_kind():
    versions = _versions()
    assert versions, "no Python 3.9+ found at all"
    for spec in versions:
        interp = resolve(spec)
        out = subprocess.run([interp.executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True)  # fmt: skip
        assert out.stdout.strip() == spec.rstrip("t")
        assert is_free_threaded(interp.executable) is spec.endswith("t")


def test_a_path_resolves_and_a_missing_version_is_explained():
    assert resolve(sys.executable).executable == sys.executable
    with pytest.raises(InterpreterNotFound, match="no Python 2.1 found"):
        resolve("2.1")
    with pytest.raises(InterpreterNotFound, match="not found"):
        resolve("/no/such/python")


def test_a_free_threaded_build_runs_twice_gil_off_and_on_unless_one_is_chosen(monkeypatch):
    monkeypatch.delenv("PYTHON_GIL", raising=False)
    ft = Interpreter("/opt/python3.13t")
    assert [v.env["PYTHON_GIL"] for v in variants(ft, True, None)] == ["0", "1"]
    assert [v.env["PYTHON_GIL"] for v in variants(ft, True, "1")] == ["1"]
    assert variants(Interpreter("/usr/bin/python3"), False, None)[0].env == {}


def test_a_file_reached_by_two_names_is_listed_once(tmp_path, monkeypatch):
    # A free-threaded build installs python3.13 and python3.13t as hard links of one file.
    one = tmp_path / "python3.99t"
    one.write_text("#!/bin/sh\n")
    one.chmod(0o755)
    os.link(one, tmp_path / "python3.99")
    os.symlink(one, tmp_path / "python3.98")
    monkeypatch.setenv("PATH", str(tmp_path))
    mine = [p for p in discover() if p.startswith(str(tmp_path))]
    assert len(mine) == 1
