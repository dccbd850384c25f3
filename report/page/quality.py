"""The run-quality box: capacity at start and end, load, noise flags and failed repetitions of each run."""

from __future__ import annotations

from report.analysis import statistics as stats
from report.analysis.load import Results, Run
from report.analysis.quality import failed_and_expected, noisy_cells, noisy_reasons, precision_targets
from report.page.formatting import DASH, percent, ratio
from report.page.html import Markup, join, paragraph, table, tag


def _capacity_text(run: Run, phase: str) -> str:
    cap = run.capacity(phase)
    if not cap:
        return DASH
    n = max(cap)
    return "%s at %d processes" % (ratio(cap[n]), n)


def _load_text(run: Run, key: str) -> str:
    load = run.machine.get(key)
    return "%.2f / %g cores" % (load[0], run.cores) if load else DASH


#: Groups named per run when their ratios missed the precision target; the rest are counted.
MAX_MISSED_NAMED = 8


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


def _row(run: Run) -> list:
    """One run's line of the box."""
    reasons = noisy_reasons(run)
    failed, expected, reps = failed_and_expected(run)
    noisy, cells = noisy_cells(run)
    moved = run.env.capacity.get("moved_fraction")
    return [
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


def render(results: Results) -> Markup:
    rows = [_row(run) for run in results.runs]
    classes = ["differs" if noisy_reasons(run) or not run.complete else None for run in results.runs]
    total_expected = sum(failed_and_expected(run)[1] for run in results.runs)
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
