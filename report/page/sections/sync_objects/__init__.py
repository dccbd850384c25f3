"""The sync_objects section: Barrier skew, a Semaphore-bounded pool, Event wake-up, daemon threads at exit."""

from __future__ import annotations

import math

from matplotlib.lines import Line2D

from report.analysis import statistics as stats
from report.analysis.cells import CellAnalysis, missing, shifted
from report.analysis.load import Results
from report.page.figures import (
    env_series,
    grouped_bars,
    header,
    header_space,
    log2_axis,
    plain_log,
    run_handles,
    subplots,
    to_data_uri,
)
from report.page.formatting import duration_ci, duration_ms, num, percent, record_ci
from report.page.html import Markup, figure, join, paragraph, tag
from report.page.sections import Context, Findings, Rendered
from report.page.tables import failures, summary_table

US, MS = 1e-6, 1e-3
REQUIRED = ("object", "threads", "permits", "daemon", "barrier_skew_p50_us", "throughput_tasks_s")
#: Each object's metrics (a cell fills only its own object's, the rest of its row stays empty).
OBJECT_METRICS = {
    "barrier": ["barrier_skew_p50_us", "barrier_skew_max_us", "barrier_passes"],
    "semaphore": ["throughput_tasks_s", "ideal_throughput_tasks_s", "throughput_vs_ideal", "max_concurrency"],
    "event": ["wake_latency_p50_us", "wake_latency_p99_us", "wake_samples"],
    "daemon_exit": ["exit_delay_ms", "exit_delay_max_ms"],
}
METRICS = [m for metrics in OBJECT_METRICS.values() for m in metrics]
OBJECT_TITLES = {
    "barrier": "Barrier: release skew",
    "semaphore": "Semaphore: a pool of k permits",
    "event": "Event: set() to wake-up",
    "daemon_exit": "Daemon threads at exit",
}


def compare_metrics(results: Results, experiment: str) -> list:
    return ["barrier_skew_p50_us", "throughput_tasks_s", "wake_latency_p99_us", "exit_delay_ms"]


class Analysis(CellAnalysis):
    """Medians and CIs per cell, and each object's sweep with its other settings held at their usual value."""

    def __init__(self, ctx: Context, experiment: str):
        super().__init__(ctx, experiment, METRICS)
        self._settings = {obj: self.usual(object=obj) for obj in OBJECT_METRICS}

    def uses(self, obj: str) -> list:
        """The parameters an object's cells set (each object leaves the others empty)."""
        rows = self.df[self.df["object"] == obj] if not self.df.empty else self.df
        return [p for p in self.params if p != "object" and p in rows and rows[p].notna().any()]

    def object_sweep(self, metric: str, env: str, obj: str, x: str) -> list:
        """Records of ``metric`` for ``obj`` ordered by parameter ``x``, the object's other
        parameters at their most common setting (a sweep moves one knob)."""
        return self.sweep(metric, env, x, object=obj)

    def setting(self, obj: str, param: str):
        value = self._settings.get(obj, {}).get(param)
        return None if missing(value) else value


INTRO = (
    "Four synchronization objects of the threading module, each timed on its own. Barrier: threads "
    "meet again and again; skew is the time from the first to the last thread past the barrier in "
    "one cycle. Semaphore: one thread per I/O task (a sleep), at most k of them inside a "
    "Semaphore(k); the ideal is min(k, tasks) tasks per task time. Event: waiters block in wait(); "
    "latency runs from set() to each waiter's return. Daemon threads: a child process's main thread "
    "ends while a sleeping thread is still running; the delay is from then to the process's exit. "
    "Cells of different settings ran apart, not in the same rounds: two of them are called different "
    "only when a Mann–Whitney U test over their repetitions says so (p < 0.05)."
)
LESSON = (
    "Lesson (the threading tutorial's Semaphore, Barrier, Event and daemon threads): a Semaphore "
    "bounds how many threads do something at once, a Barrier makes threads wait for each other, "
    "an Event lets one thread signal many, and a daemon thread does not keep the program alive — "
    "it is abandoned mid-work at exit, so join() the threads whose work must finish."
)


def render(ctx: Context, experiment: str) -> Rendered:
    a = Analysis(ctx, experiment)
    parts = [paragraph(INTRO), paragraph(LESSON, "muted")]
    for run in a.runs:
        parts.append(tag("h3", run.env_label))
        parts.extend(paragraph(text, css) for css, text in findings(a, run.env_label))
    if a.runs and not a.s.frame.empty:
        parts.append(figure(sync_figure(ctx, a), "Barrier skew, Semaphore pool, Event latency, exit delay"))
    parts.append(tag("h3", "Every cell: median [95 % CI]"))
    parts.append(cell_tables(a))
    parts.append(failures(ctx.results.frame(experiment)))
    return Rendered(html=join(parts))


