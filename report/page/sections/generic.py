"""The section for an experiment without a dedicated one: median [CI] of each metric per cell, failures."""

from __future__ import annotations

from experiments.schema import MEASURED_COLUMNS, ROUND_COLUMNS
from report.analysis import statistics as stats
from report.analysis.load import Results
from report.page.formatting import percent
from report.page.html import join, paragraph
from report.page.sections import Context, Rendered
from report.page.tables import failures, summary_table

#: Harness measurements worth a column in a summary table; the rest stay in the CSV.
_SHOWN_MEASUREMENTS = ("wall_s", "cpu_util_cores")


def summary_metrics(results: Results, experiment: str) -> list:
    """The experiment's own metrics and derived ratios, plus wall time and CPU use."""
    # Bookkeeping of the rounds (how many ran, how precise) is the run-quality box's, not a result.
    hidden = (set(MEASURED_COLUMNS) - set(_SHOWN_MEASUREMENTS)) | set(ROUND_COLUMNS)
    df = results.frame(experiment)
    cols = [
        c
        for c in results.metric_columns(experiment)
        if c not in hidden and c not in ("schema_version", "repeat")
    ]
    return [c for c in cols if df[c].notna().any()]


def compare_metrics(results: Results, experiment: str) -> list:
    """What the cross-run comparison looks at: the experiment's own metrics and its wall time."""
    return [c for c in summary_metrics(results, experiment) if c != "cpu_util_cores"]


def cell_columns(results: Results, experiment: str) -> list:
    params = results.param_columns(experiment)
    return params if params else ["cell_id"]


def render(ctx: Context, experiment: str) -> Rendered:
    df = ctx.rows(experiment)
    params = cell_columns(ctx.results, experiment)
    metrics = summary_metrics(ctx.results, experiment)
    parts = [
        paragraph(
            "No dedicated section for this experiment yet: the median of each metric per cell, with its "
            "exact 95 %% interval over the repetitions (none below %d: the cell says so). Italic cells "
            "vary by more than %s (coefficient of variation)."
            % (stats.min_n_for_ci(), percent(stats.CV_NOISY)),
            "muted",
        )
    ]
    parts.append(summary_table(df, ["env_label"] + params, metrics))
    parts.append(failures(ctx.results.frame(experiment)))
    return Rendered(html=join(parts))
