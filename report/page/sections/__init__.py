"""One section of the page per experiment, found by name: the package ``report/page/sections/<experiment>/``,
else the generic section (``generic.py``).

A section package is a plug-in. It provides ``render(ctx, experiment) -> Rendered`` and may provide
``compare_metrics(results, experiment) -> list`` (the metrics compared across runs; default: the
generic section's), ``REQUIRED`` (the columns it reads; data without them is shown by the generic
section instead), ``SCORECARD`` (the scorecard columns its ``Rendered.scores`` fill), ``SHOWN = False``
(no section of its own on the page) and ``GATED = False`` (left out of ``--fail-on slower``: it measures
the machine, not the code). Titles, units and expected hangs come from the run folder
(``ctx.results.info``); a section with findings declares them as a ``findings_page.FindingsPage``.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Callable, Protocol

from report.analysis.cells import Context  # noqa: F401  (what every section's render receives)
from report.page.html import Markup

if TYPE_CHECKING:
    from report.analysis.load import Results

#: The section of an experiment without a package of its own (or whose columns changed).
GENERIC = "generic"


@dataclass
class Score:
    """One scorecard entry: the value used to rank, the text shown, and what it was computed from."""

    value: float
    text: str
    title: str = ""


@dataclass
class Rendered:
    """A section's HTML and what it contributes to the scorecard, per interpreter × machine label."""

    html: Markup
    scores: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Column:
    """A scorecard column a section fills (``Rendered.scores[env][key]``). ``better``: +1 when larger
    is better, -1 when smaller is; ``position``: its place from the left among every section's
    columns; ``source``: how the dash of a run without it names what to run (default: the section)."""

    key: str
    title: str
    better: int
    position: int
    source: str = ""


class Findings(tuple):
    """A section's finding functions, in page order, called as one: ``findings(a, env)`` gives the
    (css class, sentence) of each that has something to say (a finding returns None otherwise)."""

    def __new__(cls, *functions: Callable):
        return super().__new__(cls, functions)

    def __call__(self, a, env: str) -> list:
        return [f for f in (finding(a, env) for finding in self) if f is not None]


class Section(Protocol):
    """What the page builder asks of a section package."""

    name: str

    def render(self, ctx: Context, experiment: str) -> Rendered: ...

    def compare_metrics(self, results: Results, experiment: str) -> list: ...


class _WithDefaults:
    """A section package seen through the Section protocol, the generic section filling what it lacks.
    Its functions are looked up on each call, so a package's own can be replaced (tests do)."""

    def __init__(self, module: ModuleType):
        self.module = module
        self.name = module.__name__.rsplit(".", 1)[-1]
        self.shown = getattr(module, "SHOWN", True)
        self.gated = getattr(module, "GATED", True)
        self.scorecard = tuple(getattr(module, "SCORECARD", ()))

    def render(self, ctx: Context, experiment: str) -> Rendered:
        return self.module.render(ctx, experiment)

    def compare_metrics(self, results: Results, experiment: str) -> list:
        own = getattr(self.module, "compare_metrics", None)
        if own is None:
            return _package(GENERIC).compare_metrics(results, experiment)
        return own(results, experiment)


def _package(name: str) -> ModuleType:
    return importlib.import_module("%s.%s" % (__name__, name))


def has_section(experiment: str) -> bool:
    """Whether report/page/sections/<experiment>/ exists (an experiment's own section)."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", experiment) or experiment == GENERIC:
        return False
    return importlib.util.find_spec("%s.%s" % (__name__, experiment)) is not None


def section_for(experiment: str, results: Results | None = None) -> Section:
    """The section that renders ``experiment``: its own package when the data has the columns that
    package reads (an experiment whose columns changed falls back to the generic one)."""
    if has_section(experiment):
        module = _package(experiment)
        needed = getattr(module, "REQUIRED", ())
        if results is None or all(c in results.frame(experiment) for c in needed):
            return _WithDefaults(module)
    return _WithDefaults(_package(GENERIC))


def every_section() -> list:
    """Every section package, by name (the scorecard's columns come from all of them, run or not)."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.ispkg)
    return [_WithDefaults(_package(name)) for name in names]


def scorecard_columns() -> list:
    """Every section's scorecard columns, left to right; a column two sections fill names both."""
    by_key: dict = {}
    sources: dict = {}
    for section in every_section():
        for col in section.scorecard:
            by_key.setdefault(col.key, col)
            sources.setdefault(col.key, []).append(col.source or section.name)
    return [
        Column(c.key, c.title, c.better, c.position, " or ".join(sources[c.key]))
        for c in sorted(by_key.values(), key=lambda c: (c.position, c.key))
    ]


def metrics_for(results: Results, gated_only: bool = False) -> Callable[[str], list]:
    """experiment -> the metrics compared across runs (asked of each section once); with
    ``gated_only``, none for a section that is not gated (``GATED = False``)."""
    chosen = {}
    for name in results.experiments():
        section = section_for(name, results)
        if gated_only and not section.gated:
            chosen[name] = []
            continue
        try:
            chosen[name] = section.compare_metrics(results, name)
        except Exception as exc:  # a broken section loses its comparisons, not the page
            results.warnings.append("section %s: compare_metrics failed: %s" % (name, one_line(exc)))
            chosen[name] = section_for(GENERIC).compare_metrics(results, name)
    return lambda experiment: chosen.get(experiment, [])


def one_line(exc: BaseException) -> str:
    """An exception as one line for a warning or a box: its type and its first 300 characters."""
    text = " ".join(str(exc).split()) or "no message"
    return "%s: %s" % (type(exc).__name__, text[:300])
