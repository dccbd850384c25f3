"""Rule 7: advice: choose among options, never one the data shows slower.

``advise``:

Rule. The fastest option F is the one with the lowest median. Every other option O is compared
with F round by round (``paired_verdict`` on log(O / F)).

1. If some option simpler than F is shown *equivalent* to F and no option is shown faster
   than it, the simplest such option is advised ("equivalent").
2. Else, if every option simpler than F is shown *slower* than F, F is advised ("fastest").
3. Else "inconclusive": no choice, the unsettled options named, with the rounds that would
   settle them.

An option the data shows slower than another is never advised: F is not shown slower than any
option it beats by median (checked; otherwise inconclusive), and a simpler option is advised
only when shown equivalent to F and not shown slower than any option. The comparisons are
pairwise at ``confidence`` (a panel has a handful of options; no multiplicity correction).

Error rates (the scenarios of tests/test_verdicts.py: 5 options, 8 rounds, 3 % noise per
option plus a 5 % disturbance shared by a round's options, threshold 5 %, 2000 random panels):
the advised option is shown slower than another option in 0 panels, and is truly more than
the threshold slower than the truly fastest in 0 (64 % "fastest", 14 % "equivalent", 22 %
"inconclusive"). A/A (all options the same, 1000 panels): never "fastest" for anything but the
simplest option; 20 % inconclusive. A panel whose thread pool is 8 % behind processes with 4 %
noise on their ratio in 6 rounds is "inconclusive" with the rounds that would settle it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from report.analysis.verdicts.core import (
    CONFIDENCE,
    EQUIVALENT,
    INCONCLUSIVE,
    SLOWER,
    Verdict,
    _band,
    paired_verdict,
)


@dataclass(frozen=True)
class Advice:
    """The choice among options (``advise``).

    ``choice``: the option to use, or None when ``verdict`` is "inconclusive". ``verdict``:
    "fastest" (the fastest by median, every simpler option shown slower), "equivalent" (a simpler
    option shown equivalent to the fastest), "only option", or "inconclusive". ``fastest``: the
    fastest option by median. ``against_fastest``: each other option's Verdict against the
    fastest (ratio = its time / the fastest's). ``unsettled``: options whose comparison left the
    choice open; with an "equivalent" choice, the simpler options that might do as well but are
    not shown to. ``rounds_to_settle``: rounds that would settle it (inf: unreachable).
    ``reason``: one sentence.
    """

    choice: str | None
    verdict: str
    fastest: str
    against_fastest: dict
    unsettled: list
    rounds_to_settle: float
    reason: str


def advise(
    options: Mapping[str, Sequence[float]],
    threshold: float,
    *,
    confidence: float = CONFIDENCE,
) -> Advice:
    """Choose among options, each measured in the same rounds against a shared baseline.

    Parameters
    ----------
    options
        Option label -> per-round log(time of the option / time of the shared baseline), the
        rounds aligned across options (round i of each from the same round; NaN where missing).
        Lower is faster. **Order matters: simplest first** (sequential, thread pool, threads, ...;
        fewer workers first).
    threshold
        The relative difference that matters.

    Returns
    -------
    Advice

    Error rates: the module docstring.
    """
    _band(threshold)
    labels = list(options)
    if not labels:
        raise ValueError("advise needs at least one option")
    data = {k: np.asarray(v, dtype=float) for k, v in options.items()}
    if len(labels) == 1:
        return Advice(labels[0], "only option", labels[0], {}, [], 0.0, "the only option measured")
    medians = {k: float(np.nanmedian(v)) if np.isfinite(v).any() else math.inf for k, v in data.items()}
    fastest = min(labels, key=lambda k: (medians[k], labels.index(k)))

    def versus(a: str, b: str) -> Verdict:
        """a against b: ratio a / b of times (> 1: a is slower)."""
        n = min(data[a].size, data[b].size)
        return paired_verdict(data[a][:n] - data[b][:n], threshold, confidence=confidence)

    against = {k: versus(k, fastest) for k in labels if k != fastest}

    def shown_slower(k: str) -> bool:
        return any(o != k and versus(k, o).verdict == SLOWER for o in labels)

    simpler = labels[: labels.index(fastest)]
    pick = next((k for k in simpler if against[k].verdict == EQUIVALENT and not shown_slower(k)), None)
    if pick is not None:
        v = against[pick]
        maybe = [k for k in labels[: labels.index(pick)] if against[k].verdict == INCONCLUSIVE]
        return Advice(
            pick,
            EQUIVALENT,
            fastest,
            against,
            maybe,
            float(v.n),
            "%s is simpler and shown equivalent to the fastest, %s (time %.3gx [%.3g–%.3g], within ±%g %%)"
            % (pick, fastest, v.ratio, v.low, v.high, threshold * 100),
        )
    return _fastest_or_open(labels, fastest, against, shown_slower(fastest), threshold)


def _fastest_or_open(labels: list, fastest: str, against: dict, fastest_slower: bool, threshold: float):
    """Rules 2 and 3 of ``advise``: the fastest when every simpler option is shown slower, else
    inconclusive with the options left open and the rounds that would settle them."""
    simpler = labels[: labels.index(fastest)]
    open_ = [k for k in simpler if against[k].verdict != SLOWER]
    if not fastest_slower and not open_:
        if simpler:
            reason = "fastest, and every simpler option is shown slower than it by more than %g %%" % (
                threshold * 100
            )
        else:
            reason = "fastest by median, and the simplest option"
        n = max((v.n for v in against.values()), default=0)
        return Advice(fastest, "fastest", fastest, against, [], float(n), reason)
    unsettled = open_ if open_ else [k for k in labels if k != fastest]
    need = max((against[k].rounds_to_settle for k in unsettled), default=math.inf)
    reason = "inconclusive: %s not shown slower than the fastest, %s, nor within ±%g %% of it" % (
        ", ".join(unsettled),
        fastest,
        threshold * 100,
    )
    if fastest_slower:
        reason = "inconclusive: the fastest by median, %s, is shown slower than another option" % fastest
    if math.isfinite(need):
        reason += "; about %d rounds would settle it" % need
    return Advice(None, INCONCLUSIVE, fastest, against, unsettled, need, reason)
