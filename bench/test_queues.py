"""Cost of one put+get through Queue and SimpleQueue, and of deque append+popleft, in one thread."""

from __future__ import annotations

import collections
import queue

import pytest

from bench.budget import calibrated


def _queue_round_trip():
    q = queue.Queue()

    def op():
        q.put(None)
        q.get()

    return op, q.qsize


def _simple_queue_round_trip():
    q = queue.SimpleQueue()

    def op():
        q.put(None)
        q.get()

    return op, q.qsize


def _deque_round_trip():
    d = collections.deque()

    def op():
        d.append(None)
        d.popleft()

    return op, d.__len__


CONTAINERS = {"Queue": _queue_round_trip, "SimpleQueue": _simple_queue_round_trip, "deque": _deque_round_trip}


@calibrated("queue")
@pytest.mark.parametrize("container", list(CONTAINERS))
def test_put_get(benchmark, container):
    op, size = CONTAINERS[container]()
    benchmark(op)
    assert size() == 0
