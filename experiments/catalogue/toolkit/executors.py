"""How tasks are run: in sequence, on threads, pools, processes, one event loop or subinterpreters.

Shared by every experiment that races executors (io_vs_cpu, gil_share, user_function). A
:class:`Task` is a picklable callable of the task's index; a :class:`Runner` builds and warms an
executor outside the measured region, runs the tasks inside it, and shuts the executor down after.
Standard library only: runs inside the measured interpreter (CPython 3.9+, GIL or free-threaded).
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import pickle
import platform
import re
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from experiments.inside.frames import TaskFailed, describe

EXECUTORS = (
    "sequential",
    "thread",
    "thread_pool",
    "process",
    "process_pool",
    "asyncio",
    "interpreter_pool",
)
#: Executors that send the task to another process or interpreter, pickled. (A raw ``process``
#: under the ``fork`` start method would not need to, but ``spawn``, ``forkserver`` (the default
#: from 3.14 on Linux) and every other OS do: a task that cannot be pickled is not portable there.)
PICKLES_TASK = ("process", "process_pool", "interpreter_pool")
#: Executors that send each task's result back, pickled.
PICKLES_RESULT = ("process_pool", "interpreter_pool")
#: How long a pool's warm-up task waits, so that every worker (not one eager one) takes one.
_WARM_WAIT_S = 0.05


class Task:
    """One unit of work: ``task(i)`` calls ``fn(i, *args, **kwargs)`` (``fn(*args, **kwargs)``
    when ``index`` is False) and, for an ``async def``, runs the coroutine to its end.

    ``setup`` (picklable, optional) builds per-process state; every process that runs the task
    calls it once before timing (pool workers during warm-up). Picklable whenever ``fn`` is.
    """

    def __init__(self, fn, args=(), kwargs=None, index=True, setup=None):
        self.fn = fn
        self.args = tuple(args)
        self.kwargs = dict(kwargs or {})
        self.index = index
        self.setup = setup
        import inspect  # only where a Task is made, never in a process that merely unpickles one

        self.is_async = inspect.iscoroutinefunction(fn)

    def call(self, i):
        """fn's own return value: a coroutine for an ``async def``."""
        if self.index:
            return self.fn(i, *self.args, **self.kwargs)
        return self.fn(*self.args, **self.kwargs)

    def __call__(self, i):
        if self.is_async:
            import asyncio  # imported only where needed: it costs a process start ~25 ms

            return asyncio.run(self.call(i))
        return self.call(i)

    async def coroutine(self, i):
        """The task on an event loop: awaited if async, else run on the loop's default executor."""
        import asyncio

        if self.is_async:
            return await self.call(i)
        return await asyncio.to_thread(self, i)

    def prepare(self) -> None:
        if self.setup is not None:
            self.setup()


def unavailable(executor: str) -> str | None:
    """Why ``executor`` cannot run on this interpreter, or None when it can."""
    if executor == "interpreter_pool" and not hasattr(concurrent.futures, "InterpreterPoolExecutor"):
        return "InterpreterPoolExecutor (subinterpreters) needs Python 3.14 or newer; this is %s" % (
            platform.python_version()
        )
    return None


def pickling_problem(obj) -> str | None:
    """Why ``obj`` cannot be pickled (``Type: message``, memory addresses removed), or None."""
    try:
        pickle.dumps(obj)
    except Exception as exc:  # PicklingError, TypeError, AttributeError: whatever pickle raises
        return re.sub(r" at 0x[0-9a-fA-F]+", "", "%s: %s" % (type(exc).__name__, exc))
    return None


def shares(tasks: int, workers: int) -> list:
    """(start, stop) index ranges of a static split of ``tasks`` over ``workers``, as even as it can be."""
    out, start = [], 0
    for w in range(workers):
        n = tasks // workers + (1 if w < tasks % workers else 0)
        out.append((start, start + n))
        start += n
    return out


def _run_range(task, start, stop):
    for i in range(start, stop):
        task(i)


def _thread_range(task, start, stop, errors):
    try:
        _run_range(task, start, stop)
    except BaseException as exc:  # re-raised by the parent: a raw thread would only print it
        errors.append(exc)


def _process_range(task, start, stop, errors):
    try:
        task.prepare()  # a forked child has the parent's state already; a spawned one builds it here
        _run_range(task, start, stop)
    except BaseException as exc:
        errors.put(describe(exc))  # described here, where the traceback is


def _warm(task, seconds):
    """A pool worker's first job: unpickling the task imports its module; then per-process set-up."""
    task.prepare()
    time.sleep(seconds)


