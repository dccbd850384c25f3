"""The io_vs_cpu section's prose and scorecard entries, each sentence built from the measured numbers."""

from __future__ import annotations

import math

from report.formatting import percent, ratio, with_ci
from report.sections import Score
from report.sections.io_vs_cpu_analysis import Analysis, best_process, capacity_fraction

#: A model that misses the medians by more than this (RMSE / mean) is called out as a poor fit.
POOR_FIT = 0.15
#: Threads on pure-Python work below this speedup have not scaled (issue 2's test bound).
NO_SCALING = 1.3


def findings(a: Analysis, env: str) -> list:
    """Sentences saying what this interpreter × machine showed, each built from its numbers.

    Returns (css class, text) pairs; class "finding" marks a result that contradicts the theory.
    """
    run = a.run(env)
    gil_on = run.gil != "off"
    out = []
    cpu = a.main_panel(env, "cpu_python")
    if cpu is not None:
        ex = a.thread_executor(env, cpu)
        w = a.reference_workers(env, cpu, ex) if ex else None
        p = a.point(env, cpu, ex, w) if w else None
        if p is not None:
            util = a.point(env, cpu, ex, w, "cpu_util_cores")
            busy = " and kept %.1f cores busy" % util["median"] if util is not None else ""
            s = with_ci(p["median"], p["ci_low"], p["ci_high"], "x")
            if gil_on and p["median"] < NO_SCALING:
                out.append(
                    (
                        None,
                        "Pure-Python CPU work on %d GIL threads (%s) ran at %s of sequential%s: "
                        "it stays near 1x "
                        "because the GIL lets one thread run Python bytecode at a time, so the threads take "
                        "turns instead of running together." % (w, ex, s, busy),
                    )
                )
            elif gil_on:
                out.append(
                    (
                        "finding",
                        "Pure-Python CPU work on %d GIL threads reached %s — more than the GIL should allow "
                        "(theory: about 1x). Check this run's noise flags before trusting it." % (w, s),
                    )
                )
            elif p["median"] >= NO_SCALING:
                out.append(
                    (
                        None,
                        "With the GIL off, pure-Python CPU work on %d threads scaled to %s%s (%s of the "
                        "machine's measured capacity)."
                        % (w, s, busy, percent(capacity_fraction(a, env, cpu, ex, w))),
                    )
                )
            else:
                out.append(
                    (
                        "finding",
                        "The GIL is off, yet pure-Python CPU work on %d threads stayed at %s%s: something "
                        "other than the GIL serialised the threads here." % (w, s, busy),
                    )
                )
        best = best_process(a, env, cpu)
        if best is not None:
            ex_p, w_p, p = best
            frac = capacity_fraction(a, env, cpu, ex_p, w_p)
            cap = run.capacity("start").get(int(min(w_p, run.cores)))
            text = (
                "The same work on %d processes (%s) reached %s, %s of what this machine could give then "
                % (
                    w_p,
                    ex_p,
                    with_ci(p["median"], p["ci_low"], p["ci_high"], "x"),
                    percent(frac),
                )
            )
            text += "(capacity %s)." % ratio(cap) if cap else "(capacity not measured)."
            if math.isfinite(frac) and frac < 0.7:
                text += (
                    " Process start-up and pickling eat into these short tasks; larger tasks amortise them."
                )
            elif math.isfinite(frac) and frac > 1.1:
                text += (
                    " Above 100 %: the machine gave more during this cell than when its capacity was "
                    "measured — its speed drifts (see run quality)."
                )
            out.append((None, text))
    c_hash = a.main_panel(env, "c_hash")
    if c_hash is not None:
        ex = a.thread_executor(env, c_hash)
        w = a.reference_workers(env, c_hash, ex) if ex else None
        p = a.point(env, c_hash, ex, w) if w else None
        if p is not None:
            s = with_ci(p["median"], p["ci_low"], p["ci_high"], "x")
            if p["median"] >= NO_SCALING:
                out.append(
                    (
                        None,
                        "hashlib.sha256 on %d threads reached %s: C code that releases the GIL runs in "
                        "parallel on threads, up to the machine's cores." % (w, s),
                    )
                )
            elif run.cores < 2:
                out.append(
                    (
                        None,
                        "hashlib on threads stayed at %s: with one usable core nothing runs in parallel." % s,
                    )
                )
            else:
                out.append(
                    (
                        "finding",
                        "hashlib.sha256 on %d threads stayed at %s although it releases the GIL and "
                        "the machine "
                        "has %g cores: the machine was probably busy (see run quality)." % (w, s, run.cores),
                    )
                )
    for workload, what in (
        ("sleep_io", "sleeping in time.sleep"),
        ("socket_io", "doing loopback socket round trips"),
    ):
        panel = a.main_panel(env, workload)
        ex = a.thread_executor(env, panel) if panel else None
        if ex is None:
            continue
        ws = a.workers(env, panel, ex)
        w = 8 if 8 in ws else max(ws)
        p = a.point(env, panel, ex, w)
        e = a.point(env, panel, ex, w, "efficiency")
        if p is None or w < 2:
            continue
        out.append(
            (
                None,
                "%d threads %s overlapped to %s (%s of the ideal %dx): waiting releases the GIL, so "
                "I/O-bound threads scale with the number of waits, not with cores."
                % (
                    w,
                    what,
                    with_ci(p["median"], p["ci_low"], p["ci_high"], "x"),
                    percent(e["median"] if e is not None else math.nan),
                    w,
                ),
            )
        )
    if cpu is not None:
        ex = a.thread_executor(env, cpu)
        fit = a.fit(env, cpu, ex) if ex else None
        if fit is not None and fit["amdahl"] is not None:
            serial = fit["amdahl"].params["serial"]
            text = (
                "Amdahl's law fitted to pure-Python work on %s gives a serial fraction of %.2f "
                "(1 = fully serial)."
                % (
                    ex,
                    serial,
                )
            )
            out.append((None, text))
    poor = []
    for _, f in a.fits[a.fits["env_label"] == env].iterrows() if not a.fits.empty else []:
        for key in ("amdahl", "usl"):
            fit = f[key]
            if fit is not None and fit.relative_rmse > POOR_FIT:
                poor.append(
                    "%s on %s (%s misses by %s)"
                    % (f["workload"], f["executor"], key, percent(fit.relative_rmse))
                )
    if poor:
        out.append(
            (
                "finding",
                "The models do not describe every curve: %s. Where a curve falls as workers are added, "
                "coordination costs grow faster than either model allows." % "; ".join(poor[:4]),
            )
        )
    return out


