"""The deadlock section: opposite lock order and Lock re-entry, caught by acquire(timeout) or left to hang."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from experiments.schema import ExperimentInfo
from report.analysis.cells import Summary, missing
from report.analysis.load import Results
from report.page.figures import (
    ci_whiskers,
    header,
    header_space,
    plain_log,
    run_handles,
    subplots,
    to_data_uri,
)
from report.page.formatting import DASH, duration_ci, duration_ms, duration_s, num, with_ci
from report.page.html import Markup, figure, join, paragraph, table, tag
from report.page.sections import Context, Findings, Rendered
from report.page.tables import blank_repeats, failures

REQUIRED = ("scenario", "detection", "timeout_ms", "detected", "time_to_detect_ms", "recovered")
METRICS = [
    "detected",
    "time_to_detect_ms",
    "recovered",
    "completed",
    "acquire_attempts",
    "recovery_ms",
    "wall_s",
]
KEY = ["env_label", "scenario", "detection", "timeout_ms"]
#: Marker and line style of each scenario in the figure (colours stay the interpreter × machine's).
SCENARIO_STYLE = {
    "lock_order": ("o", "-"),
    "same_order": ("^", ":"),
    "lock_reentry": ("s", "--"),
    "rlock_reentry": ("D", "-."),
}


def compare_metrics(results: Results, experiment: str) -> list:
    return ["time_to_detect_ms", "recovery_ms"]


def _timeout_key(value) -> float | None:
    return None if missing(value) else float(value)


@dataclass
class Cell:
    """One scenario × detection × timeout of one interpreter × machine: counts over its repetitions
    and the summary (median, CI) of each metric over the ok ones."""

    env: str
    scenario: str
    detection: str
    timeout_ms: float | None
    repetitions: int
    ok: int
    hung: int
    failed: int
    detected: int
    recovered: int
    completed: int
    #: Median process wall time of the hung repetitions: when the harness ended them.
    killed_after_s: float
    #: The run folder says this cell is meant to hang (experiments.json: hangs).
    expected_hang: bool = False
    #: The scenario's place in the experiment's declared order.
    rank: int = 0
    summary: dict = field(default_factory=dict)

    def median(self, metric: str) -> float:
        rec = self.summary.get(metric)
        return float(rec["median"]) if rec else math.nan

    @property
    def label(self) -> str:
        return "%s, %s" % (
            self.scenario,
            "no timeout" if self.timeout_ms is None else "%s ms" % num(self.timeout_ms),
        )


def _order(cell: Cell) -> tuple:
    return (cell.env, cell.rank, cell.scenario, cell.detection != "timeout", cell.timeout_ms or 0.0)


def cells(df: pd.DataFrame, summary: Summary, info: ExperimentInfo) -> list:
    """Every cell of ``df`` (all statuses), ordered by interpreter × machine, scenario, timeout."""
    if df.empty:
        return []
    index = {}
    for rec in summary.frame.to_dict("records"):
        key = (rec["env_label"], rec["scenario"], rec["detection"], _timeout_key(rec["timeout_ms"]))
        index.setdefault(key, {})[rec["metric"]] = rec
    df = df.assign(_expected=df["status"] == "expected_timeout")
    declared = info.params.get("scenario")
    order = list(declared.choices or ()) if declared else []
    out = []
    for (env, scenario, detection, timeout), g in df.groupby(KEY, dropna=False, sort=False):
        ok = g[g["status"] == "ok"]
        hung = g[g["_expected"]]
        timeout = _timeout_key(timeout)
        killed = hung["process_wall_s"].median() if "process_wall_s" in hung and len(hung) else math.nan
        out.append(
            Cell(
                env=env,
                scenario=scenario,
                detection=detection,
                timeout_ms=timeout,
                repetitions=len(g),
                ok=len(ok),
                hung=len(hung),
                failed=len(g) - len(ok) - len(hung),
                detected=int((ok["detected"] == 1).sum()),
                recovered=int((ok["recovered"] == 1).sum()),
                completed=int((ok["completed"] == 1).sum()) if "completed" in ok else 0,
                killed_after_s=float(killed),
                expected_hang=info.expected_hang({"scenario": scenario, "detection": detection}),
                rank=order.index(scenario) if scenario in order else len(order),
                summary=index.get((env, scenario, detection, timeout), {}),
            )
        )
    return sorted(out, key=_order)


class Analysis:
    """Every cell of the newest run of each interpreter × machine (see Cell), in the experiment's order."""

    def __init__(self, ctx: Context | None, experiment: str = "deadlock", found: list | None = None):
        if ctx is None:  # hand-built cells (tests)
            self.runs, self.df, self.cells = [], pd.DataFrame(), list(found or [])
            return
        self.runs = ctx.runs_for(experiment)
        self.df = ctx.rows(experiment)
        self.summary = Summary(self.df, KEY, METRICS)
        self.cells = cells(self.df, self.summary, ctx.results.info(experiment))

    def mine(self, env: str) -> list:
        return [c for c in self.cells if c.env == env]

    def where(self, env: str, scenario: str, detection: str | None = None) -> list:
        return [
            c
            for c in self.mine(env)
            if c.scenario == scenario and (detection is None or c.detection == detection)
        ]


