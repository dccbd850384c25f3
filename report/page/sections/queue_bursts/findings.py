"""The queue_bursts section's sentences, one function each; every number comes from the one cell named."""

from __future__ import annotations

from report.page.formatting import NoteOnce, finite, interval_side, num
from report.page.sections import Findings
from report.page.sections.queue_bursts.analysis import LOAD_TOLERANCE, SAMPLED_L, Analysis, poisson

#: A model gap (absolute, for fractions) below this is not called out.
FRACTION_GAP = 0.05
#: Little's law holding to within this (relative) is agreement; a gap beyond it and beyond the
#: interval contradicts the law, i.e. one of the two estimates is wrong.
LITTLE_TOLERANCE = 0.10
#: A coefficient of variation above this is "more variable than exponential" (1.0).
CV_EXPONENTIAL = 1.1


def _consumers(c) -> str:
    return "%d consumer%s" % (c, "" if c == 1 else "s")


def _size(maxsize) -> str:
    return "∞" if not maxsize else "%d" % maxsize


def load_text(a: Analysis, rec: dict, q: NoteOnce) -> str:
    """The cell's load as measured, with its interval, and whether it sat off the nominal load."""
    lm = a.same_cell("load_measured", rec)
    nominal = num(rec["load"])
    if lm is None:
        return "nominal load ρ = %s (no measured load)" % nominal
    off = "off its nominal %s" % nominal if a.load_off_nominal(rec) else "nominal %s" % nominal
    return "measured load ρ = %s (%s)" % (q(lm), off)


def cell_text(a: Analysis, rec: dict, q: NoteOnce) -> str:
    """Every parameter a reader needs to find the cell: pattern, service, bound, put, consumers, load."""
    return "%s arrivals, %s service, maxsize %s, %s, %s, %s" % (
        rec["pattern"],
        rec["service"],
        _size(rec["maxsize"]),
        "put()" if rec["put"] == "block" else "put_nowait()",
        _consumers(rec["consumers"]),
        load_text(a, rec, q),
    )


def _end(body: str, q: NoteOnce, tail: str = "") -> str:
    return body + tail + q.note() + "."


def finding_drops(a: Analysis, env: str) -> tuple | None:
    """The smallest bounded queue with put_nowait() at the highest load, fewest consumers."""
    cells = [r for r in a.cells("drop_fraction", env, **poisson(put="drop")) if r["maxsize"]]
    if not cells:
        return None
    rec, q = cells[0], NoteOnce()
    pred = a.same_cell("predicted_drop_fraction", rec)
    c = rec["consumers"]
    body = (
        "At %s with %s, Queue(maxsize=%d) with put_nowait() dropped %s of the items (M/M/%d/K at the "
        "measured rates: %s)"
        % (
            load_text(a, rec, q),
            _consumers(c),
            rec["maxsize"],
            q(rec, " %", 100.0),
            c,
            q(pred, " %", 100.0),
        )
    )
    return None, _end(body, q)


def finding_unbounded(a: Analysis, env: str) -> tuple | None:
    """The unbounded queue at the highest load, fewest consumers: no drops, but depth."""
    cells = [r for r in a.cells("queue_depth_mean", env, **poisson()) if not r["maxsize"]]
    if not cells:
        return None
    rec, q = cells[0], NoteOnce()
    pred = a.same_cell("predicted_mean_depth", rec)
    sampled = a.same_cell(SAMPLED_L, rec)
    lm = a.same_cell("load_measured", rec)
    body = "Unbounded, at %s with %s, nothing is dropped, but the queue held %s items on average" % (
        load_text(a, rec, q),
        _consumers(rec["consumers"]),
        q(rec),
    )
    if sampled is not None:
        body += " (%s as the arrivals saw it)" % q(sampled)
    if pred is not None and finite(pred["median"]):
        body += "; M/M/%d predicts %s, and the latency grows with the depth" % (rec["consumers"], q(pred))
    elif lm is not None and lm["median"] >= 1:
        body += (
            "; M/M/%d has no steady state at ρ ≥ 1: the queue grows for as long as it runs" % rec["consumers"]
        )
    return None, _end(body, q)


