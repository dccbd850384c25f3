"""The command line: ``python -m report [RUN ...] [--results DIR] [--output FILE] [--lenient]``."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import time
from pathlib import Path

from report.load import DataProblems, ResultsError, load_results

EXIT_BAD_INPUT = 2
#: The project's results folder, where ``python -m experiments run`` writes by default.
RESULTS = Path(__file__).resolve().parent.parent / "results"
#: Problem lines printed before the rest are only counted.
SHOWN_PROBLEMS = 20


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad argument is one ``report: error:`` line and exit 2, like every other error."""

    def error(self, message):
        raise ResultsError("%s (see: %s --help)" % (message, invocation()))


def invocation() -> str:
    """``python -m report`` as it must be typed to work: ``python`` only when that is this interpreter."""
    on_path = shutil.which("python")
    if on_path and os.path.abspath(on_path) == os.path.abspath(sys.executable):
        return "python -m report"
    return "%s -m report" % shlex.quote(sys.executable)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
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
    parser.add_argument(
        "--lenient",
        action="store_true",
        help="render even when some rows cannot be trusted: leave them out and list them on the page",
    )
    return parser


def _say(kind: str, lines: list) -> None:
    """``report: KIND: line`` for the first lines, then how many more there are."""
    for line in lines[:SHOWN_PROBLEMS]:
        print("report: %s: %s" % (kind, line), file=sys.stderr)
    if len(lines) > SHOWN_PROBLEMS:
        print("report: %s: ... and %d more like these" % (kind, len(lines) - SHOWN_PROBLEMS), file=sys.stderr)


def _refuse(exc: DataProblems) -> int:
    files = len({p.path for p in exc.problems})
    _say("error", [str(p) for p in exc.problems])
    print(
        "report: error: %d row%s in %d file%s cannot be trusted, so no page was written; correct or remove "
        "those lines, or add --lenient to render without them"
        % (len(exc.problems), "" if len(exc.problems) == 1 else "s", files, "" if files == 1 else "s"),
        file=sys.stderr,
    )
    return EXIT_BAD_INPUT


def main(argv=None) -> int:
    started = time.perf_counter()
    try:
        args = build_parser().parse_args(argv)
        results_dir = Path(args.results)
        output = Path(args.output) if args.output else results_dir / "report.html"
        if args.runs:
            results = load_results(args.runs, results_dir, lenient=args.lenient)
        elif not results_dir.is_dir():
            raise ResultsError(
                "no results folder %s; run `make bench` first or pass --results DIR" % results_dir
            )
        else:
            results = load_results(results_dir, lenient=args.lenient)
        if not results.runs:
            raise ResultsError("no run folders in %s; run `make bench` first" % results_dir)
        _say("warning", ["left out %s" % p for p in results.problems])
        from report.build import write_report  # matplotlib: not for a mistyped argument or --help

        path = write_report(results, output, args.baseline)
        for warning in results.warnings:  # after rendering: a section that failed adds one
            print("report: warning: %s" % warning, file=sys.stderr)
    except DataProblems as exc:
        return _refuse(exc)
    except ResultsError as exc:
        print("report: error: %s" % exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    print(
        "report: %d run%s in %.1f s -> %s"
        % (len(results.runs), "" if len(results.runs) == 1 else "s", time.perf_counter() - started, path),
        file=sys.stderr,
    )
    try:
        print(path, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the page is written: exit 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
