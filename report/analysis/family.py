"""One run compared with the baseline, as data: each (experiment, cell, metric) and its verdict, what
moved together, the common shift of runs started separately, and the machine's readings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from report.analysis.attribution import Machine
    from report.analysis.load import Run
    from report.analysis.verdicts import Verdict

#: The change that matters unless the user says otherwise (``--threshold``): ±5 %.
DEFAULT_THRESHOLD = 0.05
#: A pooled figure speaks for an experiment's cells when at least this share of them moved its way.
TOGETHER = 0.8
#: The cause of a change the machine's own readings explain.
MACHINE_CHANGED = "the machine changed"


@dataclass
class Item:
    """One (experiment, cell, metric) of a run against the baseline. ``verdict`` is None for a tail
    metric with too few samples behind it (shown, never judged); ``cause`` says whose change a
    faster/slower is when the runs were started separately ("code", "the machine changed", "machine or
    code"), empty otherwise."""

    experiment: str
    cell: str
    metric: str
    verdict: Verdict | None
    base: float
    other: float
    by_round: bool
    cause: str = ""

    @property
    def word(self) -> str:
        return self.verdict.verdict if self.verdict is not None else "n/a: tail metric"


@dataclass
class Family:
    """Every comparison of one run against the baseline: ``items`` (one Benjamini–Hochberg family per
    experiment and metric direction), ``pooled`` ({experiment, metric, pooled}: the experiment's cells as
    one figure, interleaved runs), ``shifts`` ({experiment, metric, shift, cause, source}: the common
    shift of runs started separately) and ``machine`` (did the machine change between them)."""

    base: Run
    other: Run
    paired: bool
    threshold: float
    items: list = field(default_factory=list)
    #: Experiments judged as started separately although ``paired`` (no interleaved rounds).
    unpaired: list = field(default_factory=list)
    pooled: list = field(default_factory=list)
    shifts: list = field(default_factory=list)
    machine: Machine | None = None
    n_first: int | None = None

    def by_round(self, experiment: str) -> bool:
        """Whether this experiment's cells are compared round by round (interleaved in one invocation)."""
        return self.paired and experiment not in self.unpaired

    def with_verdict(self, *words: str) -> list:
        return [f for f in self.items if f.verdict is not None and f.verdict.verdict in words]

    @property
    def judged(self) -> list:
        return [f for f in self.items if f.verdict is not None]

    @property
    def tails(self) -> list:
        return [f for f in self.items if f.verdict is None]

    @property
    def changed(self) -> list:
        return [f for f in self.judged if f.verdict.changed]

    def counts(self) -> dict:
        """{verdict: how many}, the four verdicts always present (higher/lower when any)."""
        out = {w: 0 for w in ("faster", "slower", "equivalent", "inconclusive")}
        for f in self.judged:
            out[f.verdict.verdict] = out.get(f.verdict.verdict, 0) + 1
        return out

    def moved_together(self) -> list:
        """Pooled figures whose verdict is a change and whose cells moved its way (``TOGETHER``)."""
        return [
            p for p in self.pooled if p["pooled"].verdict.changed and p["pooled"].same_direction >= TOGETHER
        ]
