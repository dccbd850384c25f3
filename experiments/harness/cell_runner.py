"""Runs one repetition of one cell in a fresh worker process and measures it from outside."""

from __future__ import annotations

import ctypes
import json
import os
import resource
import select
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from experiments.harness.cputime import process_tree, read_tree, region_cpu
from experiments.schema.command_line import ROOT

PR_SET_PDEATHSIG = 1


@dataclass
class Interpreter:
    """A Python to measure: its executable and any environment it runs with (e.g. PYTHON_GIL)."""

    executable: str
    env: dict = field(default_factory=dict)
    label: str = ""


@dataclass
class Outcome:
    """What one worker process produced: its status, the worker's record and the outside figures."""

    status: str
    error: str = ""
    wall_s: float | None = None
    metrics: dict = field(default_factory=dict)
    measured: dict = field(default_factory=dict)
    gil_enabled_start: bool | None = None
    gil_enabled_end: bool | None = None


def _worker_setup(memory_cap_mib: int | None):
    """What the forked worker does before exec: die with the harness, and cap its memory."""

    def setup() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            # If the harness is killed (even SIGKILL), so is the worker.
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass  # not Linux: a killed harness leaves the worker to finish its cell
        if memory_cap_mib:
            # RLIMIT_DATA (heap and private writable mappings), not RLIMIT_AS: threads reserve
            # large address ranges they never touch, and a cell with 64 threads must still run.
            cap = memory_cap_mib << 20
            resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))

    return setup


def worker_env(interpreter: Interpreter) -> dict:
    """The environment of a worker: ours, the project on PYTHONPATH, the interpreter's own settings."""
    env = dict(os.environ)
    env.pop("PYTHONHOME", None)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(interpreter.env)
    return env


def kill_tree(proc: psutil.Process, pgid: int | None) -> None:
    """Kill a worker and everything it started, including children that left its process group."""
    victims = process_tree(proc)
    for p in victims:
        try:
            p.kill()
        except psutil.Error:
            pass
    if pgid is not None:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass
    psutil.wait_procs([p for p in victims if p.pid != proc.pid], timeout=2)


