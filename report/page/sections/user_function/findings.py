"""The user_function section's sentences about one function (panel), and its scorecard entry.

Each ``finding_*(a, env, panel)`` returns ``(css class, text)`` or None when it does not apply. A
direction word ("faster", "slower", "longer", "more") is used only when the quoted interval excludes
the other side (cells.side); each sentence quotes the cell it describes, with its interval.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from report.analysis.cells import side
from report.page.formatting import duration_ms, num, record_ci
from report.page.sections import Score
from report.page.sections.io_vs_cpu.analysis import PROCESSES

if TYPE_CHECKING:
    from report.page.sections.user_function.analysis import Analysis

SPEED_WORDS = {
    1: "faster than sequential",
    -1: "slower than sequential",
    0: "no clear change from sequential",
}
UNJUDGED = "too few rounds for an interval, so no direction is claimed"


def _has_ci(rec: dict) -> bool:
    low, high = rec.get("ci_low"), rec.get("ci_high")
    return low is not None and high is not None and math.isfinite(low) and math.isfinite(high)


def _verdict(rec: dict) -> str:
    return SPEED_WORDS[side(rec)] if _has_ci(rec) else UNJUDGED


def _busy(a: Analysis, env: str, panel, ex: str, w: int) -> str:
    util = a.point(env, panel, ex, w, "cpu_util_cores")
    return " and kept %s cores busy" % record_ci(util, digits=2) if util is not None else ""


def finding_threads(a: Analysis, env: str, panel):
    """Threads at the worker count nearest the cores: did the function run in parallel on them?"""
    ex = a.thread_executor(env, panel)
    w = a.reference_workers(env, panel, ex) if ex else None
    p = a.point(env, panel, ex, w) if w else None
    if p is None:
        return None
    word = side(p)
    text = "On %d threads (%s) it ran at %s of sequential%s: %s" % (
        w,
        ex,
        record_ci(p, "x"),
        _busy(a, env, panel, ex, w),
        _verdict(p),
    )
    if a.run(env).gil != "off" and _has_ci(p):
        if word > 0:
            text += ", so it spends its time outside the GIL (C code that releases it, or waiting)"
        else:
            text += ", as pure-Python work does: the GIL lets one thread run bytecode at a time"
    return None, text + "."


def finding_processes(a: Analysis, env: str, panel):
    """The best process cell."""
    best = a.best(env, panel, PROCESSES)
    if best is None:
        return None
    ex, w, p = best
    return (
        None,
        "Its best process cell, %d workers on %s, ran at %s of sequential%s: %s."
        % (w, ex, record_ci(p, "x"), _busy(a, env, panel, ex, w), _verdict(p)),
    )


def _call(a: Analysis, env: str, panel) -> dict | None:
    return a.point(env, panel, a.sequential, 1, "task_ms")


def finding_cost(a: Analysis, env: str, panel):
    """What one call costs on its own, and what it sends back."""
    rec = _call(a, env, panel)
    if rec is None:
        return None
    size = a.point(env, panel, a.sequential, 1, "result_bytes")
    text = "One call on its own took %s" % record_ci(rec, " ms")
    if size is not None and math.isfinite(size["median"]):
        text += " and returned %s bytes pickled (what a pool sends back per task)" % num(size["median"])
    return None, text + "."


def finding_break_even(a: Analysis, env: str, panel):
    """One call against the task length from which processes beat threads (process_overhead)."""
    be = a.break_even_ms(env)
    if be is None:
        return (
            None,
            "The break-even against process start cost is not measured in these runs: run process_overhead "
            "on this interpreter too (--only process_overhead) to set this function's calls against it.",
        )
    rec = _call(a, env, panel)
    if rec is None:
        return None
    if not math.isfinite(be):
        return (
            None,
            "process_overhead's process and thread pools did not cross in its measured range: there is no "
            "break-even to set one call (%s) against." % record_ci(rec, " ms"),
        )
    where = side(rec, be)
    verdict = {
        1: "longer than that: processes can earn back their start and pickling on it",
        -1: "shorter than that: processes spend more on start and pickling than such calls take",
        0: "about that long: neither side is clear",
    }[where]
    return (
        None,
        "Processes beat threads from tasks of %s on this interpreter (process_overhead's break-even); one "
        "call here took %s, %s." % (duration_ms(be), record_ci(rec, " ms"), verdict),
    )


def finding_memory(a: Analysis, env: str, panel):
    """Peak memory of the sequential cell against the best parallel cell's."""
    seq = a.point(env, panel, a.sequential, 1, "peak_rss_mib")
    best = a.best(env, panel, a.parallel)
    if seq is None or best is None:
        return None
    ex, w, _ = best
    rec = a.point(env, panel, ex, w, "peak_rss_mib")
    if rec is None:
        return None
    low, high = seq.get("ci_low", math.nan), seq.get("ci_high", math.nan)
    if not (_has_ci(rec) and _has_ci(seq)):
        word = "too few rounds to compare with"
    elif side(rec, high) > 0:
        word = "more than"
    elif side(rec, low) < 0:
        word = "less than"
    else:
        word = "no clear difference from"
    return (
        None,
        "Peak memory of the whole process tree: %s on %s at %d workers, %s the %s of the sequential cell."
        % (record_ci(rec, " MiB"), ex, w, word, record_ci(seq, " MiB")),
    )


FINDINGS = (finding_threads, finding_processes, finding_cost, finding_break_even, finding_memory)


def findings(a: Analysis, env: str, panel) -> list:
    """(css class, sentence) of every finding that applies to one panel, in page order."""
    return [f for f in (finding(a, env, panel) for finding in FINDINGS) if f is not None]


def score(a: Analysis, env: str) -> dict:
    """The scorecard's entry: each function's best speedup (value: the best of them)."""
    parts, best_value = [], None
    for panel in a.panels(env):
        best = a.best(env, panel, a.parallel)
        if best is None:
            continue
        ex, w, p = best
        name = panel[0].split(":")[-1]
        parts.append("%s %s (%s ×%d)" % (name, record_ci(p, "x"), ex, w))
        best_value = p["median"] if best_value is None else max(best_value, p["median"])
    if not parts:
        return {}
    title = "the highest median speedup over sequential of each function, any executor and workers"
    return {"function_best_speedup": Score(float(best_value), "; ".join(parts), title)}