INTRO = (
    "Two threads each take one lock, then ask for the other's (lock_order): each waits for the "
    "other for ever — a deadlock. Taken in the same order (same_order) the same two locks cannot "
    "deadlock. A thread that calls acquire() again on a Lock it already holds (lock_reentry) waits "
    "for itself; an RLock knows its owner and counts re-entries (rlock_reentry). With "
    "acquire(timeout=…) a blocked thread gives up after the timeout: the deadlock is detected, "
    "the thread lets go of what it holds, backs off and retries. With detection=none the acquire "
    "blocks for ever, as in the threading tutorial, and only the harness's wall-clock limit ends "
    "the cell: there a timeout status is the expected result — the deadlock, detected from outside."
)
LESSON = (
    "Lesson (the threading tutorial's deadlock): take locks in one global order, use an RLock "
    "where a thread may re-enter its own locked code, and give acquire() a timeout where a "
    "deadlock must be survived — without one, nothing inside the program notices."
)


def render(ctx: Context, experiment: str) -> Rendered:
    a = Analysis(ctx, experiment)
    parts = [paragraph(INTRO), paragraph(LESSON, "muted")]
    for run in a.runs:
        parts.append(tag("h3", run.env_label))
        parts.extend(paragraph(text, css) for css, text in findings(a, run.env_label))
    if a.runs and a.cells:
        parts.append(
            figure(deadlock_figure(ctx, a.runs, a.cells), "Time to detect a deadlock, and how cells ended")
        )
    parts.append(tag("h3", "Every cell"))
    parts.append(cell_table(a.cells))
    parts.append(failures(ctx.results.frame(experiment)))
    return Rendered(html=join(parts))


def _of(n: int, total: int) -> str:
    return "%d of %d" % (n, total)


def _detections(found: list) -> str:
    """ "after 10.1 ms [10.1–10.2] at timeout=10 ms (+131 µs), ..." for the cells that detected a
    deadlock: the median time to detect with its interval (or why there is none), then its overshoot."""
    return ", ".join(
        "after %s at timeout=%s ms (+%s)"
        % (
            duration_ci(c.summary.get("time_to_detect_ms"), 1e-3),
            num(c.timeout_ms),
            duration_ms(c.median("time_to_detect_ms") - c.timeout_ms),
        )
        for c in found
        if c.detected and c.timeout_ms is not None
    )


def finding_lock_order(a: Analysis, env: str):
    """Opposite lock order with a timeout: deadlocked, detected, recovered."""
    order = a.where(env, "lock_order", "timeout")
    if not order:
        return None
    ok, detected = sum(c.ok for c in order), sum(c.detected for c in order)
    text = "Opposite lock order (lock_order) deadlocked in %s repetitions" % _of(detected, ok)
    if detected:
        recovered = sum(c.recovered for c in order)
        attempts = max((c.median("acquire_attempts") for c in order), default=math.nan)
        text += (
            ". acquire(timeout=…) gave up %s; the thread let go of its first lock, backed off and "
            "retried, and both threads finished in %s (%s acquire attempts in all, median)"
            % (_detections(order), _of(recovered, detected), num(attempts))
        )
    return (None if detected == ok else "finding", text + ".")


