"""The deadlock section's figure: time to detect against the acquire timeout, and what each cell cost."""

from __future__ import annotations

import math

from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from report.analysis.cells import Context
from report.page.figures import (
    ci_whiskers,
    header,
    header_space,
    plain_log,
    run_handles,
    subplots,
    to_data_uri,
)
from report.page.formatting import duration_ms, num
from report.page.sections.deadlock.analysis import Analysis, Cell

#: Marker and line style of each scenario in the figure (colours stay the interpreter × machine's).
SCENARIO_STYLE = {
    "lock_order": ("o", "-"),
    "same_order": ("^", ":"),
    "lock_reentry": ("s", "--"),
    "rlock_reentry": ("D", "-."),
}


def deadlock_figure(ctx: Context, a: Analysis) -> str | None:
    """Left: time to detect against the acquire timeout (the diagonal); right: each cell's wall time,
    hung cells drawn at the time the harness ended them. None without a cell."""
    if not a.cells:
        return None
    runs, found = a.runs, a.cells
    handles = run_handles(ctx.palette, runs, marker=None, lw=6)
    detecting = sorted({c.scenario for c in found if c.detected}, key=_ranks(found))
    handles += [
        Line2D([], [], color="#555555", marker=SCENARIO_STYLE.get(s, ("o", "-"))[0], ls="none", label=s)
        for s in detecting
    ]
    handles += [
        Line2D([], [], color="black", ls="--", lw=1, label="= the timeout"),
        Patch(facecolor="white", edgecolor="#555555", hatch="///", label="hung: ended by the harness"),
    ]
    fig, axes = subplots(2, columns=2, width=5.0, height=2.4, top=header_space(len(handles), 4), bottom=1.25)
    _detect_panel(ctx, axes[0], runs, found)
    _wall_panel(ctx, axes[1], runs, found)
    header(fig, "Deadlocks: detected by acquire(timeout), or left to hang", handles, columns=4)
    return to_data_uri(fig)


def _ranks(found: list):
    """Sort key putting scenarios in the experiment's declared order."""
    rank = {c.scenario: c.rank for c in found}
    return lambda scenario: rank.get(scenario, len(rank))


def _detect_panel(ctx: Context, ax, runs: list, found: list) -> None:
    timeouts = sorted({c.timeout_ms for c in found if c.timeout_ms is not None and c.detected})
    scenarios = sorted(
        {c.scenario for c in found if c.detected and c.timeout_ms is not None}, key=_ranks(found)
    )
    for i, run in enumerate(runs):
        colour = ctx.palette[run.env_label]
        for j, scenario in enumerate(scenarios):
            pts = [
                c
                for c in found
                if c.env == run.env_label and c.scenario == scenario and c.timeout_ms is not None
            ]
            pts = [c for c in pts if c.detected and math.isfinite(c.median("time_to_detect_ms"))]
            if not pts:
                continue
            marker, style = SCENARIO_STYLE.get(scenario, ("o", "-"))
            xs = [c.timeout_ms for c in pts]
            ys = [c.median("time_to_detect_ms") for c in pts]
            ax.plot(xs, ys, color=colour, marker=marker, ls=style, ms=4, lw=1.0)
            recs = [c.summary["time_to_detect_ms"] for c in pts]
            ci_whiskers(ax, xs, [r["ci_low"] for r in recs], [r["ci_high"] for r in recs], colour)
            for c in pts:
                # On the diagonal the overshoot, what matters here, is invisible: print it beside the point.
                ax.annotate(
                    "%s +%s" % (scenario, duration_ms(c.median("time_to_detect_ms") - c.timeout_ms)),
                    (c.timeout_ms, c.median("time_to_detect_ms")),
                    textcoords="offset points",
                    xytext=(-6, 4 + 8 * (j + len(scenarios) * i)),
                    ha="right",
                    fontsize=6.5,
                    color=colour,
                )
    if timeouts:
        low, high = timeouts[0] / 2, timeouts[-1] * 2
        ax.plot([low, high], [low, high], color="black", ls="--", lw=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(low, high)
        ax.set_ylim(low, high)
        plain_log(ax)
    ax.set_title("Time to detect vs the acquire timeout")
    ax.set_xlabel("acquire timeout (ms)")
    ax.set_ylabel("blocked until detected (ms)")


def _label(c: Cell) -> str:
    """A cell's bar: its scenario and timeout (the interpreter × machine is the bar's colour)."""
    return "%s, %s" % (c.scenario, "no timeout" if c.timeout_ms is None else "%s ms" % num(c.timeout_ms))


def _wall_panel(ctx: Context, ax, runs: list, found: list) -> None:
    labels = []
    for c in found:
        if _label(c) not in labels:
            labels.append(_label(c))
    n = max(1, len(runs))
    width = 0.8 / n
    tallest = 0.0
    for i, run in enumerate(runs):
        colour = ctx.palette[run.env_label]
        for j, label in enumerate(labels):
            c = next((c for c in found if c.env == run.env_label and _label(c) == label), None)
            if c is None:
                continue
            x = j + (i - (n - 1) / 2) * width
            if c.expected_hang and c.hung and math.isfinite(c.killed_after_s):
                ax.bar(x, c.killed_after_s, width=width * 0.95, color="white", edgecolor=colour, hatch="///")
                ax.text(x, c.killed_after_s * 1.15, "hung", ha="center", fontsize=6.5, color=colour)
                tallest = max(tallest, c.killed_after_s)
                continue
            rec = c.summary.get("wall_s")
            if not rec or not math.isfinite(rec["median"]) or rec["median"] <= 0:
                continue
            ax.bar(x, rec["median"], width=width * 0.95, color=colour)
            ci_whiskers(ax, [x], [rec["ci_low"]], [rec["ci_high"]], lw=0.8)
            tallest = max(tallest, rec["ci_high"] if math.isfinite(rec["ci_high"]) else rec["median"])
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=35, ha="right", fontsize=7)
    ax.set_yscale("log")
    if tallest > 0:
        ax.set_ylim(top=tallest * 2.5)
    plain_log(ax, "y")
    ax.grid(axis="x", visible=False)
    ax.set_title("What each cell cost: wall time (median)")
    ax.set_ylabel("seconds")
