"""How precise a run's headline ratios came out: io_vs_cpu at 2 workers, groups off target, wall time.

    .venv/bin/python scripts/precision.py RUN_DIR [RUN_DIR ...]

For each run folder: its wall time and how loaded the machine was; for io_vs_cpu at 2 workers,
each workload x executor's median per-round speedup with the exact 95 % interval of the median and
its half-width relative to the median (what the harness's precision target is about); the median
``capacity_fraction`` of the best process executor on pure-Python work; and every comparison group,
in any experiment, whose last round did not meet the precision target.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from experiments.harness.rounds import median_interval  # noqa: E402
from experiments.schema import Environment  # noqa: E402

WORKERS = 2
PROCESS_EXECUTORS = ("process", "process_pool")


def _seconds(start: str, end: str | None) -> float | None:
    if not end:
        return None
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return time.mktime(time.strptime(end, fmt)) - time.mktime(time.strptime(start, fmt))


def _half_width(median: float, low: float, high: float) -> float:
    return max(median - low, high - median) / median if median > 0 else float("nan")


def headline(df: pd.DataFrame) -> list:
    """(workload, executor, rounds, median, low, high, half-width) at WORKERS workers."""
    rows = df[(df["workers"] == WORKERS) & (df["executor"] != "sequential") & (df["status"] == "ok")]
    out = []
    for (workload, executor), g in rows.groupby(["workload", "executor"], sort=True):
        ratios = g["speedup"].dropna().tolist()
        median, low, high = median_interval(ratios)
        out.append((workload, executor, len(ratios), median, low, high, _half_width(median, low, high)))
    return out


def best_process_fraction(df: pd.DataFrame) -> tuple | None:
    """(executor, workers, median capacity_fraction, flagged rounds, rounds) of the process executor
    with the highest median speedup on cpu_python."""
    cpu = df[
        (df["workload"] == "cpu_python") & df["executor"].isin(PROCESS_EXECUTORS) & (df["status"] == "ok")
    ]
    if cpu.empty:
        return None
    medians = cpu.groupby(["executor", "workers"])["speedup"].median()
    executor, workers = medians.idxmax()
    cell = cpu[(cpu["executor"] == executor) & (cpu["workers"] == workers)]
    flagged = int((cell["capacity_above_cores"] == 1).sum()) if "capacity_above_cores" in cell else 0
    return executor, workers, cell["capacity_fraction"].median(), flagged, len(cell)


def missed_groups(folder: Path) -> tuple:
    """(judged, [experiment [group] half-width rounds]) over every experiment CSV of the run."""
    judged, missed = 0, []
    for path in sorted(folder.glob("*.csv")):
        df = pd.read_csv(path)
        if "precision_met" not in df or "group_rounds" not in df:
            continue
        for group, rows in df.groupby("group_id"):
            last = rows[rows["group_rounds"] == rows["group_rounds"].max()]
            flags = last["precision_met"].dropna()
            if flags.empty:
                continue
            judged += 1
            if flags.max() < 1:
                width = last["group_precision"].max()
                how = "±%.1f %%" % (100 * width) if width == width else "no interval"
                missed.append(
                    "%s [%s] %s after %d rounds" % (path.stem, group, how, last["group_rounds"].max())
                )
    return judged, missed


def report(folder: Path) -> None:
    env = Environment.read(folder / "environment.json")
    wall = _seconds(env.created_utc, env.finished_utc)
    load = (env.machine.get("load_avg_start") or [0])[0], (env.machine.get("load_avg_end") or [0])[0]
    print("run %s" % folder.name)
    print("  wall time: %s" % ("%dm%02ds" % divmod(int(wall), 60) if wall is not None else "unfinished"))
    print("  profile %s, precision %s, budget %s; 1-min load %.2f -> %.2f on %s cores"
          % (env.config.get("profile"), env.config.get("precision") or "default",
             env.config.get("budget_s") or "the profile's", load[0], load[1],
             env.machine.get("usable_cores")))  # fmt: skip
    print("  capacity at start %s, at end %s" % (env.capacity.get("start"), env.capacity.get("end")))
    if env.noisy_reasons:
        print("  noisy: " + "; ".join(env.noisy_reasons))
    path = folder / "io_vs_cpu.csv"
    if path.exists():
        df = pd.read_csv(path)
        print("  io_vs_cpu at %d workers: median speedup [95 %% interval], half-width, rounds" % WORKERS)
        for workload, executor, n, median, low, high, width in headline(df):
            interval = (
                "[%.3f-%.3f]  ±%5.1f %%" % (low, high, 100 * width) if width == width else "(no interval)"
            )
            print("    %-11s %-13s %6.3fx %s  %3d rounds" % (workload, executor, median, interval, n))
        best = best_process_fraction(df)
        if best:
            print("  best process executor on cpu_python: %s at %d workers, median capacity_fraction %.3f "
                  "(%d of %d rounds flagged above the cores)" % best)  # fmt: skip
    judged, missed = missed_groups(folder)
    print("  groups that missed the precision target: %d of %d" % (len(missed), judged))
    for line in missed:
        print("    " + line)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, metavar="RUN_DIR")
    args = parser.parse_args(argv)
    for folder in args.runs:
        if not (folder / "environment.json").is_file():
            print(
                "precision.py: error: %s is not a run folder (no environment.json)" % folder, file=sys.stderr
            )
            return 2
        report(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
