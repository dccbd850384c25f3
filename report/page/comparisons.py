"""The comparisons across runs on the page: each run against the baseline, the rule it applied, the
counts of its four verdicts, what moved together, and every cell's verdict (report.analysis.compare)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from report.analysis import wording
from report.analysis.family import DEFAULT_THRESHOLD
from report.analysis.load import Results
from report.analysis.runs import loop_ns, machine_speed_factor
from report.page.environments import differences
from report.page.formatting import DASH, num, percent
from report.page.html import Markup, join, paragraph, table, tag

if TYPE_CHECKING:
    from report.analysis.family import Family

MAX_ROWS = 40
MAX_TAIL_ROWS = 10
#: Rows first: changes (the code's, then the machine's), then what could not be told, then the rest.
ORDER = {"slower": 0, "faster": 0, "higher": 0, "lower": 0, "inconclusive": 2, "equivalent": 3}
HEADER = [
    "experiment",
    "cell",
    "metric",
    "baseline median",
    "this run",
    "ratio [95 % CI]",
    "verdict",
    "smallest detectable",
    "rounds to settle",
    "whose change",
]


def _speed_words(factor: float) -> str:
    return "%.2fx slower" % factor if factor >= 1 else "%.2fx faster" % (1 / factor)


def _rounds(v) -> str:
    if v.settled:
        return DASH
    return "%d" % v.rounds_to_settle if math.isfinite(v.rounds_to_settle) else "unreachable"


def row(f) -> list:
    """One cell's table row: its medians, ratio and interval, verdict, detectable change, rounds to
    settle and (runs started separately) whose change it is."""
    v = f.verdict
    word = f.word
    return [
        f.experiment,
        f.cell,
        f.metric,
        (num(f.base), "num"),
        (num(f.other), "num"),
        (wording.interval(v) if v is not None else DASH, "num", (v.note or None) if v is not None else None),
        (word, word if word in ("faster", "slower") else None),
        (percent(v.detectable, 1) if v is not None else DASH, "num"),
        (_rounds(v) if v is not None else DASH, "num"),
        f.cause or (DASH if f.by_round or v is None or not v.changed else "code"),
    ]


def _order(f) -> tuple:
    v = f.verdict
    machine = f.cause == "the machine changed"
    size = -abs(v.log_ratio) if v.ratio > 0 else 0.0
    return (ORDER.get(v.verdict, 4) + (1 if machine else 0), size)


def render_family(family: Family) -> list:
    """The parts of one comparison: the rule, the counts, the machine, what moved together (pooled) or
    shifted together (separate runs), every cell's verdict, and the tail metrics that moved."""
    parts = [paragraph(wording.method_text(family), "muted"), paragraph(wording.summary_text(family))]
    if family.machine is not None:
        parts.append(paragraph(wording.machine_text(family)))
    together = family.moved_together()
    if together:
        parts.append(paragraph("Moved together (one figure for the experiment's cells):"))
        parts.append(tag("ul", join(tag("li", wording.pooled_text(p)) for p in together)))
    if family.shifts:
        parts.append(paragraph("Common shift of all cells (runs started separately):"))
        parts.append(tag("ul", join(tag("li", wording.shift_text(s)) for s in family.shifts)))
    judged = sorted(family.judged, key=_order)
    if judged:
        parts.append(table(HEADER, [row(f) for f in judged[:MAX_ROWS]]))
        if len(judged) > MAX_ROWS:
            rest = judged[MAX_ROWS:]
            words = {}
            for f in rest:
                words[f.word] = words.get(f.word, 0) + 1
            parts.append(
                paragraph(
                    "… and %d more (%s)."
                    % (len(rest), ", ".join("%d %s" % (n, w) for w, n in words.items())),
                    "muted",
                )
            )
    moved = [f for f in family.tails if f.base > 0 and f.other > 0]
    moved = [f for f in moved if abs(math.log(f.other / f.base)) > math.log1p(family.threshold)]
    if moved:
        parts.append(
            paragraph(
                "Tail metrics whose medians moved beyond ±%s, shown without a verdict:"
                % wording.pct(family.threshold),
                "muted",
            )
        )
        parts.append(table(HEADER, [row(f) for f in moved[:MAX_TAIL_ROWS]]))
    return parts


def render(results: Results, families: list, threshold: float = DEFAULT_THRESHOLD) -> Markup:
    """Every run against the baseline: ``families`` from report.analysis.compare.compare_all."""
    if len(results.runs) < 2 or not families:
        return paragraph(
            "Only one run loaded: nothing to compare. Copy other runs' folders into results/ "
            "or name them on the command line."
        )
    base = families[0].base
    parts = [
        paragraph(
            "Baseline: %s (%s). Ratio = this run's value / the baseline's for the same cell. %s"
            % (base.run_id, base.env_label, wording.rule_text(threshold)),
            "muted",
        )
    ]
    for family in families:
        other = family.other
        parts.append(tag("h3", "%s (%s) vs baseline" % (other.run_id, other.env_label)))
        for d in differences(base, other):
            parts.append(tag("div", "Different machines: " + d, class_="warn"))
        machine_factor = machine_speed_factor(base, other)
        if machine_factor is not None:
            parts.append(
                paragraph(
                    "Different machines: a pure-Python loop ran at %.1f ns/iteration here against %.1f on "
                    "the baseline's machine (this one %s)."
                    % (loop_ns(other), loop_ns(base), _speed_words(machine_factor))
                )
            )
        if not family.items:
            parts.append(paragraph("No cell in common with the baseline."))
            continue
        parts.extend(render_family(family))
    return join(parts)
