"""Round trip of one empty task through a warm ThreadPoolExecutor and a warm ProcessPoolExecutor."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

from bench.budget import calibrated


@pytest.fixture(scope="module", params=["ThreadPoolExecutor", "ProcessPoolExecutor"])
def executor(request):
    # One worker: the figure is the latency of a submit -> result hand-off, not throughput.
    # The pool is created and warmed once per module, so no round pays for starting a worker.
    if request.param == "ThreadPoolExecutor":
        pool, info = ThreadPoolExecutor(max_workers=1), {"workers": 1}
    else:
        start_method = multiprocessing.get_start_method()
        pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context(start_method))
        info = {"workers": 1, "start_method": start_method}
    assert pool.submit(int).result() == 0
    yield pool, info
    pool.shutdown(wait=True)


@calibrated("executor")
def test_submit_result(benchmark, executor):
    pool, info = executor
    benchmark.extra_info.update(info)
    # int() is a builtin, so the task pickles by reference and the worker imports nothing to run it.
    result = benchmark(lambda: pool.submit(int).result())
    assert result == 0
