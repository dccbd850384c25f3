"""The io_vs_cpu section: speedup and CPU use per workload and executor, with ideal, Amdahl and USL lines."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from report import models, stats
from report.figures import (
    EXECUTOR_COLOURS,
    executor_colour,
    header,
    header_space,
    log2_axis,
    log2_yaxis,
    subplots,
    to_data_uri,
)
from report.formatting import DASH, num, percent, ratio, with_ci
from report.load import Results, Run
from report.page import Markup, figure, join, paragraph, table, tag
from report.sections import Context, Rendered, Score
from report.sections.generic import failures

TITLE = "I/O-bound vs CPU-bound work across the GIL"
METRICS = ["speedup", "efficiency", "capacity_fraction", "cpu_util_cores", "wall_s"]
CI_METRICS = ("speedup", "cpu_util_cores", "wall_s")
#: A panel of the figures: one workload at one task count and size.
PANEL = ["workload", "tasks", "task_size"]
KNOWN_WORKLOADS = ("cpu_python", "c_hash", "sleep_io", "socket_io")
PARALLEL = tuple(e for e in EXECUTOR_COLOURS if e != "sequential")
SIZE_UNITS = {"cpu_python": "k iterations", "c_hash": "MiB", "sleep_io": "ms", "socket_io": "round trips"}
#: A model that misses the medians by more than this (RMSE / mean) is called out as a poor fit.
POOR_FIT = 0.15
#: Threads on pure-Python work below this speedup have not scaled (issue 2's test bound).
NO_SCALING = 1.3


def compare_metrics(results: Results, experiment: str) -> list:
    return ["wall_s", "speedup"]


def cpu_bound(df: pd.DataFrame) -> set:
    """Workloads the harness scored against the machine's capacity, i.e. bound by the CPU."""
    if "capacity_fraction" not in df:
        return set()
    par = df[df["executor"] != "sequential"]
    return set(par.loc[par["capacity_fraction"].notna(), "workload"])


def _workload_order(names) -> list:
    return sorted(
        set(names), key=lambda w: (KNOWN_WORKLOADS.index(w) if w in KNOWN_WORKLOADS else 99, str(w))
    )


