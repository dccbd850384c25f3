"""A bounded producer-consumer queue under Poisson and bursty arrivals, measured beside M/M/c/K.

One producer (the cell's main thread) feeds ``queue.Queue(maxsize)``; ``consumers`` threads take
items and "serve" them by sleeping a service time; an ``Event`` tells them to stop once the queue
is drained.  The producer either blocks in ``put()`` or drops the item on ``Full``
(``put_nowait()``).  Arrivals are generated on absolute deadlines, so a producer that wakes late
does not silently lower the offered rate; a producer that blocks pauses its source (the
M/M/c/(K+1) chain of experiments.queueing) and that pause is measured as its blocked fraction.

Rates are counted over the arrival window (first arrival due to last arrival made):
``offered_rate_hz`` is arrivals per second of the producer's unblocked time, ``achieved_rate_hz``
items fully served inside the window per second.  ``queue_depth_p50``/``p99`` are ``qsize()`` seen
at every put attempt and left at every get; ``queue_depth_mean`` is the time average (each item
counted from put to get), the L of Little's law with ``wait_mean_ms`` (put to get) as its W.
Latencies run from an arrival's due time to the end of its service.  The ``predicted_*`` columns
are M/M/c/K at the measured arrival and service rates, so sleep overshoot does not count as a
model error; bursts and fixed service times are still predicted as Poisson/exponential, and a
short run that starts empty sits below the steady state that the model describes near rho = 1.
Standard library only: runs inside the measured interpreter.
"""

from __future__ import annotations

import math
import queue
import random
import statistics
import threading
import time

from experiments.queueing import queue_prediction
from experiments.sampling import quantile
from experiments.spec import Metric, Param, ParamError, Profile

NAME = "queue_bursts"
TITLE = "Bounded queues under bursts, against M/M/c/K"
PARAMS = {
    "pattern": Param(str, choices=("poisson", "bursts"), help="arrival process"),
    "load": Param(
        float,
        minimum=0.05,
        maximum=4.0,
        help="offered load rho: mean arrival rate / (consumers x service rate)",
    ),
    "service_ms": Param(float, minimum=0.5, maximum=1000.0, help="mean service time per item, ms"),
    "service": Param(str, choices=("exponential", "fixed"), help="service-time distribution"),
    "consumers": Param(int, minimum=1, maximum=64, help="consumer threads (servers c)"),
    "maxsize": Param(int, minimum=0, maximum=10**6, help="Queue(maxsize); 0 is unbounded, as in queue.Queue"),
    "put": Param(str, choices=("block", "drop"), help="blocking put() or put_nowait() that drops on Full"),
    "arrivals": Param(int, minimum=10, maximum=10**6, help="arrivals the producer generates"),
    "burst_items": Param(int, minimum=1, maximum=10**5, help="arrivals per burst (pattern=bursts)"),
    "burst_peak": Param(
        float,
        minimum=1.0,
        maximum=100.0,
        help="arrival rate inside a burst over the consumers' capacity c x mu (pattern=bursts); "
        "the idle gap between bursts makes the mean load equal ``load``",
    ),
}
METRICS = (
    "offered_rate_hz",
    "achieved_rate_hz",
    Metric("producer_blocked_fraction", "fraction", better=-1),
    Metric("drop_fraction", "fraction", better=-1),
    Metric("queue_depth_p50", "items"),
    Metric("queue_depth_p99", "items"),
    Metric("queue_depth_mean", "items"),
    "latency_p50_ms",
    "latency_p99_ms",
    "latency_mean_ms",
    "wait_mean_ms",
    "service_mean_ms",
    Metric("load_measured", "ratio", better=0, help="measured arrival rate / (consumers x service rate)"),
    "idle_gap_ms",
    "arrival_lateness_p99_us",
    "predicted_drop_fraction",
    "predicted_blocked_fraction",
    Metric("predicted_mean_depth", "items"),
    "predicted_latency_mean_ms",
)
#: The maxsize sweep and put policy of one load point run interleaved, round by round.
COMPARE = ("maxsize", "put")
BASELINE = {}

