"""The command line: ``python -m report [RUN ...] [--results DIR] [--output FILE] [--baseline RUN]``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from report.build import write_report
from report.load import ResultsError, load_results

EXIT_BAD_INPUT = 2
#: The project's results folder, where ``python -m experiments run`` writes by default.
RESULTS = Path(__file__).resolve().parent.parent / "results"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m report", description="Render run folders into one self-contained HTML page."
    )
    parser.add_argument(
        "runs", nargs="*", metavar="RUN", help="run ids in --results, or run folder paths (default: all)"
    )
    parser.add_argument("--results", default=str(RESULTS), help="folder of run folders (default: results/)")
    parser.add_argument("--output", help="page to write (default: RESULTS/report.html)")
    parser.add_argument(
        "--baseline", metavar="RUN_ID", help="run the others are compared with (default: the oldest)"
    )
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    results_dir = Path(args.results)
    output = Path(args.output) if args.output else results_dir / "report.html"
    started = time.perf_counter()
    try:
        if args.runs:
            results = load_results(args.runs, results_dir)
        elif not results_dir.is_dir():
            raise ResultsError(
                "no results folder %s; run `make bench` first or pass --results DIR" % results_dir
            )
        else:
            results = load_results(results_dir)
        if not results.runs:
            raise ResultsError("no run folders in %s; run `make bench` first" % results_dir)
        path = write_report(results, output, args.baseline)
        for warning in results.warnings:  # after rendering: a section that failed adds one
            print("report: warning: %s" % warning, file=sys.stderr)
    except ResultsError as exc:
        print("report: error: %s" % exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    print(
        "report: %d run%s in %.1f s -> %s"
        % (len(results.runs), "" if len(results.runs) == 1 else "s", time.perf_counter() - started, path),
        file=sys.stderr,
    )
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
