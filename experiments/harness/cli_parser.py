"""The run command's arguments: ``python -m experiments list | run | interpreters`` and their options."""

from __future__ import annotations

import argparse

from experiments.schema.command_line import ROOT, OneLineParser

DEFAULT_RESULTS = str(ROOT / "results")
#: Each worker's data-segment limit: far above any experiment, low enough to stop a runaway cell.
DEFAULT_MEMORY_CAP_MIB = 4096
PROG = "python -m experiments"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog=PROG, description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    sub.add_parser("list", help="list the experiments, their parameters and profiles")
    sub.add_parser("interpreters", help="list the Pythons found on PATH, under pyenv and uv")
    run = sub.add_parser("run", help="run experiments and store the results")
    run.add_argument("--profile", default="default", help="quick, default or full (default: default)")
    run.add_argument("--only", action="append", metavar="NAME", help="run only this experiment (repeatable)")
    run.add_argument(
        "--repeat", type=int, metavar="N", help="exactly N rounds per comparison group (no adaptive rounds)"
    )
    run.add_argument(
        "--precision",
        type=float,
        metavar="FRACTION",
        help="target half-width of each ratio's 95 %% interval, relative to its median (default: 0.05)",
    )
    run.add_argument(
        "--budget",
        type=float,
        metavar="SECONDS",
        help="seconds the whole run's rounds may take, shared over its experiments in proportion to their "
        "profile budgets (default: the profile's; capacity probes at start and end come on top)",
    )
    run.add_argument("--set", action="append", metavar="NAME=V1,V2", help="replace a parameter's values")
    run.add_argument(
        "--python",
        action="append",
        metavar="PATH|VERSION",
        help="interpreter to measure, e.g. 3.12, 3.13t or a path (repeatable; default: this one)",
    )
    run.add_argument("--gil", choices=("0", "1"), help="PYTHON_GIL for a free-threaded interpreter")
    run.add_argument("--machine", metavar="LABEL", help="machine label (default: the host name)")
    run.add_argument("--results", default=DEFAULT_RESULTS, help="results folder (default: results/)")
    run.add_argument(
        "--capacity-rounds",
        type=int,
        metavar="N",
        help="rounds of the capacity measurement at start and end (default: 3/5/9 by profile)",
    )
    run.add_argument(
        "--memory-cap-mib",
        type=int,
        default=DEFAULT_MEMORY_CAP_MIB,
        metavar="N",
        help="memory limit of each worker process, MiB; 0 for none (default: %(default)s)",
    )
    run.add_argument("--resume", metavar="RUN_ID", help="run only the cells missing from this run")
    _add_workload_options(run)
    return parser


def _add_workload_options(run: argparse.ArgumentParser) -> None:
    """--workload, --workload-args and --path: measure the user's own function."""
    run.add_argument(
        "--workload",
        metavar="MODULE:FUNCTION",
        help="measure your own function, called as FUNCTION(index, **ARGS), on every executor",
    )
    run.add_argument(
        "--workload-args", metavar="JSON", help="ARGS of --workload as a JSON object, e.g. '{\"size\": 64}'"
    )
    run.add_argument(
        "--path", metavar="DIR", help="folder --workload's module is imported from (default: the current one)"
    )
    run.add_argument(
        "--variant",
        action="append",
        metavar="NAME=FOLDER|NAME=git:REV",
        help="a version of --workload's code to compare, interleaved round by round with the others "
        "(two or more; git:REV is checked out into a temporary worktree of the current repository)",
    )
