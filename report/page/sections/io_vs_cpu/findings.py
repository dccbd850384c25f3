"""The io_vs_cpu section's sentences, one small function each, and its scorecard entries.

Each ``finding_*(a, env)`` returns ``(css class, text)`` or None when it does not apply; class
"finding" marks a result that contradicts the theory. A direction word ("faster", "slower",
"scaled") is used only when the quoted interval excludes 1 on that side (cells.side); a number
without an interval says why (its ci_note).
"""

from __future__ import annotations

import math

from report.analysis import models
from report.analysis.cells import Ratio, side
from report.page.formatting import num, percent, ratio, record_ci
from report.page.sections import Findings, Score
from report.page.sections.io_vs_cpu.analysis import (
    HEADLINE_WORKERS,
    HEADLINE_WORKLOAD,
    Analysis,
    best_process,
    capacity_fraction,
)

#: A model that misses the medians by more than this (RMSE / mean) is called out as a poor fit.
POOR_FIT = 0.15
#: Threads on pure-Python work below this speedup have not scaled (issue 2's test bound).
NO_SCALING = 1.3


def _threads_cell(a: Analysis, env: str, workload: str = "cpu_python") -> tuple | None:
    """(panel, executor, workers, speedup record) of the thread cell a sentence about ``workload``
    quotes: raw threads (else the pool) at the worker count nearest the cores."""
    panel = a.main_panel(env, workload)
    ex = a.thread_executor(env, panel) if panel else None
    w = a.reference_workers(env, panel, ex) if ex else None
    p = a.point(env, panel, ex, w) if w else None
    return (panel, ex, w, p) if p is not None else None


def _busy(a: Analysis, env: str, panel, ex: str, w: int) -> str:
    util = a.point(env, panel, ex, w, "cpu_util_cores")
    return " and kept %s cores busy" % record_ci(util, digits=2) if util is not None else ""


def _size(a: Analysis, panel) -> str:
    return "%d tasks × %s %s" % (panel[1], num(panel[2]), a.size_unit(panel[0]))


def finding_gil_threads(a: Analysis, env: str):
    """Pure-Python work on GIL threads: about 1x, and why."""
    cell = _threads_cell(a, env)
    if a.run(env).gil == "off" or cell is None:
        return None
    panel, ex, w, p = cell
    s = record_ci(p, "x")
    if p["median"] >= NO_SCALING:
        return (
            "finding",
            "Pure-Python CPU work on %d GIL threads (%s) reached %s of sequential — more than the GIL "
            "should allow (theory: about 1x). Check this run's noise flags before trusting it." % (w, ex, s),
        )
    word = {1: "a little faster than", -1: "slower than", 0: "no clear change from"}[side(p)]
    return (
        None,
        "Pure-Python CPU work (%s) on %d GIL threads (%s) ran at %s of sequential%s — %s sequential: the "
        "GIL lets one thread run Python bytecode at a time, so the threads take turns instead of running "
        "together." % (_size(a, panel), w, ex, s, _busy(a, env, panel, ex, w), word),
    )


def finding_free_threads(a: Analysis, env: str):
    """Pure-Python work on threads with the GIL off: scaled, or what stopped it."""
    cell = _threads_cell(a, env)
    if a.run(env).gil != "off" or cell is None:
        return None
    panel, ex, w, p = cell
    s, busy = record_ci(p, "x"), _busy(a, env, panel, ex, w)
    if p["median"] < NO_SCALING:
        cap, when, _ = a.capacity(env, panel, ex, w)
        if math.isfinite(cap) and cap < NO_SCALING:
            why = "the machine itself gave only %s with %d processes %s: there was no second core to use" % (
                ratio(cap),
                min(w, int(a.run(env).cores)),
                when,
            )
        else:
            why = "something other than the GIL serialised the threads here"
        return (
            "finding",
            "The GIL is off, yet pure-Python CPU work on %d threads (%s) stayed at %s of sequential%s: %s."
            % (w, ex, s, busy, why),
        )
    share = percent(capacity_fraction(a, env, panel, ex, w))
    if side(p) > 0:
        return (
            None,
            "With the GIL off, pure-Python CPU work on %d threads (%s) scaled to %s%s (%s of the machine's "
            "measured capacity)." % (w, ex, s, busy, share),
        )
    return (
        None,
        "With the GIL off, pure-Python CPU work on %d threads (%s) reached a median %s%s (%s of the "
        "machine's measured capacity), but its interval does not exclude 1x: no clear gain yet."
        % (w, ex, s, busy, share),
    )


def _judged(r: Ratio, faster: str, slower: str) -> str:
    """The verdict a pre-declared comparison earns from its own interval."""
    if r.side > 0:
        return faster
    if r.side < 0:
        return slower
    has_ci = math.isfinite(r.ci_low) and math.isfinite(r.ci_high)
    reasons = ["its 95 % interval holds 1x"] if has_ci else []
    return "no clear difference (%s)" % "; ".join(reasons + ([r.ci_note] if r.ci_note else []))


