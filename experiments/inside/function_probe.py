"""Tries a user's function once inside the measured interpreter, before anything is measured.

Reads ``{"function": "MODULE:NAME", "args": {...}, "path": DIR}`` on stdin and writes JSON lines
to what was stdout (the function's own prints go to stderr):
``{"stage": "imported"}`` once the import is done (the harness then times the call), then either
``{"stage": "done", ...facts}`` or ``{"stage": "failed", "step": ..., "error": "Type: message"}``.
Standard library only: runs inside the measured interpreter (CPython 3.9+).
"""

from __future__ import annotations

import inspect
import json
import os
import sys
import time

from experiments.catalogue.toolkit import executors
from experiments.catalogue.toolkit.user_code import args_text, import_function
from experiments.schema.format import gil_enabled


def _error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return "%s: %s" % (type(exc).__name__, text[0] if text else "")


_answers = None


def _say(obj: dict) -> None:
    _answers.write(json.dumps(obj) + "\n")
    _answers.flush()


def _signature_problem(fn, kwargs: dict) -> str | None:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return None  # a builtin without a signature: the call will tell
    try:
        signature.bind(0, **kwargs)
    except TypeError as exc:
        return "it cannot be called as %s(index, **%s): %s" % (
            getattr(fn, "__name__", "fn"),
            args_text(kwargs),
            exc,
        )
    return None


def _shape_problem(fn) -> str | None:
    if inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn):
        return "it is a generator function, whose body runs only when iterated; make it return its result"
    return None


def probe(request: dict) -> dict:
    """Import, check and call the function once: the facts the harness needs, or why it cannot run."""
    gil_before = gil_enabled()
    try:
        fn = import_function(request["function"], request.get("path"))
    except BaseException as exc:
        return {"stage": "failed", "step": "import", "error": _error(exc)}
    _say({"stage": "imported", "gil_enabled_after_import": gil_enabled()})
    kwargs = request.get("args") or {}
    problem = _shape_problem(fn)
    if problem:
        return {"stage": "failed", "step": "shape", "error": problem}
    problem = _signature_problem(fn, kwargs)
    if problem:
        return {"stage": "failed", "step": "signature", "error": problem}
    if request.get("path"):
        os.chdir(request["path"])
    task = executors.Task(fn, kwargs=kwargs)
    started = time.perf_counter()
    try:
        result = task(0)
    except BaseException as exc:
        return {"stage": "failed", "step": "call", "error": _error(exc)}
    call_s = time.perf_counter() - started
    if inspect.isawaitable(result):
        problem = "it returned an awaitable but is not an async def; declare it async def"
        return {"stage": "failed", "step": "result", "error": problem}
    return {
        "stage": "done",
        "call_s": call_s,
        "is_async": task.is_async,
        "gil_enabled_before": gil_before,
        "gil_enabled_after": gil_enabled(),
        "pickle_problem": executors.pickling_problem(task),
        "result_type": type(result).__name__,
        "result_problem": executors.pickling_problem(result),
        "unavailable": {e: executors.unavailable(e) for e in executors.EXECUTORS if executors.unavailable(e)},
    }


def main() -> None:
    global _answers
    # The answers keep the real stdout; whatever the function prints lands on stderr instead.
    _answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    request = json.loads(sys.stdin.readline())
    _say(probe(request))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # threads or processes the function left behind must not keep the probe alive


if __name__ == "__main__":
    main()
