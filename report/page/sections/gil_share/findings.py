"""The gil_share section's sentence: each executor's speedup along gil_share, where processes overtake."""

from __future__ import annotations

import math

from report.page.formatting import num, ratio
from report.page.sections import Findings
from report.page.sections.gil_share.analysis import Analysis


def finding_turnover(a: Analysis, env: str) -> tuple:
    """The thread and process executors' speedups from the lowest gil_share to the highest, and the
    share where processes overtake threads (or that one led throughout)."""
    thread, proc = a.pair(env)
    if not thread or not proc:
        return None, "Threads and processes were not both measured here."
    t = a.curve(env, thread)
    p = a.curve(env, proc)
    if not t or not p:
        return None, "No gil_share sweep to read."
    lo, hi = t[0], t[-1]
    text = "%s: %s at gil_share %s, %s at %s; %s: %s to %s." % (
        thread,
        ratio(lo["median"]),
        num(lo["gil_share"]),
        ratio(hi["median"]),
        num(hi["gil_share"]),
        proc,
        ratio(min(r["median"] for r in p)),
        ratio(max(r["median"] for r in p)),
    )
    cross = a.turnover(env)
    if math.isfinite(cross):
        return None, text + " Processes overtake threads from a gil_share of about %s." % num(cross, 2)
    ahead = all(r["median"] >= q["median"] for r, q in zip(t, p))
    return None, text + (
        " Threads kept up with processes over the whole range: nothing the GIL holds them back from."
        if ahead
        else " Processes led over the whole range measured."
    )


#: The sentence of each interpreter × machine: ``findings(a, env)``.
findings = Findings(finding_turnover)