class Analysis:
    """Medians, CIs and model fits for the newest run of each interpreter × machine."""

    def __init__(self, ctx: Context, experiment: str):
        self.runs = ctx.runs_for(experiment)
        self.df = ctx.rows(experiment)
        self.cpu_bound = cpu_bound(self.df)
        by = ["env_label"] + PANEL + ["executor", "workers"]
        # Bootstrap intervals only where they are drawn or printed; the ratios' medians are enough elsewhere.
        with_ci = [m for m in METRICS if m in CI_METRICS]
        without = [m for m in METRICS if m not in CI_METRICS]
        self.summary = pd.concat(
            [stats.summarize(self.df, by, with_ci), stats.summarize(self.df, by, without, ci=False)],
            ignore_index=True,
        )
        # Figures and sentences look up hundreds of single points: dicts, not DataFrame filters.
        self._metric = {m: g for m, g in self.summary.groupby("metric")} if not self.summary.empty else {}
        self._points: dict = {}
        self._workers: dict = {}
        for rec in self.summary.to_dict("records"):
            panel = (rec["workload"], rec["tasks"], rec["task_size"])
            self._points[(rec["metric"], rec["env_label"], panel, rec["executor"], rec["workers"])] = rec
            if rec["metric"] == "speedup":
                for key in ((rec["env_label"], panel, rec["executor"]), (rec["env_label"], panel, None)):
                    self._workers.setdefault(key, set()).add(int(rec["workers"]))
        self.fits = self._fit()
        self._fit_index = {
            (f["env_label"], (f["workload"], f["tasks"], f["task_size"]), f["executor"]): f
            for f in self.fits.to_dict("records")
        }

    def run(self, env: str) -> Run:
        return next(r for r in self.runs if r.env_label == env)

    def metric(self, metric: str, env: str | None = None) -> pd.DataFrame:
        s = self._metric.get(metric, self.summary.iloc[0:0])
        return s[s["env_label"] == env] if env is not None else s

    def panels(self, env: str) -> list:
        keys = {k[1] for k in self._workers if k[0] == env}
        order = _workload_order(k[0] for k in keys)
        return sorted(keys, key=lambda k: (order.index(k[0]), k[1], k[2]))

    def main_panel(self, env: str, workload: str) -> tuple | None:
        """The panel that best represents a workload: most worker counts, then the largest tasks."""
        panels = [p for p in self.panels(env) if p[0] == workload]
        if not panels:
            return None
        return max(panels, key=lambda p: (len(self._workers[(env, p, None)]), p[2], p[1]))

    def point(self, env: str, panel, executor: str, workers: int, metric: str = "speedup") -> dict | None:
        """One cell's summary (median, ci_low, ci_high, n, cv, noisy) as a dict, or None."""
        return self._points.get((metric, env, tuple(panel), executor, workers))

    def workers(self, env: str, panel, executor: str | None = None) -> list:
        return sorted(self._workers.get((env, tuple(panel), executor), ()))

    def series(self, env: str, panel, executor: str, metric: str = "speedup") -> tuple:
        """(workers, median, ci_low, ci_high) arrays of one executor in one panel."""
        pts = [self.point(env, panel, executor, w, metric) for w in self.workers(env, panel, executor)]
        pts = [p for p in pts if p is not None]
        cols = [[p[k] for p in pts] for k in ("workers", "median", "ci_low", "ci_high")]
        return tuple(np.asarray(c, dtype=float) for c in cols)

    def _fit(self) -> pd.DataFrame:
        rows = []
        s = self.metric("speedup")
        s = s[s["executor"] != "sequential"]
        for (env, workload, tasks, size, executor), g in s.groupby(["env_label"] + PANEL + ["executor"]):
            cores = self.run(env).cores
            bound = workload in self.cpu_bound
            n = models.model_workers(g["workers"].to_numpy(), cores, bound)
            y = g["median"].to_numpy()
            rows.append(
                {
                    "env_label": env,
                    "workload": workload,
                    "tasks": tasks,
                    "task_size": size,
                    "executor": executor,
                    "cores": cores,
                    "cpu_bound": bound,
                    "amdahl": models.fit_amdahl(n, y),
                    "usl": models.fit_usl(n, y),
                }
            )
        return pd.DataFrame(rows)

    def fit(self, env: str, panel, executor: str) -> dict | None:
        """{"amdahl": Fit or None, "usl": Fit or None, ...} of one executor in one panel, or None."""
        return self._fit_index.get((env, tuple(panel), executor))

    def thread_executor(self, env: str, panel) -> str | None:
        """Raw threads where measured, else the thread pool: where the GIL serial fraction is read."""
        for ex in ("thread", "thread_pool"):
            if self.workers(env, panel, ex):
                return ex
        return None

    def reference_workers(self, env: str, panel, executor: str) -> int | None:
        """The worker count a sentence quotes: the one nearest the machine's cores, at least 2."""
        ws = [w for w in self.workers(env, panel, executor) if w >= 2]
        if not ws:
            return None
        cores = self.run(env).cores
        return min(ws, key=lambda w: (abs(math.log2(w) - math.log2(max(cores, 2))), w))


