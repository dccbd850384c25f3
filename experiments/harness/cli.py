"""The command line: ``python -m experiments list | run | interpreters``."""

from __future__ import annotations

import signal
import sys
import time
import uuid
from pathlib import Path

from experiments.catalogue.toolkit.user_code import PATH_ENV
from experiments.harness import registry
from experiments.harness.cell_runner import Interpreter
from experiments.harness.cli_parser import DEFAULT_RESULTS, PROG, build_parser
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
from experiments.harness.progress import Console, silence
from experiments.harness.rounds import N_FIRST
from experiments.harness.store import RunFolder, StoreError, default_machine_label, new_run_id
from experiments.harness.variants import Checkouts, VariantError, parse_variants
from experiments.harness.workload_check import (
    Workload,
    WorkloadError,
    check_variants,
    check_workloads,
    parse_workload,
)
from experiments.schema import LOG_FILE
from experiments.schema.command_line import UsageError, invocation, quote

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
#: Every cell of the run errored or timed out: nothing was measured.
EXIT_ALL_FAILED = 1


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
            "n_first": None if args.repeat else N_FIRST,  # Stein's first stage: the report's intervals
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
    failed = []
    for (plans, folder, _, _), env in zip(runs, envs):
        if env.noisy:
            print("gilbench: noisy run %s: %s" % (folder.run_id, "; ".join(env.noisy_reasons)), file=console)
        console.record("gilbench: finished: %s\n" % folder.path)
        _print_quietly(str(folder.path))
        failed += [line for line in [_every_cell_failed(folder, plans)] if line]
    for line in failed:
        print("gilbench: %s" % line, file=console)
    return EXIT_ALL_FAILED if failed and len(failed) == len(runs) else 0


def _every_cell_failed(folder: RunFolder, plans: list) -> str | None:
    """One line when no cell of the run measured anything (each errored or timed out unexpectedly)."""
    rows = [row for plan in plans for row in folder.rows(plan.name)]
    if not rows or any(row["status"] in ("ok", "expected_timeout") for row in rows):
        return None
    bad = [row for row in rows if row["status"] in ("error", "timeout")]
    if not bad:
        return None
    names = sorted({row["experiment"] for row in bad})
    return "every cell of %s failed in %s, e.g. %s" % (
        " and ".join(names),
        folder.run_id,
        bad[0]["error"] or bad[0]["status"],
    )


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
