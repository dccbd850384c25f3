"""How fast the report renders the worst case: ten runs (five interpreters on two machines), every experiment.

Usage: .venv/bin/python scripts/render_speed.py [--runs 10] [--from RUN_DIR]

The runs are copies of one real run folder (by default the newest under results/, e.g. from `make
bench`), relabelled as five interpreters on two machines. Prints the CPU and wall seconds of loading
and rendering, and the machine's pure-Python loop speed before and after (the shared machine's speed
drifts, so compare renders at similar ns/iteration).
A benchmark, not a test: nothing here passes or fails on time (the brief: speed targets are measured
by the suite's benchmarks, never asserted by timed tests).
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from experiments.schema import ENVIRONMENT_FILE, Environment  # noqa: E402
from report.analysis.load import load_results  # noqa: E402
from report.page.build import render_report  # noqa: E402

LABELS = ["cpython-3.9.18", "cpython-3.11.7", "cpython-3.12.1", "cpython-3.13.0", "cpython-3.13.0t"]


def loop_ns() -> float:
    """CPU ns per iteration of a pure-Python loop now."""
    started, total = time.process_time(), 0
    for i in range(1_000_000):
        total += i * i % 7
    return (time.process_time() - started) * 1000.0


def newest_run(results: Path) -> Path:
    runs = sorted(p.parent for p in results.glob("*/" + ENVIRONMENT_FILE))
    if not runs:
        raise SystemExit("render_speed: no run folder in %s; run `make bench` first or give --from" % results)
    return max(runs, key=lambda p: Environment.read(p / ENVIRONMENT_FILE).created_utc)


def relabel_csv(path: Path, run_id: str, interpreter: str) -> None:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return
    for row in rows:
        row["run_id"] = run_id
        if "interpreter" in row:
            row["interpreter"] = interpreter
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def write_runs(folder: Path, source: Path, runs: int) -> None:
    """``runs`` copies of the run folder ``source``, each its own interpreter x machine."""
    for i in range(runs):
        label, machine = LABELS[i % len(LABELS)], "host%d" % (i // len(LABELS))
        run_id = "2026-01-%02dT000000Z-%s-%s" % (i + 1, machine, label)
        target = folder / run_id
        shutil.copytree(source, target)
        env = Environment.read(target / ENVIRONMENT_FILE)
        env.run_id, env.created_utc = run_id, "2026-01-%02dT00:00:00Z" % (i + 1)
        env.interpreter["label"], env.machine["label"] = label, machine
        env.write(target / ENVIRONMENT_FILE)
        for path in target.glob("*.csv"):
            relabel_csv(path, run_id, label)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--from", dest="source", type=Path, help="run folder to copy (default: newest)")
    args = parser.parse_args(argv)
    source = args.source or newest_run(ROOT / "results")
    with tempfile.TemporaryDirectory() as tmp:
        write_runs(Path(tmp), source, args.runs)
        before = loop_ns()
        wall, cpu = time.perf_counter(), time.process_time()
        results = load_results(tmp)
        loaded = time.process_time() - cpu
        html = render_report(results)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        after = loop_ns()
    print(
        "%d runs: load %.1f s CPU, load + render %.1f s CPU (%.1f s wall), %d figures, %.1f MB page; "
        "loop %.0f -> %.0f ns/iteration"
        % (args.runs, loaded, cpu, wall, html.count("<img "), len(html) / 1e6, before, after)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
