"""Paced waiting for experiments that time arrivals and services: exponential gaps whose average is
the mean they name, and a sleeper that corrects for how much ``time.sleep`` oversleeps here.

Standard library only: imported inside the measured interpreter.
"""

from __future__ import annotations

import collections
import math
import random
import statistics
import time

#: A Sleeper's overshoot estimate is the median of this many of its last sleeps.
_OVERSHOOT_WINDOW = 15


def stratified_exponential(n: int, mean: float, rng: random.Random) -> list:
    """``n`` exponential draws of mean ``mean``, one from each of ``n`` equally likely strata, shuffled.

    Each draw is still exponential and the order is random, but their average is the mean to
    within ~1/n instead of ~1/sqrt(n) (3 % at 1000 draws): the cell runs at the load it names, and
    what moves the measured load is the machine (sleep overshoot, late wake-ups), not sampling.
    """
    draws = [-mean * math.log(1.0 - (i + rng.random()) / n) for i in range(n)]
    rng.shuffle(draws)
    return draws


def sleep_overshoot_s(samples: int = 15) -> float:
    """Median time ``time.sleep(1 ms)`` oversleeps here: the starting point of every Sleeper."""
    now, late = time.perf_counter, []
    for _ in range(samples):
        t = now()
        time.sleep(0.001)
        late.append(now() - t - 0.001)
    return max(0.0, statistics.median(late))


class Sleeper:
    """Sleeps for a given time on average, less its running estimate of how much time.sleep oversleeps.

    One per thread.  Without the correction every service and every arrival would run ~60-100 us
    late and rho drift up.  A sleep cannot be shorter than the overshoot, so a shorter one is slept
    (about one overshoot long) with probability duration / overshoot and skipped otherwise: its
    mean stays right.  The estimate is the median of the last _OVERSHOOT_WINDOW overshoots, so it
    follows the machine but not its rare stalls (a thread not scheduled for milliseconds): a mean
    would shorten the next sleeps to catch a stall up, and bunch arrivals or services after it.
    """

    def __init__(self, overshoot_s: float, rng: random.Random):
        self.overshoot = overshoot_s
        self.rng = rng
        self.recent = collections.deque([overshoot_s], maxlen=_OVERSHOOT_WINDOW)

    def sleep(self, duration: float) -> None:
        est = self.overshoot
        if duration <= est:
            if self.rng.random() * est >= duration:
                return
            request = 1e-6
        else:
            request = duration - est
        t = time.perf_counter()
        time.sleep(request)
        self.recent.append(time.perf_counter() - t - request)
        self.overshoot = max(1e-6, statistics.median(self.recent))
