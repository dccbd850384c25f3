"""The primitives section's figure: every benchmark's median cost, cheapest first."""

from __future__ import annotations

import math

import pandas as pd

from report.analysis.cells import Context
from report.page.figures import header, header_space, run_handles, subplots, to_data_uri


def primitives_figure(ctx: Context, runs: list, df: pd.DataFrame) -> str:
    labels = sorted(
        df["label"].unique(), key=lambda s: (float(df.loc[df["label"] == s, "median_ns"].median()), s)
    )
    handles = run_handles(ctx.palette, runs, marker=None, lw=6)
    fig, axes = subplots(
        1,
        columns=1,
        width=9.0,
        height=0.16 * len(labels) * max(1, len(runs)) + 0.6,
        top=header_space(len(handles), 4),
    )
    ax = axes[0]
    height = 0.8 / max(1, len(runs))
    for i, run in enumerate(runs):
        mine = df[df["env_label"] == run.env_label].groupby("label")["median_ns"].median()
        ys = [j + (i - (len(runs) - 1) / 2) * height for j in range(len(labels))]
        ax.barh(
            ys,
            [mine.get(lab, math.nan) for lab in labels],
            height=height * 0.95,
            color=ctx.palette[run.env_label],
        )
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_xscale("log")
    ax.set_xlabel("ns per operation (median)")
    ax.grid(axis="y", visible=False)
    fig.subplots_adjust(left=0.35)
    header(fig, "Primitives, cheapest first", handles, columns=4)
    return to_data_uri(fig)
