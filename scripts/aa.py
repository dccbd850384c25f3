"""Calibrate the whole chain on this machine: an A/A pair and an A/B pair with a known +10 % change,
interleaved and started separately, judged by the report's own comparison code.

    python scripts/aa.py [--profile default] [--results results/aa] [--change 0.10] [--rounds N]
    python scripts/aa.py --runs BASE OTHER [--known 1.10]     # score two existing runs, measure nothing
    make aa [PROFILE=quick]

Measured: tests/sample_workloads.py's ``scaled_work`` (pure-Python work multiplied by the environment
variable GILBENCH_WORK_SCALE, a setting outside the cell's identity) through ``--workload``, under this
interpreter started by three wrapper scripts: A, A again and B (work × 1 + change). One invocation
measures the three interleaved (A/A: A vs A'; A/B: A vs B); two more invocations, started one after
the other, measure A and B separately. Every pair is judged by report.analysis.compare at the default
threshold (5 %), the separately started ones against the baseline's own repeated runs.

Printed per pair: the false-verdict rate (a change called in an A/A pair; "faster" in the A/B pair), the
detection rate (the A/B pair's wall-time cells called slower, and the experiment's pooled verdict or
common shift), and the coverage of the known ratio by the cells' intervals. Targets (issue 19): A/A at
most 5 % of cells faster/slower and the whole function never called so; interleaved, at least 50 % of
its cells equivalent (one pair started separately cannot pin the common shift its cells are judged
beyond, so equivalence is printed, not asked); A/B interleaved: pooled "slower", at least 50 % of its
cells slower, none faster; A/B started separately: the common shift slower or inconclusive, no cell
faster; coverage at least 85 %. Exit status 0 when every target is met, 1 when one is missed, 2 on
bad input. It takes several minutes (four runs of the default profile's user_function experiment).

The per-cell rates need rounds in proportion to the square of the machine's per-round noise: where a
pair misses them, it prints about how many rounds its median cell needs (``--rounds N`` gives the
interleaved invocation exactly N rounds; ``make aa AA_ROUNDS=N``). The false-verdict and coverage
targets hold at any number of rounds; only the equivalence and detection rates grow with them.
"""

from __future__ import annotations

import argparse
import math
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from report.analysis.compare import DEFAULT_THRESHOLD, compare_runs  # noqa: E402
from report.analysis.load import ResultsError, load_results  # noqa: E402
from report.analysis.verdicts.core import CONFIDENCE, _band, _rounds_to_settle  # noqa: E402

WORKLOAD = "sample_workloads:scaled_work"
EXPERIMENT = "user_function"
METRIC = "wall_s"
#: Targets of issue 19.
MAX_FALSE = 0.05
MIN_EQUIVALENT = 0.50
MIN_DETECTED = 0.50
MIN_COVERAGE = 0.85


def _wrapper(folder: Path, name: str, scale: float) -> str:
    """A script that runs this interpreter with GILBENCH_WORK_SCALE set (an interpreter to --python)."""
    path = folder / name
    path.write_text('#!/bin/sh\nGILBENCH_WORK_SCALE=%r exec %s "$@"\n' % (scale, sys.executable))
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return str(path)


def measure(profile: str, results: Path, pythons: list, rounds: int | None = None) -> list:
    """One invocation of ``experiments run`` over ``pythons`` (interleaved), ``rounds`` exactly when
    given (else the profile's); the run folders it made."""
    cmd = [sys.executable, "-m", "experiments", "run", "--profile", profile, "--results", str(results)]
    cmd += ["--repeat", str(rounds)] if rounds else []
    cmd += ["--workload", WORKLOAD, "--path", str(ROOT / "tests")]
    for p in pythons:
        cmd += ["--python", p]
    done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit("gilbench: error: experiments run exited with %d" % done.returncode)
    lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    return [Path(line) for line in lines[-len(pythons) :]]


