"""Cells that burn a known amount of CPU and report it as measured from inside (standard library only).

Every cell returns ``truth_cpu_s``: the CPU its region used by the cell's own clocks (each busy
thread's ``time.thread_time()``, each child's ``time.process_time()`` sent back over a pipe, the
main thread's ``time.thread_time()`` across the region), so a test can hold the harness's outside
figure against it whatever the machine's speed.
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
    """A task for a pool process: burn, and say how much CPU the task itself took."""
    start = time.process_time()
    return burn(time.process_time, cpu_s) - start


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
    """Fork a child that burns ``cpu_before_s``, reports, waits for a byte, burns ``cpu_s``, reports.

    Returns (pid, report fd, go fd); each report is the child's process_time as a double.
    """
    report_r, report_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(report_w, struct.pack("d", burn(time.process_time, cpu_before_s)))
        os.read(go_r, 1)
        os.write(report_w, struct.pack("d", burn(time.process_time, cpu_s)))
        os._exit(0)
    os.close(report_w)
    os.close(go_r)
    return pid, report_r, go_w


def _report(fd):
    return struct.unpack("d", os.read(fd, 8))[0]


def _finish(burner):
    """Let a burner do its second part and reap it: its whole CPU time, by its own clock."""
    pid, report_fd, go_fd = burner
    os.write(go_fd, b"g")
    last = _report(report_fd)
    os.waitpid(pid, 0)
    os.close(report_fd)
    os.close(go_fd)
    return last


def _forks(n, cpu_s):
    burners = [_fork_burner(cpu_s=cpu_s) for _ in range(n)]
    for b in burners:
        _report(b[1])
    return sum(_finish(b) for b in burners)


def run_cell(params, region):
    kind, n, cpu_s = params["kind"], params.get("n", 1), params.get("cpu_s", 0.0)
    held = pool = None
    if kind == "held_child":
        # Alive, and already busy, before the region; reaped inside it.
        held = _fork_burner(cpu_before_s=params["cpu_before_s"], cpu_s=cpu_s)
        before = _report(held[1])
    elif kind == "pool":
        pool = ProcessPoolExecutor(max_workers=1)
        pool.submit(pool_task, 0.0).result()  # the pool process exists and is idle at the start
    try:
        with region():
            main_start = time.thread_time()
            if kind == "threads":
                inside = _threads(n, cpu_s)
            elif kind == "forks":
                inside = _forks(n, cpu_s)
            elif kind == "held_child":
                inside = _finish(held) - before
            elif kind == "pool":
                inside = pool.submit(pool_task, cpu_s).result()
            elif kind == "sleep":
                time.sleep(params["sleep_s"])
                inside = 0.0
            else:
                raise ValueError("unknown kind %r" % kind)
            inside += time.thread_time() - main_start
    finally:
        if pool is not None:
            pool.shutdown()
    return {"truth_cpu_s": inside}