def _test(p: float) -> str:
    return "Mann–Whitney U, p = %s" % num(p, 2)


def finding_barrier(a: Analysis, env: str):
    """Barrier release skew at the most parties, against the fewest."""
    p50 = a.object_sweep("barrier_skew_p50_us", env, "barrier", "threads")
    if not p50:
        return None
    most, few = p50[-1], p50[0]
    worst = a.point("barrier_skew_max_us", env, object="barrier", threads=most["threads"])
    text = "Barrier: with %d parties the last thread passed a median %s after the first%s" % (
        most["threads"],
        duration_ci(most, US),
        " (worst cycle %s)" % duration_ci(worst, US) if worst else "",
    )
    if len(p50) > 1:
        way, p = shifted(a.values("barrier_skew_p50_us", most), a.values("barrier_skew_p50_us", few))
        word = {1: "more than", -1: "less than", 0: "no clear difference from"}[way]
        text += ", %s the %s with %d (%s)" % (word, duration_ci(few, US), few["threads"], _test(p))
    return (
        None,
        text + ". A Barrier releases all its parties at once, but each released thread still has to be "
        "scheduled — and take the GIL, where there is one — before it runs: they leave one by one.",
    )


def _semaphore_growth(a: Analysis, first: dict, last: dict) -> str:
    way, p = shifted(a.values("throughput_tasks_s", last), a.values("throughput_tasks_s", first))
    if way > 0:
        return "Throughput grew with k (%s), as a pool's size limit lets it until the tasks run out" % _test(
            p
        )
    return "Throughput did not clearly grow with k in these repetitions (%s)" % _test(p)


def finding_semaphore(a: Analysis, env: str):
    """A Semaphore-bounded pool: throughput at the fewest and most permits, share of the ideal, peak."""
    tput = a.object_sweep("throughput_tasks_s", env, "semaphore", "permits")
    if not tput:
        return None
    ideal = {
        r["permits"]: r["median"]
        for r in a.object_sweep("ideal_throughput_tasks_s", env, "semaphore", "permits")
    }
    tasks, sleep_ms = a.setting("semaphore", "threads"), a.setting("semaphore", "sleep_ms")
    first, last = tput[0], tput[-1]
    text = "Semaphore: %s threads doing %s of I/O each, at most k at a time, finished %s tasks/s at k=%d" % (
        num(tasks),
        duration_ms(sleep_ms) if sleep_ms is not None else "some",
        record_ci(first),
        first["permits"],
    )
    text += " and %s tasks/s at k=%d" % (record_ci(last), last["permits"])
    shares = [r["median"] / ideal[r["permits"]] for r in tput if ideal.get(r["permits"])]
    if shares:
        text += ", %s–%s of the ideal min(k, tasks) per task time" % (
            percent(min(shares)),
            percent(max(shares)),
        )
    peak = [
        (r["permits"], r["median"]) for r in a.object_sweep("max_concurrency", env, "semaphore", "permits")
    ]
    seen = [(k, v) for k, v in peak if math.isfinite(v)]
    if seen and all(v <= k for k, v in seen):
        if all(v == min(k, tasks or k) for k, v in seen):
            text += "; at the peak exactly min(k, tasks) threads were inside at once, never more than k"
        else:
            text += "; at most %s threads were inside at once, never more than k" % ", ".join(
                "%s (k=%d)" % (num(v), k) for k, v in seen
            )
    if len(tput) > 1:
        text += ". " + _semaphore_growth(a, first, last)
    return (None, text + ".")


def finding_semaphore_overfill(a: Analysis, env: str):
    """More threads inside than permits: the Semaphore did not bound the pool."""
    peak = a.object_sweep("max_concurrency", env, "semaphore", "permits")
    over = [
        (r["permits"], r["median"]) for r in peak if math.isfinite(r["median"]) and r["median"] > r["permits"]
    ]
    if not over:
        return None
    return (
        "finding",
        "More threads than permits were inside the Semaphore at once (%s): it did not bound the pool."
        % ", ".join("%s at k=%d" % (num(v), k) for k, v in over),
    )


