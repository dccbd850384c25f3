"""The primitives section's sentences (a Lock's and a Queue's cost beyond one call) and scorecard entries."""

from __future__ import annotations

from report.page.formatting import duration_s, num
from report.page.sections import Findings, Score
from report.page.sections.primitives.analysis import Analysis


def ns(x) -> str:
    """A duration in nanoseconds, as the page writes durations."""
    return duration_s(x * 1e-9)


def note(a: Analysis, env: str) -> str:
    """Where a finding's figure comes from, and why it has no interval."""
    n = a.processes(env)
    if n <= 1:
        return "pytest-benchmark's median over its rounds in one pytest process, so no 95 % interval"
    return (
        "the median over %d pytest processes of each one's median over its rounds; %d processes give "
        "no 95 %% interval" % (n, n)
    )


def finding_lock_cost(a: Analysis, env: str):
    """What an uncontended Lock acquire+release costs beyond one Python call."""
    found = a.net_ns(env, "test_lock_acquire_release", primitive="Lock", style="bare")
    if found is None:
        return None
    return (
        None,
        "An uncontended Lock acquire+release cost %s beyond an empty Python call (%s with the call, %s for "
        "the call alone; %s)." % (ns(found[0]), ns(found[1]), ns(found[2]), note(a, env)),
    )


def finding_queue_cost(a: Analysis, env: str):
    """What a Queue put+get costs beyond one Python call."""
    found = a.net_ns(env, "test_put_get", container="Queue")
    if found is None:
        return None
    return (
        None,
        "A queue.Queue put+get cost %s beyond an empty Python call (%s with the call; %s)."
        % (ns(found[0]), ns(found[1]), note(a, env)),
    )


#: Every sentence that applies to an interpreter × machine, in page order: ``findings(a, env)``.
findings = Findings(finding_lock_cost, finding_queue_cost)


def score(a: Analysis, env: str) -> dict:
    out = {}
    lock = a.net_ns(env, "test_lock_acquire_release", primitive="Lock", style="bare")
    if lock is not None:
        out["lock_cost"] = Score(
            lock[0], "%s ns" % num(lock[0]), "bench: Lock acquire+release minus an empty call"
        )
    queue = a.net_ns(env, "test_put_get", container="Queue")
    if queue is not None:
        out["queue_cost"] = Score(queue[0], ns(queue[0]), "bench: Queue put+get minus an empty call")
    return out
