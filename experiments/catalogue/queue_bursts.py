"""A bounded producer-consumer queue under Poisson and bursty arrivals, measured beside M/M/c/K.

One producer (the cell's main thread) feeds ``queue.Queue(maxsize)``; ``consumers`` threads take
items and "serve" them by sleeping a service time; an ``Event`` tells them to stop once the queue
is drained.  The producer either blocks in ``put()`` or drops the item on ``Full``
(``put_nowait()``).  Each arrival is due one drawn gap after the previous one; a producer that
blocks pauses its source (the M/M/c/(K+1) chain of experiments.catalogue.toolkit.queueing) and that pause is
measured as its blocked fraction.

The queue starts empty, so the first ``warmup_arrivals`` arrivals only fill it towards its steady
state; every statistic counts the ``arrivals`` after them, over the window from the last warm-up
arrival to the last arrival.  Rates: ``offered_rate_hz`` is arrivals per second of the producer's
unblocked time, ``achieved_rate_hz`` items fully served inside the window per second.  Exponential
gaps and service times are stratified draws (stratified_exponential), and every sleep is corrected
by its thread's running estimate of the sleep overshoot (_Sleeper), so the measured load is the
nominal one unless the machine moves it.  Depth: ``queue_depth_mean`` is the time average from
timestamps (each item counted from put to get), which is the model's mean depth and, by
construction, equal to lambda x W; ``queue_depth_sampled_mean`` is the same average estimated
independently, from ``qsize()`` seen by each Poisson arrival (PASTA), so Little's law
L = lambda x W (``achieved_rate_hz`` x ``wait_mean_ms``) is a check that can fail.
``queue_depth_p50``/``p99`` are the depths arrivals found.  Latencies run from an arrival's due
time to the end of its service.  The ``predicted_*`` columns are M/M/c/K at the measured arrival
and service rates, so sleep overshoot does not count as a model error; bursts and fixed service
times are still predicted as Poisson/exponential.  ``service_cv`` and ``arrival_gap_cv`` say how
far the realised times are from exponential (1.0): a machine that stalls threads for milliseconds
makes them more variable, and then drops and blocking exceed the model.
Standard library only: runs inside the measured interpreter.
"""

from __future__ import annotations

import bisect
import math
import queue
import random
import statistics
import threading
import time

from experiments.catalogue.toolkit.pacing import Sleeper as _Sleeper
from experiments.catalogue.toolkit.pacing import sleep_overshoot_s, stratified_exponential
from experiments.catalogue.toolkit.queueing import queue_prediction
from experiments.catalogue.toolkit.sampling import quantile
from experiments.spec import Metric, Param, ParamError, Profile

TITLE = "Bounded queues under bursts, against M/M/c/K"
PARAMS = {
    "pattern": Param(str, choices=("poisson", "bursts"), help="arrival process"),
    "load": Param(
        float,
        minimum=0.05,
        maximum=4.0,
        help="offered load rho: mean arrival rate / (consumers x service rate)",
    ),
    "service_ms": Param(float, minimum=0.1, maximum=1000.0, help="mean service time per item, ms"),
    "service": Param(str, choices=("exponential", "fixed"), help="service-time distribution"),
    "consumers": Param(int, minimum=1, maximum=64, help="consumer threads (servers c)"),
    "maxsize": Param(int, minimum=0, maximum=10**6, help="Queue(maxsize); 0 is unbounded, as in queue.Queue"),
    "put": Param(str, choices=("block", "drop"), help="blocking put() or put_nowait() that drops on Full"),
    "arrivals": Param(int, minimum=10, maximum=10**6, help="arrivals counted in the statistics"),
    "warmup_arrivals": Param(
        int, minimum=0, maximum=10**6, help="arrivals before those, left out: the queue starts empty"
    ),
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
    "producer_handoff_us",
    Metric("drop_fraction", "fraction", better=-1),
    Metric("queue_depth_p50", "items"),
    Metric("queue_depth_p99", "items"),
    Metric("queue_depth_mean", "items"),
    Metric("queue_depth_sampled_mean", "items", help="mean depth each arrival saw (PASTA)"),
    "latency_p50_ms",
    "latency_p99_ms",
    "latency_mean_ms",
    "wait_mean_ms",
    "service_mean_ms",
    Metric(
        "service_cv", "ratio", better=0, help="coefficient of variation of service times (1: exponential)"
    ),
    Metric("arrival_gap_cv", "ratio", better=0, help="coefficient of variation of arrival gaps"),
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
        "service_ms": [0.5],
        "service": ["exponential"],
        "consumers": [1],
        "maxsize": [2],
        "put": ["drop"],
        "arrivals": [1000],
        "warmup_arrivals": [100],
        "burst_items": [20],
        "burst_peak": [4.0],
    }
    base.update(overrides)
    return base


