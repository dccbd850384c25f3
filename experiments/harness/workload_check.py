"""The --workload options, checked: parsed from the command line, then the user's function tried once in
every measured interpreter before anything is measured, each problem one line naming the fix."""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace

from experiments.catalogue.toolkit import executors
from experiments.catalogue.toolkit.user_code import (
    PATH_ENV,
    SOLO_CALLS,
    args_text,
    pickle_skip_reason,
    result_skip_reason,
)
from experiments.harness.cell_runner import ROOT, Interpreter, kill_group, worker_env
from experiments.harness.plan import ExperimentPlan
from experiments.harness.variants import Variant

#: How long importing the user's module may take under a measured interpreter.
IMPORT_LIMIT_S = 60.0
#: The share of a cell's time limit its sequential calls may use; the rest is start-up and imports.
CALL_BUDGET_SHARE = 0.8
_NAME = r"[A-Za-z_]\w*"
_REF = re.compile(rf"^{_NAME}(\.{_NAME})*:{_NAME}(\.{_NAME})*$")


class WorkloadError(ValueError):
    """A workload that cannot be measured; the message is one line naming the fix."""


@dataclass(frozen=True)
class Workload:
    """What --workload, --workload-args and --path asked for."""

    function: str
    args: dict = field(default_factory=dict)
    path: str = ""

    @property
    def args_text(self) -> str:
        return args_text(self.args)

    def to_config(self) -> dict:
        return {"function": self.function, "args": dict(self.args), "path": self.path}

    def interpreter(self, interp: Interpreter) -> Interpreter:
        """The interpreter with the import folder in its environment, where the cells read it."""
        interp.env = {**interp.env, PATH_ENV: self.path}
        return interp


def parse_workload(function: str, args_json: str | None = None, path: str | None = None) -> Workload:
    """Check the three options' text; WorkloadError (one line) when one is wrong."""
    function = function.strip()
    if not _REF.match(function):
        hint = ""
        if ".py" in function or "/" in function:
            hint = "; name the module, not its file: --workload tasks:resize_image --path DIR"
        raise WorkloadError(
            "--workload expects MODULE:FUNCTION, e.g. mypkg.tasks:resize_image; got %r%s" % (function, hint)
        )
    args = {}
    if args_json is not None:
        try:
            args = json.loads(args_json)
        except json.JSONDecodeError as exc:
            raise WorkloadError(
                "--workload-args is not valid JSON (%s at column %d); give an object such as '{\"size\": 64}'"
                % (exc.msg, exc.colno)
            ) from None
        if not isinstance(args, dict):
            raise WorkloadError(
                "--workload-args must be a JSON object of keyword arguments such as '{\"size\": 64}', got %s"
                % type(args).__name__
            )
    folder = os.path.abspath(path if path is not None else os.getcwd())
    if not os.path.isdir(folder):
        raise WorkloadError(
            "--path %s is not a folder; give the folder your module is imported from "
            "(default: the current one)" % folder
        )
    return Workload(function, args, folder)


def check_variants(workload: Workload, variants: list, chosen: list, plan) -> list:
    """Try the function of every variant under every interpreter before anything is measured; the
    (interpreter, facts, variant) of each run, each interpreter carrying its variant's folder."""
    sides = {}
    for vi, variant in enumerate(variants):
        mine = replace(workload, path=variant.import_folder)
        interps = [replace(interp, env=dict(interp.env)) for interp, _ in chosen]
        try:
            notes = check_workloads([mine.interpreter(i) for i in interps], mine, plan)
        except WorkloadError as exc:
            raise WorkloadError("variant %s (%s): %s" % (variant.name, where(variant), exc)) from None
        for note in notes:
            print("gilbench: note: variant %s: %s" % (variant.name, note), file=sys.stderr)
        for ii, (interp, (_, facts)) in enumerate(zip(interps, chosen)):
            sides[ii, vi] = (interp, facts, variant)
    # Interpreter by interpreter, each with its variants in the order given.
    return [sides[key] for key in sorted(sides)]


def where(variant: Variant) -> str:
    return (
        variant.source if not variant.revision else "%s at %s" % (variant.source, (variant.commit or "")[:12])
    )


def call_budget(plan: ExperimentPlan) -> tuple:
    """(seconds one call may take, why): the tightest cell must fit its solo calls and every task
    in sequence (the sequential baseline does exactly that) within its time limit."""
    spec, profile = plan.spec, plan.profile

    def budget(cell) -> float:
        return CALL_BUDGET_SHARE * spec.timeout_s(cell.params, profile) / (SOLO_CALLS + cell.params["tasks"])

    cell = min(plan.cells(), key=budget)
    why = "each cell allows %g s for %d solo calls and %d tasks in sequence" % (
        spec.timeout_s(cell.params, profile),
        SOLO_CALLS,
        cell.params["tasks"],
    )
    return budget(cell), why


