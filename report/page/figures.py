"""Matplotlib set-up for every figure: colours that mean the same thing across the page, PNG embedding."""

from __future__ import annotations

import base64
import io
import math
import zlib

import matplotlib
import numpy as np

matplotlib.use("Agg")  # no display, and no GUI toolkit import cost

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import (  # noqa: E402
    FixedLocator,
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    NullFormatter,
    NullLocator,
)

DPI = 90
#: One colour per executor, the same in every figure and table of the page.
EXECUTOR_COLOURS = {
    "sequential": "#7f7f7f",
    "thread": "#1f77b4",
    "thread_pool": "#17becf",
    "process": "#d62728",
    "process_pool": "#ff7f0e",
    "interpreter_pool": "#637939",
    "asyncio": "#393b79",
}
#: Colours for executors the page does not know yet, picked by name so they stay put between pages.
_SPARE_EXECUTOR_COLOURS = ("#8c6d31", "#843c39", "#7b4173", "#5254a3", "#b5cf6b", "#e7969c")
# Interpreter × machine colours avoid the executor colours, so a colour never means two things.
_ENV_COLOURS = (
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#000000",
    "#4c72b0",
    "#dd8452",
    "#55a868",
)
_SPARE = ("#8172b3", "#937860", "#da8bc3", "#8c8c8c", "#ccb974", "#64b5cd")

# Tick labels as plain numbers (1, 2, 4, 0.5), formatted lazily at draw time.
_PLAIN = FuncFormatter(lambda v, _pos: "%g" % float("%.3g" % v))

plt.rcParams.update(
    {
        "font.size": 8,
        "axes.titlesize": 9,
        "axes.labelsize": 8,
        "legend.fontsize": 7,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "figure.dpi": DPI,
    }
)


class Palette:
    """Stable colours for interpreter × machine labels, assigned in sorted order."""

    def __init__(self, labels):
        self._colours = {}
        for i, label in enumerate(sorted(set(labels))):
            pool = _ENV_COLOURS + _SPARE
            self._colours[label] = pool[i % len(pool)]

    def __getitem__(self, label: str) -> str:
        return self._colours.get(label, "#333333")


def executor_colour(executor: str) -> str:
    """The executor's colour; one the page does not know gets a spare colour chosen by its name."""
    known = EXECUTOR_COLOURS.get(executor)
    if known is not None:
        return known
    return _SPARE_EXECUTOR_COLOURS[zlib.crc32(str(executor).encode()) % len(_SPARE_EXECUTOR_COLOURS)]


def known_first(names, known) -> list:
    """Distinct ``names`` in the order of ``known``, any others after them alphabetically: new
    executors or workloads appear at the end instead of breaking a figure."""
    order = {name: i for i, name in enumerate(known)}
    return sorted(set(names), key=lambda n: (order.get(n, len(order)), str(n)))