# Sizes (README "Default budgets" gives the measurements behind them):
# * service 0.5 ms: an arrival then costs service / rho (0.56 ms at rho = 0.9, 1 ms at 0.5); a
#   shorter service makes what the machine adds to every hand-off a larger share of it and widens
#   the gap to M/M/c/K, a longer one halves what fits the budget.
# * maxsize 1 with put_nowait() meets the model only at high load: an item waits in the queue while
#   an idle consumer wakes up, and a second arrival in that window is dropped with the consumer
#   idle (+10-30 % drops at rho = 0.5).  So the rho = 0.5 drop cell uses maxsize 2; its drops are
#   rarer (~7 %), so it gets 1500 arrivals: a median over 8 rounds then rests on ~800 drops.
# * 1000 arrivals at rho = 0.9 (~20 % dropped or blocked) keep the median's error near 5 %, and the
#   measured load within +-3 % of nominal; 10 % of the arrivals are a warm-up (the queue starts
#   empty; at maxsize <= 5 it forgets that within a few dozen arrivals).
# One round of the default grid (5 cells) has ~5 s of regions on a quiet machine.
_LONG = {"arrivals": [2000], "warmup_arrivals": [200]}
PROFILES = {
    "quick": Profile(
        repeat=3,
        timeout_s=30,
        grid=[
            _point(maxsize=[2, 0], arrivals=[300], warmup_arrivals=[30]),
            _point(put=["block"], arrivals=[300], warmup_arrivals=[30]),
        ],
    ),
    "default": Profile(
        budget_s=40,
        timeout_s=60,
        grid=[
            _point(maxsize=[2, 0]),
            _point(put=["block"]),
            _point(load=[0.5], arrivals=[1500], warmup_arrivals=[150]),
            _point(load=[0.5], put=["block"], maxsize=[1], arrivals=[1500], warmup_arrivals=[150]),
        ],
    ),
    "full": Profile(
        budget_s=160,
        timeout_s=120,
        grid=[
            _point(load=[0.5, 0.9], maxsize=[1, 2, 5, 10, 0], put=["drop", "block"], **_LONG),
            _point(consumers=[2], maxsize=[1, 5, 0], put=["drop", "block"], **_LONG),
            _point(service=["fixed"], maxsize=[1, 2, 5, 0], **_LONG),
            _point(load=[1.2], maxsize=[1, 5, 50], put=["drop", "block"], **_LONG),
            _point(
                pattern=["bursts"],
                load=[0.5],
                maxsize=[2, 10, 50, 0],
                put=["drop", "block"],
                burst_items=[5, 20],
                **_LONG,
            ),
        ],
    ),
}


def _gaps(params, total, mean_rate, peak_rate, rng):
    """Inter-arrival times in seconds: exponential, or bursts of exponential gaps and a fixed idle gap."""
    if params["pattern"] == "poisson":
        return stratified_exponential(total, 1.0 / mean_rate, rng)
    items = params["burst_items"]
    idle = items / mean_rate - items / peak_rate
    gaps = stratified_exponential(total, 1.0 / peak_rate, rng)
    return [g + idle if i % items == 0 else g for i, g in enumerate(gaps)]


def _consume(q, stop, draws, overshoot, records):
    sleeper = _Sleeper(overshoot, random.Random())
    now = time.perf_counter
    # The tutorial's loop: keep going until told to stop *and* the queue is empty.
    while not stop.is_set() or not q.empty():
        try:
            index = q.get(timeout=_POLL_S)
        except queue.Empty:
            continue
        got = now()
        sleeper.sleep(draws.pop())
        records.append((index, got, now()))


