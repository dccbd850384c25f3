"""Print how far a run's queue_bursts cells are from nominal load and from M/M/c/K, cell by cell.

Usage: python scripts/queue_model_gaps.py RUN_FOLDER [RUN_FOLDER ...]

For every cell: the nominal load and the measured one (median and range over rounds); for
Poisson arrivals with exponential service, the drop or blocked fraction against the model's
prediction at the measured rates, as the median over rounds of measured / predicted - 1 (each
round against its own prediction); and Little's law, the depth sampled by arrivals (PASTA)
against lambda x W from timestamps.  Exits non-zero when a checked cell misses: measured load
outside +-5 % of nominal (load <= 0.9), or a model gap above 10 % (Poisson/exponential at
load 0.5 or 0.9).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

LOAD_TOLERANCE = 0.05
MODEL_TOLERANCE = 0.10
CHECKED_LOADS = (0.5, 0.9)
PARAMS = ["pattern", "service", "load", "consumers", "maxsize", "put", "arrivals"]


def cell_rows(df: pd.DataFrame) -> list:
    """One dict per cell: load, model gap and Little's-law gap, with whether each is checked and met."""
    out = []
    ok = df[df["status"] == "ok"]
    for key, g in ok.groupby(PARAMS, sort=True):
        cell = dict(zip(PARAMS, key))
        row = {**cell, "rounds": len(g)}
        rho = g["load_measured"]
        row["load_median"], row["load_min"], row["load_max"] = rho.median(), rho.min(), rho.max()
        row["load_gap"] = rho.median() / cell["load"] - 1
        row["load_checked"] = cell["load"] <= 0.9
        metric = "producer_blocked_fraction" if cell["put"] == "block" else "drop_fraction"
        predicted = "predicted_blocked_fraction" if cell["put"] == "block" else "predicted_drop_fraction"
        row["metric"] = metric
        row["measured"], row["predicted"] = g[metric].median(), g[predicted].median()
        paired = (g[metric] / g[predicted] - 1)[g[predicted] > 0]
        row["model_gap"] = paired.median() if len(paired) else float("nan")
        row["model_checked"] = (
            cell["pattern"] == "poisson"
            and cell["service"] == "exponential"
            and cell["load"] in CHECKED_LOADS
            and bool(cell["maxsize"])
        )
        if "queue_depth_sampled_mean" in g:
            little = g["achieved_rate_hz"] * g["wait_mean_ms"] / 1000.0
            row["little_gap"] = (g["queue_depth_sampled_mean"] / little - 1).median()
        out.append(row)
    return out


def _pct(x: float) -> str:
    return "%+.1f%%" % (100 * x) if pd.notna(x) else "-"


def report(folder: Path) -> int:
    """Print one run folder's table; return how many checked cells missed."""
    path = folder / "queue_bursts.csv"
    if not path.exists():
        print("queue_model_gaps: error: %s has no queue_bursts.csv" % folder, file=sys.stderr)
        return 1
    rows = cell_rows(pd.read_csv(path))
    print(folder)
    print(
        "%-34s %6s  %-22s %8s  %-26s %8s %9s"
        % ("cell", "rounds", "load measured (range)", "gap", "fraction measured/model", "gap", "Little")
    )
    misses = 0
    for r in rows:
        name = "%s/%s rho=%g c=%d M=%s %s n=%d" % (
            r["pattern"][:5],
            r["service"][:3],
            r["load"],
            r["consumers"],
            r["maxsize"] or "inf",
            r["put"],
            r["arrivals"],
        )
        load_miss = r["load_checked"] and abs(r["load_gap"]) > LOAD_TOLERANCE
        model_miss = r["model_checked"] and not abs(r["model_gap"]) <= MODEL_TOLERANCE
        misses += load_miss + model_miss
        print(
            "%-34s %6d  %.3f (%.3f-%.3f)    %7s%s  %-26s %7s%s %9s"
            % (
                name,
                r["rounds"],
                r["load_median"],
                r["load_min"],
                r["load_max"],
                _pct(r["load_gap"]),
                "!" if load_miss else " ",
                "%.4f / %.4f (%s)" % (r["measured"], r["predicted"], r["metric"].split("_")[-2]),
                _pct(r["model_gap"]),
                "!" if model_miss else ("*" if r["model_checked"] else " "),
                _pct(r.get("little_gap", float("nan"))),
            )
        )
    print("* checked against M/M/c/K (within %d %%); ! missed" % round(100 * MODEL_TOLERANCE))
    return misses


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run folders (results/<run_id>)")
    args = parser.parse_args(argv)
    misses = sum(report(folder) for folder in args.runs)
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
