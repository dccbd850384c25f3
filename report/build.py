"""Assembles the page: scorecard, run quality, one section per experiment, comparisons, environments."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from experiments.schema import write_atomically
from report import compare, environments, problems, quality, scorecard
from report.figures import Palette
from report.load import Results, ResultsError
from report.page import document, join, section
from report.sections import Context, module_for

#: Capacity has no section of its own (the run-quality box shows it); across runs its loop rate is compared.
CAPACITY_METRICS = ["loop_rate_hz", "speedup"]


def metrics_for(results: Results) -> Callable[[str], list]:
    """experiment -> the metrics compared across runs (asked of each section once)."""
    chosen = {
        name: module_for(name, results).compare_metrics(results, name) for name in results.experiments()
    }
    chosen["capacity"] = CAPACITY_METRICS
    return lambda experiment: chosen.get(experiment, [])


def render_report(results: Results, baseline: str | None = None) -> str:
    """The whole page as one HTML string."""
    if not results.runs:
        raise ResultsError("no runs to report on")
    if baseline:
        results.run(baseline)  # fail early, in one line, on an unknown baseline
    ctx = Context(results, Palette(r.env_label for r in results.runs))
    sections, scores = [], {}
    for name in results.experiments():
        if name == "capacity":
            continue
        module = module_for(name, results)
        rendered = module.render(ctx, name)
        for env, s in rendered.scores.items():
            scores.setdefault(env, {}).update(s)
        title = results.info(name).title
        sections.append(("exp-" + name, "%s — %s" % (name, title) if title else name, rendered.html))
    nav = [("scorecard", "Scorecard"), ("quality", "Run quality")]
    nav += [(anchor, title.split(" — ")[0]) for anchor, title, _ in sections]
    nav += [("comparisons", "Comparisons"), ("environments", "Environments")]
    body = [
        problems.render(results),
        section("scorecard", "Scorecard", scorecard.render(results, scores)),
        section("quality", "Run quality", quality.render(results)),
    ]
    body += [section(anchor, title, html) for anchor, title, html in sections]
    body.append(
        section(
            "comparisons", "Comparisons across runs", compare.render(results, baseline, metrics_for(results))
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


def write_report(results: Results, output: Path, baseline: str | None = None) -> Path:
    """Render and write the page atomically; an unwritable output is a one-line ResultsError."""
    output = Path(output)
    text = render_report(results, baseline)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(output, text)
    except OSError as exc:
        raise ResultsError(
            "cannot write %s: %s; choose another path with --output" % (output, exc.strerror or exc)
        ) from None
    return output