class _Arrivals:
    """What the producer recorded for every arrival, warm-up included."""

    def __init__(self, total):
        self.due = [0.0] * total
        self.attempt = [0.0] * total
        self.seen = [0] * total  # qsize() just before the put: the depth this arrival found
        self.entered = [None] * total  # when it went into the queue; None: dropped
        self.blocked = []  # (attempt, unblocked) of every put() that had to wait
        self.start = 0.0


def _produce(q, gaps, blocking, sleeper, arrivals):
    now = time.perf_counter
    arrivals.start = previous = now()
    for i, gap in enumerate(gaps):
        # Each arrival is due one gap after the previous one came, not on a fixed timetable: after a
        # late wake-up (the machine busy elsewhere) a timetable would fire the overdue arrivals back to
        # back, a burst that is the generator's, not Poisson's.  The sleeper takes the usual overshoot
        # off every gap, so only the rare stall delays what follows: the rate stays within a few %.
        deadline = previous + gap
        delay = deadline - now()
        if delay > 0:
            sleeper.sleep(delay)
        attempt = previous = now()
        arrivals.due[i], arrivals.attempt[i] = deadline, attempt
        arrivals.seen[i] = q.qsize()
        try:
            q.put_nowait(i)
            arrivals.entered[i] = attempt
            continue
        except queue.Full:
            if not blocking:
                continue
        q.put(i)
        arrivals.entered[i] = previous = now()
        # A blocked source generates nothing: the next arrival is drawn from its unblocking on.
        arrivals.blocked.append((attempt, previous))


def run_cell(params, region):
    consumers, load = params["consumers"], params["load"]
    mu = 1000.0 / params["service_ms"]
    mean_rate = load * consumers * mu
    peak_rate = params["burst_peak"] * consumers * mu
    if params["pattern"] == "bursts" and peak_rate <= mean_rate:
        raise ParamError(
            "burst_peak=%g must exceed load=%g: bursts faster than the mean rate"
            % (params["burst_peak"], load)
        )
    total = params["warmup_arrivals"] + params["arrivals"]
    rng = random.Random()
    gaps = _gaps(params, total, mean_rate, peak_rate, rng)
    if params["service"] == "exponential":
        draws = stratified_exponential(total, 1.0 / mu, rng)
    else:
        draws = [1.0 / mu] * total
    q = queue.Queue(maxsize=params["maxsize"])
    stop = threading.Event()
    records, arrivals = [], _Arrivals(total)
    overshoot = sleep_overshoot_s()
    threads = [
        threading.Thread(target=_consume, args=(q, stop, draws, overshoot, records), daemon=True)
        for _ in range(consumers)
    ]
    for t in threads:
        t.start()
    with region():
        _produce(q, gaps, params["put"] == "block", _Sleeper(overshoot, rng), arrivals)
        stop.set()
        for t in threads:
            t.join()
    return _statistics(params, arrivals, records, mean_rate, peak_rate)


