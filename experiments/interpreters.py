"""Finds the interpreters a run measures: by path, by version on PATH, under pyenv or uv."""

from __future__ import annotations

import glob
import os
import re
import shutil
import sys
from pathlib import Path

from experiments.cell_runner import ROOT, Interpreter

_VERSION = re.compile(r"^(\d+)\.(\d+)(t?)$")


class InterpreterNotFound(LookupError):
    """A named interpreter that is nowhere to be found."""


def _version_key(path: str) -> tuple:
    return tuple(int(x) for x in re.findall(r"\d+", path)[-3:])


def candidates(major: int, minor: int, threaded: bool) -> list:
    """Executables for a version, best first: the project's own build, PATH, pyenv, uv."""
    name = "python%d.%d%s" % (major, minor, "t" if threaded else "")
    home = Path.home()
    found = []
    own = ROOT / "python-ft" / "bin" / name
    if own.exists():
        found.append(str(own))
    on_path = shutil.which(name)
    if on_path:
        found.append(on_path)
    patterns = [
        str(home / ".pyenv" / "versions" / ("%d.%d.*" % (major, minor)) / "bin" / name),
        str(home / ".pyenv" / "versions" / ("%d.%d*" % (major, minor)) / "bin" / name),
        str(
            home / ".local" / "share" / "uv" / "python" / ("cpython-%d.%d.*" % (major, minor)) / "bin" / name
        ),
    ]
    for pattern in patterns:
        found.extend(sorted(glob.glob(pattern), key=_version_key, reverse=True))
    unique = []
    for path in found:
        if path not in unique and os.access(path, os.X_OK):
            unique.append(path)
    return unique


def resolve(spec: str) -> Interpreter:
    """``3.12``, ``3.13t``, ``python3``, ``/path/to/python`` -> an Interpreter, or InterpreterNotFound."""
    spec = spec.strip()
    if spec in ("", "self"):
        return Interpreter(sys.executable)
    match = _VERSION.match(spec)
    if match:
        found = candidates(int(match.group(1)), int(match.group(2)), bool(match.group(3)))
        if not found:
            raise InterpreterNotFound(
                "no Python %s found on PATH, under ~/.pyenv/versions or uv's Pythons; "
                "give its path with --python /path/to/python%s"
                % (spec, "" if not match.group(3) else " (or build one with: make python-ft)")
            )
        return Interpreter(found[0])
    path = shutil.which(spec) if os.sep not in spec else spec
    if not path or not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise InterpreterNotFound(
            "interpreter %r not found or not executable; give a path to a Python" % spec
        )
    return Interpreter(os.path.abspath(path) if os.sep in spec else path)
