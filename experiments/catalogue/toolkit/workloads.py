"""The units of work that experiments hand to threads, pools and processes.

Each workload in WORKLOADS is a plain function of one integer ``size`` whose unit is in UNITS;
``mixed`` takes a duration, the share of it spent holding the GIL, and the rates that
``calibrate_mixed`` measured in the interpreter that runs it.
Standard library only, importable by pool and process workers under any start method.
"""

from __future__ import annotations

import hashlib
import math
import socket
import statistics
import subprocess
import sys
import time

#: What one unit of ``size`` means for each workload.
UNITS = {
    "cpu_python": "thousand pure-Python loop iterations",
    "c_hash": "MiB hashed with hashlib.sha256 (releases the GIL)",
    "sleep_io": "ms in time.sleep",
    "socket_io": "loopback request/response round trips, 4 KiB each, server replies after 2 ms",
}
#: Workloads bound by the CPU, where a machine's parallel capacity caps the speedup.
CPU_BOUND = ("cpu_python", "c_hash")

MESSAGE_BYTES = 4096
SERVER_DELAY_S = 0.002
_MIB = 1 << 20
_buffer = None
_server_address = None


def cpu_python(size):
    """Pure-Python arithmetic that holds the GIL the whole time."""
    total = 0
    for i in range(size * 1000):
        total += i * i % 7
    return total