def _statistics(params, arrivals, records, mean_rate, peak_rate):
    """The cell's metrics over the measured arrivals, those after the warm-up."""
    consumers, maxsize, blocking = params["consumers"], params["maxsize"], params["put"] == "block"
    first = params["warmup_arrivals"]
    measured = range(first, len(arrivals.due))
    # The window opens when the last warm-up arrival came, so it holds one gap per measured arrival.
    start = arrivals.attempt[first - 1] if first else arrivals.start
    end = arrivals.attempt[-1]
    window = end - start
    waits_full, handoffs = _blocked_intervals(arrivals.blocked, records)
    blocked_s = sum(max(0.0, min(b, end) - max(a, start)) for a, b in waits_full)
    blocked_fraction = blocked_s / window
    offered = len(measured) / (window - blocked_s)
    mine = [(i, got, done) for i, got, done in records if i >= first]
    done_in_window = sum(1 for _, _, done in records if start < done <= end)
    entered = arrivals.entered
    latencies_ms = [(done - arrivals.due[i]) * 1000.0 for i, _, done in mine]
    waits = [max(0.0, got - entered[i]) for i, got, _ in mine]
    # Time-average depth from timestamps: each item is in the queue from put to get (clipped to the
    # window).  Exactly lambda x W up to the edges, so it is what the model is compared with.
    depth_integral = math.fsum(
        max(0.0, min(got, end) - max(entered[i], start)) for i, got, _ in records if entered[i] is not None
    )
    seen = [arrivals.seen[i] for i in measured]
    services = [done - got for _, got, done in mine]
    service_s = statistics.fmean(services)
    # Each gap from when the previous arrival was done (put, dropped or unblocked) to this attempt.
    gaps = [arrivals.attempt[i] - (entered[i - 1] or arrivals.attempt[i - 1]) for i in measured if i]
    measured_mu = 1.0 / service_s
    lateness = [arrivals.attempt[i] - arrivals.due[i] for i in measured]
    return {
        "offered_rate_hz": offered,
        "achieved_rate_hz": done_in_window / window,
        "producer_blocked_fraction": blocked_fraction,
        "producer_handoff_us": statistics.median(handoffs) * 1e6 if handoffs else None,
        "drop_fraction": sum(1 for i in measured if entered[i] is None) / len(measured),
        "queue_depth_p50": quantile(seen, 0.5),
        "queue_depth_p99": quantile(seen, 0.99),
        "queue_depth_mean": depth_integral / window,
        "queue_depth_sampled_mean": _sampled_depth(params, seen, blocked_fraction),
        "latency_p50_ms": quantile(latencies_ms, 0.5),
        "latency_p99_ms": quantile(latencies_ms, 0.99),
        "latency_mean_ms": statistics.fmean(latencies_ms),
        "wait_mean_ms": statistics.fmean(waits) * 1000.0,
        "service_mean_ms": service_s * 1000.0,
        "service_cv": statistics.pstdev(services) / service_s,
        "arrival_gap_cv": statistics.pstdev(gaps) / statistics.fmean(gaps),
        "load_measured": offered / (consumers * measured_mu),
        "idle_gap_ms": _idle_gap_ms(params, mean_rate, peak_rate),
        "arrival_lateness_p99_us": quantile(lateness, 0.99) * 1e6,
        **_predicted(offered, measured_mu, consumers, maxsize, blocking),
    }


def _predicted(offered: float, mu: float, consumers: int, maxsize: int, blocking: bool) -> dict:
    """What M/M/c/K predicts at the measured arrival and service rates (None where it cannot)."""
    prediction = queue_prediction(offered, mu, consumers, maxsize, blocking) or {}
    latency = prediction.get("latency_mean_s")
    return {
        "predicted_drop_fraction": prediction.get("drop_fraction"),
        "predicted_blocked_fraction": prediction.get("blocked_fraction"),
        "predicted_mean_depth": prediction.get("mean_depth"),
        "predicted_latency_mean_ms": latency * 1000.0 if latency is not None else None,
    }


def _idle_gap_ms(params, mean_rate: float, peak_rate: float) -> float:
    """The fixed gap between two bursts (0 for Poisson arrivals)."""
    if params["pattern"] != "bursts":
        return 0.0
    return params["burst_items"] * (1.0 / mean_rate - 1.0 / peak_rate) * 1000.0


def _blocked_intervals(blocked, records):
    """Each blocked put() split at the first get() after it: (attempt, slot freed) and the hand-off.

    Up to the first get() after the attempt the queue was full: that wait is the model's blocked
    state.  From there until put() returned the queue had room and the producer thread was only
    waking up (tens of us, a whole service time's worth of error on 0.5-1 ms
    services if it were counted as blocked); that hand-off is reported on its own.
    """
    gets = sorted(got for _, got, _ in records)
    full, handoffs = [], []
    for attempt, unblocked in blocked:
        k = bisect.bisect_right(gets, attempt)
        freed = min(gets[k], unblocked) if k < len(gets) else unblocked
        full.append((attempt, freed))
        handoffs.append(unblocked - freed)
    return full, handoffs


def _sampled_depth(params, seen, blocked_fraction):
    """The time-average depth from the depths Poisson arrivals saw, independent of the timestamps.

    Poisson arrivals see time averages (PASTA).  A blocking producer's attempts are Poisson only
    while it is not blocked, so they see the average over that time; while it is blocked the queue
    is full, and the two are weighted by the blocked fraction.  Bursts are not Poisson: None.
    """
    if params["pattern"] != "poisson":
        return None
    mean_seen = statistics.fmean(seen)
    if params["put"] != "block" or not params["maxsize"]:
        return mean_seen
    return (1.0 - blocked_fraction) * mean_seen + blocked_fraction * params["maxsize"]