def finding_headline(a: Analysis, env: str):
    """The pre-declared primary comparison: pure-Python work on 2 threads here against the shared
    baseline's sequential run, judged on its own interval."""
    if a.baseline is None or a.is_baseline(env):
        return None
    panel = a.main_panel(env, HEADLINE_WORKLOAD)
    ex = a.thread_executor(env, panel) if panel else None
    r = a.vs_baseline(env, panel, ex, HEADLINE_WORKERS) if ex else None
    if r is None:
        return None
    run = a.run(env)
    where = "on the free-threaded build" if run.gil == "off" else "on %s" % run.interpreter_label
    verdict = _judged(r, "faster %s" % where, "slower %s" % where)
    return (
        None,
        "Headline (declared in advance): pure-Python work (%s) on %d threads (%s) ran at %s the speed of "
        "%s running it sequentially (%s): %s."
        % (
            _size(a, panel),
            HEADLINE_WORKERS,
            ex,
            record_ci(r.record(), "x"),
            a.baseline.env_label,
            r.how(),
            verdict,
        ),
    )


def finding_single_thread(a: Analysis, env: str):
    """What one thread costs here against the shared baseline: sequential pure-Python time."""
    if a.baseline is None or a.is_baseline(env):
        return None
    panel = a.main_panel(env, HEADLINE_WORKLOAD)
    speed = a.vs_baseline(env, panel, a.sequential, 1) if panel else None
    if speed is None:
        return None
    time_ratio = speed.inverse()  # time here over the baseline's: > 1 is slower
    verdict = _judged(time_ratio, "slower on one thread", "faster on one thread")
    return (
        None,
        "On one thread, pure-Python work (%s) took %s the time it took %s (%s): %s."
        % (
            _size(a, panel),
            record_ci(time_ratio.record(), "x"),
            a.baseline.env_label,
            time_ratio.how(),
            verdict,
        ),
    )


def finding_processes(a: Analysis, env: str):
    """The best process speedup, as a share of what the machine could give."""
    panel = a.main_panel(env, "cpu_python")
    best = best_process(a, env, panel) if panel else None
    if best is None:
        return None
    ex, w, p = best
    frac = capacity_fraction(a, env, panel, ex, w)
    cap, when, above = a.capacity(env, panel, ex, w)
    text = "The same work on %d processes (%s) reached %s, %s of what this machine could give " % (
        w,
        ex,
        record_ci(p, "x"),
        percent(frac),
    )
    text += "(capacity %s %s)." % (ratio(cap), when) if math.isfinite(cap) else "(capacity not measured)."
    if above:
        text += " Some of its rounds measured more capacity than the usable cores: a measurement error."
    elif math.isfinite(frac) and frac < 0.7:
        text += " Process start-up and pickling eat into these short tasks; larger tasks amortise them."
    elif math.isfinite(frac) and frac > 1.1:
        text += (
            " Above 100 %: the machine gave more during this cell than when its capacity was measured — "
            "its speed drifts (see run quality)."
        )
    return (None, text)


def finding_c_hash(a: Analysis, env: str):
    """C code that releases the GIL, on threads."""
    cell = _threads_cell(a, env, "c_hash")
    if cell is None:
        return None
    _panel, ex, w, p = cell
    s = record_ci(p, "x")
    if p["median"] >= NO_SCALING and side(p) > 0:
        return (
            None,
            "hashlib.sha256 on %d threads (%s) reached %s: C code that releases the GIL runs in parallel "
            "on threads, up to the machine's cores." % (w, ex, s),
        )
    if p["median"] >= NO_SCALING:
        return (
            None,
            "hashlib.sha256 on %d threads (%s) reached a median %s, but its interval does not exclude 1x."
            % (w, ex, s),
        )
    if a.run(env).cores < 2:
        return (
            None,
            "hashlib on %d threads stayed at %s: with one usable core nothing runs in parallel." % (w, s),
        )
    return (
        "finding",
        "hashlib.sha256 on %d threads (%s) stayed at %s although it releases the GIL and the machine has "
        "%g cores: the machine was probably busy (see run quality)." % (w, ex, s, a.run(env).cores),
    )


def _overlap(a: Analysis, env: str, workload: str, what: str):
    panel = a.main_panel(env, workload)
    ex = a.thread_executor(env, panel) if panel else None
    if ex is None:
        return None
    ws = a.workers(env, panel, ex)
    w = 8 if 8 in ws else max(ws)
    p, e = a.point(env, panel, ex, w), a.point(env, panel, ex, w, "efficiency")
    if p is None or w < 2:
        return None
    verb = "overlapped to" if side(p) > 0 else "reached a median"
    return (
        None,
        "%d threads (%s) %s %s %s (%s of the ideal %dx): waiting releases the GIL, so I/O-bound threads "
        "scale with the number of waits, not with cores."
        % (w, ex, what, verb, record_ci(p, "x"), percent(e["median"] if e is not None else math.nan), w),
    )


