"""The lock_contention section's sentences, one function each, and its scorecard entry."""

from __future__ import annotations

from report.page.formatting import NoteOnce, interval_side, num, ratio_verdict
from report.page.sections import Findings, Score
from report.page.sections.lock_contention.analysis import Analysis


def _end(body: str, q: NoteOnce, tail: str = "") -> str:
    return body + tail + q.note() + "."


def _cell(rec: dict) -> str:
    """The parameters that tell the no-lock cells apart."""
    return "%s, %d threads, switch interval %s ms" % (
        rec["pattern"],
        rec["threads"],
        num(rec["switch_interval_ms"]),
    )


def _gil_on(a: Analysis, env: str) -> bool:
    return a.run(env).gil != "off"


def finding_lost_updates(a: Analysis, env: str) -> tuple | None:
    """The no-lock cell that lost the most updates (several threads, any pattern)."""
    cells = a.lost_cells(env)
    if not cells:
        return None
    worst, q = cells[0], NoteOnce()
    if worst["median"] > 0:
        body = "Without a lock, %s of the updates were lost (%s): the race condition, measured" % (
            q(worst, " %", 100.0),
            _cell(worst),
        )
        return None, _end(body, q)
    body = "Without a lock, the median repetition lost no update in any of %d cell%s (the worst: %s, %s)" % (
        len(cells),
        "" if len(cells) == 1 else "s",
        _cell(worst),
        q(worst, " %", 100.0),
    )
    if _gil_on(a, env):
        return None, _end(
            body, q, ": the GIL switches threads rarely inside this read-modify-write — rare, not impossible"
        )
    return "finding", _end(body, q, " — with the GIL off, unsynchronised updates should be lost")


def finding_uncontended_cost(a: Analysis, env: str) -> tuple | None:
    """What an uncontended Lock adds per update: Lock minus no lock at 1 thread, per round."""
    diff = a.lock_difference(env, threads=1)
    if diff is None:
        return None
    q = NoteOnce()
    locked, free = a.record("cost_per_op_ns", env, "Lock", 1), a.record("cost_per_op_ns", env, "none", 1)
    cells = " (%s with it, %s without)" % (q(locked, " ns"), q(free, " ns"))
    side = interval_side(diff, 0.0)
    if side == 1:
        body = (
            "An uncontended Lock (1 thread) added %s per update against the no-lock cell of the same rounds"
        )
        return None, _end(body % q(diff, " ns"), q, cells)
    if side == 0:
        body = (
            "An uncontended Lock's cost was not resolved from the noise: per round, %s per update against "
            "the no-lock cell"
        )
        return None, _end(body % q(diff, " ns"), q, cells)
    if side == -1:
        body = "Updates with an uncontended Lock were cheaper than without one, by %s per round"
        return "finding", _end(
            body % q(diff, " ns"), q, cells + " — a lock cannot save time: the machine's noise did"
        )
    body = "An uncontended Lock (1 thread) changed the cost of an update by %s per round against no lock"
    return None, _end(body % q(diff, " ns"), q, cells)


def finding_contended(a: Analysis, env: str) -> tuple | None:
    """The most threads taking turns on one Lock: cost per update, and updates per second against no lock."""
    n = a.most_threads(env)
    if n is None or n < 2:
        return None
    cost, per_round = a.record("cost_per_op_ns", env, "Lock", n), a.record("speedup", env, "Lock", n)
    if cost is None:
        return None
    q = NoteOnce()
    body = "With %d threads taking turns on one Lock (switch interval %s ms), an update cost %s" % (
        n,
        num(a.default["switch_interval_ms"]),
        q(cost, " ns"),
    )
    if per_round is not None:
        verdict = ratio_verdict(per_round)
        body += "; per round the threads made %s the updates per second of the no-lock cell%s" % (
            q(per_round, "x"),
            ": " + verdict if verdict else "",
        )
    return None, _end(body, q)


def finding_fairness(a: Analysis, env: str) -> tuple | None:
    """Jain's index of the threads' update counts with a Lock, beside no lock, at the most threads."""
    n = a.most_threads(env)
    fair = a.record("jain_fairness", env, "Lock", n) if n and n > 1 else None
    if fair is None:
        return None
    q = NoteOnce()
    free = a.record("jain_fairness", env, "none", n)
    body = "Fairness across %d threads, each running for %s switch intervals: Jain index %s with a Lock" % (
        n,
        num(a.default["turns_per_thread"]),
        q(fair),
    )
    if free is not None:
        body += ", %s without" % q(free)
    return None, _end(body, q, " (1 = equal shares, %s = one thread did everything)" % num(1 / n, 2))


def finding_switch_interval(a: Analysis, env: str) -> tuple | None:
    """The Lock's acquire-wait p99 at each switch interval, at the most threads."""
    n = a.most_threads(env)
    recs = a.switch_sweep(env, n) if n and n > 1 else []
    if len(recs) < 2:
        return None
    q = NoteOnce()
    listed = "; ".join("%s ms: %s" % (num(r["switch_interval_ms"]), q(r, " µs")) for r in recs)
    body = (
        "A thread waiting for the Lock (%d threads) waited, p99, by switch interval — %s (theory: the holder "
        "keeps the GIL, and so the lock, for up to one interval; each interval ran in rounds of its own)"
        % (n, listed)
    )
    return None, _end(body, q)


def finding_locked_exact(a: Analysis, env: str) -> tuple | None:
    """Whether every repetition of every locked cell kept the count exact."""
    lost, reps, cells = a.locked_losses(env)
    if not reps:
        return None
    if lost == 0:
        return (
            None,
            "With a lock, no repetition lost an update (%d cells, %d repetitions): the count is exact."
            % (
                cells,
                reps,
            ),
        )
    return (
        "finding",
        "With a lock, %d of %d repetitions still lost updates: a lock should make every count exact."
        % (lost, reps),
    )


#: Every sentence that applies to an interpreter × machine, in page order: ``findings(a, env)``.
findings = Findings(
    finding_lost_updates,
    finding_locked_exact,
    finding_uncontended_cost,
    finding_contended,
    finding_fairness,
    finding_switch_interval,
)


def score(a: Analysis, env: str) -> dict:
    """The uncontended Lock's cost, only when its per-round interval lies above 0."""
    diff = a.lock_difference(env, threads=1)
    if interval_side(diff, 0.0) != 1:
        return {}
    text = "%s ns" % num(diff["median"])
    return {
        "lock_cost": Score(diff["median"], text, "lock_contention: Lock minus no lock per round, 1 thread")
    }
