"""The timer_drift section: how late Timers fire against the kernel's timer-slack floor; periodic drift."""

from __future__ import annotations

import math

from report.analysis import models
from report.analysis.cells import CellAnalysis, Ratio, round_ratios, shifted
from report.analysis.load import Results
from report.page.figures import (
    env_series,
    grouped_bars,
    header,
    header_space,
    run_handles,
    subplots,
    to_data_uri,
)
from report.page.formatting import duration_ci, duration_us, num, percent, record_ci
from report.page.html import figure, join, paragraph, tag
from report.page.sections import Column, Context, Findings, Rendered, Score
from report.page.tables import every_cell

REQUIRED = ("mode", "delay_ms", "cpu_threads", "lateness_p50_us", "lateness_p99_us")
SCORECARD = (Column("timer_p99", "Timer p99 lateness", -1, position=8),)
METRICS = ["lateness_p50_us", "lateness_p99_us", "lateness_mean_us", "lateness_max_us", "cumulative_drift_ms"]
#: What names a comparison group: the cells of one mode and delay differ only in the load beside them.
GROUP = ["mode", "delay_ms", "samples"]
US, MS = 1e-6, 1e-3
INTRO = (
    "A one-shot threading.Timer is timed from start() to its callback; a periodic job either re-arms "
    "a new Timer from its callback (errors add up) or sleeps to absolute deadlines (errors do not). "
    "The dashed line is the floor no sleeping thread can beat: the kernel's timer slack, read from the "
    "run's environment. CPU-bound threads running meanwhile make a woken timer wait for the GIL, which "
    "they hand over once per switch interval. Each cell's lateness is a per-repetition median or p99 "
    "over its firings, summarised over repetitions with an exact 95 % interval (none below 6)."
)


def compare_metrics(results: Results, experiment: str) -> list:
    return ["lateness_p50_us", "lateness_p99_us", "cumulative_drift_ms"]


class Analysis(CellAnalysis):
    """Per-cell medians with intervals, and loaded against idle lateness paired round by round."""

    def __init__(self, ctx: Context, experiment: str):
        super().__init__(ctx, experiment, METRICS)

    def one_shot(self, metric: str, env: str, loaded: bool) -> list:
        """One-shot records of ``metric``, idle (no CPU-bound threads) or loaded, by delay."""
        recs = self.s.select(metric, env_label=env, mode="one_shot")
        recs = [r for r in recs if (r["cpu_threads"] > 0) == loaded]
        return sorted(recs, key=lambda r: (r["delay_ms"], r["cpu_threads"]))

    def same_cell(self, metric: str, rec: dict) -> dict | None:
        """The record of ``metric`` for the cell ``rec`` describes (same parameters)."""
        where = {p: rec[p] for p in self.params if p in rec and rec[p] is not None}
        found = self.s.select(metric, env_label=rec["env_label"], **where)
        return found[0] if len(found) == 1 else None

    def against_idle(self, rec: dict, metric: str = "lateness_p50_us") -> Ratio | None:
        """A loaded cell's ``metric`` over the idle cell of its group, round by round (one run's cells
        of one group and repetition ran in the same round)."""
        rows = self.env_rows(rec["env_label"])
        rows = rows[rows["mode"] == rec["mode"]]
        idle, loaded = rows[rows["cpu_threads"] == 0], rows[rows["cpu_threads"] == rec["cpu_threads"]]
        found = round_ratios(idle, loaded, GROUP, GROUP + ["cpu_threads"], metric)
        return found.get(tuple(rec[c] for c in GROUP + ["cpu_threads"]))

    def switch_interval_ms(self, env: str) -> float:
        value = self.run(env).interpreter.get("switch_interval_s")
        return 1000.0 * float(value) if isinstance(value, (int, float)) and value > 0 else math.nan

    def samples_text(self, rec: dict) -> str:
        n = rec.get("samples")
        return "%d firings" % n if n is not None else "its firings"