def check_workloads(interps: list, workload: Workload, plan: ExperimentPlan) -> list:
    """Try the function under every interpreter: WorkloadError at the first that cannot measure it,
    else the notes to print, one per distinct note, naming the interpreters it concerns."""
    concerned: dict = {}
    for interp in interps:
        for note in check_workload(interp, workload, plan):
            concerned.setdefault(note, []).append(interp.label or interp.executable)
    return ["under %s: %s" % (", ".join(labels), note) for note, labels in concerned.items()]


def check_workload(interp: Interpreter, workload: Workload, plan: ExperimentPlan) -> list:
    """Try the function once under ``interp``: WorkloadError if it cannot be measured, else the
    notes to print (executors that will be skipped and why, the GIL turned back on)."""
    limit_s, why = call_budget(plan)
    answer = _probe(interp, workload, limit_s, why)
    label, ref = interp.label or interp.executable, workload.function
    step, error = answer.get("step"), answer.get("error", "")
    if step == "import":
        raise WorkloadError(
            "cannot import %s under %s: %s; check MODULE:FUNCTION, give --path DIR (the folder it is "
            "imported from) and install what it imports into that interpreter" % (ref, label, error)
        )
    if step == "signature":
        raise WorkloadError(
            "%s under %s: %s; gilbench calls FUNCTION(index, **ARGS) with ARGS from --workload-args"
            % (ref, label, error)
        )
    if step == "call":
        raise WorkloadError(
            "%s raised %s on a sample call %s(0) under %s; fix it or its --workload-args before measuring"
            % (ref, error, ref.split(":")[1], label)
        )
    if step in ("shape", "result"):
        raise WorkloadError("%s under %s: %s" % (ref, label, error))
    return _notes(answer, workload, plan)


def _notes(answer: dict, workload: Workload, plan: ExperimentPlan) -> list:
    planned = {c.params["executor"] for c in plan.cells()}
    notes, skipped = [], set()

    def skip(names, reason):
        names = [e for e in executors.EXECUTORS if e in names and e in planned and e not in skipped]
        if names:
            skipped.update(names)
            notes.append("%s will be skipped: %s" % (", ".join(names), reason))

    ref = workload.function
    # In the order the cells check: what the interpreter lacks first, then pickling.
    for name, reason in sorted((answer.get("unavailable") or {}).items()):
        skip([name], reason)
    if answer.get("pickle_problem"):
        skip(executors.PICKLES_TASK, pickle_skip_reason(ref, answer["pickle_problem"]))
    if answer.get("result_problem"):
        skip(
            executors.PICKLES_RESULT,
            result_skip_reason(ref, answer.get("result_type"), answer["result_problem"]),
        )
    if answer.get("gil_enabled_before") is False and (
        answer.get("gil_enabled_after_import") or answer.get("gil_enabled_after")
    ):
        notes.append(
            "importing or calling %s turned the GIL back on (an extension without "
            "free-threading support); its rows say so in gil_enabled_end" % workload.function
        )
    return notes


def _probe(interp: Interpreter, workload: Workload, limit_s: float, why: str) -> dict:
    """Run experiments.inside.function_probe under ``interp``; its final answer, or WorkloadError on a hang
    or a crash. Whatever the function started is killed with the probe's process group."""
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [interp.executable, "-m", "experiments.inside.function_probe"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        cwd=str(ROOT),
        env=worker_env(interp),
        start_new_session=True,
    )
    request = {"function": workload.function, "args": workload.args, "path": workload.path}
    try:
        proc.stdin.write((json.dumps(request) + "\n").encode())
        proc.stdin.close()
        return _answer(proc, workload, interp, limit_s, why, log)
    finally:
        kill_group(proc.pid)
        proc.wait()
        log.close()


def _answer(proc, workload: Workload, interp: Interpreter, limit_s: float, why: str, log) -> dict:
    label, ref = interp.label or interp.executable, workload.function
    fd, buffer = proc.stdout.fileno(), b""
    deadline, stage = time.monotonic() + IMPORT_LIMIT_S, "import"
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            if stage == "import":
                raise WorkloadError(
                    "importing %s under %s did not finish within %g s" % (ref, label, IMPORT_LIMIT_S)
                )
            raise WorkloadError(
                "%s did not return from a sample call %s(0) within %.3g s under %s (%s); make one call "
                "shorter or lower the number of tasks with --set tasks=N"
                % (ref, ref.split(":")[1], limit_s, label, why)
            )
        if not select.select([fd], [], [], remaining)[0]:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            message = json.loads(line)
            if message.get("stage") == "imported":
                deadline, stage = time.monotonic() + limit_s, "call"
            elif message.get("stage") in ("done", "failed"):
                return message
    status = proc.wait()
    log.seek(0)
    lines = log.read().decode(errors="replace").strip().splitlines()
    raise WorkloadError(
        "%s crashed %s during its %s (exit status %d%s)"
        % (
            ref,
            label,
            "import" if stage == "import" else "sample call",
            status,
            ": " + lines[-1] if lines else "",
        )
    )
