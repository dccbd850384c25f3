"""The queue_bursts section's figure: drops, depth and blocking against M/M/c/K, and Little's law per row."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.lines import Line2D

from report.analysis.cells import Context
from report.page.figures import ci_whiskers, header, header_space, plain_log, subplots, to_data_uri
from report.page.formatting import finite, num
from report.page.sections.queue_bursts.analysis import SAMPLED_L, Analysis, poisson

MARKERS = ("o", "s", "^", "D")
MODEL_STYLES = ("-", "--", ":", "-.")
PANELS = (
    ("drop_fraction", "predicted_drop_fraction", "drop"),
    ("queue_depth_mean", "predicted_mean_depth", "drop"),
    ("producer_blocked_fraction", "predicted_blocked_fraction", "block"),
)


def _size_label(maxsize) -> str:
    return "∞" if not maxsize else "%d" % maxsize


def _model_panel(ax, ctx: Context, a: Analysis, panel: tuple, consumers: int, sizes: list) -> None:
    """Measured medians (with 95 % whiskers) per bound and nominal load, each interpreter in its colour,
    and the model at the measured rates as a black line per nominal load."""
    metric, predicted, put = panel
    pos = {m: i for i, m in enumerate(sizes)}
    loads = a.s.values("load", metric, **poisson(consumers=consumers, put=put))
    for k, rho in enumerate(loads):
        model: dict = {}
        for j, run in enumerate(a.runs):
            recs = a.s.select(
                metric, env_label=run.env_label, **poisson(put=put, load=rho, consumers=consumers)
            )
            recs = [r for r in recs if r["maxsize"] in pos]
            if not recs:
                continue
            x = np.array([pos[r["maxsize"]] for r in recs]) + (j - (len(a.runs) - 1) / 2) * 0.08
            colour = ctx.palette[run.env_label]
            ax.plot(
                x,
                [r["median"] for r in recs],
                marker=MARKERS[k % len(MARKERS)],
                ls="none",
                color=colour,
                ms=4,
            )
            ci_whiskers(ax, x, [r["ci_low"] for r in recs], [r["ci_high"] for r in recs], colour)
            for r in recs:
                p = a.same_cell(predicted, r)
                if p and finite(p["median"]):
                    model.setdefault(pos[r["maxsize"]], p["median"])
        if model:
            xs = sorted(model)
            ax.plot(
                xs,
                [model[x] for x in xs],
                color="black",
                lw=1,
                ls=MODEL_STYLES[k % 4],
                marker="_",  # a model of one bound is a point, not a line
                ms=10,
                label="nominal ρ = %s" % num(rho),
            )
    ax.set_xticks(range(len(sizes)))
    ax.set_xticklabels([_size_label(m) for m in sizes])
    ax.set_xlabel("maxsize")
    ax.set_title({"drop": "put_nowait: ", "block": "put: "}[put] + metric.replace("_", " "), fontsize=8)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=6, frameon=False)


def _littles_panel(ax, ctx: Context, a: Analysis) -> None:
    """Every repetition's L (depth Poisson arrivals saw) against its λW (timestamps), on the diagonal
    where Little's law holds."""
    lo, hi = math.inf, 0.0
    for run in a.runs:
        rows = a.df[(a.df["env_label"] == run.env_label) & (a.df["status"] == "ok")]
        if SAMPLED_L not in rows:
            continue
        lam_w = (rows["achieved_rate_hz"] * rows["wait_mean_ms"] / 1000.0).to_numpy(dtype=float)
        depth = rows[SAMPLED_L].to_numpy(dtype=float)
        keep = np.isfinite(lam_w) & np.isfinite(depth) & (lam_w > 0) & (depth > 0)
        if keep.any():
            ax.plot(
                lam_w[keep],
                depth[keep],
                marker="o",
                ls="none",
                ms=2.5,
                alpha=0.7,
                color=ctx.palette[run.env_label],
            )
            lo = min(lo, lam_w[keep].min(), depth[keep].min())
            hi = max(hi, lam_w[keep].max(), depth[keep].max())
    if hi > 0:
        ax.plot([lo, hi], [lo, hi], color="black", lw=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        plain_log(ax)
    ax.set_title("Little's law per repetition: L against λW", fontsize=8)
    ax.set_xlabel("λW from timestamps (items)")
    ax.set_ylabel("L seen by arrivals (items)")


def queue_figure(ctx: Context, a: Analysis) -> str:
    """Three panels against M/M/c/K (drops, depth, blocking) for the fewest consumers, and Little's law."""
    handles = [
        Line2D([], [], color=ctx.palette[r.env_label], marker="o", ls="none", label=r.env_label)
        for r in a.runs
    ]
    handles.append(Line2D([], [], color="black", label="M/M/c/K at the measured rates"))
    fig, axes = subplots(4, columns=4, width=2.6, height=2.1, top=header_space(len(handles), 4))
    consumers = min(a.s.values("consumers", "drop_fraction") or [1])
    sizes = sorted(
        a.s.values("maxsize", "drop_fraction", **poisson(consumers=consumers)), key=lambda m: (m == 0, m)
    )
    for ax, panel in zip(axes, PANELS):
        _model_panel(ax, ctx, a, panel, consumers, sizes)
    _littles_panel(axes[3], ctx, a)
    title = "Bounded Queue, %d consumer%s, Poisson arrivals" % (consumers, "" if consumers == 1 else "s")
    header(fig, title, handles, 4)
    return to_data_uri(fig)