def finding_idle(a: Analysis, env: str):
    """The shortest one-shot Timer, idle, against the timer-slack floor."""
    idle = a.one_shot("lateness_p50_us", env, loaded=False)
    if not idle:
        return None
    r = idle[0]
    floor = models.timer_slack_floor_us(a.run(env).env)
    text = "Idle, a one-shot %s ms Timer fired %s late (the median of %s a repetition)" % (
        num(r["delay_ms"]),
        duration_ci(r, US),
        a.samples_text(r),
    )
    if math.isfinite(floor) and r["median"] > 0:
        text += ", against a timer-slack floor of %s: the floor is %s of it" % (
            duration_us(floor),
            percent(min(1.0, floor / r["median"])),
        )
        if r["median"] > 2 * floor:
            text += "; the rest is thread start-up and scheduling, not the kernel's slack"
    return (None, text + ".")


def _worst_loaded(a: Analysis, env: str) -> dict | None:
    loaded = a.one_shot("lateness_p99_us", env, loaded=True)
    return max(loaded, key=lambda r: r["median"]) if loaded else None


def _in_intervals(value_us: float, switch_ms: float) -> list:
    """``["13 switch intervals of 5 ms"]``, or nothing when the switch interval is unknown."""
    if not math.isfinite(switch_ms):
        return []
    return ["%s switch intervals of %s ms" % (num(value_us / 1000.0 / switch_ms, 2), num(switch_ms))]


def _explained(a: Analysis, env: str, p50: dict, threads: int) -> str:
    """Why a Timer beside CPU-bound threads is late, as far as its numbers support it."""
    run, si = a.run(env), a.switch_interval_ms(env)
    if run.gil == "off":
        return (
            ". With the GIL off there is no lock to win back: the timer thread only competes for the "
            "%g cores with %d busy thread%s." % (run.cores, threads, "" if threads == 1 else "s")
        )
    if math.isfinite(si) and p50["median"] / 1000.0 >= si / 2:
        return (
            ". A woken timer thread must win the GIL back from the CPU-bound threads, which offer it once "
            "per switch interval and often take it back first."
        )
    return ": under half a switch interval, so here the timer seldom waited long for the GIL."


def finding_loaded(a: Analysis, env: str):
    """The one-shot cell beside CPU-bound threads with the worst p99: its p50 and p99, in switch
    intervals, and why."""
    p99 = _worst_loaded(a, env)
    p50 = a.same_cell("lateness_p50_us", p99) if p99 else None
    if p50 is None:
        return None
    si, threads = a.switch_interval_ms(env), p99["cpu_threads"]
    tail = _in_intervals(p99["median"], si)
    if (p99.get("samples") or 0) < 100:
        tail.append("with %s a repetition, a p99 is about their largest" % a.samples_text(p99))
    text = "With %d CPU-bound thread%s running, a one-shot %s ms Timer fired a median %s late%s" % (
        threads,
        "" if threads == 1 else "s",
        num(p99["delay_ms"]),
        duration_ci(p50, US),
        "".join(" (%s)" % t for t in _in_intervals(p50["median"], si)),
    )
    text += " and %s at p99%s" % (duration_ci(p99, US), " (%s)" % "; ".join(tail) if tail else "")
    return (None, text + _explained(a, env, p50, threads))


def finding_load_ratio(a: Analysis, env: str):
    """That loaded cell's median lateness over its idle twin's, paired round by round."""
    p99 = _worst_loaded(a, env)
    r = a.against_idle(p99) if p99 else None
    if r is None:
        return None
    verdict = {1: "later than idle", -1: "earlier than idle (unexpected)", 0: "no clear difference from idle"}
    word = verdict[r.side]
    if r.side == 0:
        word += " (%s)" % (r.ci_note or "its 95 % interval holds 1x")
    return (
        "finding" if r.side < 0 else None,
        "Round by round, that cell's median lateness was %s its idle twin's (%s ms Timer, %s): %s."
        % (record_ci(r.record(), "x"), num(p99["delay_ms"]), r.how(), word),
    )


