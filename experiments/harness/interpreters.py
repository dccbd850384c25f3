"""Finds the interpreters a run measures: by path, by version on PATH, under pyenv or uv."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from experiments.harness.cell_runner import ROOT, Interpreter

_VERSION = re.compile(r"^(\d+)\.(\d+)(t?)$")


class InterpreterNotFound(LookupError):
    """A named interpreter that is nowhere to be found."""


def _version_key(path: str) -> tuple:
    """Sort key from the version in a path's folder (``.../3.12.1/bin/...``), newest last."""
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?[^/]*/bin/", path)
    return tuple(int(x or 0) for x in match.groups()) if match else (0, 0, 0)


def _path_without_shims() -> str:
    # pyenv's shims answer only for the versions pyenv has selected; the real binaries are found below.
    folders = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(f for f in folders if f and ".pyenv/shims" not in f)


def candidates(major: int, minor: int, threaded: bool) -> list:
    """Executables for a version, best first: the project's own build, PATH, pyenv, uv."""
    name = "python%d.%d%s" % (major, minor, "t" if threaded else "")
    home = Path.home()
    found = []
    own = ROOT / "python-ft" / "bin" / name
    if own.exists():
        found.append(str(own))
    on_path = shutil.which(name, path=_path_without_shims())
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


def is_free_threaded(executable: str) -> bool | None:
    """Whether an interpreter is a free-threaded build (None when it does not run)."""
    check = "import sysconfig; print(bool(sysconfig.get_config_var('Py_GIL_DISABLED')))"
    try:
        out = subprocess.run([executable, "-c", check], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return {"True": True, "False": False}.get(out.stdout.strip())


def resolve(spec: str) -> Interpreter:
    """``3.12``, ``3.13t``, ``python3``, ``/path/to/python`` -> an Interpreter, or InterpreterNotFound."""
    spec = spec.strip()
    if spec in ("", "self"):
        return Interpreter(sys.executable)
    match = _VERSION.match(spec)
    if match:
        threaded = bool(match.group(3))
        # A free-threaded build installs a plain python3.X too: keep the builds the spec asks for.
        found = [
            p
            for p in candidates(int(match.group(1)), int(match.group(2)), threaded)
            if is_free_threaded(p) == threaded
        ]
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


def discover() -> list:
    """Every interpreter this machine offers: the project's build, PATH, pyenv and uv; one path each."""
    home = Path.home()
    patterns = [
        str(ROOT / "python-ft" / "bin" / "python3.*"),
        str(home / ".pyenv" / "versions" / "*" / "bin" / "python3.*"),
        str(home / ".local" / "share" / "uv" / "python" / "*" / "bin" / "python3.*"),
    ]
    for folder in _path_without_shims().split(os.pathsep):
        patterns.append(os.path.join(folder, "python3.*"))
    found, seen = [], set()
    for pattern in patterns:
        for path in sorted(glob.glob(pattern), key=_version_key):
            if not re.search(r"python3\.\d+t?$", path) or not os.access(path, os.X_OK):
                continue
            # One entry per file: symlinks and hard links (a free-threaded build installs python3.13
            # and python3.13t as one file) name the same interpreter.
            st = os.stat(path)
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                found.append(path)
    return found


def variants(interpreter: Interpreter, free_threaded: bool, gil: str | None) -> list:
    """The interpreters a run measures for one named Python: a free-threaded build runs twice,
    with the GIL forced off and on, unless the user chose one (``--gil`` or PYTHON_GIL)."""
    if gil is not None:
        return [Interpreter(interpreter.executable, {**interpreter.env, "PYTHON_GIL": gil})]
    if free_threaded and "PYTHON_GIL" not in interpreter.env and "PYTHON_GIL" not in os.environ:
        return [Interpreter(interpreter.executable, {**interpreter.env, "PYTHON_GIL": g}) for g in ("0", "1")]
    return [interpreter]
