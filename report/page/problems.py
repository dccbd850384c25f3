"""The data problems box: rows the report left out (``--lenient``), each with its file, line and fix."""

from __future__ import annotations

from report.analysis.load import Results
from report.page.html import Markup, join, paragraph, tag

#: Problems listed on the page; the rest are counted (the command line printed them all).
LISTED = 200


def render(results: Results) -> Markup:
    """A warning box at the top of the page, or nothing when every row could be trusted."""
    problems = results.problems
    if not problems:
        return Markup("")
    files = {p.path for p in problems}
    items = [
        tag("li", "%s/%s:%d: %s; %s" % (p.path.parent.name, p.path.name, p.line, p.what, p.fix))
        for p in problems[:LISTED]
    ]
    if len(problems) > LISTED:
        items.append(tag("li", "... and %d more" % (len(problems) - LISTED)))
    head = "Data problems: %d row%s in %d file%s could not be trusted and %s left out of this page." % (
        len(problems),
        "" if len(problems) == 1 else "s",
        len(files),
        "" if len(files) == 1 else "s",
        "was" if len(problems) == 1 else "were",
    )
    return tag(
        "div",
        join(
            [
                tag("strong", head),
                paragraph(
                    "The numbers below are computed without them. Correct or remove those lines (or "
                    "re-measure) to have a page without this box."
                ),
                tag("ul", join(items)),
            ]
        ),
        class_="warn",
        id="data-problems",
    )