def _set_sys_path(path):
    """A subinterpreter's sys.path is built afresh; give it the parent's, where the task's module is."""
    sys.path[:] = list(path)


class Runner:
    """``with Runner(executor, workers, task) as run: run(tasks)`` runs ``task(0) ... task(tasks-1)``.

    Entering builds the executor and warms it (pool threads started, pool processes and
    subinterpreters started, the task unpickled and set up in each); raw threads and processes are
    started and joined inside ``run``, so their start-up is part of what is timed. ``run`` raises
    the first task's failure. Leaving shuts the executor down.
    """

    def __init__(self, executor: str, workers: int, task: Task):
        if executor not in EXECUTORS:
            raise ValueError("unknown executor %r; known: %s" % (executor, ", ".join(EXECUTORS)))
        self.executor = executor
        self.workers = workers
        self.task = task
        self._pool = None
        self._loop = None

    def __enter__(self):
        self.task.prepare()
        start = getattr(self, "_start_" + self.executor, None)
        if start is not None:
            start()
        return self.run

    def __exit__(self, *exc):
        if self._loop is not None:
            try:
                self._loop.run_until_complete(self._loop.shutdown_default_executor())
            finally:
                self._loop.close()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        return False

    def run(self, tasks: int) -> None:
        getattr(self, "_run_" + self.executor)(tasks)

    # --- building and warming, outside the measured region ---

    def _start_thread_pool(self):
        self._pool = ThreadPoolExecutor(max_workers=self.workers)
        # A barrier makes the pool start every one of its threads before timing.
        barrier = threading.Barrier(self.workers)
        list(self._pool.map(lambda _: barrier.wait(10), range(self.workers)))

    def _start_process_pool(self):
        self._pool = ProcessPoolExecutor(max_workers=self.workers)
        list(self._pool.map(_warm, [self.task] * self.workers, [_WARM_WAIT_S] * self.workers))

    def _start_interpreter_pool(self):
        pool_class = concurrent.futures.InterpreterPoolExecutor
        self._pool = pool_class(
            max_workers=self.workers, initializer=_set_sys_path, initargs=(list(sys.path),)
        )
        list(self._pool.map(_warm, [self.task] * self.workers, [_WARM_WAIT_S] * self.workers))

    def _start_asyncio(self):
        import asyncio

        self._loop = asyncio.new_event_loop()
        self._pool = ThreadPoolExecutor(max_workers=self.workers)
        self._loop.set_default_executor(self._pool)
        if not self.task.is_async:
            barrier = threading.Barrier(self.workers)
            warm = [self._loop.run_in_executor(None, barrier.wait, 10) for _ in range(self.workers)]
            self._loop.run_until_complete(asyncio.gather(*warm))

    # --- running, inside the measured region ---

    def _run_sequential(self, tasks):
        _run_range(self.task, 0, tasks)

    def _start_and_join(self, make, target, tasks, errors) -> list:
        """One ``make(target=..., args=...)`` worker per share of the tasks, all started, then joined."""
        workers = [
            make(target=target, args=(self.task, a, b, errors)) for a, b in shares(tasks, self.workers)
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        return workers

    def _run_thread(self, tasks):
        errors = []
        self._start_and_join(threading.Thread, _thread_range, tasks, errors)
        if errors:
            raise errors[0]

    def _run_process(self, tasks):
        errors = multiprocessing.SimpleQueue()
        procs = self._start_and_join(multiprocessing.Process, _process_range, tasks, errors)
        failed = []
        while not errors.empty():
            failed.append(errors.get())
        if failed:
            raise TaskFailed(failed[0])
        if any(p.exitcode for p in procs):
            raise RuntimeError("a worker process died: exit codes %s" % [p.exitcode for p in procs])

    def _run_pool(self, tasks):
        for future in [self._pool.submit(self.task, i) for i in range(tasks)]:
            future.result()

    _run_thread_pool = _run_process_pool = _run_interpreter_pool = _run_pool

    def _run_asyncio(self, tasks):
        import asyncio

        task, workers = self.task, self.workers

        async def limited(i, slots):
            async with slots:
                return await task.coroutine(i)

        async def every_task():
            if task.is_async:
                # Coroutines on one loop, at most ``workers`` at a time (made here: a 3.9 Semaphore
                # binds to the loop current when it is created).
                slots = asyncio.Semaphore(workers)
                await asyncio.gather(*(limited(i, slots) for i in range(tasks)))
            else:
                # Sync code through asyncio.to_thread; the default executor has ``workers`` threads.
                await asyncio.gather(*(task.coroutine(i) for i in range(tasks)))

        self._loop.run_until_complete(every_task())
