"""What every gilbench command line shares: an argument error is one ``PREFIX: error:`` line and exit 2,
and a command printed for the user (a --help hint, a resume hint) is written as it must be typed to
work when pasted into a shell. Used by ``python -m experiments``, ``python -m report`` and bench/."""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import shlex
import shutil
import sys
from pathlib import Path

#: The project's folder, where ``python -m experiments`` works without gilbench installed.
ROOT = Path(__file__).resolve().parent.parent.parent
EXIT_BAD_INPUT = 2


def quote(text) -> str:
    return shlex.quote(str(text))


def as_typed(command: str) -> str:
    """``python ...`` as it must be typed to run this interpreter: ``python`` only when that is the
    one on PATH (an activated venv), else this interpreter's path."""
    on_path = shutil.which("python")
    if on_path and os.path.abspath(on_path) == os.path.abspath(sys.executable):
        return command
    return quote(sys.executable) + command[len("python") :]


def invocation(command: str) -> str:
    """A ``python -m ...`` command of gilbench as it must be typed to work from any folder: as_typed,
    and from the project's folder when gilbench is not installed in this interpreter."""
    command = as_typed(command)
    try:
        importlib.metadata.distribution("gilbench")
    except importlib.metadata.PackageNotFoundError:
        command = "cd %s && %s" % (quote(ROOT), command)
    return command


class UsageError(Exception):
    """Bad command-line input: one line, with the command's --help to see."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line ending ``(see: COMMAND --help)``, like every other error.

    Without ``error_prefix`` it raises UsageError, for a ``main`` that prints it as it prints its other
    errors (``PREFIX: error: ...``, exit 2); with one, it prints ``PREFIX: error: ...`` itself and
    exits 2, for a ``main`` that parses outside its own error handling.
    """

    def __init__(self, *args, error_prefix: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.error_prefix = error_prefix

    def error(self, message):
        line = "%s (see: %s --help)" % (message, invocation(self.prog))
        if self.error_prefix is None:
            raise UsageError(line)
        print("%s: error: %s" % (self.error_prefix, line), file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