def c_hash(size):
    """Hash ``size`` MiB in C; hashlib drops the GIL for each buffer over 2 KiB."""
    global _buffer
    if _buffer is None:
        _buffer = bytes(range(256)) * (_MIB // 256)
    digest = b""
    for _ in range(size):
        digest = hashlib.sha256(_buffer).digest()
    return digest


def sleep_io(size):
    """Wait ``size`` ms in the kernel, as blocking I/O does."""
    time.sleep(size / 1000.0)


def socket_io(size):
    """Do ``size`` request/response round trips against the cell's loopback echo server."""
    if _server_address is None:
        raise RuntimeError("socket_io needs start_echo_server() first")
    payload = b"x" * MESSAGE_BYTES
    with socket.create_connection(_server_address) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(size):
            conn.sendall(payload)
            _recv_exactly(conn, MESSAGE_BYTES)


def _recv_exactly(conn, n):
    chunks = []
    while n:
        chunk = conn.recv(n)
        if not chunk:
            raise ConnectionError("echo server closed the connection")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


WORKLOADS = {
    "cpu_python": cpu_python,
    "c_hash": c_hash,
    "sleep_io": sleep_io,
    "socket_io": socket_io,
}


#: A task alternates its GIL-holding and GIL-releasing parts in this many slices, so that threads
#: interleave them rather than meeting in one long Python stretch.
MIXED_SLICES = 4
_MIXED_CHUNK = 4 * _MIB
_mixed_buffer = None
#: ``calibrate_mixed``: each timed sample lasts at least this long, and this many pairs are timed.
CALIBRATION_SAMPLE_MS = 10.0
CALIBRATION_PAIRS = 9


def mixed_counts(task_ms, gil_share, rates):
    """(loop iterations, bytes hashed) of one slice of a ``mixed`` task at the calibrated ``rates``
    (``calibrate_mixed``): the same parameters and rates always give the same work."""
    iters = int(round(task_ms * gil_share * rates["loop_iters_per_ms"] / MIXED_SLICES))
    nbytes = int(round(task_ms * (1.0 - gil_share) * rates["hash_bytes_per_ms"] / MIXED_SLICES))
    return iters, nbytes


def python_part(iters):
    """Pure-Python arithmetic: holds the GIL throughout (on a GIL build)."""
    total = 0
    for i in range(iters):
        total += i * i % 7
    return total


def c_part(nbytes):
    """sha256 over ``nbytes`` of a buffer, in calls of up to 4 MiB: C code that releases the GIL."""
    global _mixed_buffer
    if _mixed_buffer is None:
        _mixed_buffer = memoryview(bytes(range(256)) * (_MIXED_CHUNK // 256))
    digest = b""
    for _ in range(math.ceil(nbytes / _MIXED_CHUNK)):
        n = min(nbytes, _MIXED_CHUNK)
        digest = hashlib.sha256(_mixed_buffer[:n]).digest()
        nbytes -= n
    return digest


def mixed(task_ms, gil_share, rates):
    """About ``task_ms`` ms of work, ``gil_share`` of it holding the GIL (pure Python) and the rest
    releasing it (hashlib), alternating in MIXED_SLICES slices."""
    iters, nbytes = mixed_counts(task_ms, gil_share, rates)
    for _ in range(MIXED_SLICES):
        python_part(iters)
        c_part(nbytes)


def mixed_parts_s(task_ms, gil_share, rates):
    """(CPU seconds in the Python part, CPU seconds in the C part) of one ``mixed`` task run in
    this thread: its cost, whatever else shares the core (``time.thread_time``)."""
    iters, nbytes = mixed_counts(task_ms, gil_share, rates)
    python_s = c_s = 0.0
    for _ in range(MIXED_SLICES):
        python_s += _cpu_s(python_part, iters)
        c_s += _cpu_s(c_part, nbytes)
    return python_s, c_s


def prepare_mixed():
    """Build ``mixed``'s buffer outside the timed region."""
    c_part(0)


def _cpu_s(func, count):
    """CPU seconds this thread spent in ``func(count)``: a neighbour that preempts it does not count."""
    t0 = time.thread_time()
    func(count)
    return time.thread_time() - t0


def _calibrated_count(func, start, sample_s):
    """The smallest ``start * 2**k`` for which one call of ``func`` takes ``sample_s`` of CPU (as
    pyperf calibrates its loops: double until a sample is long enough to time)."""
    count = start
    while _cpu_s(func, count) < sample_s:
        count *= 2
    return count


def calibrate_mixed(sample_ms=CALIBRATION_SAMPLE_MS, pairs=CALIBRATION_PAIRS):
    """How fast this interpreter runs ``mixed``'s two parts: loop iterations and bytes hashed per
    ms of this thread's CPU time, each the median of ``pairs`` samples taken alternately (Python
    part, C part, Python part, ...). CPU time, not wall time: on a shared machine a sample that the
    scheduler preempts would read slow for one part and not the other, and a task of ``task_ms``
    would no longer cost the same at every ``gil_share``."""
    prepare_mixed()
    sample_s = sample_ms / 1000.0
    iters = _calibrated_count(python_part, 1000, sample_s)
    nbytes = _calibrated_count(c_part, 64 * 1024, sample_s)
    loop_rates, hash_rates = [], []
    for _ in range(pairs):
        loop_rates.append(iters / (_cpu_s(python_part, iters) * 1000.0))
        hash_rates.append(nbytes / (_cpu_s(c_part, nbytes) * 1000.0))
    return {
        "loop_iters_per_ms": statistics.median(loop_rates),
        "hash_bytes_per_ms": statistics.median(hash_rates),
        "sample_ms": sample_ms,
        "pairs": pairs,
    }


def prepare(workload, address=None):
    """Build a workload's per-process state (buffers, server address) outside the timed region."""
    global _server_address
    if workload == "c_hash":
        c_hash(0)  # builds the shared buffer
    if address is not None:
        _server_address = tuple(address)


# The echo server runs in its own process so that serving requests does not compete for
# the GIL of the threads being measured; it replies after SERVER_DELAY_S, like a remote peer.
_ECHO_SERVER = r"""
import heapq, os, selectors, socket, sys, time
N, DELAY = %d, %r
sel = selectors.DefaultSelector()
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0)); srv.listen(512); srv.setblocking(False)
sel.register(srv, selectors.EVENT_READ, None)
sel.register(sys.stdin, selectors.EVENT_READ, "stdin")
sys.stdout.write("%%d\n" %% srv.getsockname()[1]); sys.stdout.flush()
pending, due, seq = {}, [], 0
while True:
    timeout = max(0.0, due[0][0] - time.monotonic()) if due else None
    for key, _ in sel.select(timeout):
        if key.data == "stdin":
            if not os.read(sys.stdin.fileno(), 1):
                sys.exit(0)
        elif key.data is None:
            conn, _ = srv.accept(); conn.setblocking(False)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pending[conn] = b""; sel.register(conn, selectors.EVENT_READ, "conn")
        else:
            conn = key.fileobj
            try:
                data = conn.recv(65536)
            except ConnectionError:
                data = b""
            if not data:
                sel.unregister(conn); pending.pop(conn, None); conn.close(); continue
            buf = pending[conn] + data
            while len(buf) >= N:
                seq += 1; heapq.heappush(due, (time.monotonic() + DELAY, seq, conn, buf[:N])); buf = buf[N:]
            pending[conn] = buf
    now = time.monotonic()
    while due and due[0][0] <= now:
        _, _, conn, msg = heapq.heappop(due)
        if conn in pending:
            conn.setblocking(True); conn.sendall(msg); conn.setblocking(False)
"""


def start_echo_server(delay_s=SERVER_DELAY_S):
    """Start the echo server in a child process, replying after ``delay_s``: (process, (host, port))."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _ECHO_SERVER % (MESSAGE_BYTES, delay_s)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    port = int(proc.stdout.readline())
    return proc, ("127.0.0.1", port)


def stop_echo_server(proc):
    proc.stdin.close()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
