"""The command line: ``python -m report [RUN ...] [--results DIR] [--output FILE] [--lenient]
[--fail-on slower [--threshold 5%]]`` writes the page (and gates CI); ``python -m report advise [RUN ...]
[--format text|markdown|json]`` prints which executor, how many workers and which interpreter to use."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from experiments.harness.command_line import OneLineParser, UsageError
from report.analysis.load import DataProblems, ResultsError, load_results

EXIT_BAD_INPUT = 2
#: The project's results folder, where ``python -m experiments run`` writes by default.
RESULTS = Path(__file__).resolve().parent.parent / "results"
#: Problem lines printed before the rest are only counted.
SHOWN_PROBLEMS = 20


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
    _add_lenient(parser)
    parser.add_argument(
        "--fail-on",
        choices=("slower", "slower,inconclusive"),
        help="exit 1 when a run is shown slower than the baseline by more than --threshold (a CI gate); "
        "with slower,inconclusive also when a comparison could not show that either way",
    )
    parser.add_argument(
        "--threshold",
        type=_fraction,
        default=None,
        metavar="PCT",
        help="the change that matters, used as given (default: 5%%; e.g. 2%%, 10%% or 0.1)",
    )
    return parser


def _add_lenient(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lenient",
        action="store_true",
        help="use the data even when some rows cannot be trusted: leave them out and list them",
    )


def _fraction(text: str) -> float:
    """``5%``, ``5 %`` or ``0.05`` as 0.05; anything else is an argument error."""
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError("not a percentage: %r (write e.g. 5%% or 0.05)" % text) from None
    if not 0 <= value < 10:
        raise argparse.ArgumentTypeError("threshold %r is outside 0%%–1000%%" % text)
    return value


def build_advise_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="python -m report advise",
        description="Which executor, how many workers and which interpreter to use, per workload.",
    )
    parser.add_argument(
        "runs", nargs="*", metavar="RUN", help="run ids in --results, or run folder paths (default: all)"
    )
    parser.add_argument("--results", default=str(RESULTS), help="folder of run folders (default: results/)")
    parser.add_argument(
        "--baseline",
        metavar="RUN_ID",
        help="run whose sequential cell every speed is against (default: a GIL build's run)",
    )
    parser.add_argument(
        "--format", choices=advise_formats(), default="text", help="output format (default: text)"
    )
    _add_lenient(parser)
    return parser


def advise_formats() -> tuple:
    from report.page.advice import FORMATS

    return FORMATS


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


def _load(args):
    """The runs named on the command line (or every run in --results), or a one-line ResultsError."""
    results_dir = Path(args.results)
    if args.runs:
        results = load_results(args.runs, results_dir, lenient=args.lenient)
    elif not results_dir.is_dir():
        raise ResultsError("no results folder %s; run `make bench` first or pass --results DIR" % results_dir)
    else:
        results = load_results(results_dir, lenient=args.lenient)
    if not results.runs:
        raise ResultsError("no run folders in %s; run `make bench` first" % results_dir)
    _say("warning", ["left out %s" % p for p in results.problems])
    return results


def _print(text: str) -> None:
    """Print to stdout; a closed pipe (``| head``) ends quietly, like ls."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _errors_as_lines(run) -> int:
    """Run a command; bad input ends as one ``report: error:`` line and exit 2."""
    try:
        return run()
    except DataProblems as exc:
        return _refuse(exc)
    except (ResultsError, UsageError) as exc:
        print("report: error: %s" % exc, file=sys.stderr)
        return EXIT_BAD_INPUT


def advise_main(argv) -> int:
    def run() -> int:
        args = build_advise_parser().parse_args(argv)
        results = _load(args)
        if args.baseline:
            results.run(args.baseline)  # an unknown run is one line
        from report.analysis.advice import advise
        from report.page.advice import render

        _print(render(advise(results, args.baseline), args.format))
        return 0

    return _errors_as_lines(run)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["advise"]:
        return advise_main(argv[1:])
    started = time.perf_counter()
    outcome = {}

    def run() -> int:
        args = build_parser().parse_args(argv)
        if args.threshold is not None and not args.fail_on:
            raise ResultsError("--threshold only means something with --fail-on slower")
        results = _load(args)
        output = Path(args.output) if args.output else Path(args.results) / "report.html"
        from report.page.build import write_report  # matplotlib: not for a mistyped argument or --help

        path = write_report(results, output, args.baseline, args.threshold)
        for warning in results.warnings:  # after rendering: a section that failed adds one
            print("report: warning: %s" % warning, file=sys.stderr)
        print(
            "report: %d run%s in %.1f s -> %s"
            % (len(results.runs), "" if len(results.runs) == 1 else "s", time.perf_counter() - started, path),
            file=sys.stderr,
        )
        _print("%s\n" % path)
        if args.fail_on:
            from report.analysis import gate
            from report.page.sections import metrics_for

            threshold = 0.05 if args.threshold is None else args.threshold
            gated = metrics_for(results, gated_only=True)
            outcome["gate"] = gate.check(results, args.baseline, threshold, gated)
            outcome["fail_on"] = args.fail_on
        return 0

    code = _errors_as_lines(run)
    if code or "gate" not in outcome:
        return code
    from report.analysis import gate

    return gate.verdict(outcome["gate"], outcome["fail_on"])


if __name__ == "__main__":
    sys.exit(main())
