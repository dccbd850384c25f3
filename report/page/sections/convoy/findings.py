"""The convoy section's sentences, one function each, built from the cells they name."""

from __future__ import annotations

from report.page.formatting import NoteOnce, interval_side, num, ratio, ratio_verdict
from report.page.sections import Findings, Score
from report.page.sections.convoy.analysis import Analysis


def _workers(n: int, kind: str) -> str:
    if kind == "thread":
        return "%d CPU-bound thread%s" % (n, "" if n == 1 else "s")
    return "%d CPU-bound process%s" % (n, "" if n == 1 else "es")


def _end(body: str, q: NoteOnce, verdict: str = "", why: str = "") -> str:
    """A sentence: the body, the direction the interval supports, an explanation, the ci notes."""
    return body + (": " + verdict if verdict else "") + why + q.note() + "."


def _gil_on(a: Analysis, env: str) -> bool:
    return a.run(env).gil != "off"


def finding_threads_vs_idle(a: Analysis, env: str) -> tuple | None:
    """The most CPU threads at the default switch interval against the no-load cell of the same rounds."""
    n = a.most_workers(env, "thread")
    rec = a.vs_idle(env, n, "thread") if n else None
    if rec is None:
        return None
    q = NoteOnce()
    body = (
        "Beside %s (switch interval %s ms) the I/O thread made %s the round trips per second of the "
        "no-load cell in the same rounds" % (_workers(n, "thread"), num(a.switch), q(rec, "x"))
    )
    if interval_side(rec) == 1 and _gil_on(a, env):
        return "finding", _end(
            body, q, ratio_verdict(rec), " — CPU-bound GIL threads should never speed it up"
        )
    return None, _end(body, q, ratio_verdict(rec))


def finding_threads_vs_control(a: Analysis, env: str) -> tuple | None:
    """The same threads against their control: as many CPU processes, in the same rounds."""
    n = a.most_workers(env, "thread")
    if n is None or a.most_workers(env, "process") is None:
        return None
    rec = a.vs_control(env, n)
    if rec is None:
        return (
            None,
            "No process control ran in the same rounds as the %d CPU threads (a run from before the "
            "control joined their group), so the GIL's share cannot be told from the machine's." % n,
        )
    q = NoteOnce()
    body = (
        "Against its control, %s in the same rounds, the I/O thread beside the threads made %s the round "
        "trips per second it made beside the processes" % (_workers(n, "process"), q(rec, "x"))
    )
    side, gil, verdict = interval_side(rec), _gil_on(a, env), ratio_verdict(rec)
    if side is None:
        return None, _end(body, q)
    if gil and side < 0:
        return None, _end(body, q, verdict, ", the GIL's own share, without the idle CPU's slow wake-up")
    if gil:
        return "finding", _end(body, q, verdict, " — with the GIL on, the convoy effect predicts fewer")
    if side < 0:
        return "finding", _end(body, q, verdict, " — with the GIL off there is no GIL to wait for")
    return None, _end(body, q, verdict, "; with the GIL off, CPU threads cost it no more than processes")


def finding_processes_vs_idle(a: Analysis, env: str) -> tuple | None:
    """The most CPU processes (no CPU thread) against the no-load cell of the same rounds."""
    n = a.most_workers(env, "process")
    rec = a.vs_idle(env, n, "process") if n else None
    if rec is None:
        return None
    q = NoteOnce()
    body = (
        "Beside %s and no CPU thread, the I/O thread made %s the round trips per second of the no-load cell"
        % (
            _workers(n, "process"),
            q(rec, "x"),
        )
    )
    why = {
        1: "; busy CPUs stay awake, while the no-load cell waits for an idle CPU to wake up, so it is "
        "itself slow",
        -1: "; processes compete with it for cores, not for the GIL",
        0: "; processes share only the cores",
    }.get(interval_side(rec), "")
    return None, _end(body, q, ratio_verdict(rec), why)


