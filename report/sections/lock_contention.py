"""The lock_contention section: updates lost without a lock, what each primitive costs, how fair it is."""

from __future__ import annotations

from matplotlib.lines import Line2D

from report.cells import CellAnalysis, most_common
from report.figures import (
    env_series,
    grouped_bars,
    header,
    header_space,
    log2_axis,
    plain_log,
    subplots,
    to_data_uri,
)
from report.formatting import num, percent
from report.load import Results
from report.page import figure, join, paragraph, tag
from report.sections import Context, Rendered, Score
from report.tables import every_cell

TITLE = "Race conditions, and what Lock, RLock and Semaphore cost"
REQUIRED = ("threads", "primitive", "pattern", "cost_per_op_ns", "lost_update_fraction")
METRICS = [
    "cost_per_op_ns",
    "throughput_ops_s",
    "lost_update_fraction",
    "acquire_wait_p50_us",
    "acquire_wait_p99_us",
    "jain_fairness",
]
PRIMITIVES = ("none", "Lock", "RLock", "Semaphore")


def compare_metrics(results: Results, experiment: str) -> list:
    return ["cost_per_op_ns", "lost_update_fraction", "acquire_wait_p99_us"]


class Analysis(CellAnalysis):
    def __init__(self, ctx: Context, experiment: str):
        super().__init__(ctx, experiment, METRICS)
        # The settings most cells share: the sweeps of one knob hold the others here.
        self.default = {
            p: most_common(self.df, p) for p in ("pattern", "work", "work_iters", "switch_interval_ms")
        }
        self.default["pattern"] = (
            "counter" if (self.df["pattern"] == "counter").any() else self.default["pattern"]
        )

    def base(self, **over) -> dict:
        where = {k: v for k, v in self.default.items() if k in self.params and v is not None}
        where.update(over)
        return where

    def threads(self) -> list:
        return self.s.values("threads", "cost_per_op_ns", **self.base())

    def cost(self, env: str, primitive: str, threads: int) -> dict | None:
        return self.s.get(
            "cost_per_op_ns", env_label=env, primitive=primitive, threads=threads, **self.base()
        )


def render(ctx: Context, experiment: str) -> Rendered:
    a = Analysis(ctx, experiment)
    parts = [
        paragraph(
            "Threads add 1 to one shared value as fast as they can, for many switch intervals each (20 "
            "GIL turns per thread in the default profile). Without a lock the read-modify-write "
            "interleaves and updates are lost (the race condition); Lock, RLock and Semaphore(1) prevent it "
            "at a cost per update, and decide who gets the lock next (fairness: Jain's index of the "
            "threads' update counts, 1 = every thread got the same share). The tutorial's lesson: a Lock "
            "makes the update atomic, and costs little until threads contend for it."
        )
    ]
    scores = {}
    for run in a.runs:
        sentences, score = findings(a, run.env_label)
        parts.append(tag("h3", run.env_label))
        parts.extend(paragraph(s) for s in sentences)
        scores[run.env_label] = score
    if a.runs:
        parts.append(figure(lock_figure(ctx, a), "Lost updates, cost per update and acquire wait"))
    parts.append(every_cell(ctx, experiment, a.df, a.params, METRICS, summary=a.s.frame))
    return Rendered(html=join(parts), scores=scores)


