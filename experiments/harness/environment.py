"""Collects what a run needs to be understood later: the interpreter's and the machine's facts."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import socket
import subprocess
import time
from pathlib import Path

import psutil

from experiments.harness.cell_runner import ROOT, Interpreter, worker_env
from experiments.schema import Environment
from experiments.spec import CALIBRATION_ENV

TOOL_VERSION = "0.1.0"


class InterpreterError(Exception):
    """An interpreter that cannot be measured (missing, not Python, too old)."""


def probe_interpreter(interpreter: Interpreter) -> dict:
    """Ask the interpreter about itself, in a fresh process with the run's environment."""
    exe = interpreter.executable
    check = "import sys; print('%d.%d' % sys.version_info[:2])"
    try:
        out = subprocess.run(
            [exe, "-c", check], capture_output=True, text=True, timeout=30, env=worker_env(interpreter)
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InterpreterError("cannot run %s as a Python interpreter: %s" % (exe, exc)) from None
    try:
        major, minor = (int(x) for x in out.stdout.strip().split("."))
    except ValueError:
        raise InterpreterError(
            "%s is not a Python interpreter (it printed %r)" % (exe, (out.stdout + out.stderr).strip()[:80])
        ) from None
    if (major, minor) < (3, 9):
        raise InterpreterError("%s is Python %d.%d; gilbench needs 3.9 or newer" % (exe, major, minor))
    facts = _probe(interpreter, [], 60, "describe itself")
    if interpreter.label:
        facts["label"] = interpreter.label
    return facts


def calibrate_interpreter(interpreter: Interpreter, specs: list) -> dict:
    """{experiment: its ``calibrate()`` result}, measured inside the interpreter for the experiments
    of ``specs`` that have the hook; {} when none has."""
    names = [spec.import_name for spec in specs if spec.calibrate is not None]
    if not names:
        return {}
    return _probe(interpreter, ["--calibrate", *names], 120, "calibrate " + ", ".join(names))


def _probe(interpreter: Interpreter, args: list, timeout_s: float, what: str) -> dict:
    """The JSON that ``experiments.inside.probe ARGS`` prints inside the interpreter."""
    out = subprocess.run(
        [interpreter.executable, "-m", "experiments.inside.probe", *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=str(ROOT),
        env=worker_env(interpreter),
    )
    if out.returncode != 0:
        raise InterpreterError(
            "%s failed to %s: %s" % (interpreter.executable, what, out.stderr.strip()[-200:])
        )
    return json.loads(out.stdout)


def calibrated(interpreter: Interpreter, calibration: dict | None) -> Interpreter:
    """The interpreter whose workers read the run's recorded calibration (spec.CALIBRATION_ENV)."""
    if not calibration:
        return interpreter
    env = dict(interpreter.env, **{CALIBRATION_ENV: json.dumps(calibration)})
    return Interpreter(interpreter.executable, env, interpreter.label)


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def cpu_model() -> str:
    for line in (_read("/proc/cpuinfo") or "").splitlines():
        if line.lower().startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def cgroup_cpu_quota_cores() -> float | None:
    """CPU limit of this cgroup in cores (cgroup v2 cpu.max or v1 cfs quota), None when unlimited."""
    text = _read("/sys/fs/cgroup/cpu.max")
    if text:
        quota, _, period = text.partition(" ")
        if quota != "max" and period:
            return int(quota) / int(period)
        return None
    quota, period = (
        _read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"),
        _read("/sys/fs/cgroup/cpu/cpu.cfs_period_us"),
    )
    if quota and period and int(quota) > 0:
        return int(quota) / int(period)
    return None


def usable_cores() -> int:
    """Cores this process may run on: affinity, capped by a cgroup quota."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = cgroup_cpu_quota_cores()
    return max(1, min(cores, int(quota))) if quota else cores


def cpu_steal_s() -> float | None:
    """CPU seconds the hypervisor gave to other guests since boot, all cores (None where not reported)."""
    return getattr(psutil.cpu_times(), "steal", None)


def machine_facts(label: str) -> dict:
    mem = psutil.virtual_memory()
    facts = {
        "label": label,
        "hostname": socket.gethostname(),
        "cpu_model": cpu_model(),
        "architecture": platform.machine(),
        "physical_cores": psutil.cpu_count(logical=False),
        "logical_cores": psutil.cpu_count(logical=True),
        "affinity": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cgroup_cpu_quota_cores": cgroup_cpu_quota_cores(),
        "usable_cores": usable_cores(),
        "memory_total_bytes": mem.total,
        "memory_available_bytes_start": mem.available,
        "os": platform.platform(),
        "kernel": platform.release(),
        "load_avg_start": list(os.getloadavg()),
        "cpu_steal_s_start": cpu_steal_s(),
        "cpu_freq_mhz": getattr(psutil.cpu_freq(), "current", None) if psutil.cpu_freq() else None,
        "boot_time_utc": _utc(psutil.boot_time()),
    }
    key = "|".join(str(facts[k]) for k in ("cpu_model", "logical_cores", "memory_total_bytes", "kernel"))
    facts["fingerprint"] = hashlib.sha256(key.encode()).hexdigest()[:16]
    return facts


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain"], capture_output=True, text=True)
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def _utc(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def new_environment(run_id: str, interpreter: dict, machine: dict, config: dict) -> Environment:
    return Environment(
        run_id=run_id,
        created_utc=_utc(time.time()),
        interpreter=interpreter,
        machine=machine,
        config=config,
        tool={"name": "gilbench", "version": TOOL_VERSION, "git_commit": git_commit()},
    )


def finish_environment(env: Environment, interpreter_end: dict) -> None:
    """Record the end-of-run state: load, GIL state, time."""
    env.machine["load_avg_end"] = list(os.getloadavg())
    env.machine["cpu_steal_s_end"] = cpu_steal_s()
    env.interpreter["gil_enabled_end"] = interpreter_end.get("gil_enabled_end")
    env.finished_utc = _utc(time.time())