def finding_latency(a: Analysis, env: str) -> tuple | None:
    """Median and p99 round trip beside the most CPU threads against the no-load cell's."""
    n = a.most_workers(env, "thread")
    if n is None:
        return None
    cell, idle = a.cell("latency_p50_us", env, n, "thread"), a.idle("latency_p50_us", env)
    if cell is None or idle is None:
        return None
    q = NoteOnce()
    text = "Median round trip beside %s: %s against %s with no CPU load" % (
        _workers(n, "thread"),
        q(cell, " µs"),
        q(idle, " µs"),
    )
    per_round = a.latency_vs_idle("latency_p50_us", env, n, "thread")
    if per_round is not None:
        verdict = ratio_verdict(per_round, "longer", "shorter")
        text += " (per round %s%s)" % (q(per_round, "x"), ": " + verdict if verdict else "")
    p99, idle99 = a.cell("latency_p99_us", env, n, "thread"), a.idle("latency_p99_us", env)
    if p99 is not None and idle99 is not None:
        text += "; p99 %s against %s" % (q(p99, " µs"), q(idle99, " µs"))
    return None, _end(text, q)


def finding_median_against_mean(a: Analysis, env: str) -> tuple | None:
    """When fewer round trips came with a shorter median (or more with a longer one): the rate follows
    the mean, which the slowest round trips carry."""
    n = a.most_workers(env, "thread")
    rate = a.vs_idle(env, n, "thread") if n else None
    p50 = a.latency_vs_idle("latency_p50_us", env, n, "thread") if n else None
    if rate is None or p50 is None or rate["median"] == 1 or p50["median"] == 1:
        return None
    if (rate["median"] < 1) != (p50["median"] < 1):
        return None  # rate and median latency moved the usual opposite ways
    mean, idle_mean = a.cell("latency_mean_us", env, n, "thread"), a.idle("latency_mean_us", env)
    p99, idle99 = a.cell("latency_p99_us", env, n, "thread"), a.idle("latency_p99_us", env)
    if mean is None or idle_mean is None:
        return None
    q = NoteOnce()
    body = (
        "The rate (%s the no-load cell's) and the median round trip (%s the no-load cell's) moved the same "
        "way because the rate is one over the mean round trip, not the median: the mean was %s against %s "
        "with no CPU load, carried by the slowest round trips (p99 %s against %s)"
        % (
            ratio(rate["median"]),
            ratio(p50["median"]),
            q(mean, " µs"),
            q(idle_mean, " µs"),
            q(p99, " µs"),
            q(idle99, " µs"),
        )
    )
    return None, _end(body, q)


def finding_switch_sweep(a: Analysis, env: str) -> tuple | None:
    """The median round trip beside one CPU thread count at each switch interval measured."""
    n = a.swept_workers(env)
    if n is None:
        return None
    q = NoteOnce()
    parts = []
    for sw in sorted(a.s.values("switch_interval_ms", "latency_p50_us", env_label=env), reverse=True):
        rec = a.cell("latency_p50_us", env, n, "thread", switch=sw)
        if rec is not None:
            parts.append("%s ms: %s" % (num(sw), q(rec, " µs")))
    body = (
        "Median round trip beside %s, by switch interval (theory: a CPU thread keeps the GIL for up to "
        "one interval; each interval ran in rounds of its own) — %s"
        % (_workers(n, "thread"), "; ".join(parts))
    )
    return None, _end(body, q)


#: Every sentence that applies to an interpreter × machine, in page order: ``findings(a, env)``.
findings = Findings(
    finding_threads_vs_idle,
    finding_threads_vs_control,
    finding_processes_vs_idle,
    finding_latency,
    finding_median_against_mean,
    finding_switch_sweep,
)


def score(a: Analysis, env: str) -> dict:
    """The scorecard's convoy slowdown: no-load round trips per second over those beside the most CPU
    threads, the median of the per-round ratios."""
    n = a.most_workers(env, "thread")
    rec = a.vs_idle(env, n, "thread") if n else None
    if rec is None or not rec["median"] > 0:
        return {}
    slowdown = 1.0 / rec["median"]
    title = "%s at a %s ms switch interval, no-load rate over loaded rate" % (
        _workers(n, "thread"),
        num(a.switch),
    )
    if rec.get("ci_note"):
        title += " (%s)" % rec["ci_note"]
    return {"convoy_slowdown": Score(slowdown, ratio(slowdown), title)}