def subplots(
    panels: int,
    columns: int = 4,
    width: float = 2.6,
    height: float = 1.8,
    top: float = 0.75,
    bottom: float = 0.5,
    min_width: float = 0.0,
):
    """A grid holding ``panels`` axes of ``width`` × ``height`` inches (spare cells hidden).

    Margins are fixed in inches rather than found by tight_layout or bbox_inches="tight",
    each of which costs another full draw: rendering ten runs must stay fast.
    ``top`` leaves room for a title and a legend above the panels; ``min_width`` (inches) widens
    the panels of a narrow grid so that title and legend fit.
    """
    ncols = max(1, min(columns, panels))
    nrows = max(1, -(-panels // ncols))
    left, right, wgap, hgap = 0.55, 0.15, 0.6, 0.75
    width = max(width, (min_width - left - right - (ncols - 1) * wgap) / ncols)
    fig_w = left + ncols * width + (ncols - 1) * wgap + right
    fig_h = top + nrows * height + (nrows - 1) * hgap + bottom
    fig, axes = plt.subplots(nrows, ncols, figsize=(fig_w, fig_h), squeeze=False)
    fig.subplots_adjust(
        left=left / fig_w,
        right=1 - right / fig_w,
        bottom=bottom / fig_h,
        top=1 - top / fig_h,
        wspace=wgap / width,
        hspace=hgap / height,
    )
    flat = [ax for row in axes for ax in row]
    for ax in flat[panels:]:
        ax.set_visible(False)
    return fig, flat[:panels]


def header(fig, title: str, handles: list, columns: int | None = None, refit: bool = False) -> None:
    """A title and one shared legend above the panels, inside the space ``subplots(top=...)`` left.

    ``refit`` resizes that space to the legend's rows (header_space), the panels unchanged: for a
    legend filtered by only_drawn after the figure was made for every possible entry."""
    if refit and handles:
        _set_top(fig, header_space(len(handles), columns or len(handles)))
    h = fig.get_figheight()
    fig.suptitle(title, y=1 - 0.06 / h, fontsize=9)
    fig.legend(
        handles=handles,
        loc="upper center",
        ncol=columns or len(handles),
        bbox_to_anchor=(0.5, 1 - 0.26 / h),
        frameon=False,
    )


def _set_top(fig, top: float) -> None:
    """``top`` inches above the panels; the figure grows or shrinks, the panels keep their size."""
    height, pars = fig.get_figheight(), fig.subplotpars
    bottom, body = pars.bottom * height, (pars.top - pars.bottom) * height
    height = bottom + body + top
    fig.set_figheight(height)
    fig.subplots_adjust(bottom=bottom / height, top=1 - top / height)


def only_drawn(handles: list, axes) -> list:
    """The legend entries among ``handles`` that some artist in ``axes`` carries the label of: a
    legend lists what was drawn, not every executor or reference line the figure could show."""
    drawn = {label for ax in axes for label in ax.get_legend_handles_labels()[1]}
    return [h for h in handles if h.get_label() in drawn]


def header_space(handles: int, columns: int) -> float:
    """Inches above the panels for header(): title, legend rows, panel titles."""
    return 0.3 + 0.2 * -(-handles // columns) + 0.3


def log2_axis(ax, values) -> None:
    """A log2 x axis ticked at the values measured, labelled as plain numbers."""
    ticks = sorted({float(v) for v in values if v and v > 0})
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(_PLAIN)
    if ticks:
        ax.set_xlim(ticks[0] / 1.3, ticks[-1] * 1.3)


def readable_log_ticks(low: float, high: float, base: float = 10, least: int = 4, most: int = 8) -> list:
    """Tick values for a log axis from ``low`` to ``high``: at least ``least`` of them over any range.

    Powers of ``base`` when there are enough (every second or third one when there are too many),
    else 1-2-5 (base 10) or 1-1.5 (base 2) steps, else evenly spaced plain numbers: a range inside
    one octave (0.5 to 1.4) still gets 0.6, 0.8, 1, 1.2 rather than the 0.5 and 1 of powers alone.
    """
    if not (low > 0 and high > low and math.isfinite(high)):
        return []
    lo, hi = math.floor(math.log(low, base)), math.ceil(math.log(high, base))
    eps = (high - low) * 1e-9

    def inside(subs, every: int = 1) -> list:
        vals = (m * float(base) ** k for k in range(lo, hi + 1) if k % every == 0 for m in subs)
        return sorted(v for v in vals if low - eps <= v <= high + eps)

    powers = inside((1.0,))
    if len(powers) > most:
        return inside((1.0,), every=-(-len(powers) // most))  # 1 stays a tick
    for subs in ((1.0,), (1.0, 2.0, 5.0) if base == 10 else (1.0, 1.5)):
        ticks = inside(subs)
        if least <= len(ticks) <= most:
            return ticks
    for bins in range(least + 1, 3 * most):
        linear = MaxNLocator(nbins=bins, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
        ticks = [round(float(v), 12) for v in linear if v > 0 and low - eps <= v <= high + eps]
        if len(ticks) >= least:
            return ticks[:: -(-len(ticks) // most)]
    return ticks


class ReadableLogLocator(LogLocator):
    """LogLocator whose ticks come from readable_log_ticks (at least four over any range)."""

    def tick_values(self, vmin, vmax):
        low, high = sorted((vmin, vmax))
        return np.array(readable_log_ticks(low, high, self._base))


def log2_yaxis(ax, low: float, high: float) -> None:
    """A log2 y axis from ``low`` to ``high`` ticked at powers of two (so ideal scaling is a diagonal),
    or finer when the range holds too few of them."""
    ax.set_yscale("log", base=2)
    ax.set_ylim(low, high)
    _readable(ax.yaxis, 2)


def _readable(axis, base: float) -> None:
    axis.set_major_locator(ReadableLogLocator(base=base))
    axis.set_major_formatter(_PLAIN)
    axis.set_minor_locator(NullLocator())
    axis.set_minor_formatter(NullFormatter())


def plain_log(ax, which: str = "xy") -> None:
    """Log axes labelled 0.1, 1, 10 rather than 10^-1, 10^0, 10^1, with at least four ticks over
    any range (readable_log_ticks). Call after plotting."""
    for name in which:
        _readable(ax.xaxis if name == "x" else ax.yaxis, 10)


def to_data_uri(fig) -> str:
    """The figure as an embedded PNG (``data:`` URI); the figure is closed."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def ci_whiskers(ax, x, low, high, colour: str = "black", lw: float = 1.0) -> None:
    """The 95 % intervals as vertical bars; points without an interval (too few repetitions) get none."""
    x, low, high = (np.asarray(v, dtype=float) for v in (x, low, high))
    ok = np.isfinite(low) & np.isfinite(high)
    if ok.any():
        ax.vlines(x[ok], low[ok], high[ok], color=colour, lw=lw)


def median_line(ax, x, median, low, high, colour: str, label: str | None = None, marker: str = "o") -> None:
    """Medians joined by a line, each with its interval as a whisker (plot + vlines: errorbar is slow)."""
    if len(x) == 0:
        return
    ax.plot(x, median, color=colour, marker=marker, ms=3.5, lw=1.2, label=label)
    ci_whiskers(ax, x, low, high, colour)


def records_line(ax, x, records: list, colour: str, label: str | None = None) -> None:
    """median_line of summary records (dicts with ``median``, ``ci_low`` and ``ci_high``) at ``x``."""
    median_line(
        ax,
        x,
        [r["median"] for r in records],
        [r["ci_low"] for r in records],
        [r["ci_high"] for r in records],
        colour,
        label,
    )


def run_handles(palette: Palette, runs, marker: str | None = "o", lw: float | None = None) -> list:
    """Legend entries: one per interpreter × machine, in its colour."""
    style = {"marker": marker} if marker else {}
    if lw is not None:
        style["lw"] = lw
    return [Line2D([], [], color=palette[r.env_label], label=r.env_label, **style) for r in runs]


def env_series(ctx, runs: list, lookup, categories: list) -> list:
    """Bar series for grouped_bars: one per run (interpreter × machine colour), one value per
    category from ``lookup(run, category)`` (a summary record or None)."""
    out = []
    for run in runs:
        recs = [lookup(run, c) for c in categories]
        out.append(
            (
                run.env_label,
                ctx.palette[run.env_label],
                [r["median"] if r else None for r in recs],
                [r["ci_low"] if r else None for r in recs],
                [r["ci_high"] if r else None for r in recs],
            )
        )
    return out


def grouped_bars(ax, categories: list, series: list, log: bool = False) -> None:
    """Bars per category, one bar per series ``(label, colour, medians, lows, highs)``; NaN = no bar.

    The CI is drawn as a whisker on each bar.
    """
    n = max(1, len(series))
    width = 0.8 / n
    for i, (label, colour, med, lo, hi) in enumerate(series):
        x = [c + (i - (n - 1) / 2) * width for c in range(len(categories))]
        med = [float("nan") if v is None else v for v in med]
        ax.bar(x, med, width=width * 0.95, color=colour, label=label)
        none = float("nan")
        ci_whiskers(
            ax, x, [none if v is None else v for v in lo], [none if v is None else v for v in hi], lw=0.8
        )
    ax.set_xticks(range(len(categories)))
    ax.set_xticklabels(
        categories,
        rotation=30 if max((len(c) for c in categories), default=0) > 8 else 0,
        ha="right" if max((len(c) for c in categories), default=0) > 8 else "center",
    )
    if log:
        ax.set_yscale("log")
        plain_log(ax, "y")
    ax.grid(axis="x", visible=False)