def finding_drift(a: Analysis, env: str):
    """Re-armed Timer against absolute-deadline loop, idle: which drifted, over how many periods."""
    drift = {
        m: {r["delay_ms"]: r for r in a.s.select("cumulative_drift_ms", env_label=env, mode=m, cpu_threads=0)}
        for m in ("rearmed", "deadline_loop")
    }
    delays = sorted(set(drift["rearmed"]) & set(drift["deadline_loop"]))
    if not delays:
        return None
    rearmed, deadline = drift["rearmed"][delays[0]], drift["deadline_loop"][delays[0]]
    text = (
        "Periodic jobs, idle, every %s ms over %s: a Timer re-armed from its callback drifted %s in all; "
        % (
            num(delays[0]),
            a.samples_text(rearmed).replace("firings", "periods"),
            duration_ci(rearmed, MS),
        )
    )
    text += "a loop sleeping to absolute deadlines drifted %s" % duration_ci(deadline, MS)
    apart, p = shifted(a.values("cumulative_drift_ms", deadline), a.values("cumulative_drift_ms", rearmed))
    test = "Mann–Whitney U over the repetitions, p = %s" % num(p, 2)
    if apart < 0:
        return (None, text + " — less (%s): its errors do not accumulate." % test)
    if apart > 0:
        return ("finding", text + " — more (%s), though its errors should not accumulate." % test)
    return (None, text + " — no clear difference in these repetitions (%s)." % test)


#: Every sentence that applies to an interpreter × machine, in page order: ``findings(a, env)``.
findings = Findings(finding_idle, finding_loaded, finding_load_ratio, finding_drift)


def score(a: Analysis, env: str) -> dict:
    idle = a.one_shot("lateness_p99_us", env, loaded=False)
    if not idle:
        return {}
    r = idle[0]
    title = "one-shot %s ms Timer, idle; p99 of %s" % (num(r["delay_ms"]), a.samples_text(r))
    return {"timer_p99": Score(r["median"], duration_us(r["median"]), title)}


def render(ctx: Context, experiment: str) -> Rendered:
    a = Analysis(ctx, experiment)
    parts = [paragraph(INTRO)]
    scores = {}
    for run in a.runs:
        env = run.env_label
        parts.append(tag("h3", env))
        parts.extend(paragraph(text, css) for css, text in findings(a, env))
        scores[env] = score(a, env)
    if a.runs and not a.s.frame.empty:
        parts.append(figure(timer_figure(ctx, a), "Timer lateness against the timer-slack floor"))
    parts.append(every_cell(ctx, experiment, a.df, a.params, METRICS, summary=a.s.frame))
    return Rendered(html=join(parts), scores=scores)


def timer_figure(ctx: Context, a: Analysis) -> str:
    """One-shot lateness, median and p99, per delay and load, one bar per interpreter × machine."""
    runs = a.runs
    fig, axes = subplots(2, columns=2, width=5.0, height=2.2, top=header_space(len(runs), 4), bottom=0.95)
    keys = sorted({(r["delay_ms"], r["cpu_threads"]) for r in a.s.select("lateness_p99_us", mode="one_shot")})
    cats = ["%g ms, %d cpu" % k for k in keys]
    floors = {models.timer_slack_floor_us(r.env) for r in runs}
    for ax, metric, title in (
        (axes[0], "lateness_p50_us", "one-shot Timer lateness, median"),
        (axes[1], "lateness_p99_us", "one-shot Timer lateness, p99"),
    ):

        def get(run, cat, metric=metric):
            d, c = keys[cats.index(cat)]
            found = a.s.select(metric, env_label=run.env_label, mode="one_shot", delay_ms=d, cpu_threads=c)
            return found[0] if len(found) == 1 else None

        grouped_bars(ax, cats, env_series(ctx, runs, get, cats), log=True)
        for f in floors:
            if math.isfinite(f):
                ax.axhline(f, color="black", ls="--", lw=1)
        ax.set_title(title + " (dashed: timer slack)")
        ax.set_ylabel("µs late")
        ax.set_xlabel("delay, CPU-bound threads")
    header(fig, "How late one-shot Timers fire", run_handles(ctx.palette, runs, marker=None, lw=6), columns=4)
    return to_data_uri(fig)