def render(ctx: Context, experiment: str) -> Rendered:
    a = Analysis(ctx, experiment)
    parts = [
        paragraph(
            "Each cell runs a fixed number of tasks sequentially, on raw threads, on a ThreadPoolExecutor, "
            "on raw processes or on a ProcessPoolExecutor. Speedup is the sequential wall time of the same "
            "round divided by the cell's wall time (median of the per-round ratios, 95 % bootstrap CI as "
            "error bars). The grey band is ideal scaling (N workers, N times faster); for CPU-bound work "
            "the dotted black line is the machine's measured parallel capacity, which caps any executor. "
            "Dashed lines are Amdahl fits, dotted coloured lines USL fits; for CPU-bound work the models "
            "see N = min(workers, cores), since more workers than cores cannot add CPU. "
            "Lesson (the threading tutorial's I/O-bound vs CPU-bound): threads overlap waiting, but only "
            "processes — or a free-threaded build — run pure-Python computation in parallel."
        )
    ]
    if a.summary.empty:
        parts.append(paragraph("No successful repetitions to show."))
        parts.append(failures(ctx.results.frame(experiment)))
        return Rendered(html=join(parts))
    scores = {}
    for run in a.runs:
        env = run.env_label
        parts.append(tag("h3", "%s — GIL %s, %g usable cores" % (env, run.gil, run.cores)))
        for sentence_class, text in findings(a, env):
            parts.append(paragraph(text, sentence_class))
        parts.append(figure(env_figure(a, env), "Speedup and CPU cores busy vs workers on " + env))
        scores[env] = score(a, env)
    if len(a.runs) > 1:
        parts.append(tag("h3", "Interpreters and machines side by side"))
        parts.append(figure(cross_figure(ctx, a), "Speedup by interpreter and machine"))
    parts.append(tag("h3", "Median speedup [95 % CI] by workers"))
    parts.append(speedup_table(a))
    parts.append(tag("h3", "Model fits"))
    parts.append(fit_table(a))
    parts.append(failures(ctx.results.frame(experiment)))
    return Rendered(html=join(parts), scores=scores)


def _errorbar(ax, x, med, lo, hi, colour, label, marker="o"):
    """Medians joined by a line, the CI as a vertical bar (plot + vlines: errorbar is slow)."""
    if len(x) == 0:
        return
    ax.plot(x, med, color=colour, marker=marker, ms=3.5, lw=1.2, label=label)
    ok = np.isfinite(lo) & np.isfinite(hi)
    if ok.any():
        ax.vlines(x[ok], lo[ok], hi[ok], color=colour, lw=1.0)


def _capacity_curve(run: Run, max_workers: float):
    """(workers, capacity) points: measured up to the cores, flat beyond (more processes add no CPU)."""
    cap = run.capacity("start")
    if not cap:
        return None
    ns = sorted(cap)
    xs = ns + ([max_workers] if max_workers > ns[-1] else [])
    return np.array(xs, dtype=float), np.array([cap[min(int(x), ns[-1])] for x in xs])


def _panel_title(panel) -> str:
    workload, tasks, size = panel
    return "%s: %d tasks × %s %s" % (workload, tasks, num(size), SIZE_UNITS.get(workload, "units"))


def _span(values, low: float, high: float) -> tuple:
    finite = [v for arr in values for v in np.asarray(arr, dtype=float) if math.isfinite(v)]
    return (min([low] + finite), max([high] + finite))


