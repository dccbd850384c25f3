"""The io_vs_cpu section: speedup and CPU use per workload and executor, with ideal, Amdahl and USL lines,
and every interpreter against one shared baseline."""

# The numbers and fits live in io_vs_cpu_analysis, the figures in io_vs_cpu_figures and the
# sentences in io_vs_cpu_findings; this module puts them on the page, with the tables.

from __future__ import annotations

from report.analysis import models
from report.analysis import statistics as stats
from report.analysis.load import Results
from report.page.formatting import DASH, percent, record_ci
from report.page.html import Markup, figure, join, paragraph, table, tag
from report.page.sections import Column, Context, Rendered
from report.page.sections.io_vs_cpu.analysis import METRICS, Analysis, panel_title, workload_order
from report.page.sections.io_vs_cpu.figures import baseline_figure, env_figure
from report.page.sections.io_vs_cpu.findings import findings, score
from report.page.tables import blank_repeats, failures

FIT_HEADER = [
    "interpreter @ machine",
    "workload",
    "executor",
    "model N",
    "fitted to",
    "Amdahl serial fraction",
    "Amdahl miss",
    "USL σ (contention)",
    "USL κ (coherency)",
    "USL miss",
]
REQUIRED = ("workload", "executor", "workers", "tasks", "task_size", "speedup", "wall_s")
SCORECARD = (
    Column("serial_fraction", "GIL serial fraction (threads, pure Python)", -1, position=1),
    Column("single_thread_cost", "single-thread time vs the shared baseline (pure Python)", -1, position=2),
    Column("best_process_speedup", "best process speedup", +1, position=3),
    Column("io_overlap_efficiency", "I/O overlap efficiency at 8 workers", +1, position=5),
)
INTRO = (
    "Each cell runs a fixed number of tasks sequentially, on raw threads, on a ThreadPoolExecutor, "
    "on raw processes or on a ProcessPoolExecutor (and on whatever other executors the run measured). "
    "Speedup is the sequential wall time of the same round divided by the cell's wall time: the median "
    "of the per-round ratios, with its exact 95 % interval as error bars (none below 6 rounds). The grey "
    "band is ideal scaling (N workers, N times faster); for CPU-bound work the dotted black line is the "
    "machine's measured parallel capacity, which caps any executor. Dashed lines are Amdahl fits, dotted "
    "coloured lines USL fits, with intervals from a bootstrap over rounds; for CPU-bound work the models "
    "see N = min(workers, cores), and process executors are fitted to their speedup over the machine's "
    "capacity, so a serial fraction is the executor's and not the machine's shortfall. "
    "Lesson (the threading tutorial's I/O-bound vs CPU-bound): threads overlap waiting, but only "
    "processes — or a free-threaded build — run pure-Python computation in parallel."
)


def compare_metrics(results: Results, experiment: str) -> list:
    return ["wall_s", "speedup"]


def render(ctx: Context, experiment: str) -> Rendered:
    a = Analysis(ctx, experiment)
    parts = [paragraph(INTRO)]
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
    if len(a.runs) > 1 and a.baseline is not None:
        parts.append(
            tag("h3", "Every interpreter against one baseline: %s, sequential" % a.baseline.env_label)
        )
        parts.append(figure(baseline_figure(ctx, a), "Speed against the shared baseline"))
        parts.append(baseline_table(a))
    parts.append(tag("h3", "Median speedup [95 % CI] by workers, each against its own sequential run"))
    parts.append(speedup_table(a))
    parts.append(tag("h3", "Model fits"))
    parts.append(fit_table(a))
    parts.append(failures(ctx.results.frame(experiment)))
    return Rendered(html=join(parts), scores=scores)


def _all_workers(a: Analysis) -> list:
    s = a.metric("speedup")
    return sorted(int(w) for w in s.loc[s["executor"] != a.sequential, "workers"].unique())


def _cell(rec: dict | None, unit: str = "x") -> tuple:
    if rec is None:
        return (DASH, "missing")
    title = "n=%d%s" % (rec["n"], ", CV %s" % percent(rec["cv"], 1) if "cv" in rec else "")
    css = "num noisy" if rec.get("noisy") else "num"
    return (record_ci(rec, unit), css, title)


