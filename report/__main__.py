"""The command line: ``python -m report [RUN ...] [--results DIR] [--output FILE] [--lenient]
[--fail-on slower [--threshold 5%]]`` writes the page (and gates CI); ``python -m report advise [RUN ...]
[--format text|markdown|json]`` prints which executor, how many workers and which interpreter to use."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from experiments.schema import OneLineParser, UsageError
from report.analysis.load import DataProblems, ResultsError, load_results
from report.analysis.runs import variant_gate

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
        "--baseline-variant",
        metavar="NAME",
        help="for runs of --variant: the variant the others are gated against (default: the first given)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "markdown"),
        default="text",
        help="with --fail-on: markdown prints the gate's outcome on stdout for a CI step summary",
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
        help="use the data even when some rows cannot be trusted or some run folders cannot be read: "
        "leave them out and list them",
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
    _say("warning", ["left out %s" % p for p in results.unreadable + results.problems])
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
        from report.analysis.advice import advisable, advise
        from report.page.advice import failed_functions, render, render_text

        plan = advise(results, args.baseline)
        failed = failed_functions(results, advisable(results)) if not plan.advice else []
        _print(
            render_text(plan, failed)
            if failed and args.format in ("text", "brief")
            else render(plan, args.format)
        )
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
        if args.format != "text" and not args.fail_on:
            raise ResultsError("--format markdown is the gate's summary: give it with --fail-on slower")
        if args.baseline and args.baseline_variant:
            raise ResultsError("give --baseline RUN_ID or --baseline-variant NAME, not both")
        results = _load(args)
        results, baseline, pairs = _variant_baseline(args, results)
        output = Path(args.output) if args.output else Path(args.results) / "report.html"
        from report.page.build import write_report  # matplotlib: not for a mistyped argument or --help

        path = write_report(results, output, baseline, args.threshold)
        for warning in results.warnings:  # after rendering: a section that failed adds one
            print("report: warning: %s" % warning, file=sys.stderr)
        print(
            "report: %d run%s in %.1f s -> %s"
            % (len(results.runs), "" if len(results.runs) == 1 else "s", time.perf_counter() - started, path),
            file=sys.stderr,
        )
        if args.format == "text":
            _print("%s\n" % path)
        if args.fail_on:
            from report.analysis import gate
            from report.page.sections import metrics_for

            threshold = 0.05 if args.threshold is None else args.threshold
            gated = metrics_for(results, gated_only=True)
            outcome["gate"] = gate.check(results, baseline, threshold, gated, pairs)
            outcome["fail_on"] = args.fail_on
            if args.format == "markdown":
                from report.page.gate import markdown

                _print(markdown(outcome["gate"], gate.pairs(results, baseline, pairs), args.fail_on))
        return 0

    code = _errors_as_lines(run)
    if code or "gate" not in outcome:
        return code
    from report.analysis import gate

    return gate.verdict(outcome["gate"], outcome["fail_on"])


def _variant_baseline(args, results) -> tuple:
    """(results, baseline run id, pairs): for runs of --variant, each interpreter's baseline variant
    and the runs it gates (``variant_gate``); the page compares with the first interpreter's. The
    gate looks at the newest such invocation only, unless runs were named."""
    pairs = variant_gate(results, args.baseline_variant)
    if not pairs or args.baseline:
        return results, args.baseline, None
    gated = {run_id for _, ids in pairs for run_id in ids}
    if args.fail_on and not args.runs and len(gated) < len(results.runs):
        results = load_results([r.path for r in results.runs if r.run_id in gated], lenient=args.lenient)
    return results, pairs[0][0], pairs


if __name__ == "__main__":
    sys.exit(main())
