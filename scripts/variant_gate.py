"""How often the variant gate fails: the base workload against its +10 % version, and against itself.

    python scripts/variant_gate.py [--trials 10] [--profile default] [--budget 120]
                                   [--results results/variant-gate]

Each trial is one ``gilbench run --variant base=... --variant new=...`` of tests/data/variants'
``shapes.work:spin`` then ``gilbench report --fail-on slower`` on its two runs, as ``make gate``
does; trials alternate A/B (new = ``more/``, 10 % more work) and A/A (new = ``base/`` again).
Printed per trial: the kind, the gate's exit status, the wall time of run + report, and the
``report: slower:`` lines; at the end, the counts the issue asks for (A/B gate fails in >= 9 of 10,
A/A passes in >= 9 of 10). Exit 0 when both hold, 1 otherwise.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "variants"


def trial(kind: str, profile: str, results: Path, extra: list) -> tuple:
    """(gate exit status, its last word: ok / inconclusive / FAIL, seconds, slower lines) of one
    run + gate."""
    new = DATA / ("more" if kind == "A/B" else "base")
    started = time.monotonic()
    run = [sys.executable, "-m", "gilbench", "run", "--workload", "shapes.work:spin", "--profile", profile]
    run += ["--results", str(results), "--variant", "base=%s" % (DATA / "base"), "--variant", "new=%s" % new]
    out = subprocess.run(run + extra, cwd=str(ROOT), capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit("run failed: %s" % out.stderr.strip().splitlines()[-1:])
    folders = out.stdout.split()
    gate = [sys.executable, "-m", "gilbench", "report", *folders, "--fail-on", "slower"]
    gate += ["--output", str(Path(folders[-1]) / "report.html")]
    out = subprocess.run(gate, cwd=str(ROOT), capture_output=True, text=True)
    lines = [ln for ln in out.stderr.splitlines() if ln.startswith("report: slower:")]
    words = [w for w in ("FAIL", "inconclusive", "ok") if "report: %s:" % w in out.stderr]
    return out.returncode, (words or ["?"])[0], time.monotonic() - started, lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10, help="trials of each kind (default: 10)")
    parser.add_argument("--profile", default="default")
    parser.add_argument("--results", default=str(ROOT / "results" / "variant-gate"))
    parser.add_argument("--set", action="append", default=[], help="passed to gilbench run")
    parser.add_argument(
        "--budget",
        type=float,
        help="passed to gilbench run (make gate passes GATE_BUDGET when set, on default)",
    )
    args = parser.parse_args(argv)
    extra = [x for s in args.set for x in ("--set", s)]
    extra += ["--budget", "%g" % args.budget] if args.budget else []
    counts = {"A/B": 0, "A/A": 0}
    said = {"A/B": [], "A/A": []}
    for i in range(args.trials):
        for kind in ("A/B", "A/A"):
            code, word, seconds, lines = trial(kind, args.profile, Path(args.results), extra)
            failed = code == 1
            counts[kind] += failed if kind == "A/B" else not failed
            said[kind].append(word)
            print("trial %d %s: gate exit %d (%s) in %.0f s" % (i + 1, kind, code, word, seconds), flush=True)
            for line in lines:
                print("    " + line)
    print("A/B (+10 %%): gate failed in %d of %d" % (counts["A/B"], args.trials))
    print("A/A: gate passed in %d of %d" % (counts["A/A"], args.trials))
    for kind, words in said.items():  # a pass may be "ok" or "inconclusive": both are counted, and shown
        print(
            "%s last words: %s"
            % (kind, ", ".join("%s %d" % (w, words.count(w)) for w in dict.fromkeys(words)))
        )
    enough = 0.9 * args.trials
    return 0 if counts["A/B"] >= enough and counts["A/A"] >= enough else 1


if __name__ == "__main__":
    sys.exit(main())