def finding_same_order(a: Analysis, env: str):
    """The same two locks in one order: nothing to detect (or a slow holder, flagged)."""
    same = a.where(env, "same_order")
    if not same:
        return None
    ok, detected = sum(c.ok for c in same), sum(c.detected for c in same)
    if detected == 0:
        return (
            None,
            "Taking the two locks in the same order (same_order) never deadlocked: nothing to detect in %s "
            "repetitions, with or without a timeout, and %d completed."
            % (_of(ok, ok), sum(c.completed for c in same)),
        )
    return (
        "finding",
        "The same lock order (same_order) still hit an acquire timeout in %s repetitions: one thread held "
        "a lock longer than the timeout, a slow holder — not a deadlock." % _of(detected, ok),
    )


def finding_lock_reentry(a: Analysis, env: str):
    """Re-acquiring a Lock the thread holds: blocks until the timeout."""
    reentry = a.where(env, "lock_reentry", "timeout")
    if not reentry:
        return None
    ok, detected = sum(c.ok for c in reentry), sum(c.detected for c in reentry)
    return (
        None if detected == ok else "finding",
        "Re-acquiring a Lock its own thread holds (lock_reentry) blocked in %s repetitions until the "
        "timeout (it gave up %s): a Lock does not know its owner, so the nested acquire can only time "
        "out. The thread got out and released the lock in %s; the nested work never ran."
        % (_of(detected, ok), _detections(reentry) or DASH, _of(sum(c.recovered for c in reentry), detected)),
    )


def finding_rlock_reentry(a: Analysis, env: str):
    """The same re-entry on an RLock: succeeds."""
    rlock = a.where(env, "rlock_reentry")
    if not rlock:
        return None
    ok, completed = sum(c.ok for c in rlock), sum(c.completed for c in rlock)
    walls = [c.summary["wall_s"] for c in rlock if c.summary.get("wall_s")]
    slowest = max(walls, key=lambda r: r["median"]) if walls else None
    return (
        None if completed == ok else "finding",
        "The same re-entry on an RLock (rlock_reentry) succeeded in %s repetitions%s: an RLock counts its "
        "owner's acquisitions and is free again after as many releases."
        % (_of(completed, ok), " (cell done in %s)" % duration_ci(slowest, 1.0) if slowest else ""),
    )


def finding_hangs(a: Analysis, env: str):
    """Without a timeout, the deadlocking cells hang until the harness ends them: the expected result."""
    none = [c for c in a.mine(env) if c.detection == "none"]
    hangs = [c for c in none if c.expected_hang]
    if not hangs:
        return None
    hung = "; ".join("%s hung in %s" % (c.scenario, _of(c.hung, c.repetitions)) for c in hangs)
    killed = [c.killed_after_s for c in hangs if math.isfinite(c.killed_after_s)]
    text = "Without a timeout (detection=none): %s, until the harness's wall-clock limit ended the " % hung
    text += "worker%s. That timeout status is the expected result — the deadlock, detected from outside" % (
        " after %s" % duration_s(max(killed)) if killed else ""
    )
    free = [c for c in none if not c.expected_hang]
    if free:
        text += "; %s finished" % " and ".join(
            "%s (%s)" % (c.scenario, _of(c.completed, c.repetitions)) for c in free
        )
    return (None, text + ".")


def finding_unformed(a: Analysis, env: str):
    """Cells meant to hang that finished instead: the deadlock did not form."""
    odd = [c for c in a.mine(env) if c.detection == "none" and c.expected_hang and c.ok]
    if not odd:
        return None
    return (
        "finding",
        "Without a timeout, %s finished instead of hanging: the deadlock did not form there."
        % " and ".join("%s (in %s repetitions)" % (c.scenario, _of(c.ok, c.repetitions)) for c in odd),
    )


