"""Two or more versions of one function (--variant), measured in the same rounds: rows, records, a
bad variant stopping the run, git revisions in temporary worktrees that never outlive the run, and
the gate's choice of baseline. No wall times are asserted: whether a +10 % variant is called slower
is measured by scripts/variant_gate.py, not here."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from experiments.harness.interpreters import InterpreterNotFound, resolve
from report.__main__ import main as report_main
from report.analysis import gate
from report.analysis.load import ResultsError, load_results
from report.analysis.runs import variant_gate
from report.page.gate import markdown
from report.page.sections import metrics_for
from tests.conftest import ROOT, run_cli

DATA = ROOT / "tests" / "data" / "variants"
FUNCTION = "shapes.work:spin"
#: Small and fast: one executor, two tasks of 20 thousand steps, two rounds, one capacity round.
FAST = ["--profile", "quick", "--set", "executor=thread", "--set", "tasks=2", "--repeat", "2"]
FAST += ["--capacity-rounds", "1", "--workload-args", '{"size": 20}']


def _run(results, *variants, cwd=ROOT, env=None):
    args = ["run", "--workload", FUNCTION, *FAST, "--results", str(results)]
    for variant in variants:
        args += ["--variant", variant]
    return run_cli(*args, cwd=cwd, env=env)


def _checkout_commit(folder: Path):
    """What ``git rev-parse HEAD`` says for the checkout holding ``folder``, or None outside one."""
    out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else None


def _folders(out) -> list:
    return [Path(line) for line in out.stdout.split()]


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    results = tmp_path_factory.mktemp("variants") / "results"
    out = _run(results, "base=%s" % (DATA / "base"), "more=%s" % (DATA / "more"))
    assert out.returncode == 0, out.stderr[-2000:]
    return results, _folders(out)


def test_variants_run_interleaved_with_their_column_and_records(measured):
    results, folders = measured
    assert [f.name.rsplit("-", 1)[1] for f in folders] == ["base", "more"]
    envs = [json.loads((f / "environment.json").read_text()) for f in folders]
    assert len({e["config"]["invocation_id"] for e in envs}) == 1
    for env, name, folder in zip(envs, ["base", "more"], ["base", "more"]):
        variant = env["config"]["variant"]
        assert variant["name"] == name and variant["folder"] == str(DATA / folder)
        # A folder's commit is that of the checkout holding it (None only outside any git checkout).
        assert variant["revision"] is None and variant["commit"] == _checkout_commit(DATA / folder)
        assert env["config"]["variants"] == ["base", "more"]
        assert env["config"]["workload"]["path"] == str(DATA / folder)
    frames = [pd.read_csv(f / "user_function.csv") for f in folders]
    for df, name in zip(frames, ["base", "more"]):
        assert set(df["variant"]) == {name} and set(df["status"]) == {"ok"}
    # Round r of both variants ran before round r + 1 of either.
    both = pd.concat(frames)
    both["at"] = pd.to_datetime(both["started_at_utc"])
    spans = both.groupby("repeat")["at"].agg(["min", "max"]).sort_index()
    assert (spans["max"].iloc[:-1].to_numpy() <= spans["min"].iloc[1:].to_numpy()).all()
    # The report loads them, the variant shown in each run's label.
    loaded = load_results(results)
    assert sorted(r.variant for r in loaded.runs) == ["base", "more"]
    assert set(loaded.frame("user_function")["variant"]) == {"base", "more"}
    assert all("[%s]" % r.variant in r.env_label for r in loaded.runs)


def test_the_gate_picks_its_baseline_by_variant(measured, capsys):
    results, folders = measured
    loaded = load_results(results)
    [(base_id, gated)] = variant_gate(loaded, None)
    assert base_id == folders[0].name and set(gated) == {f.name for f in folders}
    assert variant_gate(loaded, "more")[0][0] == folders[1].name
    with pytest.raises(ResultsError, match="no variant 'nope'.*base, more"):
        variant_gate(loaded, "nope")
    assert report_main(["--results", str(results), "--fail-on", "slower", "--baseline-variant", "nope"]) == 2
    assert "no variant 'nope'" in capsys.readouterr().err
    out_file = results.parent / "page.html"
    code = report_main(
        ["--results", str(results), "--output", str(out_file), "--fail-on", "slower", "--format", "markdown"]
    )
    printed = capsys.readouterr()
    assert code in (0, 1)
    assert printed.out.startswith("### gilbench gate: ")
    assert "Baseline **base**" in printed.out and "checked **more**" in printed.out
    assert (code == 1) == ("report: slower:" in printed.err) == ("FAIL" in printed.out)


def _another_python():
    """An interpreter gilbench measures (3.9 or newer, GIL build) of another version than this one."""
    mine = "%d.%d" % sys.version_info[:2]
    for version in ("3.9", "3.10", "3.11", "3.12", "3.13"):
        if version != mine:
            try:
                return resolve(version).executable
            except InterpreterNotFound:
                continue
    return None


def test_with_two_interpreters_each_gates_its_variants_against_its_own_base(tmp_path):
    other = _another_python()
    if other is None:
        pytest.skip("one Python version only on this machine: nothing to pair the variants across")
    results = tmp_path / "results"
    args = ["run", "--workload", FUNCTION, *FAST, "--results", str(results), "--python", sys.executable]
    args += [
        "--python",
        other,
        "--variant",
        "base=%s" % (DATA / "base"),
        "--variant",
        "more=%s" % (DATA / "more"),
    ]
    out = run_cli(*args)
    assert out.returncode == 0, out.stderr
    loaded = load_results(results)
    pairs = variant_gate(loaded, None)
    assert len(pairs) == 2
    for base_id, gated in pairs:
        runs = [loaded.run(r) for r in gated]
        assert loaded.run(base_id).variant == "base" and sorted(r.variant for r in runs) == ["base", "more"]
        assert len({r.interpreter_label for r in runs}) == 1  # never a variant against another Python
    assert len({loaded.run(base).interpreter_label for base, _ in pairs}) == 2
    # The gate as report --fail-on slower runs it (without drawing the page): each interpreter's
    # [more] judged against that interpreter's [base] only.
    checked = gate.pairs(loaded, None, pairs)
    assert [(b.variant, [r.variant for r in others]) for b, others in checked] == [("base", ["more"])] * 2
    assert all(r.interpreter_label == b.interpreter_label for b, others in checked for r in others)
    outcome = gate.check(loaded, pairs[0][0], 0.05, metrics_for(loaded, gated_only=True), pairs)
    assert outcome.judged > 0
    for line in outcome.slower + outcome.inconclusive:
        assert "[more]" in line.split(" vs ")[0], line  # the gated run is named first, then its base
    summary = markdown(outcome, checked)
    assert summary.count("Baseline **base**") == 2 and summary.count("checked **more**") == 2


def test_the_markdown_summary_says_what_all_cells_together_showed_unless_it_failed():
    together = "new vs base: user_function wall_s over 21 cells: equivalent 0.99x [0.97–1.01] (52% of cells)"
    quiet = gate.Gate(0.05, inconclusive=["new vs base: one cell 1.1x [0.9–1.3]"], judged=42)
    quiet.together.append(together)
    summary = markdown(quiet, [])
    assert summary.startswith("### gilbench gate: inconclusive")
    assert "All cells together: `%s`" % together in summary
    failed = gate.Gate(0.05, slower=["new vs base: a cell 1.3x [1.2–1.4]"], judged=42, together=[together])
    assert "All cells together" not in markdown(failed, [])


def test_old_folders_without_the_variant_column_still_load():
    loaded = load_results(ROOT / "tests" / "data" / "v1-run")
    for name in loaded.experiments():
        assert set(loaded.frame(name)["variant"]) == {""}


def test_a_variant_that_raises_stops_the_run_naming_it(tmp_path):
    out = _run(tmp_path / "results", "base=%s" % (DATA / "base"), "bad=%s" % (DATA / "broken"))
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gilbench: error: variant bad ("), lines
    assert "raised ValueError: broken variant" in lines[0]
    assert not (tmp_path / "results").exists() or not list((tmp_path / "results").iterdir())


@pytest.mark.parametrize(
    "variants, says",
    [
        ([], "--variant goes with --workload"),
        (["only=."], "two or more variants"),
        (["base=.", "base=."], "given twice"),
        (["=.", "b=."], "NAME=FOLDER or NAME=git:REV"),
        (["a=/nowhere/at/all", "b=."], "is not a folder"),
    ],
)
def test_variant_usage_errors_are_one_line(tmp_path, variants, says):
    if variants:
        out = _run(tmp_path / "results", *variants)
    else:
        out = run_cli("run", "--variant", "a=.", "--variant", "b=.", "--results", str(tmp_path / "r"))
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], lines


def _git(repo, *args):
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path):
    """A git repository holding the base version, committed, with the +10 % version as an
    uncommitted change in its working copy; and an empty TMPDIR for the run's worktrees."""
    repo = tmp_path / "repo"
    shutil.copytree(DATA / "base", repo)
    _git(repo, "init", "--quiet")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "base")
    shutil.copy(DATA / "more" / "shapes" / "work.py", repo / "shapes" / "work.py")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    return repo, dict(os.environ, TMPDIR=str(temporary)), temporary


