"""A/A test: the project's own interpreter measured twice back to back (experiments and micro-benchmarks,
as ``make bench`` runs them), compared as the report compares runs.

    python scripts/aa.py [--profile default] [--results results/aa] [--runs RUN_A RUN_B]
    make aa [PROFILE=quick]

Both runs go into ``--results`` (default ``results/aa/``, git-ignored like the rest of results/ and
kept, so they can be inspected or rendered with ``make report RESULTS=results/aa``). Only the two
runs just made (or the two named with ``--runs``, which measures nothing) are compared: the first is
the baseline, and they count as runs started separately, so they are judged against the run-to-run
noise floor with the false-discovery rate controlled, exactly as the report's Comparisons section
judges them. Nothing is rendered. Printed: comparisons tested, the fraction called faster / slower,
the fraction of ratio intervals that contain 1.0, the noise floor, and the wall time; and, when the
results folder holds earlier runs (three or more of this interpreter on this machine in all), the
same pair judged with the run-to-run noise those runs measure per metric.
Exit status 0 when the A/A test holds (at most 5 % called different, at least 90 % of intervals
containing 1.0), 1 when it does not, 2 on bad input.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from report.analysis.compare import compare_runs  # noqa: E402
from report.analysis.load import ResultsError, load_results  # noqa: E402
from report.page.sections import metrics_for  # noqa: E402

#: The A/A test holds when no more than this fraction of comparisons is called different ...
MAX_CALLED = 0.05
#: ... and at least this fraction of the ratio intervals contains 1.0.
MIN_CONTAINING = 0.90


def _module(*args: str) -> list:
    """Run ``python -m ARGS`` in the project and return its non-empty stdout lines; exit on failure."""
    cmd = [sys.executable, "-m", *args]
    done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit("gilbench: error: %s exited with %d" % (" ".join(args), done.returncode))
    return [line for line in done.stdout.splitlines() if line.strip()]


def measure(profile: str, results: Path) -> Path:
    """One run of the project's own interpreter; its folder (``experiments run`` prints it last)."""
    lines = _module("experiments", "run", "--profile", profile, "--results", str(results))
    if not lines:
        raise SystemExit("gilbench: error: experiments run printed no run folder")
    folder = Path(lines[-1].strip())
    # The micro-benchmarks too, as make bench runs them: their comparisons are part of the test.
    _module("bench.run", "--run-dir", str(folder))
    return folder


def figures(base_dir: Path, other_dir: Path, context: list = ()) -> dict:
    """The A/A figures of two run folders, the first as the baseline; ``context`` adds other run
    folders, whose repeated runs of one interpreter measure the run-to-run noise per metric."""
    results = load_results([base_dir, other_dir, *context])
    base = next(r for r in results.runs if r.path.resolve() == base_dir.resolve())
    other = next(r for r in results.runs if r.path.resolve() == other_dir.resolve() and r is not base)
    family = compare_runs(base, other, metrics_for(results), results)
    tested = family.tested
    intervals = [f["c"] for f in tested if math.isfinite(f["c"].ci_low) and math.isfinite(f["c"].ci_high)]
    called = family.called
    return {
        "family": family,
        "tested": len(tested),
        "faster": len(family.with_verdict("faster")) / max(1, len(tested)),
        "slower": len(family.with_verdict("slower")) / max(1, len(tested)),
        "called": len(called) / max(1, len(tested)),
        "intervals": len(intervals),
        "containing": sum(c.ci_low <= 1.0 <= c.ci_high for c in intervals) / max(1, len(intervals)),
        "tails": len(family.tails),
    }


def earlier_runs(results: Path, folders: list) -> list:
    """Other run folders in the results folder (earlier A/A runs), for the run-to-run noise."""
    if not results.is_dir():
        return []
    mine = {f.resolve() for f in folders}
    return [
        c for c in sorted(results.iterdir()) if (c / "environment.json").is_file() and c.resolve() not in mine
    ]


def report_with_history(folders: list, context: list) -> None:
    """The same pair judged with the noise measured from earlier runs too, when there are enough."""
    try:
        fig = figures(*folders, context=context)
    except ResultsError as exc:
        print("(earlier runs not used: %s)" % exc)
        return
    floor = fig["family"].floor
    if floor is not None and floor.per_metric:
        print(
            "with the noise of %d runs:   called %.1f %%, intervals containing 1.0 %.1f %%"
            % (floor.repeated_runs, 100 * fig["called"], 100 * fig["containing"])
        )


def report(fig: dict, wall_s: float | None) -> bool:
    """Print the figures; True when the A/A test holds."""
    family = fig["family"]
    print("A/A: %s (baseline) vs %s" % (family.base.run_id, family.other.run_id))
    print("comparisons tested:        %d (%d tail metrics without a verdict)" % (fig["tested"], fig["tails"]))
    print(
        "called different:          %.1f %% (faster %.1f %%, slower %.1f %%)"
        % (100 * fig["called"], 100 * fig["faster"], 100 * fig["slower"])
    )
    print("intervals containing 1.0:  %.1f %% of %d" % (100 * fig["containing"], fig["intervals"]))
    print("noise floor:               %s" % (family.floor.describe() if family.floor else "paired rounds"))
    if wall_s is not None:
        print("wall time:                 %.0f s" % wall_s)
    for f in sorted(family.called, key=lambda f: -abs(math.log(f["c"].ratio)))[:10]:
        c = f["c"]
        print(
            "  called %s: %s %s %s ratio %.3f q %.3g"
            % (c.verdict, f["experiment"], f["cell"], f["metric"], c.ratio, c.q_value)
        )
    holds = fig["called"] <= MAX_CALLED and fig["containing"] >= MIN_CONTAINING
    print(
        "A/A test %s (needs <= %.0f %% called, >= %.0f %% containing 1.0)"
        % ("holds" if holds else "FAILS", 100 * MAX_CALLED, 100 * MIN_CONTAINING)
    )
    return holds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="default", help="profile of both runs (default: default)")
    parser.add_argument("--results", default=str(ROOT / "results" / "aa"), help="where the runs go")
    parser.add_argument(
        "--runs", nargs=2, metavar="RUN", help="compare these two run folders, measure nothing"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        if args.runs:
            folders, wall = [Path(p) for p in args.runs], None
        else:
            folders = [measure(args.profile, Path(args.results)) for _ in range(2)]
            wall = time.monotonic() - started
        fig = figures(*folders)
    except (ResultsError, StopIteration) as exc:
        print("gilbench: error: %s" % (exc or "the two runs are one run"), file=sys.stderr)
        return 2
    holds = report(fig, wall)
    context = earlier_runs(Path(args.results), folders)
    if context:
        report_with_history(folders, context)
    return 0 if holds else 1


if __name__ == "__main__":
    sys.exit(main())
