"""One section of the page per experiment, found by name: ``report/sections/<experiment>.py``, else generic.

A section module is a plug-in. It provides ``render(ctx, experiment) -> Rendered`` and may provide
``compare_metrics(results, experiment) -> list`` (the metrics compared across runs; default: the
generic section's) and ``REQUIRED`` (the columns it reads; data without them is shown by the generic
section instead). Titles, units and expected hangs come from the run folder (``ctx.results.info``).
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from dataclasses import dataclass, field
from types import ModuleType
from typing import Protocol

import pandas as pd

from report.analysis.load import Results
from report.page.figures import Palette
from report.page.html import Markup

#: Modules of this package that are not an experiment's section.
NOT_SECTIONS = ("generic",)


@dataclass
class Score:
    """One scorecard entry: the value used to rank, the text shown, and what it was computed from."""

    value: float
    text: str
    title: str = ""


@dataclass
class Rendered:
    """A section's HTML and what it contributes to the scorecard, per interpreter × machine label."""

    html: Markup
    scores: dict = field(default_factory=dict)


@dataclass
class Context:
    """What every section reads: the loaded runs, the page's colours, and the run named by
    ``--baseline`` (None: each section picks its own, see cells.shared_baseline)."""

    results: Results
    palette: Palette
    baseline: str | None = None

    def runs_for(self, experiment: str) -> list:
        """The newest run of each interpreter × machine that has ok rows of ``experiment``.

        Older runs of the same interpreter and machine appear in the comparisons instead.
        """
        latest: dict = {}
        for run in self.results.runs:  # oldest first, so the newest wins
            df = run.tables.get(experiment)
            if df is not None and (df["status"] == "ok").any():
                latest[run.env_label] = run
        return [latest[k] for k in sorted(latest)]

    def rows(self, experiment: str) -> pd.DataFrame:
        """Rows of ``experiment`` from runs_for(experiment), environment columns joined."""
        df = self.results.frame(experiment)
        ids = [r.run_id for r in self.runs_for(experiment)]
        return df[df["run_id"].isin(ids)] if not df.empty else df


class Section(Protocol):
    """What the page builder asks of a section module."""

    def render(self, ctx: Context, experiment: str) -> Rendered: ...

    def compare_metrics(self, results: Results, experiment: str) -> list: ...


class _WithDefaults:
    """A section module seen through the Section protocol, the generic section filling what it lacks."""

    def __init__(self, module: ModuleType):
        self.module = module
        self.name = module.__name__.rsplit(".", 1)[-1]

    def render(self, ctx: Context, experiment: str) -> Rendered:
        return self.module.render(ctx, experiment)

    def compare_metrics(self, results: Results, experiment: str) -> list:
        own = getattr(self.module, "compare_metrics", None)
        if own is None:
            return importlib.import_module("report.page.sections.generic").compare_metrics(
                results, experiment
            )
        return own(results, experiment)


def has_section(experiment: str) -> bool:
    """Whether report/sections/<experiment>.py exists (an experiment's own section)."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", experiment) or experiment in NOT_SECTIONS:
        return False
    return importlib.util.find_spec("report.page.sections." + experiment) is not None


def section_for(experiment: str, results: Results | None = None) -> Section:
    """The section that renders ``experiment``: its own module when the data has the columns that
    module reads (an experiment whose columns changed falls back to the generic one)."""
    if has_section(experiment):
        module = importlib.import_module("report.page.sections." + experiment)
        needed = getattr(module, "REQUIRED", ())
        if results is None or all(c in results.frame(experiment) for c in needed):
            return _WithDefaults(module)
    return _WithDefaults(importlib.import_module("report.page.sections.generic"))
