"""The machine's parallel capacity: no section of its own (the run-quality box shows it at each run's
start and end); across runs its loop rate is compared, and it is never gated (it measures the machine,
not the code)."""

from __future__ import annotations

from report.page.html import Markup
from report.page.sections import Rendered

SHOWN = False
GATED = False


def compare_metrics(results, experiment: str) -> list:
    return ["loop_rate_hz", "capacity"]


def render(ctx, experiment: str) -> Rendered:
    return Rendered(html=Markup(""))
