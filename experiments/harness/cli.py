"""The command line: ``python -m experiments list | run | interpreters``."""

from __future__ import annotations

import argparse
import signal
import sys
import time
import uuid
from pathlib import Path

from experiments.catalogue.toolkit.user_code import PATH_ENV
from experiments.harness import registry
from experiments.harness.cell_runner import Interpreter
from experiments.harness.command_line import ROOT, OneLineParser, UsageError, invocation, quote
from experiments.harness.environment import (
    InterpreterError,
    calibrate_interpreter,
    machine_facts,
    new_environment,
    probe_interpreter,
    usable_cores,
)
from experiments.harness.interpreters import InterpreterNotFound, discover, resolve, variants
from experiments.harness.orchestrator import execute
from experiments.harness.plan import PROFILES, PlanError, load_experiment, parse_overrides, plan_run
from experiments.harness.progress import LOG_FILE, Console, silence
from experiments.harness.store import RunFolder, StoreError, default_machine_label, new_run_id
from experiments.harness.variants import Checkouts, VariantError, parse_variants
from experiments.harness.workload_check import (
    Workload,
    WorkloadError,
    check_variants,
    check_workloads,
    parse_workload,
)

EXIT_BAD_INPUT = 2
DEFAULT_RESULTS = str(ROOT / "results")
#: Each worker's data-segment limit: far above any experiment, low enough to stop a runaway cell.
DEFAULT_MEMORY_CAP_MIB = 4096
EXIT_INTERRUPTED = 130
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


#: What ``list`` plans an experiment of --workload with: any function, to count its cells.
_EXAMPLE_WORKLOAD = {"function": "mypkg.tasks:resize_image"}


def cmd_list() -> int:
    for name in registry.catalogue_names() + registry.on_request():
        spec = load_experiment(name)
        asked = spec.workload_params is not None
        how = " (run with --workload MODULE:FUNCTION)" if asked else " (run with --only %s)" % name
        print("%-18s %s%s" % (name, spec.title, how if spec.on_request else ""))
        for pname, param in spec.params.items():
            print("    %-20s %s%s" % (pname, param.help, param.range_text()))
        counts = []
        for profile in PROFILES:
            plan = plan_run(profile, only=[name], workload=_EXAMPLE_WORKLOAD if asked else None)[0]
            counts.append("%s: %d cells x %s" % (profile, len(plan.cells()), plan.profile.rounds_text()))
        print("    profiles: " + "; ".join(counts))
    return 0


def cmd_interpreters() -> int:
    rows = []
    for path in discover():
        try:
            facts = probe_interpreter(Interpreter(path))
        except InterpreterError as exc:
            rows.append(((0,), ("-", "-", "unusable", str(exc))))
            continue
        build = "free-threaded" if facts["free_threaded_build"] else "GIL"
        rows.append((tuple(facts["version_info"]), (facts["label"], facts["version"], build, path)))
    print("%-22s %-9s %-14s %s" % ("label", "version", "build", "path"))
    for _, row in sorted(rows, key=lambda r: r[0], reverse=True):
        print("%-22s %-9s %-14s %s" % row)
    return 0


def _interpreters(args) -> list:
    """(Interpreter, facts) for every interpreter the run measures, probed before anything runs."""
    named = [resolve(p) for p in args.python] if args.python else [Interpreter(sys.executable)]
    chosen = []
    for interp in named:
        facts = probe_interpreter(interp)
        for variant in variants(interp, facts["free_threaded_build"], args.gil):
            variant_facts = probe_interpreter(variant) if variant is not interp else facts
            variant.label = variant_facts["label"]
            chosen.append((variant, variant_facts))
    return chosen


def _resumed(args, checkouts: Checkouts):
    run_options = [args.only, args.repeat, args.set, args.python, args.gil, args.machine]
    run_options += [args.workload, args.workload_args, args.path, args.variant]
    if any(run_options) or args.precision is not None or args.budget is not None or args.profile != "default":
        raise UsageError("--resume takes the run's own settings; give no other run options with it")
    folder = RunFolder.open(Path(args.results), args.resume)
    env = folder.read_environment()
    config = env.config
    interp = Interpreter(config["python"], dict(config.get("python_env") or {}), env.interpreter["label"])
    if (config.get("variant") or {}).get("revision"):
        interp.env[PATH_ENV] = checkouts.again(config["variant"])
    return [(folder, env, interp)]


