"""The run-quality box: capacity at start and end, load, noise flags and failed repetitions of each run."""

from __future__ import annotations

from experiments.schema import FAILED_STATUSES
from report.analysis import statistics as stats
from report.analysis.load import Results, Run
from report.page.formatting import DASH, percent, ratio
from report.page.html import Markup, join, paragraph, table, tag


def noisy_reasons(run: Run) -> list:
    """The harness's reasons for calling the run noisy (capacity moved, load, steal time)."""
    return list(run.env.noisy_reasons)


def _capacity_text(run: Run, phase: str) -> str:
    cap = run.capacity(phase)
    if not cap:
        return DASH
    n = max(cap)
    return "%s at %d processes" % (ratio(cap[n]), n)


def _load_text(run: Run, key: str) -> str:
    load = run.machine.get(key)
    return "%.2f / %g cores" % (load[0], run.cores) if load else DASH


def _noisy_cells(run: Run) -> tuple:
    """(noisy cells, cells) over every experiment's wall time."""
    noisy = total = 0
    for df in run.tables.values():
        if "wall_s" not in df:
            continue
        s = stats.summarize(df, ["cell_id"], ["wall_s"], ci=False)
        noisy += int(s["noisy"].sum())
        total += len(s)
    return noisy, total


def failed_and_expected(run: Run) -> tuple:
    """(failed repetitions, expected timeouts, repetitions) of a run's experiments (not bench/'s rows):
    an ``expected_timeout`` is a cell meant to hang, ended by the harness's limit: its result."""
    failed = expected = total = 0
    for name, df in run.tables.items():
        if name == "primitives":
            continue  # micro-benchmark results, not repetitions of cells
        failed += int(df["status"].isin(FAILED_STATUSES).sum())
        expected += int((df["status"] == "expected_timeout").sum())
        total += len(df)
    return failed, expected, total


#: Groups named per run when their ratios missed the precision target; the rest are counted.
MAX_MISSED_NAMED = 8


def precision_targets(run: Run) -> tuple:
    """(met, judged, missed) over a run's comparison groups with ratios: whether each group's last
    round reached the precision target (``precision_met``); ``missed`` names the others."""
    met = judged = 0
    missed = []
    for name, df in sorted(run.tables.items()):
        if "precision_met" not in df or "group_rounds" not in df:
            continue
        for group, rows in df.groupby("group_id", sort=True):
            last = rows[rows["group_rounds"] == rows["group_rounds"].max()]
            flags = last["precision_met"].dropna()
            if flags.empty:
                continue  # a group without ratios has no precision to reach
            judged += 1
            if flags.max() >= 1:
                met += 1
                continue
            width = last["group_precision"].dropna()
            rounds = int(last["group_rounds"].max())
            how = "±%s" % percent(width.max()) if len(width) else "no 95 % interval"
            missed.append("%s [%s] (%s after %d rounds)" % (name, group, how, rounds))
    return met, judged, missed


def _precision_text(run: Run) -> tuple:
    met, judged, missed = precision_targets(run)
    if not judged:
        return (DASH, "num")
    return ("%d of %d" % (met, judged), "num noisy" if missed else "num")


def _missed_paragraphs(results: Results) -> list:
    parts = []
    for run in results.runs:
        _, judged, missed = precision_targets(run)
        if not missed:
            continue
        named = "; ".join(missed[:MAX_MISSED_NAMED])
        if len(missed) > MAX_MISSED_NAMED:
            named += "; and %d more" % (len(missed) - MAX_MISSED_NAMED)
        parts.append(
            paragraph(
                "%s: %d of %d comparison groups did not reach the precision target: %s."
                % (run.run_id, len(missed), judged, named),
                "muted",
            )
        )
    return parts


def render(results: Results) -> Markup:
    rows, classes = [], []
    total_expected = 0
    for run in results.runs:
        reasons = noisy_reasons(run)
        failed, expected, reps = failed_and_expected(run)
        total_expected += expected
        noisy, cells = _noisy_cells(run)
        moved = run.env.capacity.get("moved_fraction")
        rows.append(
            [
                run.run_id,
                run.env_label,
                "complete" if run.complete else ("incomplete (interrupted)", "slower"),
                _capacity_text(run, "start"),
                _capacity_text(run, "end"),
                (percent(moved, 1) if moved is not None else DASH, "num"),
                _load_text(run, "load_avg_start"),
                _load_text(run, "load_avg_end"),
                ("%d of %d" % (failed, reps), "num slower" if failed else "num"),
                ("%d" % expected, "num"),
                ("%d of %d" % (noisy, cells), "num noisy" if noisy else "num"),
                _precision_text(run),
                ("noisy: " + "; ".join(reasons), "slower") if reasons else "quiet",
            ]
        )
        classes.append("differs" if reasons or not run.complete else None)
    header = [
        "run",
        "interpreter @ machine",
        "finished",
        "capacity at start",
        "capacity at end",
        "capacity moved",
        "load (1 min) at start",
        "load at end",
        "failed repetitions",
        "expected timeouts",
        "cells with CV > %s" % percent(stats.CV_NOISY),
        "groups at precision target",
        "verdict",
    ]
    parts = [
        paragraph(
            "Capacity: the throughput of N independent processes of a fixed loop against one, measured at "
            "the start and the end of each run. A run whose capacity moved, whose machine was loaded, or "
            "whose repetitions vary widely gives numbers to read with care. Groups at precision target: "
            "comparison groups whose every ratio's 95 % interval ended within the target (default ±5 %) "
            "of its median; the others ran out of budget or rounds first.",
            "muted",
        ),
        table(header, rows, row_classes=classes),
    ]
    parts += _missed_paragraphs(results)
    if total_expected:
        parts.append(
            paragraph(
                "Expected timeouts: %d repetition%s of cells meant to hang (deadlock without detection), "
                "ended by the harness's cell time limit. That timeout is what those cells measure, so they "
                "are not counted as failed." % (total_expected, "" if total_expected == 1 else "s"),
                "muted",
            )
        )
    if results.warnings:
        parts.append(tag("h3", "While reading the results"))
        parts.append(tag("ul", join(tag("li", w) for w in results.warnings)))
    return tag("div", join(parts), class_="box")
