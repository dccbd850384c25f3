"""The process_overhead section's sentences, one function each, and its scorecard entry."""

from __future__ import annotations

import math

from report.page.formatting import NoteOnce, duration_ms, interval_side, num, ratio_verdict
from report.page.sections import Findings, Score
from report.page.sections.process_overhead.analysis import METHODS, Analysis

HEAVY_IMPORTS = "argparse, logging, json, http.client, …"


def _end(body: str, q: NoteOnce, tail: str = "") -> str:
    return body + tail + q.note() + "."


def _ms(q: NoteOnce, rec: dict | None) -> str:
    return q(rec, " ms")


def finding_start_costs(a: Analysis, env: str) -> tuple | None:
    """Start and join of one worker: a thread, then a process per start method (minimal target)."""
    thread = a.start_cost(env, "thread")
    costs = [(m, a.start_cost(env, m)) for m in METHODS]
    costs = [(m, c) for m, c in costs if c is not None]
    if thread is None or not costs:
        return None
    q = NoteOnce()
    listed = ", ".join("%s %s" % (m, _ms(q, c)) for m, c in costs)
    body = "Start and join one worker: a thread %s; a process whose target's module imports nothing: %s" % (
        _ms(q, thread),
        listed,
    )
    return None, _end(body, q)


def _import_phrase(method: str, rec: dict, q: NoteOnce) -> str:
    signed = q(rec, " ms")
    if rec["median"] > 0:
        signed = "+" + signed
    side = interval_side(rec, 0.0)
    word = {1: "longer", -1: "shorter", 0: "no clear difference"}.get(side)
    return "%s %s%s" % (method, signed, " (%s)" % word if word else "")


def finding_import_cost(a: Analysis, env: str) -> tuple | None:
    """What a heavy-import target adds to a start, heavy minus minimal per round, per start method."""
    costs = [(m, a.import_cost(env, m)) for m in METHODS]
    costs = [(m, c) for m, c in costs if c is not None]
    if not costs:
        return None
    q = NoteOnce()
    body = (
        "A target whose module imports a typical tool's standard-library modules (%s) instead of nothing "
        "changed a start, heavy minus minimal in the same rounds, by: %s"
        % (HEAVY_IMPORTS, ", ".join(_import_phrase(m, c, q) for m, c in costs))
    )
    theory = " — theory: a spawned or forkserver child imports them again, a forked child inherits them"
    sides = {m: interval_side(c, 0.0) for m, c in costs}
    contrary = sides.get("fork") == 1 or any(sides.get(m) == -1 for m in ("spawn", "forkserver"))
    return ("finding" if contrary else None), _end(body, q, theory)


def finding_round_trip(a: Analysis, env: str) -> tuple | None:
    """The largest payload through a process pool against a thread pool, in the same rounds."""
    trips = a.round_trips(env)
    if not trips:
        return None
    big, q = trips[-1], NoteOnce()
    thread = a.twin("round_trip_ms", big, runner="thread")
    body = "A round trip of %s bytes through a %d-worker process pool took %s" % (
        format(int(big["payload_bytes"]), ","),
        big["workers"],
        _ms(q, big),
    )
    if thread is not None:
        body += " against %s through a thread pool" % _ms(q, thread)
    per_round = a.twin("speedup", big)
    verdict = ratio_verdict(per_round) if per_round else ""
    if per_round is not None:
        body += "; per round the process pool ran at %s the thread pool's speed%s" % (
            q(per_round, "x"),
            ": " + verdict if verdict else "",
        )
    return None, _end(body, q, "; pickling and the pipe grow with the payload")


def _tasks_text(point: tuple, q: NoteOnce) -> str:
    duration, speedup = point
    return "tasks of %s (%s thousand iterations, timed in the cell)" % (
        _ms(q, duration),
        num(speedup["task_kiter"]),
    )


def _point_text(point: tuple, q: NoteOnce) -> str:
    return "%s with %s" % (q(point[1], "x"), _tasks_text(point, q))


def finding_break_even(a: Analysis, env: str) -> tuple | None:
    """Where the process pool's speedup over the thread pool crosses 1, or that it does not."""
    points = a.break_even_points(env)
    if not points:
        return None
    q = NoteOnce()
    if len(points) == 1:
        body = (
            "Only one task size was measured: with %s, the process pool ran at %s the thread pool's speed"
            % (
                _tasks_text(points[0], q),
                q(points[0][1], "x"),
            )
        )
        return None, _end(body + "; a break-even needs a sweep of task sizes", q)
    be, bracket = a.break_even(env)
    if bracket is None:
        side = "below" if points[0][1]["median"] < 1 else "above"
        body = (
            "The process pool's median speedup over the thread pool stayed %s 1 from %s to %s: the curves "
            "do not cross in the measured range, so there is no break-even inside it"
            % (side, _point_text(points[0], q), _point_text(points[-1], q))
        )
        return None, _end(body, q)
    before, after = bracket
    body = (
        "Break-even: the process pool's speedup over the thread pool (same rounds) went from %s to %s, "
        "crossing 1 near tasks of %s (log interpolation)"
        % (_point_text(before, q), _point_text(after, q), duration_ms(be))
    )
    resolved = interval_side(before[1]) is not None and interval_side(after[1]) is not None
    if resolved and (interval_side(before[1]) == 0 or interval_side(after[1]) == 0):
        body += "; an interval holds 1, so the crossing is not resolved from the noise"
    if before[1]["median"] > after[1]["median"]:
        return "finding", _end(body, q, " — processes paid for the shorter tasks, not the longer ones")
    return None, _end(body, q)


#: Every sentence that applies to an interpreter × machine, in page order: ``findings(a, env)``.
findings = Findings(finding_start_costs, finding_import_cost, finding_round_trip, finding_break_even)


def score(a: Analysis, env: str) -> dict:
    """The break-even task duration, when the speedup crosses 1 inside the measured range."""
    be, bracket = a.break_even(env)
    if bracket is None or not math.isfinite(be):
        return {}
    return {"break_even": Score(be, duration_ms(be), "task duration where processes start to pay")}