def _new_runs(args, checkouts: Checkouts) -> list:
    if args.memory_cap_mib < 0:
        raise UsageError("--memory-cap-mib must be 0 (no limit) or more, got %d" % args.memory_cap_mib)
    if args.capacity_rounds is not None and args.capacity_rounds < 1:
        raise UsageError("--capacity-rounds must be at least 1, got %d" % args.capacity_rounds)
    overrides = parse_overrides(args.set)
    variants = parse_variants(args.variant or [], args.path, args.workload is not None)
    workload = _workload(args, variants)
    workload_config = workload.to_config() if workload else None
    # Bad input stops here, before anything is created.
    plans = plan_run(
        args.profile, args.only, overrides, args.repeat, args.precision, args.budget, workload_config
    )
    chosen = _interpreters(args)
    # One run per interpreter x variant, all of one invocation: the orchestrator interleaves them.
    sides = [(interp, facts, None) for interp, facts in chosen]
    if variants:
        sides = check_variants(workload, [checkouts.resolve(v) for v in variants], chosen, _user(plans))
    elif workload:
        _check_workload(workload, chosen, _user(plans))
    for interp, facts in chosen:
        calibration = calibrate_interpreter(interp, [p.spec for p in plans])
        if calibration:
            facts["calibration"] = calibration
    label = args.machine or default_machine_label()
    machine = machine_facts(label)
    # Runs started together are measured interleaved, round by round: the report pairs their rounds.
    invocation = uuid.uuid4().hex[:12]
    runs = []
    for interp, facts, variant in sides:
        config = {
            "profile": args.profile,
            "experiments": [p.name for p in plans],
            "workload": dict(workload_config, path=variant.import_folder) if variant else workload_config,
            "repeat": args.repeat,
            "precision": args.precision,
            "budget_s": args.budget,
            "capacity_rounds": args.capacity_rounds,
            "memory_cap_mib": args.memory_cap_mib or None,
            "overrides": overrides,
            "python": interp.executable,
            "python_env": interp.env,
            "argv": sys.argv[1:],
            "invocation_id": invocation,
            "results": str(Path(args.results).resolve()),
        }
        name = interp.label
        if variant:
            config["variant"] = variant.describe()
            config["variants"] = [v.name for v in variants]
            name = "%s-%s" % (interp.label, variant.name)
        folder = RunFolder.create(Path(args.results), new_run_id(label, name))
        env = new_environment(folder.run_id, dict(facts), dict(machine), config)
        folder.write_environment(env)
        folder.write_experiments(_described(plans))
        runs.append((folder, env, interp))
    return runs


def _user(plans: list):
    return next(p for p in plans if p.name == "user_function")


def _workload(args, variants: list) -> Workload | None:
    if args.workload is None:
        if args.workload_args is not None or args.path is not None:
            raise UsageError("--workload-args and --path go with --workload MODULE:FUNCTION")
        return None
    # With variants, --path is a folder inside each variant, resolved with it.
    return parse_workload(args.workload, args.workload_args, None if variants else args.path)


def _check_workload(workload: Workload, chosen: list, plan) -> None:
    """Try the function under every interpreter before anything is measured; print what will be skipped."""
    interps = [workload.interpreter(interp) for interp, _ in chosen]
    for note in check_workloads(interps, workload, plan):
        print("gilbench: note: %s" % note, file=sys.stderr)


def _described(plans: list) -> list:
    """What experiments.json says: every planned experiment, and the harness's capacity probe."""
    return [p.spec.info for p in plans] + [registry.capacity_probe().info]


def _resume_hint(runs: list) -> str:
    """Commands that finish an interrupted run, exactly as they must be typed, from any folder."""
    lines = []
    for _, folder, _, _ in runs:
        results = folder.path.parent.resolve()
        where = "" if results == Path(DEFAULT_RESULTS).resolve() else " --results %s" % quote(results)
        lines.append("%s run --resume %s%s" % (invocation(PROG), quote(folder.run_id), where))
    return "; ".join(lines)


