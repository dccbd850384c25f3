"""How fast the report renders the worst case: ten runs (five interpreters on two machines), every experiment.

Usage: .venv/bin/python scripts/render_speed.py [--runs 10]

Prints the CPU and wall seconds of loading and rendering, and the machine's pure-Python loop speed
before and after (the shared machine's speed drifts, so compare renders at similar ns/iteration).
A benchmark, not a test: nothing here passes or fails on time (the brief: speed targets are measured
by the suite's benchmarks, never asserted by timed tests).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from experiments import CATALOGUE  # noqa: E402
from experiments.plan import load_experiment  # noqa: E402
from report.analysis.load import load_results  # noqa: E402
from report.page.build import render_report  # noqa: E402
from tests.support.synthetic import write_experiment, write_run  # noqa: E402

LABELS = ["cpython-3.9.18", "cpython-3.11.7", "cpython-3.12.1", "cpython-3.13.0", "cpython-3.13.0t"]


def loop_ns() -> float:
    """CPU ns per iteration of a pure-Python loop now."""
    started, total = time.process_time(), 0
    for i in range(1_000_000):
        total += i * i % 7
    return (time.process_time() - started) * 1000.0


def write_runs(folder: Path, runs: int) -> None:
    modules = [load_experiment(n).module for n in CATALOGUE if n != "io_vs_cpu"]
    for i in range(runs):
        label = LABELS[i % len(LABELS)]
        run = write_run(
            folder,
            interpreter=label,
            gil=not label.endswith("t"),
            machine="host%d" % (i // len(LABELS)),
            created="2026-01-%02dT00:00:00Z" % (i + 1),
            seed=i,
        )
        for module in modules:
            write_experiment(run, module, profile="default", seed=i)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        write_runs(Path(tmp), args.runs)
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