#: Every sentence that applies to an interpreter × machine, in page order: ``findings(a, env)``.
findings = Findings(
    finding_lock_order,
    finding_same_order,
    finding_lock_reentry,
    finding_rlock_reentry,
    finding_hangs,
    finding_unformed,
)


def _outcome(c: Cell) -> str:
    if c.expected_hang and c.hung:
        return "deadlock, hung (expected)"
    if c.ok and c.detected == c.ok:
        return "deadlock, detected" + (", recovered" if c.recovered == c.detected else "")
    if c.ok and c.detected == 0 and c.completed == c.ok:
        return "no deadlock"
    return "mixed" if c.ok else "failed"


def _repetitions(c: Cell) -> tuple:
    parts = ["%d ok" % c.ok] if c.ok else []
    if c.hung:
        parts.append("%d hung" % c.hung)
    if c.failed:
        parts.append("%d failed" % c.failed)
    return (", ".join(parts), "num slower" if c.failed else "num")


def cell_table(found: list) -> Markup:
    if not found:
        return paragraph("No repetitions to show.")
    rows = []
    for c in found:
        ttd = c.summary.get("time_to_detect_ms")
        beyond = c.median("time_to_detect_ms") - (c.timeout_ms if c.timeout_ms is not None else math.nan)
        wall = c.summary.get("wall_s")
        if c.expected_hang and c.hung:
            # Nothing inside the cell noticed: the harness's time limit is what detected this deadlock.
            detected = "%s, by the harness" % _of(c.hung, c.hung + c.ok)
            detect_time = (
                "at its %s limit" % duration_s(c.killed_after_s) if math.isfinite(c.killed_after_s) else DASH
            )
        else:
            detected = _of(c.detected, c.ok) if c.ok else DASH
            detect_time = with_ci(ttd["median"], ttd["ci_low"], ttd["ci_high"], " ms") if ttd else DASH
        rows.append(
            [
                c.env,
                c.scenario,
                "timeout %s ms" % num(c.timeout_ms) if c.timeout_ms is not None else c.detection,
                _outcome(c),
                (detected, "num"),
                (detect_time, "num"),
                ("+" + duration_ms(beyond) if math.isfinite(beyond) else DASH, "num"),
                (_of(c.recovered, c.detected) if c.detected else DASH, "num"),
                (_of(c.completed, c.ok) if c.ok else DASH, "num"),
                (num(c.median("acquire_attempts")), "num"),
                (duration_ms(c.median("recovery_ms")), "num"),
                (
                    with_ci(wall["median"] * 1e3, wall["ci_low"] * 1e3, wall["ci_high"] * 1e3, " ms")
                    if wall
                    else DASH,
                    "num",
                ),
                _repetitions(c),
            ]
        )
    header_row = [
        "interpreter @ machine",
        "scenario",
        "detection",
        "outcome",
        "deadlock detected",
        "time to detect, median [95 % CI]",
        "past the timeout",
        "recovered",
        "completed",
        "acquire attempts",
        "recovery",
        "cell wall time",
        "repetitions",
    ]
    note = paragraph(
        "Counts are over the repetitions that ended ok; time to detect runs from the blocking acquire to "
        "its giving up, recovery from there to both threads done. Hung: the harness ended the repetition "
        "at its cell time limit — for lock_order and lock_reentry without a timeout, the expected result.",
        "muted",
    )
    return join([table(header_row, blank_repeats(rows, 2), class_="compact"), note])


def deadlock_figure(ctx: Context, runs: list, found: list) -> str:
    """Left: time to detect against the acquire timeout (the diagonal); right: each cell's wall time,
    hung cells drawn at the time the harness ended them."""
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


def _wall_panel(ctx: Context, ax, runs: list, found: list) -> None:
    labels = []
    for c in found:
        if c.label not in labels:
            labels.append(c.label)
    n = max(1, len(runs))
    width = 0.8 / n
    tallest = 0.0
    for i, run in enumerate(runs):
        colour = ctx.palette[run.env_label]
        for j, label in enumerate(labels):
            c = next((c for c in found if c.env == run.env_label and c.label == label), None)
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
