"""sync_objects' sentences, from hand-built rows: cells measured apart are called different only by a
rank test over their repetitions; every number quoted is the cell's."""

from __future__ import annotations

import numpy as np

from report.page.formatting import percent
from report.page.sections.sync_objects.analysis import Analysis
from report.page.sections.sync_objects.findings import (
    finding_barrier,
    finding_daemon,
    finding_daemon_slow,
    finding_event,
    finding_semaphore,
    finding_semaphore_overfill,
)
from tests.support.records import context, environment, results, row

ENV = environment("cpython-3.12.1", gil=True)
E = "cpython-3.12.1 @ m"
UNUSED = {"permits": None, "cycles": None, "sleep_ms": None, "daemon": None}


def spread(value: float, n: int) -> list:
    return list(value * np.linspace(0.95, 1.05, n))


def rows(cells: list) -> list:
    """``cells``: (params, {metric: one value per repetition})."""
    out = []
    for params, values in cells:
        params = dict(UNUSED, **params)
        for r in range(len(next(iter(values.values())))):
            out.append(
                row(ENV, "sync_objects", r, params, wall_s=0.1, **{m: v[r] for m, v in values.items()})
            )
    return out


def analysis(cells: list) -> Analysis:
    return Analysis(context(results([(ENV, {"sync_objects": rows(cells)})])), "sync_objects")


def barrier(threads: int, p50: float, n: int) -> tuple:
    params = {"object": "barrier", "threads": threads, "cycles": 500}
    return params, {"barrier_skew_p50_us": spread(p50, n), "barrier_skew_max_us": spread(4 * p50, n)}


def test_barrier_skew_grows_with_parties_only_when_the_rank_test_says_so():
    _, text = finding_barrier(analysis([barrier(2, 24.0, 5), barrier(8, 96.0, 5)]), E)
    assert "with 8 parties the last thread passed a median 96 µs (n=5, no 95 % CI) after the first" in text
    assert "(worst cycle 384 µs (n=5, no 95 % CI))" in text
    assert "more than the 24 µs (n=5, no 95 % CI) with 2 (Mann–Whitney U, p = 0.0079)" in text
    _, text = finding_barrier(analysis([barrier(2, 24.0, 3), barrier(8, 96.0, 3)]), E)
    assert "no clear difference from the 24 µs" in text and "p = 0.1" in text


def semaphore(permits: int, rate: float, n: int, inside: int | None = None) -> tuple:
    ideal = 16 / (np.ceil(16 / permits) * 0.01)
    params = {"object": "semaphore", "threads": 16, "permits": permits, "sleep_ms": 10.0}
    values = {
        "throughput_tasks_s": spread(rate, n),
        "ideal_throughput_tasks_s": [ideal] * n,
        "max_concurrency": [inside or permits] * n,
    }
    return params, values


def test_semaphore_quotes_its_cells_and_calls_growth_by_rank_test():
    a = analysis([semaphore(1, 90.0, 5), semaphore(16, 1450.0, 5)])
    _, text = finding_semaphore(a, E)
    assert "16 threads doing 10 ms of I/O each" in text
    assert "finished 90 (n=5, no 95 % CI) tasks/s at k=1 and 1450 (n=5, no 95 % CI) tasks/s at k=16" in text
    assert "%s–%s of the ideal" % (percent(90 / 100), percent(1450 / 1600)) in text
    assert "exactly min(k, tasks) threads were inside at once" in text and "Throughput grew with k" in text
    flat = analysis([semaphore(1, 90.0, 5), semaphore(16, 90.0, 5)])
    assert "did not clearly grow with k" in finding_semaphore(flat, E)[1]
    assert finding_semaphore_overfill(a, E) is None
    over = analysis([semaphore(1, 90.0, 5), semaphore(2, 180.0, 5, inside=3)])
    css, text = finding_semaphore_overfill(over, E)
    assert css == "finding" and "3 at k=2" in text


def event(threads: int, p50: float, n: int) -> tuple:
    params = {"object": "event", "threads": threads, "cycles": 50}
    return params, {"wake_latency_p50_us": spread(p50, n), "wake_latency_p99_us": spread(3 * p50, n)}


def test_event_wakeups_are_slower_with_more_waiters_only_when_shown():
    _, text = finding_event(analysis([event(1, 30.0, 5), event(8, 120.0, 5)]), E)
    assert "set() woke 1 waiter in 30 µs (n=5, no 95 % CI) (median; p99 90 µs (n=5, no 95 % CI))" in text
    assert "8 waiters in 120 µs" in text and "slower with more waiters" in text
    _, text = finding_event(analysis([event(1, 30.0, 5), event(8, 30.0, 5)]), E)
    assert "no clear difference with more waiters" in text and "the last waits most" not in text


def exits(daemon: bool, delay: float, n: int) -> tuple:
    params = {"object": "daemon_exit", "threads": 1, "cycles": 2, "sleep_ms": 200.0, "daemon": daemon}
    return params, {"exit_delay_ms": spread(delay, n), "exit_delay_max_ms": spread(delay, n)}


def test_a_daemon_thread_lets_the_process_exit_sooner_when_the_data_say_so():
    a = analysis([exits(True, 3.0, 5), exits(False, 204.0, 5)])
    _, text = finding_daemon(a, E)
    assert "a non-daemon thread still sleeping 200 ms kept the process alive for 204 ms (n=5" in text
    assert "a daemon thread did not — the process exited after 3 ms (n=5, no 95 % CI) (Mann–Whitney U" in text
    assert finding_daemon_slow(a, E) is None
    few = analysis([exits(True, 3.0, 3), exits(False, 204.0, 3)])
    assert "not clearly sooner in these repetitions" in finding_daemon(few, E)[1]
    css, _ = finding_daemon_slow(analysis([exits(True, 210.0, 5), exits(False, 204.0, 5)]), E)
    assert css == "finding"