def score(results, base, other, known: float) -> dict:
    """The figures of one pair: verdict counts of the gated metric, its coverage of ``known``, and
    the experiment-level verdict (pooled for interleaved runs, the common shift otherwise)."""
    family = compare_runs(base, other, lambda name: [METRIC] if name == EXPERIMENT else [], results)
    cells = [f.verdict for f in family.judged if f.metric == METRIC]
    n = max(1, len(cells))
    words = [v.verdict for v in cells]
    covered = [v for v in cells if math.isfinite(v.low)]
    if not family.paired:  # cells are judged beyond the common shift: their coverage is of 1
        target = 1.0
    else:
        target = known
    level = [p["pooled"].verdict for p in family.pooled if p["metric"] == METRIC]
    level += [s["shift"] for s in family.shifts if s["metric"] == METRIC]
    return {
        "family": family,
        "cells": len(cells),
        "faster": words.count("faster") / n,
        "slower": words.count("slower") / n,
        "equivalent": words.count("equivalent") / n,
        "coverage": sum(v.low <= target <= v.high for v in covered) / max(1, len(covered)),
        "level": level[0] if level else None,
        "verdicts": cells,
    }


def rounds_for_cells(verdicts: list, known: float) -> float:
    """About how many interleaved rounds the median cell needs for the per-cell rate the pair is
    judged on (80 % power at the 95 % level, the per-round noise its cells showed): an A/A cell's
    interval inside ±threshold, an A/B cell's clear of the threshold at the known ratio. inf when the
    known change is within the threshold or no cell has a per-round sd."""
    sds = sorted(v.sd for v in verdicts if math.isfinite(v.sd))
    if not sds or (known != 1.0 and abs(math.log(known)) <= _band(DEFAULT_THRESHOLD)):
        return math.inf  # no cell to learn the noise from, or no change beyond the threshold to find
    n = max(v.n for v in verdicts)
    return _rounds_to_settle(math.log(known), sds[len(sds) // 2], n, _band(DEFAULT_THRESHOLD), CONFIDENCE)


def judge(fig: dict, known: float) -> list:
    """The targets this pair misses (empty: all met)."""
    missed = []
    if fig["coverage"] < MIN_COVERAGE:
        missed.append("coverage %.0f %% < %.0f %%" % (100 * fig["coverage"], 100 * MIN_COVERAGE))
    level = fig["level"].verdict if fig["level"] is not None else "none"
    if known == 1.0:
        if fig["faster"] + fig["slower"] > MAX_FALSE:
            missed.append(
                "false verdicts %.1f %% > %.0f %%" % (100 * (fig["faster"] + fig["slower"]), 100 * MAX_FALSE)
            )
        if level in ("faster", "slower"):
            missed.append(
                "%s verdict %s on the same code" % ("pooled" if fig["family"].paired else "shift", level)
            )
        # Equivalence is asked of interleaved cells only: one pair started separately cannot tell a
        # common shift from the machine's drift, so its cells are judged beyond a shift it cannot pin.
        if fig["family"].paired and fig["equivalent"] < MIN_EQUIVALENT:
            missed.append("equivalent %.0f %% < %.0f %%" % (100 * fig["equivalent"], 100 * MIN_EQUIVALENT))
        return missed
    if fig["faster"] > 0:
        missed.append("%.0f %% of cells called faster" % (100 * fig["faster"]))
    if fig["family"].paired:
        if level != "slower":
            missed.append("pooled verdict %s, not slower" % level)
        if fig["slower"] < MIN_DETECTED:
            missed.append("detected %.0f %% < %.0f %%" % (100 * fig["slower"], 100 * MIN_DETECTED))
    elif level not in ("slower", "inconclusive"):
        missed.append("common shift %s, not slower or inconclusive" % level)
    return missed


def report(name: str, fig: dict, known: float) -> bool:
    """Print one pair's figures; True when it meets its targets."""
    family = fig["family"]
    how = "interleaved" if family.paired else "started separately"
    print("%s (%s, known ratio %.3g): %s vs %s" % (name, how, known, family.base.run_id, family.other.run_id))
    false = fig["faster"] + fig["slower"] if known == 1.0 else fig["faster"]
    print("  cells judged:                    %d" % fig["cells"])
    print("  false verdicts:                  %.1f %%" % (100 * false))
    if known != 1.0:
        print("  detection (cells slower):        %.1f %%" % (100 * fig["slower"]))
    print("  equivalent:                      %.1f %%" % (100 * fig["equivalent"]))
    print("  coverage of the known ratio:     %.1f %%" % (100 * fig["coverage"]))
    level = fig["level"]
    print("  experiment-level verdict:        %s" % (level.describe() if level is not None else "none"))
    if level is not None and math.isfinite(level.detectable):
        # The whole function's smallest change this run finds in 80 % of runs like it (beyond the threshold).
        print("  smallest change it finds (80 %%): %.1f %%" % (100 * level.detectable))
    detect = sorted(v.detectable for v in fig["verdicts"] if math.isfinite(v.detectable))
    if detect:
        print("  per cell, the same (median):     %.1f %%" % (100 * detect[len(detect) // 2]))
    missed = judge(fig, known)
    print("  %s" % ("targets met" if not missed else "MISSED: " + "; ".join(missed)))
    power = fig["equivalent"] < MIN_EQUIVALENT if known == 1.0 else fig["slower"] < MIN_DETECTED
    if family.paired and power:
        need = rounds_for_cells(fig["verdicts"], known)
        rounds = max((v.n for v in fig["verdicts"]), default=0)
        if math.isfinite(need):
            print(
                "  per cell: this noise needs about %d rounds for that rate (this run: %d): --rounds %d"
                % (need, rounds, need)
            )
    return not missed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="default", help="profile of every run (default: default)")
    parser.add_argument("--results", default=str(ROOT / "results" / "aa"), help="where the runs go")
    parser.add_argument("--change", type=float, default=0.10, help="the known change of B (default: 0.10)")
    parser.add_argument(
        "--rounds", type=int, help="exactly N rounds in the interleaved invocation (default: the profile's)"
    )
    parser.add_argument("--runs", nargs=2, metavar="RUN", help="score these two run folders, measure nothing")
    parser.add_argument("--known", type=float, default=1.0, help="with --runs: the true ratio (default: 1)")
    parser.add_argument(
        "--score",
        nargs=5,
        metavar=("A", "A_AGAIN", "B", "A_APART", "B_APART"),
        help="score five runs a measurement made (the first three of one invocation), measure nothing",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        if args.runs:
            results = load_results([Path(p) for p in args.runs])
            base, other = results.runs
            name = "A/A" if args.known == 1.0 else "A/B"
            return 0 if report(name, score(results, base, other, args.known), args.known) else 1
        if args.score:
            folders = [Path(p) for p in args.score]
            ok = score_all(folders[:3], folders[3:4], folders[4:], 1.0 + args.change)
        else:
            ok = run_all(args)
    except (ResultsError, ValueError) as exc:
        print("gilbench: error: %s" % exc, file=sys.stderr)
        return 2
    print("wall time: %.0f s" % (time.monotonic() - started))
    return 0 if ok else 1


def run_all(args) -> bool:
    """Measure the four runs and score the four pairs."""
    results_dir = Path(args.results)
    known = 1.0 + args.change
    with tempfile.TemporaryDirectory() as tmp:
        a1, a2, b = (_wrapper(Path(tmp), n, s) for n, s in (("a", 1.0), ("a_again", 1.0), ("b", known)))
        together = measure(args.profile, results_dir, [a1, a2, b], args.rounds)
        apart_a = measure(args.profile, results_dir, [a1])
        apart_b = measure(args.profile, results_dir, [b])
    print("runs: %s" % " ".join(str(p) for p in together + apart_a + apart_b))
    return score_all(together, apart_a, apart_b, known)


def score_all(together: list, apart_a: list, apart_b: list, known: float) -> bool:
    """Score the four pairs of the five runs (A, A', B interleaved; A and B started separately)."""
    results = load_results(together + apart_a + apart_b)
    runs = {r.path.resolve(): r for r in results.runs}
    ia, ia2, ib = (runs[p.resolve()] for p in together)  # A, A again, B: one invocation
    sa, sb = runs[apart_a[0].resolve()], runs[apart_b[0].resolve()]
    ok = report("A/A", score(results, ia, ia2, 1.0), 1.0)
    ok &= report("A/B", score(results, ia, ib, known), known)
    # separately started: against the baseline code's runs started on their own (the interleaved A and
    # A' count once, their drift cancelled; never a B run: only the baseline code measures the noise)
    aa = load_results([together[0], together[1], apart_a[0]])
    ok &= report("A/A", score(aa, aa.run(ia.run_id), aa.run(sa.run_id), 1.0), 1.0)
    ab = load_results([together[0], together[1], apart_a[0], apart_b[0]])
    ok &= report("A/B", score(ab, ab.run(ia.run_id), ab.run(sb.run_id), known), known)
    return ok


if __name__ == "__main__":
    sys.exit(main())