def score(a: Analysis, env: str) -> dict:
    """This section's scorecard entries for one interpreter × machine."""
    out = {}
    cpu = a.main_panel(env, "cpu_python")
    if cpu is not None:
        ex = a.thread_executor(env, cpu)
        fit = a.fit(env, cpu, ex) if ex else None
        if fit is not None and fit["amdahl"] is not None:
            serial = fit["amdahl"].params["serial"]
            out["serial_fraction"] = Score(
                serial, "%.2f" % serial, "Amdahl fit, pure-Python CPU work on %s" % ex
            )
        best = best_process(a, env, cpu)
        if best is not None:
            ex_p, w_p, p = best
            frac = capacity_fraction(a, env, cpu, ex_p, w_p)
            text = ratio(p["median"]) + (" (%s of capacity)" % percent(frac) if math.isfinite(frac) else "")
            out["best_process_speedup"] = Score(
                float(p["median"]), text, "%s, %d workers, pure-Python work" % (ex_p, w_p)
            )
    sleep = a.main_panel(env, "sleep_io")
    ex = a.thread_executor(env, sleep) if sleep else None
    if ex is not None and 8 in a.workers(env, sleep, ex):
        e = a.point(env, sleep, ex, 8, "efficiency")
        if e is not None:
            out["io_overlap_efficiency"] = Score(
                float(e["median"]), percent(e["median"]), "sleep I/O on 8 %s workers" % ex
            )
    return out
