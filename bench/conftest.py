"""pytest-benchmark settings for bench/: adds the GIL state and scheduler facts to the JSON's machine_info."""

from __future__ import annotations

import multiprocessing
import os
import sys
import sysconfig
from datetime import datetime, timezone

from experiments.schema import gil_enabled

# Read when pytest loads this conftest, before any benchmark ran: on a free-threaded build, importing
# an extension module that does not declare free-threading support turns the GIL back on mid-run.
GIL_ENABLED_AT_START = gil_enabled()

# pytest-benchmark's own "datetime" is when it wrote the JSON, at the end of the process.
STARTED_AT_UTC = datetime.now(timezone.utc).isoformat()


def pytest_benchmark_update_machine_info(config, machine_info: dict) -> None:
    """pytest-benchmark hook (signature from its hookspec): called when the JSON is written."""
    affinity = getattr(os, "sched_getaffinity", None)
    machine_info.update(
        started_at_utc=STARTED_AT_UTC,
        gil_enabled_start=GIL_ENABLED_AT_START,
        gil_enabled_end=gil_enabled(),
        py_gil_disabled=bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        python_gil_env=os.environ.get("PYTHON_GIL"),
        switch_interval_s=sys.getswitchinterval(),
        start_method=multiprocessing.get_start_method(),
        start_methods_available=multiprocessing.get_all_start_methods(),
        cpu_affinity=sorted(affinity(0)) if affinity else None,
        cpu_count_logical=os.cpu_count(),
    )
