"""Runs one cell inside the measured interpreter and reports to the parent over a pipe.

Protocol (one JSON object per line):
  parent -> stdin : {"module": "experiments.catalogue.io_vs_cpu", "params": {...}}
  worker -> ctl fd: {"event": "start", "reaped_children_cpu_s": s}   then waits for a line on stdin
  worker -> ctl fd: {"event": "end", "reaped_children_cpu_s": s}     then waits for a line on stdin
  worker -> ctl fd: {"event": "result", "status": "ok"|"error"|"skipped", "handshake_cpu_s": s, ...}

The parent reads the process tree's CPU counters between "start"/"end" and its ack,
so nothing inside this process samples anything while the cell runs. The one figure it
cannot read from outside, the CPU time of children this process reaped (RUSAGE_CHILDREN,
user + sys seconds), travels with the event.
Standard library only.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback

from experiments.inside.frames import describe
from experiments.schema.format import gil_enabled

try:
    import resource
except ImportError:  # not POSIX: the parent falls back to its own counters
    resource = None


def reaped_children_cpu_s():
    """User + system seconds of every child this process has reaped, or None where unknown."""
    if resource is None:
        return None
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv):
    ctl = os.fdopen(int(argv[1]), "w", buffering=1)
    stdin = sys.stdin

    def send(obj):
        ctl.write(json.dumps(obj) + "\n")
        ctl.flush()

    # This thread's own CPU between the parent's two readings that is not the cell's: waking
    # from the start ack, and reporting the end. The parent subtracts it from the exact figure.
    handshake_cpu = {"start": 0.0, "end": 0.0}

    def handshake(event):
        entered = time.thread_time()
        send({"event": event, "reaped_children_cpu_s": reaped_children_cpu_s()})
        sent = time.thread_time()
        if not stdin.readline():
            raise SystemExit("parent went away")
        handshake_cpu[event] = time.thread_time() - sent if event == "start" else sent - entered

    spec = json.loads(stdin.readline())
    result = {"event": "result", "gil_enabled_start": gil_enabled()}
    from experiments.spec import CellSkipped, Region

    regions = []

    def region():
        r = Region(lambda: handshake("start"), lambda: handshake("end"))
        regions.append(r)
        return r

    try:
        module = importlib.import_module(spec["module"])
        metrics = module.run_cell(dict(spec["params"]), region)
        if len(regions) != 1 or regions[0].wall_s is None:
            raise RuntimeError("run_cell must enter its measured region exactly once")
        if not isinstance(metrics, dict):
            raise TypeError("run_cell must return a dict of metrics, not %r" % type(metrics))
        result.update(status="ok", metrics=metrics, wall_s=regions[0].wall_s)
    except CellSkipped as exc:
        result.update(status="skipped", error=str(exc))
    except BaseException as exc:  # the harness turns any failure into an error row
        result.update(status="error", error=describe(exc))
        traceback.print_exc()
    result["gil_enabled_end"] = gil_enabled()
    result["handshake_cpu_s"] = handshake_cpu["start"] + handshake_cpu["end"]
    send(result)
    ctl.close()
    # Daemon threads a cell leaves running must not keep the worker alive.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(1 if result["status"] == "error" else 0)


if __name__ == "__main__":
    main(sys.argv)
