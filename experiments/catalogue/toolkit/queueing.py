"""M/M/c/K queueing formulas for the bounded-queue experiment and its report (standard library only).

A ``queue.Queue(maxsize=M)`` drained by ``c`` consumer threads holds at most ``K = M + c`` items:
``M`` waiting plus one in service at each consumer.  A producer that drops on ``Full`` makes that
an M/M/c/K system.  A producer that blocks in ``put()`` holds one more item and generates nothing
while it waits, so its chain is M/M/c/(K+1) with the top state meaning "producer blocked".
"""

from __future__ import annotations

import math


def state_probabilities(arrival_rate: float, service_rate: float, servers: int, capacity: int) -> list:
    """Stationary probabilities p_0..p_capacity of the M/M/c/K birth-death chain."""
    if arrival_rate < 0 or service_rate <= 0 or servers < 1 or capacity < servers:
        raise ValueError(
            "need arrival_rate >= 0, service_rate > 0, servers >= 1 and capacity >= servers; got %r"
            % ((arrival_rate, service_rate, servers, capacity),)
        )
    offered = arrival_rate / service_rate
    # Unnormalised weights built by ratios, so large capacities neither overflow nor underflow.
    weights = [1.0]
    for n in range(1, capacity + 1):
        weights.append(weights[-1] * offered / min(n, servers))
    total = math.fsum(weights)
    return [w / total for w in weights]


def erlang_b(servers: int, offered_load: float) -> float:
    """Probability that an arrival finds all ``servers`` busy with no waiting room (M/M/c/c)."""
    if servers < 1 or offered_load < 0:
        raise ValueError("need servers >= 1 and offered_load >= 0")
    blocking = 1.0
    # The standard recursion B(k) = a B(k-1) / (k + a B(k-1)) is stable for any c.
    for k in range(1, servers + 1):
        blocking = offered_load * blocking / (k + offered_load * blocking)
    return blocking


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival has to wait in an M/M/c queue with unlimited room (needs a < c)."""
    if offered_load >= servers:
        raise ValueError("M/M/c is unstable at offered load %g >= %d servers" % (offered_load, servers))
    b = erlang_b(servers, offered_load)
    rho = offered_load / servers
    return b / (1.0 - rho * (1.0 - b))


def _mmc_unbounded(arrival_rate: float, service_rate: float, servers: int) -> dict | None:
    offered = arrival_rate / service_rate
    if offered >= servers:
        return None  # no steady state: the queue grows without bound
    rho = offered / servers
    waiting = erlang_c(servers, offered) * rho / (1.0 - rho)
    in_system = waiting + offered
    return {
        "drop_fraction": 0.0,
        "blocked_fraction": 0.0,
        "mean_depth": waiting,
        "mean_in_system": in_system,
        "throughput_hz": arrival_rate,
        "latency_mean_s": in_system / arrival_rate if arrival_rate else 1.0 / service_rate,
    }


def queue_prediction(
    arrival_rate: float, service_rate: float, consumers: int, maxsize: int, blocking: bool
) -> dict | None:
    """What M/M/c/K predicts for a Queue(maxsize) fed at ``arrival_rate`` and drained by ``consumers``.

    ``maxsize`` <= 0 means unbounded, as for ``queue.Queue``.  Returns ``drop_fraction`` (share of
    arrivals lost), ``blocked_fraction`` (share of time the producer waits in ``put()``),
    ``mean_depth`` (mean items waiting in the queue, the producer's held item not counted),
    ``mean_in_system``, ``throughput_hz`` and ``latency_mean_s`` (arrival to end of service, by
    Little's law); None where an unbounded queue has no steady state.
    """
    if maxsize <= 0:
        return _mmc_unbounded(arrival_rate, service_rate, consumers)
    capacity = maxsize + consumers
    top = capacity + 1 if blocking else capacity
    probs = state_probabilities(arrival_rate, service_rate, consumers, top)
    full = probs[top]
    depth = math.fsum(p * min(max(n - consumers, 0), maxsize) for n, p in enumerate(probs))
    in_system = math.fsum(n * p for n, p in enumerate(probs))
    # Arrivals are lost in the top state (drop) or not generated there (blocked producer).
    throughput = arrival_rate * (1.0 - full)
    return {
        "drop_fraction": 0.0 if blocking else full,
        "blocked_fraction": full if blocking else 0.0,
        "mean_depth": depth,
        "mean_in_system": in_system,
        "throughput_hz": throughput,
        "latency_mean_s": in_system / throughput if throughput else 1.0 / service_rate,
    }