#: How often an idle consumer looks at the stop Event (only matters at the very end).
_POLL_S = 0.01
_MAXSIZES = [1, 2, 5, 10, 50, 0]


def _point(**overrides):
    base = {
        "pattern": ["poisson"],
        "load": [0.9],
        "service_ms": [1.0],
        "service": ["exponential"],
        "consumers": [1],
        "maxsize": [2],
        "put": ["drop"],
        "arrivals": [150],
        "burst_items": [20],
        "burst_peak": [4.0],
    }
    base.update(overrides)
    return base


PROFILES = {
    "quick": Profile(
        repeat=3,
        timeout_s=30,
        grid=[
            _point(load=[0.5, 0.9], maxsize=[2, 0], arrivals=[80]),
            _point(maxsize=[2], put=["block"], arrivals=[80]),
        ],
    ),
    "default": Profile(
        budget_s=40,
        timeout_s=60,
        grid=[
            _point(load=[0.5, 0.9], maxsize=_MAXSIZES),
            _point(load=[0.5, 0.9], maxsize=[1, 5], put=["block"]),
            _point(consumers=[2], maxsize=[1, 5, 0]),
            _point(consumers=[2], maxsize=[1, 5], put=["block"]),
            _point(pattern=["bursts"], load=[0.5], maxsize=[2, 10, 50]),
            _point(service=["fixed"], maxsize=[1, 5]),
        ],
    ),
    "full": Profile(
        budget_s=160,
        timeout_s=120,
        grid=[
            _point(
                load=[0.5, 0.9], consumers=[1, 2], maxsize=_MAXSIZES, put=["drop", "block"], arrivals=[400]
            ),
            _point(load=[0.5, 0.9], service=["fixed"], maxsize=_MAXSIZES, arrivals=[400]),
            _point(load=[1.2], maxsize=[1, 5, 50], put=["drop", "block"], arrivals=[400]),
            _point(
                pattern=["bursts"],
                load=[0.5],
                maxsize=_MAXSIZES,
                put=["drop", "block"],
                arrivals=[400],
                burst_items=[5, 20],
            ),
        ],
    ),
}


def _gaps(params, mean_rate, peak_rate, rng):
    """Inter-arrival times in seconds: exponential, or bursts of exponential gaps and a fixed idle gap."""
    if params["pattern"] == "poisson":
        while True:
            yield rng.expovariate(mean_rate)
    items = params["burst_items"]
    idle = items / mean_rate - items / peak_rate
    while True:
        yield idle + rng.expovariate(peak_rate)
        for _ in range(items - 1):
            yield rng.expovariate(peak_rate)


def sleep_overshoot_s(samples: int = 15) -> float:
    """Median time ``time.sleep(1 ms)`` oversleeps here: the consumers sleep that much less per item."""
    now, late = time.perf_counter, []
    for _ in range(samples):
        t = now()
        time.sleep(0.001)
        late.append(now() - t - 0.001)
    return max(0.0, statistics.median(late))


def _consume(q, stop, service, mu, overshoot, depth, records):
    rng = random.Random()
    sleep, now = time.sleep, time.perf_counter
    # The tutorial's loop: keep going until told to stop *and* the queue is empty.
    while not stop.is_set() or not q.empty():
        try:
            index = q.get(timeout=_POLL_S)
        except queue.Empty:
            continue
        got = now()
        depth.append(q.qsize())
        draw = rng.expovariate(mu) if service == "exponential" else 1.0 / mu
        # Without the correction every service would run ~60-100 us long and rho drift up.
        sleep(max(0.0, draw - overshoot))
        records.append((index, got, now()))


