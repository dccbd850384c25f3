"""The scorecard: one row per interpreter × machine, one headline number per column, the best marked."""

from __future__ import annotations

import math

from report.analysis.load import Results
from report.page.formatting import DASH
from report.page.html import Markup, join, paragraph, table


def render(results: Results, scores: dict, columns: list) -> Markup:
    """``scores``: {interpreter @ machine label: {column key: Score}} gathered from the sections;
    ``columns``: the sections' declared columns (sections.scorecard_columns), left to right."""
    latest = {}
    for run in results.runs:
        latest[run.env_label] = run
    envs = sorted(latest)
    best = {}
    for col in columns:
        values = [scores.get(e, {}).get(col.key) for e in envs]
        finite = [s.value for s in values if s is not None and math.isfinite(s.value)]
        if len(finite) >= 2:
            best[col.key] = max(finite) if col.better > 0 else min(finite)
    rows = []
    for env in envs:
        run = latest[env]
        row = [
            run.interpreter_label,
            str(run.interpreter.get("version", DASH)),
            run.gil,
            run.machine_label,
            ("%g" % run.cores, "num"),
        ]
        for col in columns:
            s = scores.get(env, {}).get(col.key)
            if s is None:
                row.append((DASH, "missing", "not measured: needs the %s experiment" % col.source))
                continue
            is_best = col.key in best and math.isfinite(s.value) and s.value == best[col.key]
            row.append((s.text, "num best" if is_best else "num", s.title))
        rows.append(row)
    header = ["interpreter", "version", "GIL", "machine", "cores"] + [c.title for c in columns]
    legend = paragraph(
        "Each row is the newest run of an interpreter on a machine. Green: the best value of a column "
        "(lower is better for costs, lateness and serial fraction). A dash: the experiment that provides the "
        "column was not run; hover for which.",
        "muted",
    )
    return join([table(header, rows, class_="compact"), legend])
