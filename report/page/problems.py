"""The data problems box: run folders and rows the report left out (``--lenient``), each with its file
and what to do."""

from __future__ import annotations

from report.analysis.load import Results
from report.page.html import Markup, join, paragraph, tag

#: Problems listed on the page; the rest are counted (the command line printed them all).
LISTED = 200


def render(results: Results) -> Markup:
    """A warning box at the top of the page, or nothing when every run could be read and every row
    trusted."""
    problems, unreadable = results.problems, results.unreadable
    if not problems and not unreadable:
        return Markup("")
    items = [
        tag(
            "li",
            "run folder %s left out: %s" % (u.folder.name, u.reason),
        )
        for u in unreadable
    ]
    items += [
        tag("li", "%s/%s:%d: %s; %s" % (p.path.parent.name, p.path.name, p.line, p.what, p.fix))
        for p in problems[:LISTED]
    ]
    if len(problems) > LISTED:
        items.append(tag("li", "... and %d more" % (len(problems) - LISTED)))
    heads = []
    if unreadable:
        heads.append(
            "%d run folder%s could not be read and %s left out of this page."
            % (
                len(unreadable),
                "" if len(unreadable) == 1 else "s",
                "was" if len(unreadable) == 1 else "were",
            )
        )
    if problems:
        files = {p.path for p in problems}
        heads.append(
            "%d row%s in %d file%s could not be trusted and %s left out of this page."
            % (
                len(problems),
                "" if len(problems) == 1 else "s",
                len(files),
                "" if len(files) == 1 else "s",
                "was" if len(problems) == 1 else "were",
            )
        )
    return tag(
        "div",
        join(
            [
                tag("strong", "Data problems: " + " ".join(heads)),
                paragraph(
                    "The numbers below are computed without them. Correct or remove those files or lines "
                    "(or re-measure) to have a page without this box."
                ),
                tag("ul", join(items)),
            ]
        ),
        class_="warn",
        id="data-problems",
    )