def finding_blocking(a: Analysis, env: str) -> tuple | None:
    """A bounded queue with a blocking put() at the highest load, fewest consumers, smallest bound."""
    cells = [r for r in a.cells("producer_blocked_fraction", env, **poisson(put="block")) if r["maxsize"]]
    if not cells:
        return None
    rec, q = cells[0], NoteOnce()
    pred = a.same_cell("predicted_blocked_fraction", rec)
    body = (
        "With a blocking put(), Queue(maxsize=%d) and %s at %s, the producer spent %s of its time blocked "
        "(M/M/%d/K+1 at the measured rates: %s): back-pressure instead of loss"
        % (
            rec["maxsize"],
            _consumers(rec["consumers"]),
            load_text(a, rec, q),
            q(rec, " %", 100.0),
            rec["consumers"],
            q(pred, " %", 100.0),
        )
    )
    handoff = a.same_cell("producer_handoff_us", rec)
    if handoff is not None:
        body += (
            "; after a slot freed, the producer thread took another %s to wake up (not counted as blocked)"
            % q(handoff, " µs")
        )
    return None, _end(body, q)


def finding_littles_law(a: Analysis, env: str) -> tuple | None:
    """L (depth Poisson arrivals saw) against λW (timestamps), per repetition, at its furthest cell."""
    checks = a.littles_law(env)
    if not checks:
        return None
    rec, ratio = max(checks, key=lambda c: abs(c[1]["median"] - 1))
    low, high = (num(f(c[1]["median"] for c in checks)) for f in (min, max))
    spread = "was %s" % low if low == high else "ran from %s to %s" % (low, high)
    q = NoteOnce()
    body = (
        "Little's law, checked per repetition with independent estimates (L from the depth Poisson "
        "arrivals saw, λW from the put and get timestamps): across %d cell%s the median L/λW %s; the "
        "furthest from 1 (%s) had L/λW = %s"
        % (len(checks), "" if len(checks) == 1 else "s", spread, cell_text(a, rec, q), q(ratio))
    )
    side, gap = interval_side(ratio), abs(ratio["median"] - 1)
    if side is None:
        return None, _end(body, q)
    if side == 0:
        return None, _end(body, q, ": the law holds within the noise")
    if gap <= LITTLE_TOLERANCE:
        return None, _end(body, q, ": a gap of %s %%, small but beyond the noise" % num(100 * gap, 2))
    return "finding", _end(body, q, ": the arrivals did not see the time average, or the waits were mistimed")


def _why(a: Analysis, rec: dict) -> str:
    if rec["pattern"] == "bursts":
        return "arrivals come in bursts, not as a Poisson stream"
    if rec["service"] == "fixed":
        return "service times are fixed, not exponential"
    for metric, what in (("service_cv", "service times"), ("arrival_gap_cv", "arrival gaps")):
        cv = a.same_cell(metric, rec)
        if cv is not None and cv["median"] > CV_EXPONENTIAL:
            return (
                "%s varied more than exponential ones (coefficient of variation %s, 1 for exponential): "
                "the machine stalled threads" % (what, num(cv["median"], 2))
            )
    return "the model knows nothing of thread wake-ups and stalls"


def finding_model_gap(a: Analysis, env: str) -> tuple | None:
    """The cell whose drop or blocked fraction is furthest from M/M/c/K, per repetition."""
    found = a.largest_gap(env)
    if found is None or abs(found[3]["median"]) <= FRACTION_GAP:
        return None
    metric, rec, pred, gap = found
    q = NoteOnce()
    body = (
        "Largest gap between model and measurement: %s %s measured against %s predicted (%s; per "
        "repetition, %s)"
        % (
            metric.replace("_", " "),
            q(rec, " %", 100.0),
            q(pred, " %", 100.0),
            cell_text(a, rec, q),
            q(gap, " percentage points", 100.0),
        )
    )
    side = interval_side(gap, 0.0)
    if side in (-1, 1):
        return "finding", _end(body, q, ": %s" % _why(a, rec))
    if side == 0:
        return None, _end(body, q, ": within the noise of these repetitions")
    return None, _end(body, q, "; perhaps because %s" % _why(a, rec))


def finding_load(a: Analysis, env: str) -> tuple | None:
    """How many cells ran off their nominal load, and the furthest."""
    recs = [r for r in a.s.select("load_measured", env_label=env) if finite(r["median"])]
    off = [r for r in recs if a.load_off_nominal(r)]
    if not off:
        return None
    worst, q = max(off, key=lambda r: abs(r["median"] / r["load"] - 1)), NoteOnce()
    body = (
        "%d of %d cells ran more than %d %% off their nominal load (furthest: %s). The model is computed "
        "at the measured rates, so it still applies; the sentences quote the measured load"
        % (len(off), len(recs), round(100 * LOAD_TOLERANCE), cell_text(a, worst, q))
    )
    return None, _end(body, q)


#: Every sentence that applies to an interpreter × machine, in page order: ``findings(a, env)``.
findings = Findings(
    finding_drops,
    finding_unbounded,
    finding_blocking,
    finding_littles_law,
    finding_model_gap,
    finding_load,
)
