"""How late threading.Timer fires, and how a periodic job drifts, idle and beside CPU-bound threads.

Three ways to run a job after ``delay_ms``: a one-shot ``threading.Timer`` (timed from ``start()``,
so the timer thread's start-up is part of its lateness); a periodic job that re-arms a new Timer
from its own callback, whose errors add up; and a loop that sleeps until absolute deadlines on
``time.monotonic`` (``Event.wait``), whose errors do not.  ``cpu_threads`` pure-Python threads run
meanwhile: on a GIL build a timer that wakes up still has to win the GIL from them.
Standard library only: runs inside the measured interpreter.
"""

from __future__ import annotations

import statistics
import threading
import time

from experiments.catalogue.toolkit.sampling import quantile
from experiments.spec import Metric, Param, Profile

TITLE = "Timer lateness and periodic drift"
MODES = ("one_shot", "rearmed", "deadline_loop")
PARAMS = {
    "mode": Param(
        str, choices=MODES, help="one-shot Timer, Timer re-armed by its callback, absolute-deadline loop"
    ),
    "delay_ms": Param(float, minimum=0.01, maximum=60000.0, help="Timer delay or period, ms"),
    "cpu_threads": Param(int, minimum=0, maximum=64, help="pure-Python CPU-bound threads running meanwhile"),
    "samples": Param(int, minimum=1, maximum=10**6, help="firings measured: sequential one-shots or periods"),
}
METRICS = (
    "lateness_min_us",
    "lateness_mean_us",
    "lateness_p50_us",
    Metric("lateness_p99_us", "us", samples="samples"),
    Metric("lateness_max_us", "us", samples="samples"),
    "cumulative_drift_ms",
    "timer_slack_ns",
    "clock_resolution_ns",
)
#: Idle and loaded cells of one mode and delay run interleaved, round by round.
COMPARE = ("cpu_threads",)
BASELINE = {}


def _block(modes, delay_ms, cpu_threads, samples):
    return {"mode": modes, "delay_ms": [delay_ms], "cpu_threads": cpu_threads, "samples": [samples]}


_PERIODIC = ["rearmed", "deadline_loop"]
PROFILES = {
    "quick": Profile(
        repeat=3,
        timeout_s=30,
        grid=[_block(["one_shot"], 1.0, [0, 1], 15), _block(_PERIODIC, 1.0, [0, 1], 20)],
    ),
    # Loaded firings are tens of ms late, so sample counts are sized for the loaded cells.
    "default": Profile(
        budget_s=25,
        timeout_s=60,
        grid=[
            _block(["one_shot"], 1.0, [0, 1, 2], 30),
            _block(["one_shot"], 10.0, [0, 1, 2], 15),
            _block(["one_shot"], 100.0, [0, 2], 3),
            _block(_PERIODIC, 1.0, [0, 1], 50),
            _block(_PERIODIC, 10.0, [0, 1], 25),
        ],
    ),
    "full": Profile(
        budget_s=100,
        timeout_s=120,
        grid=[
            _block(["one_shot"], 0.1, [0, 1, 2, 4], 100),
            _block(["one_shot"], 1.0, [0, 1, 2, 4], 100),
            _block(["one_shot"], 10.0, [0, 1, 2, 4], 40),
            _block(["one_shot"], 100.0, [0, 1, 2, 4], 10),
            _block(_PERIODIC, 1.0, [0, 1, 2, 4], 200),
            _block(_PERIODIC, 10.0, [0, 1, 2, 4], 60),
        ],
    ),
}


def cell_timeout_s(params) -> float:
    """Room for every firing to be a switch interval or two late, on top of the delays themselves."""
    return 30.0 + params["samples"] * (params["delay_ms"] / 1000.0 + 0.05)


def timer_slack_ns():
    """The process's timer slack (Linux): how far the kernel may defer its wake-ups; None elsewhere."""
    try:
        with open("/proc/self/timerslack_ns") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _spin(stop):
    x = 0
    while not stop.is_set():
        for i in range(1000):
            x += i


def _one_shot(delay, samples, now):
    """Sequential Timers; each firing's lateness is measured from the moment it was started.

    One-shots do not accumulate, so their cumulative drift is None.
    """
    late = []
    fired_at = []
    done = threading.Event()

    def fire():
        fired_at.append(now())
        done.set()

    for _ in range(samples):
        done.clear()
        timer = threading.Timer(delay, fire)
        armed = now()
        timer.start()
        done.wait()
        late.append(fired_at[-1] - armed - delay)
        timer.join()
    return late, None


def _rearmed(delay, samples, now):
    """A periodic job that starts its next Timer from its own callback: each period adds its error."""
    late = []
    done = threading.Event()
    state = {}

    def fire():
        t = now()
        late.append(t - state["armed"] - delay)
        if len(late) == samples:
            state["last"] = t
            done.set()
            return
        state["armed"] = now()
        threading.Timer(delay, fire).start()

    state["first"] = state["armed"] = now()
    threading.Timer(delay, fire).start()
    done.wait()
    return late, state["last"] - state["first"] - samples * delay


def _deadline_loop(delay, samples, now):
    """A periodic loop that waits until absolute deadlines: late wake-ups do not push later ones."""
    late = []
    never = threading.Event()
    first = now()
    for k in range(1, samples + 1):
        # Deadlines from the start, not from the last wake-up: lateness cannot accumulate.
        deadline = first + k * delay
        never.wait(max(0.0, deadline - now()))
        fired = now()
        late.append(fired - deadline)
    return late, fired - first - samples * delay


def run_cell(params, region):
    delay = params["delay_ms"] / 1000.0
    samples = params["samples"]
    measure = {"one_shot": _one_shot, "rearmed": _rearmed, "deadline_loop": _deadline_loop}[params["mode"]]
    stop = threading.Event()
    spinners = [
        threading.Thread(target=_spin, args=(stop,), daemon=True) for _ in range(params["cpu_threads"])
    ]
    for t in spinners:
        t.start()
    try:
        with region():
            late, drift = measure(delay, samples, time.monotonic)
    finally:
        stop.set()
        for t in spinners:
            t.join()
    late_us = [x * 1e6 for x in late]
    return {
        "lateness_min_us": min(late_us),
        "lateness_mean_us": statistics.fmean(late_us),
        "lateness_p50_us": quantile(late_us, 0.5),
        "lateness_p99_us": quantile(late_us, 0.99),
        "lateness_max_us": max(late_us),
        "cumulative_drift_ms": None if drift is None else drift * 1000.0,
        "timer_slack_ns": timer_slack_ns(),
        "clock_resolution_ns": time.get_clock_info("monotonic").resolution * 1e9,
    }