def cmd_run(args, console: Console) -> int:
    # Worktrees of git:REV variants live as long as the run, however it ends.
    with Checkouts() as checkouts:
        return _run(args, console, checkouts)


def _run(args, console: Console, checkouts: Checkouts) -> int:
    runs = []
    for folder, env, interp in _resumed(args, checkouts) if args.resume else _new_runs(args, checkouts):
        console.attach(folder.path / LOG_FILE)
        console.record(
            "gilbench: %s: %s %s\n"
            % (
                time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                invocation(PROG),
                " ".join(map(quote, args.argv)),
            )
        )
        config = env.config
        rounds = (config["repeat"], config.get("precision"), config.get("budget_s"))
        plans = plan_run(
            config["profile"], config["experiments"], config["overrides"], *rounds, config.get("workload")
        )
        variant = (config.get("variant") or {}).get("name")
        what = (folder.path, interp.label + (", variant %s" % variant if variant else ""), config["profile"])
        print("gilbench: run %s (%s, profile %s)" % what, file=console)
        runs.append((plans, folder, env, interp))
    try:
        envs = execute(runs, usable_cores(), console)
    except KeyboardInterrupt:
        _stop["pending"] = False
        print(
            "\ngilbench: interrupted; finished rounds are in %s. Resume with: %s"
            % (runs[0][1].path.parent, _resume_hint(runs)),
            file=console,
        )
        return EXIT_INTERRUPTED
    except StoreError as exc:
        # The rounds stored so far are whole; the run is finished where it is, not started again.
        raise StoreError(
            "%s; free some space, then finish the run with: %s" % (exc.problem, _resume_hint(runs))
        ) from None
    for (_, folder, _, _), env in zip(runs, envs):
        if env.noisy:
            print("gilbench: noisy run %s: %s" % (folder.run_id, "; ".join(env.noisy_reasons)), file=console)
        console.record("gilbench: finished: %s\n" % folder.path)
        _print_quietly(str(folder.path))
    return 0


#: A stop (SIGTERM or Ctrl-C) asked for and not yet acted on.
_stop = {"pending": False}


def _terminate(signum, frame):
    _stop["pending"] = True
    raise KeyboardInterrupt


class RunConsole(Console):
    """The run's Console, which also delivers a stop that Python dropped: a KeyboardInterrupt raised
    while a destructor runs (a closed file, a finished Popen) is printed and ignored, and the run
    would go on to its end. Progress writes a line after every cell, so the stop is raised again there,
    at every line until a handler clears it: Python prints the drop here, and a stop raised inside that
    print is dropped too."""

    def record(self, text: str) -> None:
        super().record(text)
        if _stop["pending"]:
            raise KeyboardInterrupt


def _quietly_to_a_closed_pipe(command) -> int:
    """Run a listing command; a reader that stops early (``| head``) ends it quietly, exit 0, like ls."""
    try:
        code = command()
        sys.stdout.flush()
        return code
    except (BrokenPipeError, ValueError):
        silence(sys.stdout)  # so that the interpreter's own flush at exit does not fail again
        return 0


def _print_quietly(text: str) -> None:
    """A line on stdout, for a reader that may have gone: the run's result is on disk either way."""
    try:
        print(text, flush=True)
    except (OSError, ValueError):
        silence(sys.stdout)


def main(argv=None) -> int:
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    # Every message goes through a Console from here on: a closed stderr never stops a run.
    console = RunConsole(sys.stderr)
    saved, sys.stderr = sys.stderr, console
    try:
        args = build_parser().parse_args(argv)
        args.argv = list(sys.argv[1:] if argv is None else argv)
        if args.command == "list":
            return _quietly_to_a_closed_pipe(cmd_list)
        if args.command == "interpreters":
            return _quietly_to_a_closed_pipe(cmd_interpreters)
        return cmd_run(args, console)
    except (
        UsageError,
        PlanError,
        StoreError,
        InterpreterError,
        InterpreterNotFound,
        WorkloadError,
        VariantError,
    ) as exc:
        print("gilbench: error: %s" % exc, file=console)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _stop["pending"] = False
        print("\ngilbench: interrupted before any cell ran", file=console)
        return EXIT_INTERRUPTED
    finally:
        sys.stderr = saved
        console.close()
