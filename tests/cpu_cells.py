"""Cells that burn a known amount of CPU and measure it from inside (standard library only).

Each cell returns ``truth_cpu_s``, the CPU its region used as the cell itself measured it: the
worker's own ``time.process_time()`` across the region (all its threads), plus every child's CPU
(a reaped child's exact total from ``os.wait4``, minus what it had used before the region; a pool
process's own ``time.process_time()`` reports), so a test can hold the harness's outside figure
against it whatever the machine's speed. Busy threads also report their summed
``time.thread_time()`` (``threads_cpu_s``), a lower bound that no process clock is involved in.
"""

import os
import struct
import threading
import time
from concurrent.futures import ProcessPoolExecutor

NAME = "cpu_cells"


def burn(clock, cpu_s):
    """Run pure Python until ``clock`` has advanced by ``cpu_s``; return the clock's final reading."""
    end = clock() + cpu_s
    x = 0
    while clock() < end:
        for _ in range(1000):
            x += 1
    return clock()


def pool_task(cpu_s):
    """A task for a pool process: burn, and return the process's whole CPU time so far."""
    return burn(time.process_time, cpu_s)


def _threads(n, cpu_s):
    used = [0.0] * n

    def work(i):
        # thread_time counts from the thread's creation, so its start-up is included.
        used[i] = burn(time.thread_time, cpu_s)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(used)


def _fork_burner(cpu_before_s=0.0, cpu_s=0.0):
    """Fork a child that burns ``cpu_before_s``, reports its process_time, waits for a byte, burns
    ``cpu_s`` and exits. Returns (pid, report fd, go fd)."""
    report_r, report_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(report_w, struct.pack("d", burn(time.process_time, cpu_before_s)))
        os.read(go_r, 1)
        burn(time.process_time, cpu_s)
        os._exit(0)
    os.close(report_w)
    os.close(go_r)
    return pid, report_r, go_w


def _report(burner):
    return struct.unpack("d", os.read(burner[1], 8))[0]


def _finish(burner):
    """Let a burner do its second part and reap it: its whole CPU time, exit included."""
    pid, report_fd, go_fd = burner
    os.write(go_fd, b"g")
    _, _, usage = os.wait4(pid, 0)
    os.close(report_fd)
    os.close(go_fd)
    return usage.ru_utime + usage.ru_stime


def _forks(n, cpu_s):
    burners = [_fork_burner(cpu_s=cpu_s) for _ in range(n)]
    for b in burners:
        _report(b)
    return sum(_finish(b) for b in burners)


def run_cell(params, region):
    kind, n, cpu_s = params["kind"], params.get("n", 1), params.get("cpu_s", 0.0)
    held = pool = None
    threads_cpu_s = 0.0
    if kind == "held_child":
        # Alive, and already busy, before the region; reaped inside it.
        held = _fork_burner(cpu_before_s=params["cpu_before_s"], cpu_s=cpu_s)
        held_before = _report(held)
    elif kind == "pool":
        pool = ProcessPoolExecutor(max_workers=1)
        # The pool process exists, has done a task and is idle when the region starts.
        pool_before = pool.submit(pool_task, 0.0).result()
    try:
        with region():
            start = time.process_time()
            if kind == "threads":
                threads_cpu_s = _threads(n, cpu_s)
                children = 0.0
            elif kind == "forks":
                children = _forks(n, cpu_s)
            elif kind == "held_child":
                children = _finish(held) - held_before
            elif kind == "pool":
                children = pool.submit(pool_task, cpu_s).result() - pool_before
            elif kind == "sleep":
                time.sleep(params["sleep_s"])
                children = 0.0
            else:
                raise ValueError("unknown kind %r" % kind)
            own = time.process_time() - start
    finally:
        if pool is not None:
            pool.shutdown()
    return {"truth_cpu_s": own + children, "threads_cpu_s": threads_cpu_s}
