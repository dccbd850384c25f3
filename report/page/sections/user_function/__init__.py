"""The user_function section: your own function on every executor, one panel per function (and per
variant), with speedup, CPU busy and peak memory against workers, its advice and its findings."""

# The numbers live in analysis (io_vs_cpu's, one panel per function), the figure in figures and the
# sentences in findings; this module puts them on the page.

from __future__ import annotations

from report.page.html import figure, join, paragraph, tag
from report.page.sections import Column, Context, Rendered
from report.page.sections.io_vs_cpu.figures import baseline_figure
from report.page.sections.user_function.analysis import FAILED, LABEL, Analysis
from report.page.sections.user_function.figures import function_figure
from report.page.sections.user_function.findings import findings, score
from report.page.tables import failures

REQUIRED = ("function", "executor", "workers", "tasks", "speedup", "wall_s")
SCORECARD = (Column("function_best_speedup", "your function: best speedup", +1, position=10),)
INTRO = (
    "Your function, called as fn(index, **args) for each task, on every executor the run measured. "
    "Speedup is the sequential wall time of the same round divided by the cell's: the median of the "
    "per-round ratios with its exact 95 % interval as error bars (none below 6 rounds); the grey band is "
    "ideal scaling, dashed and dotted lines Amdahl and USL fits. CPU busy and peak memory count the whole "
    "process tree of the cell. One panel per function (and per variant or arguments)."
)


BASELINE_INTRO = (
    "Each function's speed on every interpreter × machine over the baseline's sequential run of the "
    "same function (from the same rounds where they were interleaved): a slower single thread shows "
    "here instead of being divided out, as it is in the speedups above."
)


def compare_metrics(results, experiment: str) -> list:
    return ["wall_s", "speedup"]


def _advice(ctx: Context, experiment: str) -> list:
    """Every Advice of this experiment (report.analysis.advice), or none when it cannot be given."""
    try:
        from report.analysis.advice import advise

        return [a for a in advise(ctx.results).advice if a.experiment == experiment]
    except Exception:  # the advice is a help on this page, not a reason to lose the section
        return []


def _advice_line(advice: list, env: str, function: str):
    from report.page.advice import cells

    for a in advice:
        if a.run.env_label == env and ("function=%s," % function.split(" ")[0]) in a.workload + ",":
            row = cells(a)
            return paragraph(
                "Advice: use %s (%s against the baseline); %s." % (row[3], row[4], row[7]), "advice"
            )
    return None


def render(ctx: Context, experiment: str) -> Rendered:
    a = Analysis(ctx, experiment)
    parts = [paragraph(INTRO)]
    advice = _advice(ctx, experiment)
    scores = {}
    for run in a.runs:
        env = run.env_label
        parts.append(tag("h3", "%s — GIL %s, %g usable cores" % (env, run.gil, run.cores)))
        measured = {p[0]: p for p in a.panels(env)}
        for function in a.functions(env):
            parts.append(tag("h4", function))
            failed, error = a.failures(env, function)
            if failed:
                parts.append(
                    paragraph(
                        "%d repetition%s failed: %s" % (failed, "" if failed == 1 else "s", error), "finding"
                    )
                )
            panel = measured.get(function)
            if panel is None:
                parts.append(paragraph("No cell of %s measured anything on %s." % (function, env), "finding"))
                continue
            for css, text in findings(a, env, panel):
                parts.append(paragraph(text, css))
            line = _advice_line(advice, env, function)
            if line is not None:
                parts.append(line)
            parts.append(figure(function_figure(a, env, panel), "%s on %s" % (function, env)))
        own = score(a, env)
        if own:
            scores[env] = own
    if len(a.runs) > 1 and a.baseline is not None and a.functions():
        head = "Every interpreter against one baseline: %s, sequential" % a.baseline.env_label
        parts.append(tag("h3", head))
        parts.append(paragraph(BASELINE_INTRO))
        parts.append(figure(baseline_figure(ctx, a), "Each function's speed against the shared baseline"))
    parts.extend(_unmeasured(a, ctx.results.frame(experiment)))
    parts.append(failures(ctx.results.frame(experiment)))
    return Rendered(html=join(parts), scores=scores)


def _unmeasured(a: Analysis, every_row) -> list:
    """A heading and the commonest error of each function of any run that is not named above (a run
    whose every cell failed is not the one shown for its interpreter × machine)."""
    df = a.frame(every_row)
    if df is None or df.empty or LABEL not in df:
        return []
    shown = {f for run in a.runs for f in a.functions(run.env_label)}
    parts = []
    for function, rows in df.groupby(LABEL, sort=False):
        if function in shown:
            continue
        bad = rows[rows["status"].isin(FAILED)]
        errors = bad["error"].fillna("").astype(str)
        why = errors[errors != ""].value_counts().index[0] if (errors != "").any() else "no ok cell"
        parts.append(tag("h4", function))
        text = "No cell measured anything in %s: %d of %d repetitions failed, most often with %s." % (
            ", ".join(sorted(rows["run_id"].unique())),
            len(bad),
            len(rows),
            why,
        )
        parts.append(paragraph(text, "finding"))
    return parts
