"""The CI gate's outcome as markdown, for a pull request's step summary (``--fail-on slower --format
markdown >> $GITHUB_STEP_SUMMARY``); the lines themselves come from report.analysis.gate."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from report.analysis.gate import Gate
    from report.analysis.load import Run

#: Items listed before "… and N more".
SHOWN = 20


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


def markdown(gate: Gate, pairs: list, fail_on: str = "slower") -> str:
    """The summary: the gate's last word as a heading (FAIL, inconclusive or ok, as its exit code
    says), what was compared with what (``pairs``: (baseline run, runs checked against it), one per
    interpreter of a --variant run), one item per slower or inconclusive comparison."""
    t = "%g %%" % (gate.threshold * 100)
    if gate.slower:
        n = len(gate.slower)
        head = "FAIL, %d comparison%s shown slower than the baseline by more than %s" % (
            n,
            "" if n == 1 else "s",
            t,
        )
    elif gate.inconclusive:
        strict = "FAIL (strict), " if "inconclusive" in fail_on else ""
        head = (
            "%sinconclusive: nothing shown slower, but %d of %d comparisons could not show a change of %s"
            % (
                strict,
                len(gate.inconclusive),
                gate.judged,
                t,
            )
        )
    else:
        head = "ok, every comparison shown within %s of the baseline or faster" % t
    lines = [
        "### gilbench gate: " + head,
        "",
    ]
    for base, others in pairs:
        checked = ", ".join(describe(r) for r in others) or "nothing"
        lines += ["Baseline %s; checked %s." % (describe(base), checked), ""]
    if not gate.slower and gate.together:
        lines += ["All cells together: " + "; ".join("`%s`" % t.replace("`", "'") for t in gate.together), ""]
    shown = gate.slower or gate.inconclusive
    lines += ["- `%s`" % line.replace("`", "'") for line in shown[:SHOWN]]
    if len(shown) > SHOWN:
        lines.append("- … and %d more" % (len(shown) - SHOWN))
    return "\n".join(lines).rstrip() + "\n"