def kill_group(pgid: int, wait_s: float = 2.0) -> None:
    """Kill what a finished cell left behind in its process group, and wait until it is dead."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        return  # the usual case: nothing left
    deadline = time.perf_counter() + wait_s
    while time.perf_counter() < deadline:
        alive = []
        for p in psutil.process_iter():
            try:
                if os.getpgid(p.pid) == pgid and p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(p)
            except (OSError, psutil.Error):
                continue
        if not alive:
            return
        time.sleep(0.01)


def _try_reap(pid: int):
    """(status, rusage) if the worker has exited, else None; rusage covers its reaped descendants."""
    done, status, rusage = os.wait4(pid, os.WNOHANG)
    return (status, rusage) if done else None


def _reap(pid: int, grace_s: float, on_overdue) -> tuple:
    deadline = time.perf_counter() + grace_s
    while True:
        reaped = _try_reap(pid)
        if reaped is not None:
            return reaped
        if time.perf_counter() > deadline:
            on_overdue()
            _, status, rusage = os.wait4(pid, 0)
            return status, rusage
        time.sleep(0.002)


def _describe_exit(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        return "worker killed by signal %s" % name
    return "worker exited with code %d" % os.waitstatus_to_exitcode(status)


def _last_line(path: str) -> str:
    try:
        text = Path(path).read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return text[-1].strip()[:300] if text else ""


class _Worker:
    """One worker process and the harness's side of its protocol (see experiments/inside/worker.py)."""

    def __init__(self, interpreter: Interpreter, memory_cap_mib: int | None):
        self.read_fd, write_fd = os.pipe()
        self.log = tempfile.NamedTemporaryFile(prefix="gilbench-worker-", suffix=".log", delete=False)
        try:
            self.proc = subprocess.Popen(
                [interpreter.executable, "-m", "experiments.inside.worker", str(write_fd)],
                stdin=subprocess.PIPE,
                stdout=self.log,
                stderr=self.log,
                pass_fds=(write_fd,),
                cwd=str(ROOT),
                env=worker_env(interpreter),
                # Its own session: a Ctrl-C at the terminal reaches the harness, not the cell,
                # and the whole group can be killed at once.
                start_new_session=True,
                preexec_fn=_worker_setup(memory_cap_mib),
            )
        except OSError:
            os.close(self.read_fd)
            self.log.close()
            os.unlink(self.log.name)
            raise
        finally:
            os.close(write_fd)
        self.ps = psutil.Process(self.proc.pid)
        self.marks: dict = {}
        self.handshake_cpu_s = 0.0
        self.reaped = None

    def converse(self, module: str, params: dict, deadline: float, timeout_s: float) -> Outcome | None:
        """Send the cell, answer its start/end marks, and return its result (None: it died first)."""
        buffer = b""
        try:
            self._send(json.dumps({"module": module, "params": params}) + "\n")
            while True:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    return Outcome("timeout", error="no result within the %.0f s cell timeout" % timeout_s)
                if not select.select([self.read_fd], [], [], min(remaining, 0.2))[0]:
                    # Grandchildren may hold the pipe open after the worker died: look for its exit.
                    if self.reaped is None:
                        self.reaped = _try_reap(self.proc.pid)
                    if self.reaped is not None and not select.select([self.read_fd], [], [], 0)[0]:
                        return None
                    continue
                chunk = os.read(self.read_fd, 65536)
                if not chunk:
                    return None
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    outcome = self._handle(json.loads(line))
                    if outcome is not None:
                        return outcome
        except (BrokenPipeError, ValueError) as exc:
            return Outcome("crashed", error="worker protocol broken: %s" % exc)

    def _send(self, text: str) -> None:
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def _handle(self, message: dict) -> Outcome | None:
        event = message.get("event")
        if event in ("start", "end"):
            # The worker waits for this answer: the tree's CPU is read while the region is held.
            self.marks[event] = read_tree(self.ps, message.get("reaped_children_cpu_s"))
            self._send("go\n")
        elif event == "result":
            self.handshake_cpu_s = message.get("handshake_cpu_s") or 0.0
            return Outcome(
                message["status"],
                error=message.get("error", ""),
                wall_s=message.get("wall_s"),
                metrics=message.get("metrics") or {},
                gil_enabled_start=message.get("gil_enabled_start"),
                gil_enabled_end=message.get("gil_enabled_end"),
            )
        return None

    def close(self, outcome: Outcome | None) -> tuple:
        """Reap the worker (killing what a failed or timed-out cell left) -> (wait status, rusage)."""
        os.close(self.read_fd)
        pid = self.proc.pid
        if outcome is None or outcome.status == "timeout":
            kill_tree(self.ps, pid)
        if self.reaped is None:
            self.reaped = _reap(pid, grace_s=10, on_overdue=lambda: kill_tree(self.ps, pid))
        status, rusage = self.reaped
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        kill_group(pid)
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        self.log.close()
        return status, rusage

    def last_log_line(self) -> str:
        line = _last_line(self.log.name)
        os.unlink(self.log.name)
        return line


def run_cell(
    interpreter: Interpreter, module: str, params: dict, timeout_s: float, memory_cap_mib: int | None = None
) -> Outcome:
    """Run ``module.run_cell(params)`` once in a new worker process under a wall-clock limit
    and, if given, a memory limit (each of its processes' data segment, MiB)."""
    started = time.perf_counter()
    try:
        worker = _Worker(interpreter, memory_cap_mib)
    except OSError as exc:
        return Outcome("crashed", error="cannot start %s: %s" % (interpreter.executable, exc))
    outcome = None
    try:
        outcome = worker.converse(module, params, started + timeout_s, timeout_s)
    finally:
        status, rusage = worker.close(outcome)
    process_wall_s = time.perf_counter() - started
    detail = worker.last_log_line()
    if outcome is None:
        outcome = Outcome("crashed", error=_describe_exit(status) + (": " + detail if detail else ""))
    elif outcome.status == "error" and not outcome.error:
        outcome.error = detail
    outcome.measured = {
        "process_wall_s": round(process_wall_s, 6),
        "peak_rss_mib": round(rusage.ru_maxrss / 1024.0, 2),
        "ctx_voluntary": rusage.ru_nvcsw,
        "ctx_involuntary": rusage.ru_nivcsw,
    }
    marks = worker.marks
    if "start" in marks and "end" in marks and outcome.wall_s:
        outcome.measured.update(
            region_cpu(marks["start"], marks["end"], outcome.wall_s, worker.handshake_cpu_s)
        )
    return outcome