def finding_event(a: Analysis, env: str):
    """Event wake-up latency for the fewest and most waiters."""
    wake = a.object_sweep("wake_latency_p50_us", env, "event", "threads")
    if not wake:
        return None
    tail = {r["threads"]: r for r in a.object_sweep("wake_latency_p99_us", env, "event", "threads")}
    one, many = wake[0], wake[-1]
    text = "Event: set() woke %d waiter%s in %s (median; p99 %s)" % (
        one["threads"],
        "" if one["threads"] == 1 else "s",
        duration_ci(one, US),
        duration_ci(tail.get(one["threads"]), US),
    )
    if len(wake) > 1:
        text += ", %d waiters in %s (p99 %s)" % (
            many["threads"],
            duration_ci(many, US),
            duration_ci(tail.get(many["threads"]), US),
        )
        way, p = shifted(a.values("wake_latency_p50_us", many), a.values("wake_latency_p50_us", one))
        if way > 0:
            text += (
                ": slower with more waiters (%s) — set() wakes every waiter at once, but they run one "
                % _test(p)
            )
            text += "after another, so the last waits most"
        else:
            text += ": no clear difference with more waiters in these repetitions (%s)" % _test(p)
    return (None, text + ".")


def _exits(a: Analysis, env: str) -> tuple:
    exits = {bool(r["daemon"]): r for r in a.object_sweep("exit_delay_ms", env, "daemon_exit", "daemon")}
    return exits.get(True), exits.get(False)


def finding_daemon(a: Analysis, env: str):
    """How long a daemon and a non-daemon thread kept the process alive after the main thread ended."""
    daemon, plain = _exits(a, env)
    if not (daemon and plain):
        return None
    sleep_ms = a.setting("daemon_exit", "sleep_ms")
    way, p = shifted(a.values("exit_delay_ms", daemon), a.values("exit_delay_ms", plain))
    verdict = {
        -1: "a daemon thread did not — the process exited after %s (%s), abandoning it mid-sleep",
        0: "with a daemon thread the process exited after %s, not clearly sooner in these repetitions (%s)",
        1: "with a daemon thread the process exited after %s, later still (%s)",
    }[way] % (duration_ci(daemon, MS), _test(p))
    return (
        None,
        "Daemon threads: after the main thread ended, a non-daemon thread still sleeping %s kept the process "
        "alive for %s; %s. The interpreter joins non-daemon threads at exit and kills daemon ones without "
        "cleanup: join() the threads whose work must finish."
        % (duration_ms(sleep_ms) if sleep_ms is not None else "", duration_ci(plain, MS), verdict),
    )


def finding_daemon_slow(a: Analysis, env: str):
    """A daemon thread that held the exit as long as a non-daemon one: against the theory."""
    daemon, plain = _exits(a, env)
    if not (daemon and plain) or daemon["median"] < plain["median"]:
        return None
    return ("finding", "Here the daemon thread did not let the process exit sooner than the non-daemon one.")


#: Every sentence that applies to an interpreter × machine, in page order: ``findings(a, env)``.
findings = Findings(
    finding_barrier,
    finding_semaphore,
    finding_semaphore_overfill,
    finding_event,
    finding_daemon,
    finding_daemon_slow,
)


def cell_tables(a: Analysis) -> Markup:
    """One small table per object, with only the parameters and metrics that object has."""
    frame = a.s.frame
    if frame.empty:
        return paragraph("No successful repetitions to summarise.")
    parts = []
    for obj, metrics in OBJECT_METRICS.items():
        mine = frame[frame["object"] == obj]
        if mine.empty:
            continue
        by = ["env_label"] + a.uses(obj)
        rows = a.df[a.df["object"] == obj]
        parts.append(tag("h4", OBJECT_TITLES[obj]))
        parts.append(summary_table(rows, by, metrics, summary=mine))
    parts.append(
        paragraph(
            "Italic: the repetitions vary by more than %s (coefficient of variation); hover for n and CV."
            % percent(stats.CV_NOISY),
            "muted",
        )
    )
    return join(parts)


def sync_figure(ctx: Context, a: Analysis) -> str:
    handles = run_handles(ctx.palette, a.runs, marker=None, lw=6)
    handles += [
        Line2D([], [], color="#555555", marker="o", label="median (p50)"),
        Line2D([], [], color="#555555", marker="^", ls="--", label="tail (max, p99)"),
        Line2D([], [], color="#999999", lw=4, alpha=0.3, label="ideal: min(k, tasks) / task time"),
        Line2D([], [], color="black", ls=":", lw=1.2, label="limit (k; the thread's sleep)"),
    ]
    fig, axes = subplots(5, columns=3, width=3.4, height=2.1, top=header_space(len(handles), 4))
    _barrier_panel(ctx, a, axes[0])
    _throughput_panel(ctx, a, axes[1])
    _concurrency_panel(ctx, a, axes[2])
    _event_panel(ctx, a, axes[3])
    _exit_panel(ctx, a, axes[4])
    header(fig, "Synchronization objects", handles, columns=4)
    return to_data_uri(fig)


