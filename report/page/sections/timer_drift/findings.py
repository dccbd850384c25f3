"""The timer_drift section's sentences, one function each, and its scorecard entry."""

from __future__ import annotations

import math

from report.analysis import models
from report.analysis.cells import shifted
from report.page.formatting import duration_ci, duration_us, num, percent, record_ci
from report.page.sections import Findings, Score
from report.page.sections.timer_drift.analysis import Analysis

US, MS = 1e-6, 1e-3


def finding_idle(a: Analysis, env: str):
    """The shortest one-shot Timer, idle, against the timer-slack floor."""
    idle = a.one_shot("lateness_p50_us", env, loaded=False)
    if not idle:
        return None
    r = idle[0]
    floor = models.timer_slack_floor_us(a.run(env).env)
    text = "Idle, a one-shot %s ms Timer fired %s late (the median of %s a repetition)" % (
        num(r["delay_ms"]),
        duration_ci(r, US),
        a.samples_text(r),
    )
    if math.isfinite(floor) and r["median"] > 0:
        text += ", against a timer-slack floor of %s: the floor is %s of it" % (
            duration_us(floor),
            percent(min(1.0, floor / r["median"])),
        )
        if r["median"] > 2 * floor:
            text += "; the rest is thread start-up and scheduling, not the kernel's slack"
    return (None, text + ".")


def _worst_loaded(a: Analysis, env: str) -> dict | None:
    loaded = a.one_shot("lateness_p99_us", env, loaded=True)
    return max(loaded, key=lambda r: r["median"]) if loaded else None


def _in_intervals(value_us: float, switch_ms: float) -> list:
    """``["13 switch intervals of 5 ms"]``, or nothing when the switch interval is unknown."""
    if not math.isfinite(switch_ms):
        return []
    return ["%s switch intervals of %s ms" % (num(value_us / 1000.0 / switch_ms, 2), num(switch_ms))]


def _explained(a: Analysis, env: str, p50: dict, threads: int) -> str:
    """Why a Timer beside CPU-bound threads is late, as far as its numbers support it."""
    run, si = a.run(env), a.switch_interval_ms(env)
    if run.gil == "off":
        return (
            ". With the GIL off there is no lock to win back: the timer thread only competes for the "
            "%g cores with %d busy thread%s." % (run.cores, threads, "" if threads == 1 else "s")
        )
    if math.isfinite(si) and p50["median"] / 1000.0 >= si / 2:
        return (
            ". A woken timer thread must win the GIL back from the CPU-bound threads, which offer it once "
            "per switch interval and often take it back first."
        )
    return ": under half a switch interval, so here the timer seldom waited long for the GIL."


def finding_loaded(a: Analysis, env: str):
    """The one-shot cell beside CPU-bound threads with the worst p99: its p50 and p99, in switch
    intervals, and why."""
    p99 = _worst_loaded(a, env)
    p50 = a.same_cell("lateness_p50_us", p99) if p99 else None
    if p50 is None:
        return None
    si, threads = a.switch_interval_ms(env), p99["cpu_threads"]
    tail = _in_intervals(p99["median"], si)
    if (p99.get("samples") or 0) < 100:
        tail.append("with %s a repetition, a p99 is about their largest" % a.samples_text(p99))
    text = "With %d CPU-bound thread%s running, a one-shot %s ms Timer fired a median %s late%s" % (
        threads,
        "" if threads == 1 else "s",
        num(p99["delay_ms"]),
        duration_ci(p50, US),
        "".join(" (%s)" % t for t in _in_intervals(p50["median"], si)),
    )
    text += " and %s at p99%s" % (duration_ci(p99, US), " (%s)" % "; ".join(tail) if tail else "")
    return (None, text + _explained(a, env, p50, threads))


def finding_load_ratio(a: Analysis, env: str):
    """That loaded cell's median lateness over its idle twin's, paired round by round."""
    p99 = _worst_loaded(a, env)
    r = a.against_idle(p99) if p99 else None
    if r is None:
        return None
    verdict = {1: "later than idle", -1: "earlier than idle (unexpected)", 0: "no clear difference from idle"}
    word = verdict[r.side]
    if r.side == 0:
        word += " (%s)" % (r.ci_note or "its 95 % interval holds 1x")
    return (
        "finding" if r.side < 0 else None,
        "Round by round, that cell's median lateness was %s its idle twin's (%s ms Timer, %s): %s."
        % (record_ci(r.record(), "x"), num(p99["delay_ms"]), r.how(), word),
    )


def finding_drift(a: Analysis, env: str):
    """Re-armed Timer against absolute-deadline loop, idle: which drifted, over how many periods."""
    drift = {
        m: {r["delay_ms"]: r for r in a.s.select("cumulative_drift_ms", env_label=env, mode=m, cpu_threads=0)}
        for m in ("rearmed", "deadline_loop")
    }
    delays = sorted(set(drift["rearmed"]) & set(drift["deadline_loop"]))
    if not delays:
        return None
    rearmed, deadline = drift["rearmed"][delays[0]], drift["deadline_loop"][delays[0]]
    text = (
        "Periodic jobs, idle, every %s ms over %s: a Timer re-armed from its callback drifted %s in all; "
        % (
            num(delays[0]),
            a.samples_text(rearmed).replace("firings", "periods"),
            duration_ci(rearmed, MS),
        )
    )
    text += "a loop sleeping to absolute deadlines drifted %s" % duration_ci(deadline, MS)
    apart, p = shifted(a.values("cumulative_drift_ms", deadline), a.values("cumulative_drift_ms", rearmed))
    test = "Mann–Whitney U over the repetitions, p = %s" % num(p, 2)
    if apart < 0:
        return (None, text + " — less (%s): its errors do not accumulate." % test)
    if apart > 0:
        return ("finding", text + " — more (%s), though its errors should not accumulate." % test)
    return (None, text + " — no clear difference in these repetitions (%s)." % test)


#: Every sentence that applies to an interpreter × machine, in page order: ``findings(a, env)``.
findings = Findings(finding_idle, finding_loaded, finding_load_ratio, finding_drift)


def score(a: Analysis, env: str) -> dict:
    idle = a.one_shot("lateness_p99_us", env, loaded=False)
    if not idle:
        return {}
    r = idle[0]
    title = "one-shot %s ms Timer, idle; p99 of %s" % (num(r["delay_ms"]), a.samples_text(r))
    return {"timer_p99": Score(r["median"], duration_us(r["median"]), title)}
