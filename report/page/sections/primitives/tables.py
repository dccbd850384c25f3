"""The primitives section's table: per benchmark, medians over pytest processes and their range."""

from __future__ import annotations

import pandas as pd

from report.page.formatting import DASH, num
from report.page.html import table
from report.page.sections.primitives.analysis import per_benchmark
from report.page.sections.primitives.findings import ns


def _range(r: dict) -> str:
    if r["processes"] < 2:
        return DASH
    return "%s–%s (%d)" % (ns(r["low_ns"]), ns(r["high_ns"]), r["processes"])


def bench_table(mine: pd.DataFrame):
    summary = per_benchmark(mine)
    # bench/ may have run under another interpreter than the run's own (bench.export labels its rows)
    several = summary["interpreter"].nunique() > 1
    rows = [
        ([r["interpreter"]] if several else [])
        + [
            r["label"],
            r["group"],
            (ns(r["median_ns"]), "num"),
            (_range(r), "num"),
            (ns(r["iqr_ns"]), "num"),
            (num(r["ops_per_s"]), "num"),
        ]
        for r in summary.to_dict("records")
    ]
    head = ["benchmark", "group", "median", "between processes (n)", "IQR", "ops/s"]
    return table((["interpreter"] if several else []) + head, rows, class_="compact")
