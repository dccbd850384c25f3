"""Names a failure by the frame of the user's code it came from: ``ValueError: bad input 4 at mytasks.py:3``.

A task's exception reaches the worker by different roads: directly (sequential, threads), re-raised
by concurrent.futures with the worker process's traceback as text in its ``__cause__`` (process
pool), or described by a raw worker process before it exits. Whatever the road, the frame named is
the innermost one outside the standard library and outside gilbench's own experiments/ package.
Standard library only: runs inside the measured interpreter.
"""

from __future__ import annotations

import os
import re
import sysconfig
import traceback

#: A frame line of a traceback printed as text (a worker process's, carried in an exception's cause).
_TEXT_FRAME = re.compile(r'File "([^"]+)", line (\d+)')
_OURS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_STDLIB = tuple(
    {
        os.path.realpath(p) + os.sep
        for p in (sysconfig.get_paths().get(k) for k in ("stdlib", "platstdlib"))
        if p
    }
)


#: The most of an exception's message kept, so that the frame after it survives the error column's limit.
MESSAGE_CHARS = 300


class TaskFailed(RuntimeError):
    """A task's failure already described where it happened (a raw worker process): shown verbatim."""


def _is_users(filename: str) -> bool:
    if filename.startswith("<"):
        return False  # <frozen ...>, <string>: not a file anyone can open
    path = os.path.realpath(filename)
    if path.startswith(_STDLIB) and "site-packages" not in path:
        return False
    return not path.startswith(_OURS + os.sep)


def _chain(exc: BaseException) -> list:
    """The exception and its causes (or implicit contexts), outermost first, each once."""
    out = []
    while exc is not None and exc not in out:
        out.append(exc)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return out


def _frames(exc: BaseException) -> list:
    """(filename, line) of an exception's traceback, outermost first, then of any traceback its text holds."""
    frames = [(f.filename, f.lineno) for f in traceback.extract_tb(exc.__traceback__)]
    return frames + [(name, int(line)) for name, line in _TEXT_FRAME.findall(str(exc))]


def user_frame(exc: BaseException) -> tuple | None:
    """(filename, line) of the innermost frame in the user's code, else the innermost frame there is."""
    innermost = None
    for link in reversed(_chain(exc)):  # the original failure first
        frames = _frames(link)
        for filename, line in reversed(frames):
            if _is_users(filename):
                return filename, line
        innermost = innermost or (frames[-1] if frames else None)
    return innermost


def describe(exc: BaseException) -> str:
    """``Type: message at file.py:LINE``: the exception and where in the user's code it came from."""
    if isinstance(exc, TaskFailed):
        return str(exc)
    where = user_frame(exc)
    at = " at %s:%d" % (os.path.basename(where[0]), where[1]) if where else ""
    message = str(exc)
    message = message if len(message) <= MESSAGE_CHARS else message[: MESSAGE_CHARS - 1] + "…"
    return "%s: %s%s" % (type(exc).__name__, message, at)
