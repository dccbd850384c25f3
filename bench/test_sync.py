"""Cost of one uncontended Lock/RLock acquire+release and one Event call, against an empty call."""

from __future__ import annotations

import threading

import pytest

from bench.budget import calibrated

LOCKS = {"Lock": threading.Lock, "RLock": threading.RLock}


@calibrated("baseline")
def test_empty_call(benchmark):
    # Every figure in bench/ includes one Python call like this one (pytest-benchmark's loop calls
    # the operation), so this is the floor to subtract when reading the cheap primitives.
    def nothing():
        pass

    benchmark(nothing)


@calibrated("lock")
@pytest.mark.parametrize("style", ["bare", "with"])
@pytest.mark.parametrize("primitive", list(LOCKS))
def test_lock_acquire_release(benchmark, primitive, style):
    lock = LOCKS[primitive]()

    def bare():
        lock.acquire()
        lock.release()

    def with_statement():
        with lock:
            pass

    benchmark(bare if style == "bare" else with_statement)
    assert lock.acquire(blocking=False), "the benchmark left the lock held"


@calibrated("event")
@pytest.mark.parametrize("operation", ["set", "is_set"])
def test_event(benchmark, operation):
    event = threading.Event()
    event.set()
    # On a set Event, set() still takes the Condition's lock and notifies (nobody): the steady cost
    # of signalling; is_set() is the cost of polling it.
    benchmark(getattr(event, operation))
    assert event.is_set()
