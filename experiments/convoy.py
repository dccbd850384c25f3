"""The convoy effect: one I/O thread's loopback round trips beside CPU-bound threads (bpo-7946).

The I/O thread (the cell's main thread) sends a message to an echo server and waits for the
reply, back to back.  Every blocking ``send``/``recv`` releases the GIL; getting it back from a
CPU-bound thread that never blocks can take a whole switch interval, so each round trip pays
for it.  The same CPU work in separate processes shares only the cores, not the GIL.
The echo server runs in its own process and replies at once.  The measured region runs round
trips for ``measure_s`` seconds and reports how many as ``work_units``, so the harness's
``speedup`` against the no-load cell of the same round is the throughput ratio.
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

from experiments import workloads
from experiments.sampling import quantile
from experiments.spec import Metric, Param, Profile

NAME = "convoy"
TITLE = "The convoy effect: I/O latency beside CPU-bound threads"
PARAMS = {
    "cpu_workers": Param(int, minimum=0, maximum=64, help="CPU-bound threads or processes running meanwhile"),
    "cpu_kind": Param(str, choices=("thread", "process"), help="where the CPU-bound work runs"),
    "switch_interval_ms": Param(float, minimum=0.001, maximum=1000.0, help="sys.setswitchinterval, ms"),
    "measure_s": Param(float, minimum=0.01, maximum=600.0, help="seconds of back-to-back round trips"),
}
METRICS = (
    "round_trips_per_s",
    "latency_p50_us",
    Metric("latency_p99_us", "us", samples="round_trips"),
    "latency_mean_us",
    Metric("round_trips", "count"),
    Metric("work_units", "count"),
)
COMPARE = ("cpu_workers",)
BASELINE = {"cpu_workers": 0}


def _block(cpu_workers, kind, intervals, measure_s):
    return {
        "cpu_workers": cpu_workers,
        "cpu_kind": [kind],
        "switch_interval_ms": intervals,
        "measure_s": [measure_s],
    }


_INTERVALS = [5.0, 1.0, 0.1]
PROFILES = {
    "quick": Profile(repeat=3, timeout_s=30, grid=[_block([2], "thread", [5.0, 0.1], 0.1)]),
    "default": Profile(
        budget_s=35,
        timeout_s=60,
        grid=[_block([1, 2, 4], "thread", _INTERVALS, 0.25), _block([1, 2], "process", [5.0], 0.25)],
    ),
    "full": Profile(
        budget_s=140,
        timeout_s=120,
        grid=[
            _block([1, 2, 4, 8], "thread", [10.0, 5.0, 1.0, 0.1, 0.01], 1.0),
            _block([1, 2, 4], "process", _INTERVALS, 1.0),
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
        latencies = []
        now = time.perf_counter
        with region():
            end = now() + params["measure_s"]
            t = now()
            while t < end:
                _round_trip(conn, payload, size)
                done = now()
                latencies.append(done - t)
                t = done
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