def _no_worktree_left(repo, temporary):
    assert _git(repo, "worktree", "list").count("\n") == 1
    assert list(temporary.glob("gilbench-variant-*")) == []


def test_a_git_revision_is_checked_out_and_removed(repo, tmp_path):
    repo, env, temporary = repo
    out = _run(tmp_path / "results", "base=git:HEAD", "new=.", cwd=repo, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    base, new = [json.loads((f / "environment.json").read_text())["config"]["variant"] for f in _folders(out)]
    head = _git(repo, "rev-parse", "HEAD").strip()
    assert base["revision"] == "HEAD" and base["commit"] == head and base["folder"] is None
    assert new["folder"] == str(repo) and new["commit"] == head and new["dirty"] is True
    _no_worktree_left(repo, temporary)


def test_the_worktree_is_the_revision_not_the_working_copy(repo, tmp_path):
    repo, env, temporary = repo
    # Commit a broken version, and leave the working one as the uncommitted change.
    working = (repo / "shapes" / "work.py").read_text()
    shutil.copy(DATA / "broken" / "shapes" / "work.py", repo / "shapes" / "work.py")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-am", "broken")
    (repo / "shapes" / "work.py").write_text(working)
    out = _run(tmp_path / "results", "base=git:HEAD", "new=.", cwd=repo, env=env)
    assert out.returncode == 2
    assert out.stderr.startswith("gilbench: error: variant base (git:HEAD at ")
    assert "raised ValueError: broken variant" in out.stderr
    _no_worktree_left(repo, temporary)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_no_worktree_is_left_after_sigterm_or_ctrl_c(repo, tmp_path, stop):
    repo, env, temporary = repo
    args = [sys.executable, "-m", "experiments", "run", "--workload", FUNCTION, *FAST]
    args += ["--results", str(tmp_path / "results"), "--variant", "base=git:HEAD", "--variant", "new=."]
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(
        args, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    # Stop it while it measures: once the worktree exists and a run folder has a log.
    while not list((tmp_path / "results").glob("*/run.log")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(temporary.glob("gilbench-variant-*")), "the worktree should exist while the run measures"
    proc.send_signal(stop)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-2000:]
    _no_worktree_left(repo, temporary)