def env_figure(a: Analysis, env: str) -> str:
    """Speedup vs workers, one panel per workload (upper rows), and CPU cores busy for the
    CPU-bound workloads (lower row; waiting work keeps no core busy, nothing to see there).

    One figure per interpreter × machine rather than two: each figure and each panel has a
    fixed cost, and ten runs must render in seconds.
    """
    run = a.run(env)
    panels = a.panels(env)
    busy = [p for p in panels if p[0] in a.cpu_bound]
    cols = min(4, max(len(panels), len(busy)))
    rows = -(-len(panels) // cols)
    busy_rows = -(-len(busy) // cols)
    handles = [Line2D([], [], color=executor_colour(e), marker="o", label=e) for e in EXECUTOR_COLOURS]
    handles += [
        Line2D([], [], color="#999999", lw=4, alpha=0.3, label="ideal (N x)"),
        Line2D([], [], color="black", ls=":", label="machine capacity / usable cores"),
        Line2D([], [], color="#555555", ls="--", lw=0.9, label="Amdahl fit"),
        Line2D([], [], color="#555555", ls=":", lw=0.9, label="USL fit"),
    ]
    fig, axes = subplots(
        (rows + busy_rows) * cols, columns=cols, height=1.7, top=header_space(len(handles), 5)
    )
    for i, ax in enumerate(axes):
        ax.set_visible(i < len(panels) or 0 <= i - rows * cols < len(busy))
    for i, panel in enumerate(panels):
        _speedup_panel(a, run, axes[i], panel, first=i % cols == 0)
    for i, panel in enumerate(busy):
        _cpu_panel(a, run, axes[rows * cols + i], panel, first=i % cols == 0)
    title = "Speedup vs workers%s — %s" % (" (upper) and CPU cores busy (lower)" if busy else "", env)
    header(fig, title, handles, columns=5)
    return to_data_uri(fig)


def _speedup_panel(a: Analysis, run: Run, ax, panel, first: bool) -> None:
    env = run.env_label
    ws = sorted(set(a.workers(env, panel)) | {1})
    bound = panel[0] in a.cpu_bound
    ax.plot([1, max(ws)], [1, max(ws)], color="#999999", lw=4, alpha=0.3, solid_capstyle="butt")
    seen = []
    for ex in PARALLEL:
        w, med, lo, hi = a.series(env, panel, ex)
        if not len(w):
            continue
        c = executor_colour(ex)
        _errorbar(ax, w, med, lo, hi, c, ex)
        seen += [med, lo, hi]
        fit = a.fit(env, panel, ex)
        if fit is not None:
            xs = np.geomspace(1, w.max(), 40)  # drawn over the measured range only
            n = models.model_workers(xs, run.cores, bound)
            for key, style in (("amdahl", "--"), ("usl", ":")):
                if fit[key] is not None:
                    ax.plot(xs, fit[key].predict(n), color=c, ls=style, lw=0.9, alpha=0.8)
    ax.plot([1], [1], marker="s", color=executor_colour("sequential"), ms=4, ls="none")
    if bound:
        cap = _capacity_curve(run, max(ws))
        if cap is not None:
            ax.plot(cap[0], cap[1], color="black", ls=":", lw=1.2)
            seen.append(cap[1])
    bottom, top = _span(seen, 1.0, 1.0)
    log2_yaxis(ax, min(0.5, bottom * 0.8), top * 1.4)
    log2_axis(ax, ws)
    ax.set_title(_panel_title(panel))
    ax.set_xlabel("workers")
    if first:
        ax.set_ylabel("speedup vs sequential (x)")


def _cpu_panel(a: Analysis, run: Run, ax, panel, first: bool) -> None:
    env = run.env_label
    seen = []
    for ex in EXECUTOR_COLOURS:
        w, med, lo, hi = a.series(env, panel, ex, "cpu_util_cores")
        _errorbar(ax, w, med, lo, hi, executor_colour(ex), ex, "s" if ex == "sequential" else "o")
        seen += [med, hi]
    ax.axhline(run.cores, color="black", ls=":", lw=1.2)
    ax.set_ylim(0, _span(seen, 0.0, max(run.cores, 1.0))[1] * 1.2)
    log2_axis(ax, sorted(set(a.workers(env, panel)) | {1}))
    ax.set_title("CPU busy: " + _panel_title(panel))
    ax.set_xlabel("workers")
    if first:
        ax.set_ylabel("CPU busy (cores)")


def cross_figure(ctx: Context, a: Analysis) -> str:
    """Rows: raw threads and the process pool; columns: workloads; one colour per interpreter × machine."""
    s = a.metric("speedup")
    workloads = _workload_order(s["workload"])
    executors = [e for e in ("thread", "process_pool") if (s["executor"] == e).any()]
    top = header_space(len(a.runs), 4)
    fig, axes = subplots(len(executors) * len(workloads), columns=len(workloads), height=1.7, top=top)
    for i, ex in enumerate(executors):
        for j, workload in enumerate(workloads):
            ax = axes[i * len(workloads) + j]
            ws, seen = {1}, []
            for run in a.runs:
                panel = a.main_panel(run.env_label, workload)
                if panel is None:
                    continue
                w, med, lo, hi = a.series(run.env_label, panel, ex)
                ws |= {int(x) for x in w}
                seen += [med, lo]
                _errorbar(ax, w, med, lo, hi, ctx.palette[run.env_label], run.env_label)
            ax.plot([1, max(ws)], [1, max(ws)], color="#999999", lw=4, alpha=0.3)
            log2_yaxis(ax, min(0.5, _span(seen, 1.0, 1.0)[0] * 0.8), max(ws) * 1.4)
            log2_axis(ax, sorted(ws))
            ax.set_title("%s on %s" % (workload, ex))
            ax.set_xlabel("workers")
            if j == 0:
                ax.set_ylabel("speedup (x)")
    handles = [Line2D([], [], color=ctx.palette[r.env_label], marker="o", label=r.env_label) for r in a.runs]
    header(
        fig,
        "Speedup by interpreter and machine (each one's newest run)",
        handles,
        columns=min(4, len(handles)),
    )
    return to_data_uri(fig)


def findings(a: Analysis, env: str) -> list:
    """Sentences saying what this interpreter × machine showed, each built from its numbers.

    Returns (css class, text) pairs; class "finding" marks a result that contradicts the theory.
    """
    run = a.run(env)
    gil_on = run.gil != "off"
    out = []
    cpu = a.main_panel(env, "cpu_python")
    if cpu is not None:
        ex = a.thread_executor(env, cpu)
        w = a.reference_workers(env, cpu, ex) if ex else None
        p = a.point(env, cpu, ex, w) if w else None
        if p is not None:
            util = a.point(env, cpu, ex, w, "cpu_util_cores")
            busy = " and kept %.1f cores busy" % util["median"] if util is not None else ""
            s = with_ci(p["median"], p["ci_low"], p["ci_high"], "x")
            if gil_on and p["median"] < NO_SCALING:
                out.append(
                    (
                        None,
                        "Pure-Python CPU work on %d GIL threads (%s) ran at %s of sequential%s: "
                        "it stays near 1x "
                        "because the GIL lets one thread run Python bytecode at a time, so the threads take "
                        "turns instead of running together." % (w, ex, s, busy),
                    )
                )
            elif gil_on:
                out.append(
                    (
                        "finding",
                        "Pure-Python CPU work on %d GIL threads reached %s — more than the GIL should allow "
                        "(theory: about 1x). Check this run's noise flags before trusting it." % (w, s),
                    )
                )
            elif p["median"] >= NO_SCALING:
                out.append(
                    (
                        None,
                        "With the GIL off, pure-Python CPU work on %d threads scaled to %s%s (%s of the "
                        "machine's measured capacity)."
                        % (w, s, busy, percent(_capacity_fraction(a, env, cpu, ex, w))),
                    )
                )
            else:
                out.append(
                    (
                        "finding",
                        "The GIL is off, yet pure-Python CPU work on %d threads stayed at %s%s: something "
                        "other than the GIL serialised the threads here." % (w, s, busy),
                    )
                )
        best = _best_process(a, env, cpu)
        if best is not None:
            ex_p, w_p, p = best
            frac = _capacity_fraction(a, env, cpu, ex_p, w_p)
            cap = run.capacity("start").get(int(min(w_p, run.cores)))
            text = (
                "The same work on %d processes (%s) reached %s, %s of what this machine could give then "
                % (
                    w_p,
                    ex_p,
                    with_ci(p["median"], p["ci_low"], p["ci_high"], "x"),
                    percent(frac),
                )
            )
            text += "(capacity %s)." % ratio(cap) if cap else "(capacity not measured)."
            if math.isfinite(frac) and frac < 0.7:
                text += (
                    " Process start-up and pickling eat into these short tasks; larger tasks amortise them."
                )
            elif math.isfinite(frac) and frac > 1.1:
                text += (
                    " Above 100 %: the machine gave more during this cell than when its capacity was "
                    "measured — its speed drifts (see run quality)."
                )
            out.append((None, text))
    c_hash = a.main_panel(env, "c_hash")
    if c_hash is not None:
        ex = a.thread_executor(env, c_hash)
        w = a.reference_workers(env, c_hash, ex) if ex else None
        p = a.point(env, c_hash, ex, w) if w else None
        if p is not None:
            s = with_ci(p["median"], p["ci_low"], p["ci_high"], "x")
            if p["median"] >= NO_SCALING:
                out.append(
                    (
                        None,
                        "hashlib.sha256 on %d threads reached %s: C code that releases the GIL runs in "
                        "parallel on threads, up to the machine's cores." % (w, s),
                    )
                )
            elif run.cores < 2:
                out.append(
                    (
                        None,
                        "hashlib on threads stayed at %s: with one usable core nothing runs in parallel." % s,
                    )
                )
            else:
                out.append(
                    (
                        "finding",
                        "hashlib.sha256 on %d threads stayed at %s although it releases the GIL and "
                        "the machine "
                        "has %g cores: the machine was probably busy (see run quality)." % (w, s, run.cores),
                    )
                )
    for workload, what in (
        ("sleep_io", "sleeping in time.sleep"),
        ("socket_io", "doing loopback socket round trips"),
    ):
        panel = a.main_panel(env, workload)
        ex = a.thread_executor(env, panel) if panel else None
        if ex is None:
            continue
        ws = a.workers(env, panel, ex)
        w = 8 if 8 in ws else max(ws)
        p = a.point(env, panel, ex, w)
        e = a.point(env, panel, ex, w, "efficiency")
        if p is None or w < 2:
            continue
        out.append(
            (
                None,
                "%d threads %s overlapped to %s (%s of the ideal %dx): waiting releases the GIL, so "
                "I/O-bound threads scale with the number of waits, not with cores."
                % (
                    w,
                    what,
                    with_ci(p["median"], p["ci_low"], p["ci_high"], "x"),
                    percent(e["median"] if e is not None else math.nan),
                    w,
                ),
            )
        )
    if cpu is not None:
        ex = a.thread_executor(env, cpu)
        fit = a.fit(env, cpu, ex) if ex else None
        if fit is not None and fit["amdahl"] is not None:
            serial = fit["amdahl"].params["serial"]
            text = (
                "Amdahl's law fitted to pure-Python work on %s gives a serial fraction of %.2f "
                "(1 = fully serial)."
                % (
                    ex,
                    serial,
                )
            )
            out.append((None, text))
    poor = []
    for _, f in a.fits[a.fits["env_label"] == env].iterrows() if not a.fits.empty else []:
        for key in ("amdahl", "usl"):
            fit = f[key]
            if fit is not None and fit.relative_rmse > POOR_FIT:
                poor.append(
                    "%s on %s (%s misses by %s)"
                    % (f["workload"], f["executor"], key, percent(fit.relative_rmse))
                )
    if poor:
        out.append(
            (
                "finding",
                "The models do not describe every curve: %s. Where a curve falls as workers are added, "
                "coordination costs grow faster than either model allows." % "; ".join(poor[:4]),
            )
        )
    return out


def _capacity_fraction(a: Analysis, env: str, panel, executor: str, workers: int) -> float:
    p = a.point(env, panel, executor, workers, "capacity_fraction")
    return float(p["median"]) if p is not None else math.nan


def _best_process(a: Analysis, env: str, panel):
    best = None
    for ex in ("process", "process_pool"):
        for w in a.workers(env, panel, ex):
            p = a.point(env, panel, ex, w)
            if p is not None and (best is None or p["median"] > best[2]["median"]):
                best = (ex, w, p)
    return best


def score(a: Analysis, env: str) -> dict:
    """This section's scorecard entries for one interpreter × machine."""
    out = {}
    cpu = a.main_panel(env, "cpu_python")
    if cpu is not None:
        ex = a.thread_executor(env, cpu)
        fit = a.fit(env, cpu, ex) if ex else None
        if fit is not None and fit["amdahl"] is not None:
            serial = fit["amdahl"].params["serial"]
            out["serial_fraction"] = Score(
                serial, "%.2f" % serial, "Amdahl fit, pure-Python CPU work on %s" % ex
            )
        best = _best_process(a, env, cpu)
        if best is not None:
            ex_p, w_p, p = best
            frac = _capacity_fraction(a, env, cpu, ex_p, w_p)
            text = ratio(p["median"]) + (" (%s of capacity)" % percent(frac) if math.isfinite(frac) else "")
            out["best_process_speedup"] = Score(
                float(p["median"]), text, "%s, %d workers, pure-Python work" % (ex_p, w_p)
            )
    sleep = a.main_panel(env, "sleep_io")
    ex = a.thread_executor(env, sleep) if sleep else None
    if ex is not None and 8 in a.workers(env, sleep, ex):
        e = a.point(env, sleep, ex, 8, "efficiency")
        if e is not None:
            out["io_overlap_efficiency"] = Score(
                float(e["median"]), percent(e["median"]), "sleep I/O on 8 %s workers" % ex
            )
    return out


def _blank_repeats(rows: list, columns: int) -> list:
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


def speedup_table(a: Analysis) -> Markup:
    s = a.metric("speedup")
    all_workers = sorted(int(w) for w in s.loc[s["executor"] != "sequential", "workers"].unique())
    rows = []
    for run in a.runs:
        env = run.env_label
        for panel in a.panels(env):
            base = a.point(env, panel, "sequential", 1, "wall_s")
            base_text = (
                with_ci(base["median"], base["ci_low"], base["ci_high"], " s") if base is not None else DASH
            )
            for ex in PARALLEL:
                if not a.workers(env, panel, ex):
                    continue
                row = [env, _panel_title(panel), (base_text, "num"), ex]
                for w in all_workers:
                    p = a.point(env, panel, ex, w)
                    if p is None:
                        row.append((DASH, "missing"))
                        continue
                    css = "num noisy" if p["noisy"] else "num"
                    title = "n=%d, CV %s" % (p["n"], percent(p["cv"], 1))
                    row.append((with_ci(p["median"], p["ci_low"], p["ci_high"], "x"), css, title))
                rows.append(row)
    header = ["interpreter @ machine", "workload", "sequential wall", "executor"]
    header += ["%d worker%s" % (w, "" if w == 1 else "s") for w in all_workers]
    return join(
        [
            table(header, _blank_repeats(rows, 3), class_="compact"),
            paragraph(
                "Italic: the repetitions vary by more than %s (coefficient of variation); hover for n and CV."
                % percent(stats.CV_NOISY),
                "muted",
            ),
        ]
    )


def fit_table(a: Analysis) -> Markup:
    if a.fits.empty:
        return paragraph("Nothing to fit.")
    rows = []
    order = {w: i for i, w in enumerate(_workload_order(a.fits["workload"]))}
    fits = a.fits.assign(_w=a.fits["workload"].map(order))
    for _, f in fits.sort_values(["env_label", "_w", "tasks", "task_size", "executor"]).iterrows():
        am, us = f["amdahl"], f["usl"]
        rows.append(
            [
                f["env_label"],
                _panel_title((f["workload"], f["tasks"], f["task_size"])),
                f["executor"],
                "min(workers, %g)" % f["cores"] if f["cpu_bound"] else "workers",
                (num(am.params["serial"], 3) if am else DASH, "num"),
                (percent(am.relative_rmse, 1) if am else DASH, "num"),
                (num(us.params["sigma"], 3) if us else DASH, "num"),
                (num(us.params["kappa"], 3) if us else DASH, "num"),
                (percent(us.relative_rmse, 1) if us else DASH, "num"),
            ]
        )
    header = [
        "interpreter @ machine",
        "workload",
        "executor",
        "model N",
        "Amdahl serial fraction",
        "Amdahl miss",
        "USL σ (contention)",
        "USL κ (coherency)",
        "USL miss",
    ]
    note = paragraph(
        "Fitted by non-linear least squares (scipy curve_fit) to the median speedup per worker count. "
        "Miss = RMSE / mean speedup. USL needs two distinct N > 1 (a dash otherwise): on a machine "
        "with few cores, CPU-bound work offers only N = 2.",
        "muted",
    )
    return join([table(header, _blank_repeats(rows, 2), class_="compact"), note])
