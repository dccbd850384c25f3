"""Assembles the page: scorecard, run quality, one section per experiment, comparisons, environments."""

from __future__ import annotations

import time
from pathlib import Path

from experiments.schema import write_atomically
from report.analysis.advice import advisable, advise
from report.analysis.compare import DEFAULT_THRESHOLD, compare_all
from report.analysis.load import Results, ResultsError
from report.page import advice, comparisons, environments, problems, quality, scorecard
from report.page.figures import Palette
from report.page.html import Markup, document, join, paragraph, section, tag
from report.page.sections import Context, Rendered, metrics_for, one_line, scorecard_columns, section_for


def render_section(ctx: Context, name: str) -> Rendered:
    """One experiment's section; a section that fails becomes a box saying so, and the page goes on."""
    try:
        return section_for(name, ctx.results).render(ctx, name)
    except Exception as exc:
        return Rendered(html=failure_box(ctx.results, "section %s" % name, exc))


def render_advice(results: Results, baseline: str | None) -> Markup:
    """The advice table (report.page.advice) that opens the page; a failure is a box, as for a section."""
    try:
        return advice.render_html(advise(results, baseline))
    except Exception as exc:
        return failure_box(results, "the advice table", exc)


def failure_box(results: Results, what: str, exc: BaseException) -> Markup:
    """A box saying ``what`` failed, with its one-line error; the warning is printed after rendering."""
    message = one_line(exc)
    results.warnings.append("%s failed to render: %s" % (what, message))
    box = join(
        [
            tag("strong", "This section failed to render: "),
            tag("code", message),
            paragraph(
                "Its data are intact in the run folders; the rest of the page is unaffected. "
                "Please report this with the run folder attached.",
                "muted",
            ),
        ]
    )
    return Markup(tag("div", box, class_="warn section-error"))


def render_report(results: Results, baseline: str | None = None, threshold: float | None = None) -> str:
    """The whole page as one HTML string."""
    if not results.runs:
        raise ResultsError("no runs to report on")
    t = threshold or DEFAULT_THRESHOLD
    if baseline:
        results.run(baseline)  # fail early, in one line, on an unknown baseline
    ctx = Context(results, Palette(r.env_label for r in results.runs), baseline)
    sections, scores = [], {}
    for name in results.experiments():
        if not section_for(name, results).shown:
            continue
        rendered = render_section(ctx, name)
        for env, s in rendered.scores.items():
            scores.setdefault(env, {}).update(s)
        title = results.info(name).title
        sections.append(("exp-" + name, "%s — %s" % (name, title) if title else name, rendered.html))
    advised = advisable(results)
    nav = [("advice", "Advice")] if advised else []
    nav += [("scorecard", "Scorecard"), ("quality", "Run quality")]
    nav += [(anchor, title.split(" — ")[0]) for anchor, title, _ in sections]
    nav += [("comparisons", "Comparisons"), ("environments", "Environments")]
    body = [problems.render(results)]
    if advised:
        body.append(section("advice", "Advice: what to use", render_advice(results, baseline)))
    body += [
        section("scorecard", "Scorecard", scorecard.render(results, scores, scorecard_columns())),
        section("quality", "Run quality", quality.render(results)),
    ]
    body += [section(anchor, title, html) for anchor, title, html in sections]
    body.append(
        section(
            "comparisons",
            "Comparisons across runs",
            comparisons.render(results, compare_all(results, baseline, metrics_for(results), threshold=t), t),
        )
    )
    body.append(section("environments", "Environments", environments.render(results)))
    envs = sorted({r.env_label for r in results.runs})
    subtitle = "%d run%s: %s. Generated %s." % (
        len(results.runs),
        "" if len(results.runs) == 1 else "s",
        ", ".join(envs),
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    )
    return document("gilbench report", nav, join(body), subtitle)


def write_report(
    results: Results, output: Path, baseline: str | None = None, threshold: float | None = None
) -> Path:
    """Render and write the page atomically; an unwritable output is a one-line ResultsError."""
    output = Path(output)
    text = render_report(results, baseline, threshold)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(output, text)
    except OSError as exc:
        raise ResultsError(
            "cannot write %s: %s; choose another path with --output" % (output, exc.strerror or exc)
        ) from None
    return output
