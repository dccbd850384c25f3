"""The CI gate's outcome as markdown, for a pull request's step summary (``--fail-on slower --format
markdown >> $GITHUB_STEP_SUMMARY``); the lines themselves come from report.analysis.gate."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from report.analysis.load import Run


def describe(run: Run) -> str:
    """A run as the summary names it: its variant and where that came from, else its interpreter."""
    variant = (run.env.config or {}).get("variant") or {}
    if not variant:
        return "`%s` (%s)" % (run.run_id, run.env_label)
    source = variant.get("source") or ""
    if variant.get("revision") and variant.get("commit"):
        source = "%s at %s" % (source, variant["commit"][:12])
    elif variant.get("commit"):
        source = "%s, commit %s%s" % (
            source,
            variant["commit"][:12],
            " + changes" if variant.get("dirty") else "",
        )
    return "**%s** (`%s`, %s)" % (variant["name"], source, run.interpreter_label)


def markdown(slower: list, base: Run, others: list, threshold: float) -> str:
    """The summary: a verdict heading, what was compared with what, one item per slower cell."""
    if slower:
        head = "### gilbench gate: FAIL, %d cell%s significantly slower than the baseline" % (
            len(slower),
            "" if len(slower) == 1 else "s",
        )
    else:
        head = "### gilbench gate: ok, no cell significantly slower than the baseline"
    lines = [
        head,
        "",
        "Baseline %s; checked %s; changes under %g %% are not gated."
        % (describe(base), ", ".join(describe(r) for r in others) or "nothing", threshold * 100),
        "",
    ]
    lines += ["- `%s`" % line.replace("`", "'") for line in slower]
    return "\n".join(lines).rstrip() + "\n"
