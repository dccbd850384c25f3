"""Comparisons that hold an A/A test: run-to-run noise, false-discovery control, paired rounds, tails."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.schema import Environment, ExperimentInfo
from report.analysis import compare
from report.analysis import statistics as stats
from report.analysis.load import Results, Run
from report.page import comparisons
from tests.support.synthetic import write_run

ROOT = Path(__file__).resolve().parents[1]
#: metric -> (+1 when it grows with the machine's slowness, -1 when it shrinks; repetition noise)
METRICS = {"wall_s": (1, 0.04), "throughput_ops_s": (-1, 0.04), "latency_p50_us": (1, 0.10)}
CELLS = 30
REPS = 5


def simulated_run(rng, run_sd=0.03, local_sd=0.015, slower_cells=(), factor=1.2) -> tuple:
    """(speeds at start and end, {(cell, metric): repetitions}) of one run started on its own: every
    value and every speed measurement carries the run's offset (the machine's state over the run) and a
    time-local one; ``slower_cells`` really are ``factor`` times slower in wall_s."""
    offset = rng.normal(0.0, run_sd)
    speeds = 60.0 * np.exp(offset + rng.normal(0.0, local_sd, 2))
    data = {}
    for cell in range(CELLS):
        for metric, (sign, rep_sd) in METRICS.items():
            shift = offset + rng.normal(0.0, local_sd)
            values = np.exp(sign * shift + rng.normal(0.0, rep_sd, REPS))
            if metric == "wall_s" and cell in slower_cells:
                values *= factor
            data[(cell, metric)] = values
    return speeds, data


def simulated_family(rng, floor=True, slower_cells=()) -> tuple:
    """A pair of runs of the same thing (but for ``slower_cells``), compared as the report does."""
    speeds_a, a = simulated_run(rng)
    speeds_b, b = simulated_run(rng, slower_cells=slower_cells)
    noise = stats.speed_noise(speeds_a, speeds_b) if floor else 0.0
    return list(a), stats.compare_unpaired([(a[k], b[k], k[1]) for k in a], noise)


def test_aa_runs_started_separately_read_the_same():
    rng = np.random.default_rng(20)
    found = [c for _ in range(40) for c in simulated_family(rng)[1]]
    assert sum(c.significant for c in found) / len(found) <= 0.05
    assert sum(c.ci_low <= 1.0 <= c.ci_high for c in found) / len(found) >= 0.90
    # it is the run-to-run floor that makes it hold: within-run noise alone misses the run's offset
    rng = np.random.default_rng(20)
    alone = [c for _ in range(40) for c in simulated_family(rng, floor=False)[1]]
    assert sum(c.ci_low <= 1.0 <= c.ci_high for c in alone) / len(alone) < 0.90


def test_a_real_20_percent_difference_is_still_found():
    rng = np.random.default_rng(21)
    slower = set(range(6))
    hits, false, nulls = 0, 0, 0
    families = 40
    for _ in range(families):
        keys, found = simulated_family(rng, slower_cells=slower)
        for (cell, metric), c in zip(keys, found):
            if metric == "wall_s" and cell in slower:
                hits += c.verdict == "slower"
                assert c.verdict != "faster"
            else:
                nulls += 1
                false += c.significant
    assert hits / (families * len(slower)) >= 0.5
    assert false / nulls <= 0.05


def null_family(rng, m=200) -> list:
    """m comparisons with nothing going on: uniform p, and a ratio far beyond any minimum effect."""
    return [stats.Comparison(5, 5, 1.0, 2.0, 2.0, p_value=float(p)) for p in rng.uniform(0, 1, m)]


def test_benjamini_hochberg_holds_the_false_discovery_rate():
    rng = np.random.default_rng(22)
    fractions = []
    for _ in range(100):
        family = stats.judge(null_family(rng), ["wall_s"] * 200)
        fractions.append(sum(c.significant for c in family) / len(family))
        assert all(c.q_value >= c.p_value for c in family)
    # raw p < 0.05 would call about 5 % of every family; BH calls almost none when all are null
    assert max(fractions) <= 0.05 and np.mean(fractions) <= 0.01
    # and real effects among them are still found
    mixed = null_family(rng, 180) + [stats.Comparison(5, 5, 1.0, 2.0, 2.0, p_value=1e-5) for _ in range(20)]
    stats.judge(mixed, ["wall_s"] * 200)
    assert all(c.verdict == "slower" for c in mixed[180:])
    assert sum(c.significant for c in mixed[:180]) <= 9


def drifting_rounds(rng, ratio: float, rounds: int = 10) -> tuple:
    """Two interleaved runs: each round's machine state (±30 %) hits both; the other run is ``ratio``
    times the base."""
    drift = rng.lognormal(0.0, 0.3, rounds)
    base = drift * rng.lognormal(0.0, 0.01, rounds)
    return base, ratio * drift * rng.lognormal(0.0, 0.01, rounds)


def test_interleaved_rounds_are_paired_so_shared_drift_cancels():
    rng = np.random.default_rng(23)
    base, other = drifting_rounds(rng, 1.15)
    paired = stats.compare_paired([(base, other, "wall_s")])[0]
    assert paired.verdict == "slower" and paired.paired
    assert paired.ci_low <= 1.15 <= paired.ci_high and paired.ci_low > 1.0
    # the same numbers unpaired: the drift swamps a 15 % change
    assert stats.compare_unpaired([(base, other, "wall_s")])[0].verdict == "same"
    # paired A/A: nothing called, and the exact intervals hold 1.0
    found = [
        c for _ in range(40) for c in stats.compare_paired([(*drifting_rounds(rng, 1.0), "wall_s")] * 25)
    ]
    assert sum(c.significant for c in found) / len(found) <= 0.05
    assert sum(c.ci_low <= 1.0 <= c.ci_high for c in found) / len(found) >= 0.90


def test_paired_rounds_below_six_have_no_interval_and_cannot_be_significant():
    rng = np.random.default_rng(24)
    base, other = drifting_rounds(rng, 2.0, rounds=5)
    c = stats.compare_paired([(base, other, "wall_s")])[0]
    assert c.verdict == "same" and np.isnan(c.ci_low) and "n=5, needs 6" in c.note
    assert stats.min_signed_rank_p(5) > stats.ALPHA > stats.min_signed_rank_p(6)


def test_tail_metrics_get_no_verdict_unless_their_sample_is_large():
    rng = np.random.default_rng(25)
    base, other = rng.lognormal(0, 0.01, 8), 2.0 * rng.lognormal(0, 0.01, 8)
    assert stats.compare(base, other, "latency_p50_us").verdict == "slower"
    for metric in ("latency_p99_us", "wake_latency_p99_us", "barrier_skew_max_us", "lateness_p999_us"):
        c = stats.compare(base, other, metric)
        assert c.verdict == stats.TAIL_VERDICT and not c.tested and not c.significant
    found = stats.compare_unpaired([(base, other, "latency_p99_us")] * 3, tail_samples=[5000, 999, None])
    assert [c.verdict for c in found] == ["slower", stats.TAIL_VERDICT, stats.TAIL_VERDICT]
    assert stats.compare_unpaired([(base, other, "x_max_us")], tail_samples=[10**9])[0].tail


def test_speed_noise_between_runs_and_between_machines():
    assert stats.speed_noise([60.0, 60.0], [66.0, 66.0]) == pytest.approx(np.log(1.1))
    assert np.isnan(stats.speed_noise([], [60.0]))
    # another machine's speed is no noise: only each run's own start-to-end change counts
    assert stats.speed_noise([60.0, 63.0], [30.0, 30.0], same_machine=False) == pytest.approx(
        np.sqrt(np.log(1.05) ** 2 / 2)
    )


def make_run(run_id, rng, offset=0.0, invocation=None, factor=None, speeds=(60.0, 61.0), extra=None) -> Run:
    """An in-memory run of one experiment: 12 cells × 10 rounds of wall_s; ``factor`` scales cell 0."""
    rows = []
    for cell in range(12):
        for r in range(10):
            wall = np.exp(offset + rng.normal(0.0, 0.03)) * (factor if factor and cell == 0 else 1.0)
            row = {"cell_id": "c%d" % cell, "repeat": r, "status": "ok", "wall_s": wall}
            row.update({k: v(cell, r) for k, v in (extra or {}).items()})
            rows.append(row)
    env = Environment(
        run_id=run_id,
        created_utc=run_id,
        interpreter={"label": "cpython-3.12"},
        machine={"label": "m"},
        config={"invocation_id": invocation} if invocation else {},
        speed={"start": {"loop_ns_per_iter": speeds[0]}, "end": {"loop_ns_per_iter": speeds[1]}},
    )
    return Run(run_id, Path(run_id), env, {"exp": pd.DataFrame(rows)})


def metrics_for(name):
    return ["wall_s", "latency_p99_us"]


def test_runs_of_one_invocation_are_compared_round_by_round():
    rng = np.random.default_rng(26)
    a, b = make_run("a", rng, invocation="inv1"), make_run("b", rng, invocation="inv1", factor=1.5)
    family = compare.compare_runs(a, b, metrics_for)
    assert family.paired and family.floor is None and len(family.tested) == 12
    assert [f["cell"] for f in family.called] == ["c0"] and family.called[0]["c"].paired
    separate = compare.compare_runs(a, make_run("c", rng, invocation="inv2"), metrics_for)
    assert not separate.paired and separate.floor.speed > 0


def _with_micro_benchmarks(run: Run, slow: float = 1.0) -> Run:
    """``run`` plus an experiment without interleaved rounds (as bench/'s primitives): 3 processes of
    4 benchmarks, benchmark b0 ``slow`` times slower."""
    rows = [
        {
            "cell_id": "b%d" % b,
            "repeat": k,
            "status": "ok",
            "wall_s": (1.0 + 0.02 * k) * (slow if b == 0 else 1.0),
        }
        for b in range(4)
        for k in range(3)
    ]
    run.tables["micro"] = pd.DataFrame(rows)
    run.experiments["micro"] = ExperimentInfo("micro", "Micro", interleaved_rounds=False)
    return run


def test_an_experiment_without_rounds_is_judged_unpaired_inside_an_interleaved_invocation():
    rng = np.random.default_rng(30)
    a = _with_micro_benchmarks(make_run("a", rng, invocation="inv"))
    b = _with_micro_benchmarks(make_run("b", rng, invocation="inv", factor=1.5), slow=2.0)
    family = compare.compare_runs(a, b, metrics_for)
    assert family.paired and family.unpaired == ["micro"] and family.floor.speed > 0
    by = {(f["experiment"], f["cell"]): f["c"] for f in family.items if f["metric"] == "wall_s"}
    # Round by round, 3 rounds could never reach p < 0.05; as separate samples a 2x change is found.
    assert not by[("micro", "b0")].paired and by[("micro", "b0")].verdict == "slower"
    assert all(by[("micro", "b%d" % i)].verdict == "same" for i in (1, 2, 3))
    assert by[("exp", "c0")].paired and by[("exp", "c0")].verdict == "slower"
    assert family.floor_for("exp", "wall_s") == 0.0 and family.floor_for("micro", "wall_s") > 0
    assert "micro measured without rounds" in compare.method_text(family)


def test_three_runs_of_one_interpreter_give_a_noise_floor_per_metric():
    rng = np.random.default_rng(27)
    runs = [make_run("r%d" % i, rng, offset=rng.normal(0, 0.1)) for i in range(4)]
    family = compare.compare_runs(runs[0], runs[1], metrics_for, Results(runs=runs))
    floor = family.floor.for_metric("exp", "wall_s")
    # offsets of sd 0.1 per run: a difference of two runs has sd 0.14
    assert 0.05 < floor < 0.3 and family.floor.per_metric == {("exp", "wall_s"): floor}
    assert all(f["c"].noise_floor == floor for f in family.items)
    assert "4 runs" in family.floor.describe()
    # two runs only: the machine's speed is the floor
    two = compare.compare_runs(runs[0], runs[1], metrics_for, Results(runs=runs[:2]))
    assert two.floor.per_metric == {} and two.floor.for_metric("exp", "wall_s") == two.floor.speed


def test_tail_metric_judged_with_the_column_counting_its_samples():
    rng = np.random.default_rng(28)
    extra = {"latency_p99_us": lambda cell, r: 100.0 + cell, "samples": lambda cell, r: 5000}
    a = make_run("a", rng, invocation="i", extra=extra)
    b = make_run("b", rng, invocation="i", extra={**extra, "latency_p99_us": lambda cell, r: 200.0 + cell})
    assert all(f["c"].tail for f in compare.compare_runs(a, b, metrics_for).items if "p99" in f["metric"])
    judged = compare.compare_runs(a, b, metrics_for, tail_samples={"latency_p99_us": "samples"})
    p99 = [f["c"] for f in judged.items if f["metric"] == "latency_p99_us"]
    assert len(p99) == 12 and all(c.verdict == "slower" for c in p99)


def test_the_page_shows_the_noise_floor_and_how_many_were_tested():
    rng = np.random.default_rng(29)
    runs = [make_run("a", rng), make_run("b", rng, factor=2.0, speeds=(62.0, 60.0))]
    html = str(comparisons.render(Results(runs=runs), None, metrics_for))
    assert "Run-to-run noise floor" in html and "12 comparisons tested" in html
    assert "1 of 12 tested comparisons called different (1 slower)" in html
    paired = [make_run("a", rng, invocation="x"), make_run("b", rng, invocation="x")]
    assert "compared round by round" in str(comparisons.render(Results(runs=paired), None, metrics_for))


def synthetic_pair(tmp_path: Path, other_gil: bool) -> list:
    """Two run folders from tests.support.synthetic, with the machine's speed the real harness records."""
    folders = []
    for i, gil in enumerate((True, other_gil)):
        folder = write_run(tmp_path, created="2026-01-0%dT00:00:00Z" % (i + 1), seed=i, gil=gil, repeats=6)
        env_path = folder / "environment.json"
        env = json.loads(env_path.read_text())
        env["speed"] = {"start": {"loop_ns_per_iter": 60.0 + i}, "end": {"loop_ns_per_iter": 61.0}}
        env_path.write_text(json.dumps(env))
        folders.append(folder)
    return folders


def load_aa():
    spec = importlib.util.spec_from_file_location("aa", ROOT / "scripts" / "aa.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_aa_script_reports_the_figures_of_two_runs(tmp_path, capsys):
    aa = load_aa()
    pair = synthetic_pair(tmp_path / "aa", other_gil=True)
    assert aa.main(["--runs", *map(str, pair), "--results", str(tmp_path / "aa")]) == 0
    out = capsys.readouterr().out
    for line in ("comparisons tested:", "called different:", "intervals containing 1.0:", "noise floor:"):
        assert line in out
    assert "A/A test holds" in out and "with the noise of" not in out
    # a third run of the same interpreter beside them: the noise is measured from the three runs too
    write_run(tmp_path / "aa", created="2026-01-03T00:00:00Z", seed=7, repeats=6)
    assert aa.main(["--runs", *map(str, pair), "--results", str(tmp_path / "aa")]) == 0
    assert "with the noise of 3 runs" in capsys.readouterr().out
    # the GIL off makes pure-Python threads faster: not an A/A pair, and the script says so
    ab = synthetic_pair(tmp_path / "ab", other_gil=False)
    assert aa.main(["--runs", *map(str, ab), "--results", str(tmp_path / "ab")]) == 1
    out = capsys.readouterr().out
    assert "A/A test FAILS" in out and "called faster" in out


def test_aa_script_refuses_bad_input_in_one_line(tmp_path):
    cmd = [
        sys.executable,
        str(ROOT / "scripts" / "aa.py"),
        "--runs",
        str(tmp_path / "a"),
        str(tmp_path / "b"),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith("gilbench: error:")
    assert len(done.stderr.strip().splitlines()) == 1