def _lines(ctx: Context, a: Analysis, ax, obj: str, x: str, metrics: tuple) -> list:
    """p50-style metric solid, tail metric dashed, one colour per interpreter × machine; returns x values."""
    xs_all = set()
    for run in a.runs:
        colour = ctx.palette[run.env_label]
        for metric, style, marker in zip(metrics, ("-", "--"), ("o", "^")):
            recs = a.object_sweep(metric, run.env_label, obj, x)
            if not recs:
                continue
            xs = [r[x] for r in recs]
            xs_all |= set(xs)
            ax.plot(xs, [r["median"] for r in recs], color=colour, ls=style, marker=marker, ms=3.5, lw=1.2)
            lo = [r["ci_low"] for r in recs]
            hi = [r["ci_high"] for r in recs]
            for xi, low, high in zip(xs, lo, hi):
                if math.isfinite(low) and math.isfinite(high):
                    ax.vlines(xi, low, high, color=colour, lw=1.0)
    return sorted(xs_all)


def _barrier_panel(ctx: Context, a: Analysis, ax) -> None:
    xs = _lines(ctx, a, ax, "barrier", "threads", ("barrier_skew_p50_us", "barrier_skew_max_us"))
    if xs:
        log2_axis(ax, xs)
        ax.set_yscale("log")
        plain_log(ax, "y")
    ax.set_title("Barrier release skew, %s cycles" % num(a.setting("barrier", "cycles")))
    ax.set_xlabel("parties")
    ax.set_ylabel("first to last past it (µs)")


def _throughput_panel(ctx: Context, a: Analysis, ax) -> None:
    xs = _lines(ctx, a, ax, "semaphore", "permits", ("throughput_tasks_s",))
    ideal = {}
    for run in a.runs:
        for r in a.object_sweep("ideal_throughput_tasks_s", run.env_label, "semaphore", "permits"):
            ideal[r["permits"]] = r["median"]
    if ideal:
        ks = sorted(ideal)
        ax.plot(ks, [ideal[k] for k in ks], color="#999999", lw=4, alpha=0.3, solid_capstyle="butt")
    if xs:
        log2_axis(ax, xs)
        ax.set_yscale("log", base=2)
        plain_log(ax, "y")
    ax.set_title(
        "Semaphore(k) pool: %s tasks × %s"
        % (
            num(a.setting("semaphore", "threads")),
            duration_ms(a.setting("semaphore", "sleep_ms") or math.nan),
        )
    )
    ax.set_xlabel("permits k")
    ax.set_ylabel("tasks per second")


def _concurrency_panel(ctx: Context, a: Analysis, ax) -> None:
    xs = _lines(ctx, a, ax, "semaphore", "permits", ("max_concurrency",))
    if xs:
        ax.plot(xs, xs, color="black", ls=":", lw=1.2)
        log2_axis(ax, xs)
        ax.set_yscale("log", base=2)
        plain_log(ax, "y")
    ax.set_title("Semaphore(k): most threads inside at once")
    ax.set_xlabel("permits k")
    ax.set_ylabel("threads inside")


def _event_panel(ctx: Context, a: Analysis, ax) -> None:
    xs = _lines(ctx, a, ax, "event", "threads", ("wake_latency_p50_us", "wake_latency_p99_us"))
    if xs:
        log2_axis(ax, xs)
        ax.set_yscale("log")
        plain_log(ax, "y")
    ax.set_title("Event: set() to each waiter awake")
    ax.set_xlabel("waiters")
    ax.set_ylabel("µs")


def _exit_panel(ctx: Context, a: Analysis, ax) -> None:
    cats = ["daemon", "non-daemon"]

    def lookup(run, cat):
        found = a.object_sweep("exit_delay_ms", run.env_label, "daemon_exit", "daemon")
        return next((r for r in found if bool(r["daemon"]) == (cat == "daemon")), None)

    grouped_bars(ax, cats, env_series(ctx, a.runs, lookup, cats), log=True)
    sleep_ms = a.setting("daemon_exit", "sleep_ms")
    if sleep_ms:
        ax.axhline(sleep_ms, color="black", ls=":", lw=1.2)
    ax.set_title("Main thread done to process exit")
    ax.set_ylabel("ms")