def speedup_table(a: Analysis) -> Markup:
    all_workers = _all_workers(a)
    rows = []
    for run in a.runs:
        env = run.env_label
        for panel in a.panels(env):
            base = a.point(env, panel, a.sequential, 1, "wall_s")
            base_text = record_ci(base, " s") if base is not None else DASH
            for ex in a.parallel:
                if not a.workers(env, panel, ex):
                    continue
                row = [env, panel_title(panel, a.size_unit(panel[0])), (base_text, "num"), ex]
                row += [_cell(a.point(env, panel, ex, w)) for w in all_workers]
                rows.append(row)
    header = ["interpreter @ machine", "workload", "sequential wall", "executor"]
    header += ["%d worker%s" % (w, "" if w == 1 else "s") for w in all_workers]
    note = paragraph(
        "Italic: the repetitions vary by more than %s (coefficient of variation); hover for n and CV."
        % percent(stats.CV_NOISY),
        "muted",
    )
    return join([table(header, blank_repeats(rows, 3), class_="compact"), note])


def baseline_table(a: Analysis) -> Markup:
    """Every cell's speed over the shared baseline's sequential cell of the same workload."""
    all_workers = _all_workers(a)
    rows = []
    for run in a.runs:
        env = run.env_label
        for panel in a.panels(env):
            seq = a.vs_baseline(env, panel, a.sequential, 1)
            how = seq.how() if seq is not None else DASH
            for ex in a.parallel:
                if not a.workers(env, panel, ex):
                    continue
                cells = [a.vs_baseline(env, panel, ex, w) for w in all_workers]
                row = [env, panel_title(panel, a.size_unit(panel[0])), _ratio_cell(seq), ex]
                rows.append(row + [_ratio_cell(r) for r in cells] + [how])
    header = ["interpreter @ machine", "workload", "sequential", "executor"]
    header += ["%d worker%s" % (w, "" if w == 1 else "s") for w in all_workers] + ["how"]
    note = paragraph(
        "Speed over %s running the same workload sequentially (> 1x: faster than the baseline). Runs "
        "interleaved with the baseline in one invocation are paired round by round (median of per-round "
        "ratios, exact interval, none below 6 rounds); others are a ratio of medians whose interval adds "
        "the run-to-run noise of the machine's speed. The baseline is the --baseline run, else a GIL build."
        % a.baseline.env_label,
        "muted",
    )
    return join([table(header, blank_repeats(rows, 3), class_="compact"), note])


def _ratio_cell(r) -> tuple:
    if r is None:
        return (DASH, "missing")
    return (record_ci(r.record(), "x"), "num", "n=%d; %s" % (r.n, r.ci_note or r.how()))


def fit_table(a: Analysis) -> Markup:
    if not a.fits:
        return paragraph("Nothing to fit.")
    order = {w: i for i, w in enumerate(workload_order(f["panel"][0] for f in a.fits))}
    rows = []
    for f in sorted(
        a.fits, key=lambda f: (f["env_label"], order[f["panel"][0]], f["panel"][1:], f["executor"])
    ):
        am, us = f["amdahl"], f["usl"]
        rows.append(
            [
                f["env_label"],
                panel_title(f["panel"], a.size_unit(f["panel"][0])),
                f["executor"],
                "min(workers, %g)" % f["cores"] if f["cpu_bound"] else "workers",
                f["fitted_to"],
                (models.describe(am, "serial") if am else DASH, "num"),
                (percent(am.relative_rmse, 1) if am else DASH, "num"),
                (models.describe(us, "sigma", 3) if us else DASH, "num"),
                (models.describe(us, "kappa", 4) if us else DASH, "num"),
                (percent(us.relative_rmse, 1) if us else DASH, "num"),
            ]
        )
    header = FIT_HEADER
    note = paragraph(
        "Fitted by bounded non-linear least squares (the minimum scipy's curve_fit finds) to the "
        "median per worker count; 95 % intervals by a percentile bootstrap over whole rounds "
        "(scipy.stats.bootstrap: rounds resampled, medians retaken, model refitted), none below 6 "
        "rounds. A parameter on its bound (serial fraction 1 or 0, σ 0 or 1, κ 0) is shown as the "
        "side its interval allows: the fit could not go further. Miss = RMSE / mean speedup. USL "
        "needs two distinct N > 1 (a dash otherwise): on a machine with few cores, CPU-bound work "
        "offers only N = 2.",
        "muted",
    )
    return join([table(header, blank_repeats(rows, 2), class_="compact"), note])


__all__ = ["METRICS", "REQUIRED", "Analysis", "compare_metrics", "render", "speedup_table", "fit_table"]