def findings(a: Analysis, env: str) -> tuple:
    out, score = [], {}
    threads = a.threads()
    many = max(threads) if threads else None
    lost = a.s.select("lost_update_fraction", env_label=env, primitive="none")
    lost = [r for r in lost if r["threads"] > 1]
    if lost:
        worst = max(lost, key=lambda r: r["median"])
        where = ", ".join(
            "%s=%s" % (k, worst[k]) for k in ("pattern", "threads", "switch_interval_ms") if k in worst
        )
        if worst["median"] > 0:
            out.append(
                "Without a lock, %s of the updates were lost (%s): the race condition, measured."
                % (percent(worst["median"], 1), where)
            )
        else:
            out.append(
                "Without a lock no update was lost in these cells (worst: %s): the GIL switches threads "
                "rarely enough that this read-modify-write seldom interleaves — rare, not impossible." % where
            )
    free, locked = a.cost(env, "none", 1), a.cost(env, "Lock", 1)
    if free and locked:
        extra = locked["median"] - free["median"]
        # A difference of two noisy medians: claim it only when the confidence intervals separate.
        resolved = extra > 0 and locked["ci_low"] > free["ci_high"]
        if resolved:
            text = "An uncontended Lock added %s ns per update" % num(extra)
        else:
            text = "An uncontended Lock's cost was below what these cells can resolve from the noise"
        text += " (%s ns with it, %s ns without)" % (num(locked["median"]), num(free["median"]))
        contended = a.cost(env, "Lock", many) if many and many > 1 else None
        if contended:
            text += "; with %d threads taking turns, an update cost %s ns" % (many, num(contended["median"]))
        out.append(text + ".")
        if resolved:
            score["lock_cost"] = Score(
                extra, "%s ns" % num(extra), "lock_contention: Lock minus no lock, 1 thread"
            )
    fair = (
        a.s.get("jain_fairness", env_label=env, primitive="Lock", threads=many, **a.base()) if many else None
    )
    if fair and many > 1:
        out.append(
            "Fairness of Lock across %d threads: Jain index %s (1 = equal shares, %s = one thread did "
            "everything)." % (many, num(fair["median"], 2), num(1 / many, 2))
        )
    return out, score


def lock_figure(ctx: Context, a: Analysis) -> str:
    fig, axes = subplots(3, columns=3, width=3.4, height=2.0, top=header_space(len(a.runs), 4), bottom=0.95)
    # 1: lost updates without a lock
    lost = a.s.select("lost_update_fraction", primitive="none")
    keys = sorted(
        {(r["pattern"], r["threads"], r.get("switch_interval_ms")) for r in lost if r["threads"] > 1}
    )
    cats = ["%s ×%d, %g ms" % (p, t, s) if s is not None else "%s ×%d" % (p, t) for p, t, s in keys]

    def lost_of(run, cat):
        p, t, s = keys[cats.index(cat)]
        where = {"switch_interval_ms": s} if s is not None else {}
        found = [
            r
            for r in a.s.select(
                "lost_update_fraction",
                env_label=run.env_label,
                primitive="none",
                pattern=p,
                threads=t,
                **where,
            )
        ]
        return found[0] if len(found) == 1 else None

    grouped_bars(axes[0], cats, env_series(ctx, a.runs, lost_of, cats))
    axes[0].set_title("Updates lost without a lock")
    axes[0].set_ylabel("lost fraction")
    # 2: cost per update by primitive and threads
    threads = a.threads()
    cats2 = [
        "%s ×%d" % (p, t)
        for t in threads
        for p in PRIMITIVES
        if a.s.select("cost_per_op_ns", primitive=p, threads=t, **a.base())
    ]

    def cost_of(run, cat):
        p, t = cat.rsplit(" ×", 1)
        return a.cost(run.env_label, p, int(t))

    grouped_bars(axes[1], cats2, env_series(ctx, a.runs, cost_of, cats2), log=True)
    axes[1].set_title("Cost per update (%s)" % a.default.get("pattern"))
    axes[1].set_ylabel("ns per update")
    # 3: acquire wait p99 against the switch interval
    ax = axes[2]
    base = a.base()
    base.pop("switch_interval_ms", None)
    many = max(threads) if threads else 1
    xs_all = set()
    for run in a.runs:
        recs = a.s.select(
            "acquire_wait_p99_us", env_label=run.env_label, primitive="Lock", threads=many, **base
        )
        recs = sorted((r for r in recs if r.get("switch_interval_ms")), key=lambda r: r["switch_interval_ms"])
        if recs:
            xs = [r["switch_interval_ms"] for r in recs]
            xs_all |= set(xs)
            ax.plot(
                xs,
                [r["median"] for r in recs],
                marker="o",
                color=ctx.palette[run.env_label],
                label=run.env_label,
            )
    if xs_all:
        log2_axis(ax, sorted(xs_all))
        ax.set_yscale("log")
        plain_log(ax, "y")
    ax.set_title("Lock acquire wait p99, %d threads" % many)
    ax.set_xlabel("switch interval (ms)")
    ax.set_ylabel("µs")
    handles = [Line2D([], [], color=ctx.palette[r.env_label], lw=6, label=r.env_label) for r in a.runs]
    header(fig, "Race conditions and lock costs", handles, columns=4)
    return to_data_uri(fig)
