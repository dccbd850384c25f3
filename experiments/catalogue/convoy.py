"""The convoy effect: one I/O thread's loopback round trips beside CPU-bound threads (bpo-7946).

The I/O thread (the cell's main thread) sends a message to an echo server and waits for the
reply, back to back.  Every blocking ``send``/``recv`` releases the GIL; getting it back from a
CPU-bound thread that never blocks can take a whole switch interval, so each round trip pays
for it.  The same CPU work in separate processes shares only the cores, not the GIL.
The echo server runs in its own process and replies at once.  The measured region makes
``io_round_trips`` round trips and reports them as ``work_units``, so the harness's ``speedup``
against the no-load cell of the same round is the throughput ratio.

Each group holds, beside the no-load baseline, every CPU worker count twice: as threads and as
processes (the control: the same CPU work without the GIL).  Against the baseline a thread cell
mixes two effects: the GIL convoy and, on a VM, the idle vCPU's slow wake-up (a round trip with
nothing else running can take 4x as long as one with busy processes beside it, so the idle
baseline is itself slow).  Against its process control, from the same round, only the GIL is
left: the report gives both factors.
Standard library only: runs inside the measured interpreter.
"""

from __future__ import annotations

import math
import multiprocessing
import socket
import statistics
import sys
import threading
import time

from experiments.catalogue.toolkit import workloads
from experiments.catalogue.toolkit.sampling import quantile
from experiments.spec import Metric, Param, Profile

TITLE = "The convoy effect: I/O latency beside CPU-bound threads"
PARAMS = {
    "cpu_workers": Param(int, minimum=0, maximum=64, help="CPU-bound threads or processes running meanwhile"),
    "cpu_kind": Param(
        str, choices=("thread", "process"), help="where the CPU-bound work runs (processes: the control)"
    ),
    "switch_interval_ms": Param(float, minimum=0.001, maximum=1000.0, help="sys.setswitchinterval, ms"),
    "io_round_trips": Param(
        int,
        minimum=10,
        maximum=10**7,
        help="round trips the I/O thread makes back to back in the region (at most REGION_CAP_S long)",
    ),
}
METRICS = (
    "round_trips_per_s",
    "latency_p50_us",
    Metric("latency_p99_us", "us", samples="round_trips"),
    "latency_mean_us",
    Metric("round_trips", "count"),
    Metric("work_units", "count"),
)
#: Threads and their process control of every worker count run in one group, so in the same round.
COMPARE = ("cpu_workers", "cpu_kind")
BASELINE = {"cpu_workers": 0, "cpu_kind": "thread"}
#: A region ends after ``io_round_trips`` round trips or this many seconds, whichever comes first;
#: ``round_trips`` (the cell's work) says how many were made.  Beside CPU threads a round trip
#: waits about one switch interval per thread, so an uncapped 1000-trip cell would last many
#: seconds; capped, it makes fewer trips while the idle baseline and the process controls still
#: make all of theirs (README "Default budgets" gives the figures this cap was chosen from).
REGION_CAP_S = 1.0


def _block(cpu_workers, intervals, io_round_trips):
    return {
        "cpu_workers": cpu_workers,
        "cpu_kind": ["thread", "process"],
        "switch_interval_ms": intervals,
        "io_round_trips": [io_round_trips],
    }


# Every cell aims at 1000 round trips: a cell that makes them all has a p99 that is the 990th of
# 1000 sorted latencies, whose distribution-free 95 % interval runs from the 984th to the 996th: a
# p99, not a maximum.  Cells in a GIL convoy stop at REGION_CAP_S instead, with fewer round trips,
# and their p99 is judged by its sample (``round_trips``).  4 threads (and 8) are left to the full
# profile, whose rounds they would make several times longer.
PROFILES = {
    "quick": Profile(repeat=3, timeout_s=30, grid=[_block([2], [0.1], 300)]),
    "default": Profile(
        budget_s=28, timeout_s=60, grid=[_block([1, 2], [5.0], 1000), _block([2], [0.5], 1000)]
    ),
    "full": Profile(
        budget_s=140,
        timeout_s=300,
        # Beside 4 CPU threads at 5 ms a round trip takes ~25 ms: 4 and 8 threads only at shorter intervals.
        grid=[
            _block([1, 2], [5.0, 1.0, 0.1], 2000),
            _block([4], [1.0, 0.1], 1000),
            _block([8], [0.1, 0.01], 1000),
        ],
    ),
}


def _spin(ready, stop):
    """Pure-Python work that never blocks, until told to stop (module level: processes import it)."""
    ready.wait()
    x = 0
    while not stop.is_set():
        for i in range(1000):
            x += i


def _round_trip(conn, payload, size):
    conn.sendall(payload)
    while size:
        chunk = conn.recv(size)
        if not chunk:
            raise ConnectionError("echo server closed the connection")
        size -= len(chunk)


def _start_cpu_workers(kind, n):
    """Start ``n`` spinning workers and return (stop event, workers) once every one is running."""
    if kind == "thread":
        make, ready, stop = threading.Thread, threading.Barrier(n + 1), threading.Event()
    else:
        ctx = multiprocessing.get_context()
        make, ready, stop = ctx.Process, ctx.Barrier(n + 1), ctx.Event()
    workers = [make(target=_spin, args=(ready, stop), daemon=True) for _ in range(n)]
    for w in workers:
        w.start()
    ready.wait(60)
    return stop, workers


def run_cell(params, region):
    size = workloads.MESSAGE_BYTES
    payload = b"x" * size
    old_interval = sys.getswitchinterval()
    server, address = workloads.start_echo_server(delay_s=0.0)
    conn = stop = None
    workers = []
    try:
        conn = socket.create_connection(address)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(20):  # the connection and both processes warm up outside the region
            _round_trip(conn, payload, size)
        sys.setswitchinterval(params["switch_interval_ms"] / 1000.0)
        if params["cpu_workers"]:
            stop, workers = _start_cpu_workers(params["cpu_kind"], params["cpu_workers"])
        latencies = [0.0] * params["io_round_trips"]
        now = time.perf_counter
        with region():
            t = start = now()
            for i in range(params["io_round_trips"]):
                _round_trip(conn, payload, size)
                done = now()
                latencies[i] = done - t
                t = done
                if done - start > REGION_CAP_S:
                    del latencies[i + 1 :]
                    break
    finally:
        sys.setswitchinterval(old_interval)
        if stop is not None:
            stop.set()
        for w in workers:
            w.join(10)
        if conn is not None:
            conn.close()
        workloads.stop_echo_server(server)
    if any(getattr(w, "exitcode", 0) for w in workers):
        raise RuntimeError("a CPU worker process failed: exit codes %s" % [w.exitcode for w in workers])
    total = len(latencies)
    lat_us = [x * 1e6 for x in latencies]
    return {
        "round_trips_per_s": total / math.fsum(latencies),
        "latency_p50_us": quantile(lat_us, 0.5),
        "latency_p99_us": quantile(lat_us, 0.99),
        "latency_mean_us": statistics.fmean(lat_us),
        "round_trips": total,
        "work_units": total,
    }
