"""Prints, as JSON, what the measured interpreter says about itself (run inside it), or with
``--calibrate MODULE...`` what those experiments' ``calibrate()`` measured in it.

Standard library only.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import sys
import sysconfig
import time

from experiments.schema.format import gil_enabled


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def interpreter_facts():
    free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    version = platform.python_version()
    impl = sys.implementation.name
    gil_env = os.environ.get("PYTHON_GIL")
    label = "%s-%s%s" % (impl, version, "t" if free_threaded else "")
    if free_threaded and gil_env is not None:
        label += "-gil" + gil_env
    slack = _read("/proc/self/timerslack_ns")
    return {
        "label": label,
        "executable": sys.executable,
        "version": version,
        "version_info": list(sys.version_info[:3]),
        "implementation": impl,
        "build": " ".join(platform.python_build()),
        "compiler": platform.python_compiler(),
        "build_flags": sysconfig.get_config_var("CONFIG_ARGS") or "",
        "free_threaded_build": free_threaded,
        "gil_enabled_start": gil_enabled(),
        "python_gil_env": gil_env,
        "switch_interval_s": sys.getswitchinterval(),
        "start_method": multiprocessing.get_start_method(),
        "start_methods_available": multiprocessing.get_all_start_methods(),
        "timer_slack_ns": int(slack) if slack and slack.isdigit() else None,
        "clock_resolution_s": {
            name: time.get_clock_info(name).resolution for name in ("perf_counter", "monotonic", "time")
        },
    }


def calibrations(import_names):
    """{experiment name: its module's ``calibrate()``}, measured in this interpreter."""
    import importlib

    out = {}
    for import_name in import_names:
        module = importlib.import_module(import_name)
        out[import_name.rsplit(".", 1)[-1]] = module.calibrate()
    return out


if __name__ == "__main__":
    if sys.argv[1:2] == ["--calibrate"]:
        json.dump(calibrations(sys.argv[2:]), sys.stdout)
        sys.exit(0)
    facts = interpreter_facts()
    facts["gil_enabled_end"] = gil_enabled()
    json.dump(facts, sys.stdout)