def finding_sleep_io(a: Analysis, env: str):
    return _overlap(a, env, "sleep_io", "sleeping in time.sleep")


def finding_socket_io(a: Analysis, env: str):
    return _overlap(a, env, "socket_io", "doing loopback socket round trips")


def finding_amdahl(a: Analysis, env: str):
    """The serial fraction of pure-Python work on threads, with its interval, honest at the bound."""
    panel = a.main_panel(env, "cpu_python")
    ex = a.thread_executor(env, panel) if panel else None
    fit = a.fit(env, panel, ex) if ex else None
    if fit is None or fit["amdahl"] is None:
        return None
    am = fit["amdahl"]
    text = (
        "Amdahl's law fitted to pure-Python work on %s puts its serial fraction (1 = fully serial) at %s"
        % (ex, models.describe(am, "serial"))
    )
    if am.at_bound("serial") > 0:
        text += ": the threads ran no faster than one, and the model cannot go beyond fully serial"
    return (None, text + ".")


def finding_process_amdahl(a: Analysis, env: str):
    """The serial fraction of the best process executor, fitted against the machine's capacity."""
    panel = a.main_panel(env, "cpu_python")
    best = best_process(a, env, panel) if panel else None
    fit = a.fit(env, panel, best[0]) if best else None
    if fit is None or fit["amdahl"] is None or fit["fitted_to"] == "speedup":
        return None
    return (
        None,
        "Fitted to its speedup over the machine's capacity (%s), %s has a serial fraction of %s: what the "
        "executor itself serialises (start-up, pickling), not the cores the machine could not give."
        % (fit["fitted_to"], best[0], models.describe(fit["amdahl"], "serial")),
    )


def finding_poor_fits(a: Analysis, env: str):
    """Curves neither model describes."""
    poor = []
    for f in a.fits:
        if f["env_label"] != env:
            continue
        for key in ("amdahl", "usl"):
            fit = f[key]
            if fit is not None and fit.relative_rmse > POOR_FIT:
                poor.append(
                    "%s (%s) on %s (%s misses by %s)"
                    % (f["panel"][0], _size(a, f["panel"]), f["executor"], key, percent(fit.relative_rmse))
                )
    if not poor:
        return None
    return (
        "finding",
        "The models do not describe every curve: %s. Where a curve falls as workers are added, coordination "
        "costs grow faster than either model allows." % "; ".join(poor[:4]),
    )


#: Every sentence that applies to an interpreter × machine, in page order: ``findings(a, env)``.
findings = Findings(
    finding_gil_threads,
    finding_free_threads,
    finding_headline,
    finding_single_thread,
    finding_processes,
    finding_c_hash,
    finding_sleep_io,
    finding_socket_io,
    finding_amdahl,
    finding_process_amdahl,
    finding_poor_fits,
)


def score(a: Analysis, env: str) -> dict:
    """This section's scorecard entries for one interpreter × machine."""
    out = {}
    panel = a.main_panel(env, "cpu_python")
    ex = a.thread_executor(env, panel) if panel else None
    fit = a.fit(env, panel, ex) if ex else None
    if fit is not None and fit["amdahl"] is not None:
        am = fit["amdahl"]
        out["serial_fraction"] = Score(
            am.params["serial"],
            models.describe(am, "serial", short=True),
            "Amdahl fit, pure-Python CPU work on %s" % ex,
        )
    best = best_process(a, env, panel) if panel else None
    if best is not None:
        ex_p, w_p, p = best
        frac = capacity_fraction(a, env, panel, ex_p, w_p)
        text = ratio(p["median"]) + (" (%s of capacity)" % percent(frac) if math.isfinite(frac) else "")
        out["best_process_speedup"] = Score(
            float(p["median"]), text, "%s, %d workers, pure-Python work" % (ex_p, w_p)
        )
    out.update(_overlap_score(a, env))
    out.update(_single_thread_score(a, env, panel))
    return out


def _overlap_score(a: Analysis, env: str) -> dict:
    sleep = a.main_panel(env, "sleep_io")
    ex = a.thread_executor(env, sleep) if sleep else None
    e = a.point(env, sleep, ex, 8, "efficiency") if ex is not None else None
    if e is None:
        return {}
    return {
        "io_overlap_efficiency": Score(
            float(e["median"]), percent(e["median"]), "sleep I/O on 8 %s workers" % ex
        )
    }


def _single_thread_score(a: Analysis, env: str, panel) -> dict:
    """Sequential pure-Python time here over the shared baseline's: the cost of one thread."""
    speed = a.vs_baseline(env, panel, a.sequential, 1) if panel and a.baseline is not None else None
    if speed is None:
        return {}
    t = speed.inverse()
    if a.is_baseline(env):
        return {"single_thread_cost": Score(1.0, "1x (the baseline)", "the run the others are set against")}
    return {
        "single_thread_cost": Score(
            t.median,
            record_ci(t.record(), "x"),
            "sequential pure-Python time against %s; %s" % (a.baseline.env_label, t.how()),
        )
    }
