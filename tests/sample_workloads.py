"""Functions a user might bring to ``--workload``: good ones, and one of each kind of bad one.

Each takes the task's index first, as the contract says (README "Measure your own function").
"""

import asyncio
import hashlib
import os
import threading
import time
import zlib

_BUFFER = hashlib.sha256(b"gilbench").digest() * (1 << 15)  # 1 MiB that compresses a little


def pure_python(index, size=300):
    """``size`` thousand iterations of pure-Python arithmetic: holds the GIL throughout."""
    total = index
    for i in range(size * 1000):
        total += i * i % 7
    return total


def scaled_work(index, size=200):
    """``size`` thousand iterations of pure-Python arithmetic times GILBENCH_WORK_SCALE (default 1): a
    known change set outside the cell's identity, for ``make aa`` (scripts/aa.py)."""
    scale = float(os.environ.get("GILBENCH_WORK_SCALE", "1"))
    total = index
    for i in range(int(size * 1000 * scale)):
        total += i * i % 7
    return total


def zlib_compress(index, mib=8, level=6):
    """Compress ``mib`` MiB with zlib: C code that releases the GIL while it works."""
    size = 0
    for _ in range(mib):
        size += len(zlib.compress(_BUFFER, level))
    return size


def sleeps(index, ms=10):
    """Wait ``ms`` ms, as blocking I/O does."""
    time.sleep(ms / 1000.0)
    return index


async def async_sleeps(index, ms=10):
    """Wait ``ms`` ms on the event loop."""
    await asyncio.sleep(ms / 1000.0)
    return index


#: Fine on threads, but a lambda cannot be pickled: process executors are skipped.
lambda_task = lambda index: index * 2  # noqa: E731


def raises(index):
    raise ValueError("bad input %d" % index)


def raises_after_first(index):
    """Returns for task 0 (so the check before the run passes), then raises."""
    if index:
        raise ValueError("bad input %d" % index)
    return index


def raises_from_fifth(index):
    """Returns for tasks 0..3 (the check and the calls before the region pass), then raises."""
    if index >= 4:
        raise ValueError("bad input %d" % index)
    return index


def hangs_from_fifth(index):
    """Returns for tasks 0..3, then never again."""
    while index >= 4:
        time.sleep(0.05)
    return index


def exits_the_interpreter(index):
    os._exit(3)


def never_returns(index):
    while True:
        time.sleep(0.05)


def hangs_after_first(index):
    """Returns for task 0 (so the check before the run passes), then never again."""
    while index:
        time.sleep(0.05)
    return index


def returns_lock(index):
    """Returns a value a pool cannot send back: process_pool is skipped, the rest run."""
    return threading.Lock()


def generator(index):
    yield index


def prints(index):
    print("hello from task %d" % index)
    return index


class NotAFunction:
    pass


NOT_CALLABLE = 42
