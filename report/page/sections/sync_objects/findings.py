"""The sync_objects section's sentences, one function each: Barrier, Semaphore, Event, daemon threads."""

from __future__ import annotations

import math

from report.analysis.cells import shifted
from report.page.formatting import duration_ci, duration_ms, num, percent, record_ci
from report.page.sections import Findings
from report.page.sections.sync_objects.analysis import Analysis

US, MS = 1e-6, 1e-3


def _test(p: float) -> str:
    return "Mann–Whitney U, p = %s" % num(p, 2)


def finding_barrier(a: Analysis, env: str):
    """Barrier release skew at the most parties, against the fewest."""
    p50 = a.object_sweep("barrier_skew_p50_us", env, "barrier", "threads")
    if not p50:
        return None
    most, few = p50[-1], p50[0]
    worst = a.point("barrier_skew_max_us", env, object="barrier", threads=most["threads"])
    text = "Barrier: with %d parties the last thread passed a median %s after the first%s" % (
        most["threads"],
        duration_ci(most, US),
        " (worst cycle %s)" % duration_ci(worst, US) if worst else "",
    )
    if len(p50) > 1:
        way, p = shifted(a.values("barrier_skew_p50_us", most), a.values("barrier_skew_p50_us", few))
        word = {1: "more than", -1: "less than", 0: "no clear difference from"}[way]
        text += ", %s the %s with %d (%s)" % (word, duration_ci(few, US), few["threads"], _test(p))
    return (
        None,
        text + ". A Barrier releases all its parties at once, but each released thread still has to be "
        "scheduled — and take the GIL, where there is one — before it runs: they leave one by one.",
    )


def _semaphore_growth(a: Analysis, first: dict, last: dict) -> str:
    way, p = shifted(a.values("throughput_tasks_s", last), a.values("throughput_tasks_s", first))
    if way > 0:
        return "Throughput grew with k (%s), as a pool's size limit lets it until the tasks run out" % _test(
            p
        )
    return "Throughput did not clearly grow with k in these repetitions (%s)" % _test(p)


def finding_semaphore(a: Analysis, env: str):
    """A Semaphore-bounded pool: throughput at the fewest and most permits, share of the ideal, peak."""
    tput = a.object_sweep("throughput_tasks_s", env, "semaphore", "permits")
    if not tput:
        return None
    ideal = {
        r["permits"]: r["median"]
        for r in a.object_sweep("ideal_throughput_tasks_s", env, "semaphore", "permits")
    }
    tasks, sleep_ms = a.setting("semaphore", "threads"), a.setting("semaphore", "sleep_ms")
    first, last = tput[0], tput[-1]
    text = "Semaphore: %s threads doing %s of I/O each, at most k at a time, finished %s tasks/s at k=%d" % (
        num(tasks),
        duration_ms(sleep_ms) if sleep_ms is not None else "some",
        record_ci(first),
        first["permits"],
    )
    text += " and %s tasks/s at k=%d" % (record_ci(last), last["permits"])
    shares = [r["median"] / ideal[r["permits"]] for r in tput if ideal.get(r["permits"])]
    if shares:
        text += ", %s–%s of the ideal min(k, tasks) per task time" % (
            percent(min(shares)),
            percent(max(shares)),
        )
    peak = [
        (r["permits"], r["median"]) for r in a.object_sweep("max_concurrency", env, "semaphore", "permits")
    ]
    seen = [(k, v) for k, v in peak if math.isfinite(v)]
    if seen and all(v <= k for k, v in seen):
        if all(v == min(k, tasks or k) for k, v in seen):
            text += "; at the peak exactly min(k, tasks) threads were inside at once, never more than k"
        else:
            text += "; at most %s threads were inside at once, never more than k" % ", ".join(
                "%s (k=%d)" % (num(v), k) for k, v in seen
            )
    if len(tput) > 1:
        text += ". " + _semaphore_growth(a, first, last)
    return (None, text + ".")


def finding_semaphore_overfill(a: Analysis, env: str):
    """More threads inside than permits: the Semaphore did not bound the pool."""
    peak = a.object_sweep("max_concurrency", env, "semaphore", "permits")
    over = [
        (r["permits"], r["median"]) for r in peak if math.isfinite(r["median"]) and r["median"] > r["permits"]
    ]
    if not over:
        return None
    return (
        "finding",
        "More threads than permits were inside the Semaphore at once (%s): it did not bound the pool."
        % ", ".join("%s at k=%d" % (num(v), k) for k, v in over),
    )


def finding_event(a: Analysis, env: str):
    """Event wake-up latency for the fewest and most waiters."""
    wake = a.object_sweep("wake_latency_p50_us", env, "event", "threads")
    if not wake:
        return None
    tail = {r["threads"]: r for r in a.object_sweep("wake_latency_p99_us", env, "event", "threads")}
    one, many = wake[0], wake[-1]
    text = "Event: set() woke %d waiter%s in %s (median; p99 %s)" % (
        one["threads"],
        "" if one["threads"] == 1 else "s",
        duration_ci(one, US),
        duration_ci(tail.get(one["threads"]), US),
    )
    if len(wake) > 1:
        text += ", %d waiters in %s (p99 %s)" % (
            many["threads"],
            duration_ci(many, US),
            duration_ci(tail.get(many["threads"]), US),
        )
        way, p = shifted(a.values("wake_latency_p50_us", many), a.values("wake_latency_p50_us", one))
        if way > 0:
            text += (
                ": slower with more waiters (%s) — set() wakes every waiter at once, but they run one "
                % _test(p)
            )
            text += "after another, so the last waits most"
        else:
            text += ": no clear difference with more waiters in these repetitions (%s)" % _test(p)
    return (None, text + ".")


def _exits(a: Analysis, env: str) -> tuple:
    exits = {bool(r["daemon"]): r for r in a.object_sweep("exit_delay_ms", env, "daemon_exit", "daemon")}
    return exits.get(True), exits.get(False)


def finding_daemon(a: Analysis, env: str):
    """How long a daemon and a non-daemon thread kept the process alive after the main thread ended."""
    daemon, plain = _exits(a, env)
    if not (daemon and plain):
        return None
    sleep_ms = a.setting("daemon_exit", "sleep_ms")
    way, p = shifted(a.values("exit_delay_ms", daemon), a.values("exit_delay_ms", plain))
    verdict = {
        -1: "a daemon thread did not — the process exited after %s (%s), abandoning it mid-sleep",
        0: "with a daemon thread the process exited after %s, not clearly sooner in these repetitions (%s)",
        1: "with a daemon thread the process exited after %s, later still (%s)",
    }[way] % (duration_ci(daemon, MS), _test(p))
    return (
        None,
        "Daemon threads: after the main thread ended, a non-daemon thread still sleeping %s kept the process "
        "alive for %s; %s. The interpreter joins non-daemon threads at exit and kills daemon ones without "
        "cleanup: join() the threads whose work must finish."
        % (duration_ms(sleep_ms) if sleep_ms is not None else "", duration_ci(plain, MS), verdict),
    )


def finding_daemon_slow(a: Analysis, env: str):
    """A daemon thread that held the exit as long as a non-daemon one: against the theory."""
    daemon, plain = _exits(a, env)
    if not (daemon and plain) or daemon["median"] < plain["median"]:
        return None
    return ("finding", "Here the daemon thread did not let the process exit sooner than the non-daemon one.")


#: Every sentence that applies to an interpreter × machine, in page order: ``findings(a, env)``.
findings = Findings(
    finding_barrier,
    finding_semaphore,
    finding_semaphore_overfill,
    finding_event,
    finding_daemon,
    finding_daemon_slow,
)