def run_cell(params, region):
    consumers, maxsize, load = params["consumers"], params["maxsize"], params["load"]
    mu = 1000.0 / params["service_ms"]
    mean_rate = load * consumers * mu
    peak_rate = params["burst_peak"] * consumers * mu
    if params["pattern"] == "bursts" and peak_rate <= mean_rate:
        raise ParamError(
            "burst_peak=%g must exceed load=%g: bursts faster than the mean rate"
            % (params["burst_peak"], load)
        )
    blocking = params["put"] == "block"
    arrivals = params["arrivals"]
    gaps = _gaps(params, mean_rate, peak_rate, random.Random())
    q = queue.Queue(maxsize=maxsize)
    stop = threading.Event()
    # Per arrival: when it was due and when it entered the queue (None: dropped).
    due, entered = [0.0] * arrivals, [None] * arrivals
    depth, records, blocked, lateness = [], [], [], []
    overshoot = sleep_overshoot_s()
    dropped = 0
    threads = [
        threading.Thread(
            target=_consume, args=(q, stop, params["service"], mu, overshoot, depth, records), daemon=True
        )
        for _ in range(consumers)
    ]
    for t in threads:
        t.start()
    now, sleep = time.perf_counter, time.sleep

    with region():
        start = deadline = now()
        for i in range(arrivals):
            deadline += next(gaps)
            delay = deadline - now()
            if delay > 0:
                sleep(delay)
            attempt = now()
            due[i] = deadline
            lateness.append(attempt - deadline)
            depth.append(q.qsize())
            try:
                q.put_nowait(i)
                entered[i] = attempt
                continue
            except queue.Full:
                if not blocking:
                    dropped += 1
                    continue
            q.put(i)
            entered[i] = unblocked = now()
            blocked.append((attempt, unblocked))
            # A blocked source generates nothing: the next arrival is drawn from here on.
            deadline = unblocked
        end = attempt
        stop.set()
        for t in threads:
            t.join()

    window = end - start
    blocked_s = sum(min(b, end) - a for a, b in blocked if a < end)
    offered = arrivals / (window - blocked_s)
    done_in_window = sum(1 for _, _, done in records if done <= end)
    latencies_ms = [(done - due[i]) * 1000.0 for i, _, done in records]
    waits = [max(0.0, got - entered[i]) for i, got, _ in records]
    # Time-average depth: each item is in the queue from put to get (clipped to the window).
    depth_integral = math.fsum(max(0.0, min(got, end) - entered[i]) for i, got, _ in records)
    service_s = statistics.fmean(done - got for _, got, done in records)
    measured_mu = 1.0 / service_s
    prediction = queue_prediction(offered, measured_mu, consumers, maxsize, blocking) or {}
    predicted_latency = prediction.get("latency_mean_s")
    return {
        "offered_rate_hz": offered,
        "achieved_rate_hz": done_in_window / window,
        "producer_blocked_fraction": blocked_s / window,
        "drop_fraction": dropped / arrivals,
        "queue_depth_p50": quantile(depth, 0.5),
        "queue_depth_p99": quantile(depth, 0.99),
        "queue_depth_mean": depth_integral / window,
        "latency_p50_ms": quantile(latencies_ms, 0.5),
        "latency_p99_ms": quantile(latencies_ms, 0.99),
        "latency_mean_ms": statistics.fmean(latencies_ms),
        "wait_mean_ms": statistics.fmean(waits) * 1000.0,
        "service_mean_ms": service_s * 1000.0,
        "load_measured": offered / (consumers * measured_mu),
        "idle_gap_ms": (
            params["burst_items"] * (1.0 / mean_rate - 1.0 / peak_rate) * 1000.0
            if params["pattern"] == "bursts"
            else 0.0
        ),
        "arrival_lateness_p99_us": quantile(lateness, 0.99) * 1e6,
        "predicted_drop_fraction": prediction.get("drop_fraction"),
        "predicted_blocked_fraction": prediction.get("blocked_fraction"),
        "predicted_mean_depth": prediction.get("mean_depth"),
        "predicted_latency_mean_ms": predicted_latency * 1000.0 if predicted_latency is not None else None,
    }
