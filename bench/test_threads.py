"""Cost of starting and joining a Thread, and of starting, cancelling and joining a Timer."""

from __future__ import annotations

import threading

from bench.budget import calibrated


def nothing():
    pass


@calibrated("thread")
def test_thread_start_join(benchmark):
    def op():
        t = threading.Thread(target=nothing)
        t.start()
        t.join()

    before = threading.active_count()
    benchmark(op)
    assert threading.active_count() == before


@calibrated("thread")
def test_timer_start_cancel_join(benchmark):
    # The join belongs to the cost: a cancelled Timer's thread still has to wake up and exit, and
    # without reaping it the threads would pile up and slow every later round.
    def op():
        t = threading.Timer(3600.0, nothing)
        t.start()
        t.cancel()
        t.join()

    before = threading.active_count()
    benchmark(op)
    assert threading.active_count() == before
