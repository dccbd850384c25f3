"""The advice as the command line prints it (text, markdown, JSON) and as the table that opens the page
(the decisions: report.analysis.advice)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from report.analysis.family import DEFAULT_THRESHOLD
from report.page.html import Markup, join, paragraph, table, tag

if TYPE_CHECKING:
    from report.analysis.advice import Advice, Plan

FORMATS = ("text", "brief", "markdown", "json")

HEADER = [
    "workload",
    "interpreter",
    "machine",
    "use",
    "speed vs baseline [95 %]",
    "peak RSS",
    "runner-up",
    "why",
]


def cells(a: Advice) -> list:
    """One advised panel: the option to use (or "inconclusive"), its speed, the runner-up and why."""
    runner = "%s (%s)" % (a.runner_up.label, a.runner_up.speed_text()) if a.runner_up else "—"
    why = "; ".join([a.why] + a.notes)
    use = a.choice.label if a.choice is not None else "inconclusive"
    return [
        "%s: %s" % (a.experiment, a.workload),
        "%s (GIL %s)" % (a.run.interpreter_label, a.run.gil),
        a.run.machine_label,
        use,
        a.choice.speed_text() if a.choice is not None else "—",
        a.choice.peak_rss() if a.choice is not None else "—",
        runner,
        why,
    ]


def interpreter_lines(plan: Plan) -> list:
    """Which interpreter to use, where several were measured in one invocation."""
    out = []
    for i in plan.interpreters:
        a = i["advice"]
        use = a.choice if a.choice else "inconclusive"
        out.append(
            "%s: %s on %s: interpreter %s (%s)"
            % (i["experiment"], i["workload"], i["machine"], use, a.reason)
        )
    return out


def baseline_lines(plan: Plan) -> list:
    return [
        "%s: speeds are against the sequential cell of %s (%s), one scale for every interpreter"
        % (name, run.run_id, run.env_label)
        for name, run in plan.baselines.items()
    ]


def render_text(plan: Plan, failed: list = ()) -> str:
    if not plan.advice and failed:
        return "nothing to advise: every cell failed\n" + "".join("  %s\n" % line for line in failed)
    if not plan.advice:
        return (
            "no executor experiment (cells compared over executor and workers against a sequential "
            "one) in these runs: nothing to advise\n"
        )
    lines = baseline_lines(plan) + [""] + interpreter_lines(plan) + ([""] if plan.interpreters else [])
    for a in plan.advice:
        row = cells(a)
        lines.append("%s — %s on %s" % (row[0], row[1], row[2]))
        if a.choice is None and a.machine_bound:
            lines.append("  inconclusive: the machine gave too few cores' worth to decide")
        elif a.choice is None:
            lines.append("  inconclusive: no option shown fastest or shown equivalent to it")
        else:
            lines.append("  use %s: %s, peak RSS %s" % (row[3], row[4], row[5]))
        lines.append("  runner-up: %s" % row[6])
        lines.append("  why: %s" % row[7])
        lines.append("")
    return "\n".join(lines)


def failed_functions(results, experiments: list) -> list:
    """``experiment: function on interpreter: error`` for each function (or experiment) of ``experiments``
    whose every cell failed on a run: what to say instead of nothing."""
    lines = []
    for name in experiments:
        df = results.frame(name)
        if df.empty or "status" not in df:
            continue
        keys = ["run_id", "function"] if "function" in df else ["run_id"]
        for key, rows in df.groupby(keys, sort=True):
            bad = rows[rows["status"].isin(("error", "timeout"))]
            if bad.empty or (rows["status"] == "ok").any():
                continue
            what = "%s %s" % (name, key[1]) if len(keys) > 1 else name
            errors = bad["error"].fillna("").astype(str)
            why = (
                errors[errors != ""].value_counts().index[0]
                if (errors != "").any()
                else bad["status"].iloc[0]
            )
            lines.append("%s failed in every cell of %s: %s" % (what, key[0], why))
    return lines


def render_markdown(plan: Plan) -> str:
    if not plan.advice:
        return "_No executor experiment in these runs: nothing to advise._\n"
    esc = lambda s: str(s).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(esc(c) for c in cells(a)) + " |" for a in plan.advice]
    lines += [""] + ["_%s._" % line for line in baseline_lines(plan) + interpreter_lines(plan)]
    return "\n".join(lines) + "\n"


def render_brief(plan: Plan) -> str:
    """One line per advice, no reasons (the console of ``make bench``; ``advise`` gives them)."""
    if not plan.advice:
        return render_text(plan)
    lines = []
    for a in plan.advice:
        row = cells(a)
        where = "%s, %s on %s: " % (row[0], row[1], row[2])
        if a.choice is not None:
            lines.append("%suse %s, %s" % (where, row[3], a.choice.speed_text()))
        elif a.runner_up is not None:
            fastest = "%s, %s" % (a.runner_up.label, a.runner_up.speed_text())
            lines.append("%sinconclusive (fastest by median: %s)" % (where, fastest))
        else:
            lines.append(where + "inconclusive")
    return "\n".join(lines) + "\n"


def render(plan: Plan, fmt: str) -> str:
    renderers = {"text": render_text, "brief": render_brief, "markdown": render_markdown}
    return renderers.get(fmt, lambda p: p.to_json() + "\n")(plan)


def render_html(plan: Plan, threshold: float = DEFAULT_THRESHOLD) -> Markup:
    """The advice table that opens the page."""
    if not plan.advice:
        return paragraph(
            "No executor experiment (cells compared over executor and workers against a sequential one) "
            "in these runs.",
            "muted",
        )
    rows = [cells(a) for a in plan.advice]
    classes = ["muted" if a.provisional else None for a in plan.advice]
    return join(
        [
            paragraph(
                "For each workload, interpreter and machine: the way of running its tasks to use. The "
                "fastest option by median is advised, unless a simpler one (one thread, then threads, then "
                "processes; fewer workers first) is shown equivalent to it (its interval, round by round, "
                "inside ±%g %%); an option shown slower than another is never advised; when neither is "
                'shown the row says "inconclusive" and the rounds that would settle it. %s. The same '
                "table prints with `python -m report advise` (or `make advise`)."
                % (threshold * 100, "; ".join(baseline_lines(plan) + interpreter_lines(plan))),
                "muted",
            ),
            table(HEADER, rows, row_classes=classes),
            tag(
                "p", "Greyed rows are inconclusive: their rounds could not settle the choice.", class_="muted"
            )
            if any(classes)
            else "",
        ]
    )
