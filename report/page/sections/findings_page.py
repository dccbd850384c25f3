"""The page shape shared by sections built as analysis / figures / findings: the introduction, then per
run a heading and its findings (one sentence each), one figure across runs, and every cell."""

from __future__ import annotations

from typing import Callable

from report.page.html import figure, join, paragraph, tag
from report.page.sections import Context, Rendered
from report.page.tables import every_cell


def findings_page(
    ctx: Context,
    experiment: str,
    a,
    intro: str,
    findings: Callable,
    make_figure: Callable,
    caption: str,
    metrics,
    score: Callable | None = None,
) -> Rendered:
    """A section's page from its Analysis ``a`` (``runs``, ``df``, ``params``, ``s.frame``): ``findings(a,
    env)`` gives (css class, sentence) pairs, ``make_figure(ctx, a)`` the figure, ``score(a, env)`` (if
    given) the scorecard's cells of each run."""
    parts = [paragraph(intro)]
    scores = {}
    for run in a.runs:
        env = run.env_label
        parts.append(tag("h3", "%s — GIL %s" % (env, run.gil)))
        parts.extend(paragraph(text, css) for css, text in findings(a, env))
        own = score(a, env) if score is not None else None
        if own:
            scores[env] = own
    if a.runs:
        parts.append(figure(make_figure(ctx, a), caption))
    parts.append(every_cell(ctx, experiment, a.df, a.params, metrics, summary=a.s.frame))
    return Rendered(html=join(parts), scores=scores)
