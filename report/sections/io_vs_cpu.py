"""The io_vs_cpu section: speedup and CPU use per workload and executor, with ideal, Amdahl and USL lines."""

# The numbers and fits live in io_vs_cpu_analysis, the figures in io_vs_cpu_figures and the
# sentences in io_vs_cpu_findings; this module puts them on the page, with the tables.

from __future__ import annotations

from report import stats
from report.formatting import DASH, num, percent, with_ci
from report.load import Results
from report.page import Markup, figure, join, paragraph, table, tag
from report.sections import Context, Rendered
from report.sections.io_vs_cpu_analysis import METRICS, PARALLEL, Analysis, panel_title, workload_order
from report.sections.io_vs_cpu_figures import cross_figure, env_figure
from report.sections.io_vs_cpu_findings import findings, score
from report.tables import blank_repeats, failures

TITLE = "I/O-bound vs CPU-bound work across the GIL"


def compare_metrics(results: Results, experiment: str) -> list:
    return ["wall_s", "speedup"]


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
                row = [env, panel_title(panel), (base_text, "num"), ex]
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
            table(header, blank_repeats(rows, 3), class_="compact"),
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
    order = {w: i for i, w in enumerate(workload_order(a.fits["workload"]))}
    fits = a.fits.assign(_w=a.fits["workload"].map(order))
    for _, f in fits.sort_values(["env_label", "_w", "tasks", "task_size", "executor"]).iterrows():
        am, us = f["amdahl"], f["usl"]
        rows.append(
            [
                f["env_label"],
                panel_title((f["workload"], f["tasks"], f["task_size"])),
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
    return join([table(header, blank_repeats(rows, 2), class_="compact"), note])


__all__ = ["METRICS", "TITLE", "Analysis", "compare_metrics", "render", "speedup_table", "fit_table"]
