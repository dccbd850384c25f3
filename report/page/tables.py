"""Tables every section shares: medians with CIs per cell, failed repetitions, grouped rows."""

from __future__ import annotations

import pandas as pd

from experiments.schema import FAILED_STATUSES
from report.analysis import statistics as stats
from report.analysis.statistics import missing
from report.page.formatting import DASH, percent, with_ci
from report.page.html import Markup, join, paragraph, table, tag

MAX_ROWS = 120
#: Columns a summary table holds before its metrics go on in a further table (a 1280-pixel window).
MAX_COLUMNS = 14
MIN_METRIC_COLUMNS = 4
MAX_FAILURES = 30


def summary_table(df: pd.DataFrame, by: list, metrics: list, summary: pd.DataFrame | None = None) -> Markup:
    """Rows = cells, columns = metrics, each ``median [low–high]`` (from ``summary`` when the caller
    already has summarize(df, by, metrics)). A parameter that is the same in every row is said once
    above the table; metrics beyond ``MAX_COLUMNS`` go to further tables of the same rows, so a wide
    experiment fits the window instead of scrolling sideways."""
    if df.empty or not metrics:
        return paragraph("No successful repetitions to summarise.")
    by = [c for c in by if c in df]
    metrics = [m for m in metrics if m in df]
    if summary is None:
        summary = stats.summarize(df, by, metrics)
    if summary.empty:
        return paragraph("No successful repetitions to summarise.")
    records: dict = {}
    cells: list = []
    for rec in summary.to_dict("records"):
        # A parameter a cell does not use is NaN in the frame, and NaN != NaN: as it is, every metric of
        # such a cell would make a key of its own, i.e. a row of its own.
        key = tuple(None if missing(rec[c]) else rec[c] for c in by)
        if key not in records:
            records[key] = {}
            cells.append(key)
        records[key][rec["metric"]] = rec
    shown = cells[:MAX_ROWS]
    varying = [i for i, c in enumerate(by) if c == "env_label" or len({k[i] for k in shown}) > 1]
    out = []
    constant = [i for i in range(len(by)) if i not in varying]
    if constant and len(shown) > 1:
        same = ", ".join("%s=%s" % (by[i], param_text(shown[0][i])) for i in constant)
        out.append(paragraph("Every row: %s." % same, "muted"))
    else:
        varying = list(range(len(by)))
    width = max(MIN_METRIC_COLUMNS, MAX_COLUMNS - len(varying))
    for first in range(0, len(metrics), width):
        chunk = metrics[first : first + width]
        rows = [
            [param_text(key[i]) for i in varying] + [_cell(records[key].get(m)) for m in chunk]
            for key in shown
        ]
        header = ["interpreter @ machine" if by[i] == "env_label" else by[i] for i in varying] + list(chunk)
        out.append(table(header, rows, class_="compact"))
    if len(cells) > MAX_ROWS:
        out.append(paragraph("… and %d more cells (all in the CSV)." % (len(cells) - MAX_ROWS), "muted"))
    return join(out)


def _cell(s: dict | None):
    """One metric of one cell: ``median [low–high]``, italic when noisy, n and CV on hover."""
    if s is None:
        return (DASH, "missing")
    title = "n=%d, CV %s" % (s["n"], percent(s["cv"], 1))
    return (with_ci(s["median"], s["ci_low"], s["ci_high"]), "num noisy" if s["noisy"] else "num", title)


def blank_repeats(rows: list, columns: int) -> list:
    """Show the leading label columns only where they change, so a long table reads as groups."""
    out, last = [], [None] * columns
    for row in rows:
        keys = [c[0] if isinstance(c, tuple) else c for c in row[:columns]]
        shown = []
        for i, key in enumerate(keys):
            same = key == last[i] and all(keys[j] == last[j] for j in range(i))
            shown.append("" if same else row[i])
        out.append(shown + row[columns:])
        last = keys
    return out


def param_text(value) -> str:
    """A parameter value as the experiment wrote it: 5.0 ms reads 5, a missing value reads none."""
    if missing(value):
        return "none"
    if isinstance(value, float) and value.is_integer():
        return "%d" % value
    return str(value)


def failures(df: pd.DataFrame) -> Markup:
    """Every repetition that failed, grouped by cell and message; an ``expected_timeout`` (a cell
    meant to hang, ended by the harness: the experiment's result) is counted apart, not as a failure,
    and ``skipped`` cells (they cannot run on that interpreter or with that function) are listed
    apart with their reason."""
    if df.empty or "status" not in df:
        return Markup("")
    foreseen = int((df["status"] == "expected_timeout").sum())
    bad = df[df["status"].isin(FAILED_STATUSES)]
    skipped = skipped_cells(df)
    note = "%d expected timeout%s of cells meant to hang, not counted: they are the measurement" % (
        foreseen,
        "" if foreseen == 1 else "s",
    )
    if bad.empty:
        if foreseen:
            return join([paragraph("Every other repetition ended ok (%s)." % note, "muted"), skipped])
        others = " that ran" if skipped else ""
        return join([paragraph("Every repetition%s ended ok." % others, "muted"), skipped])
    grouped = (
        bad.groupby(["run_id", "cell_id", "status", "error"], dropna=False)["repeat"]
        .agg(lambda r: ", ".join(str(int(x)) for x in sorted(r)))
        .reset_index()
    )
    rows = [
        [g["run_id"], g["cell_id"], g["status"], g["error"] or DASH, g["repeat"]]
        for _, g in grouped.head(MAX_FAILURES).iterrows()
    ]
    parts = [
        tag("h3", "Failed repetitions (%d of %d)" % (len(bad), len(df))),
        table(["run", "cell", "status", "error", "repeats"], rows),
    ]
    if foreseen:
        parts.append(paragraph("Besides these, %s." % note, "muted"))
    if len(grouped) > MAX_FAILURES:
        parts.append(paragraph("… and %d more (see the CSV)." % (len(grouped) - MAX_FAILURES), "muted"))
    parts.append(skipped)
    return join(parts)


def skipped_cells(df: pd.DataFrame) -> Markup:
    """Cells that did not run, and why (an executor the interpreter lacks, a function that cannot be
    pickled): not failures, but a reader must see what is missing."""
    rows_skipped = df[df["status"] == "skipped"]
    if rows_skipped.empty:
        return Markup("")
    grouped = (
        rows_skipped.groupby(["run_id", "cell_id", "error"], dropna=False)["repeat"].size().reset_index()
    )
    rows = [
        [g["run_id"], g["cell_id"], g["error"] or DASH, g["repeat"]]
        for _, g in grouped.head(MAX_FAILURES).iterrows()
    ]
    parts = [
        tag(
            "h3",
            "Skipped cells (%d of %d repetitions): not run here, not failures" % (len(rows_skipped), len(df)),
        ),
        table(["run", "cell", "reason", "repetitions"], rows),
    ]
    if len(grouped) > MAX_FAILURES:
        parts.append(paragraph("… and %d more (see the CSV)." % (len(grouped) - MAX_FAILURES), "muted"))
    return join(parts)


def every_cell(ctx, experiment: str, df: pd.DataFrame, params: list, metrics, summary=None) -> Markup:
    """The closing part of a dedicated section: every cell's medians with CIs, then what failed."""
    return join(
        [
            tag("h3", "Every cell: median [95 % CI]"),
            summary_table(df, ["env_label"] + params, [m for m in metrics if m in df], summary=summary),
            failures(ctx.results.frame(experiment)),
        ]
    )
