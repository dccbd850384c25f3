"""The page shape shared by sections built as analysis / figures / findings, declared as data: the
introduction, then per run a heading and its findings (one sentence each), one figure across runs, and
every cell."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from report.page.html import figure, join, paragraph, tag
from report.page.sections import Context, Rendered
from report.page.tables import every_cell


def with_gil(run) -> str:
    """A run's heading: its interpreter @ machine label and whether the GIL was on."""
    return "%s — GIL %s" % (run.env_label, run.gil)


def label_only(run) -> str:
    """A run's heading: its interpreter @ machine label alone."""
    return run.env_label


@dataclass(frozen=True)
class FindingsPage:
    """A section's page: ``analysis(ctx, experiment)`` its numbers (``runs``, ``df``, ``params``,
    ``s.frame``), ``findings(a, env)`` its (css class, sentence) pairs (a sections.Findings),
    ``figure(ctx, a)`` its figure under ``caption`` (none where it returns None: nothing to draw),
    ``metrics`` the columns of its every-cell table, ``compare`` the metrics compared across runs,
    ``score(a, env)`` (if given) the scorecard's cells of each run. Optionally ``lesson``, a muted
    paragraph after the introduction; ``heading(run)``, each run's heading (default: its label and
    GIL); ``cells(ctx, experiment, a)``, the closing table of every cell and what failed in place of
    ``tables.every_cell``. A package exposes ``render`` and ``compare_metrics`` of it."""

    analysis: Callable
    intro: str
    findings: Callable
    figure: Callable
    caption: str
    metrics: list
    compare: tuple
    score: Callable | None = None
    lesson: str = ""
    heading: Callable = with_gil
    cells: Callable | None = None

    def render(self, ctx: Context, experiment: str) -> Rendered:
        a = self.analysis(ctx, experiment)
        parts = [paragraph(self.intro)] + ([paragraph(self.lesson, "muted")] if self.lesson else [])
        scores = {}
        for run in a.runs:
            env = run.env_label
            parts.append(tag("h3", self.heading(run)))
            parts.extend(paragraph(text, css) for css, text in self.findings(a, env))
            own = self.score(a, env) if self.score is not None else None
            if own:
                scores[env] = own
        drawn = self.figure(ctx, a) if a.runs else None
        if drawn is not None:
            parts.append(figure(drawn, self.caption))
        if self.cells is not None:
            parts.append(self.cells(ctx, experiment, a))
        else:
            parts.append(every_cell(ctx, experiment, a.df, a.params, self.metrics, summary=a.s.frame))
        return Rendered(html=join(parts), scores=scores)

    def compare_metrics(self, results, experiment: str) -> list:
        return list(self.compare)
