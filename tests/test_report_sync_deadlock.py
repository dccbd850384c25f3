"""The sync_objects and deadlock sections, and the run-quality box's expected timeouts, on synthetic runs."""

from __future__ import annotations

import importlib
import re

import pandas as pd
import pytest

from experiments.schema import SCHEMA_VERSION, migrate_status, migrate_v1_info
from report.analysis.load import load_results
from report.page import quality
from report.page.figures import Palette
from report.page.formatting import duration_s, percent
from report.page.sections import Context, deadlock, sync_objects
from report.page.sections.deadlock.analysis import Analysis
from report.page.sections.deadlock.findings import findings
from report.page.sections.sync_objects.analysis import OBJECT_METRICS
from tests.support.records import deadlock_cell
from tests.support.synthetic import write_experiment, write_run

SYNC = importlib.import_module("experiments.catalogue.sync_objects")
DEADLOCK = importlib.import_module("experiments.catalogue.deadlock")
#: io_vs_cpu is not under test here: one cell keeps its CSV small.
TINY_GRID = [("cpu_python", "sequential", 1, 8, 250)]
REPEATS = 3
ENVS = (("cpython-3.12.1", True), ("cpython-3.13.0t", False))


def _results(tmp_path, demo=False, edit=None):
    """Two runs (GIL on and off) of sync_objects and deadlock, default profile; ``edit(name, df)``
    may change a CSV before it is loaded."""
    for i, (label, gil) in enumerate(ENVS):
        folder = write_run(
            tmp_path,
            interpreter=label,
            gil=gil,
            created="2026-01-0%dT00:00:00Z" % (i + 1),
            seed=i,
            grid=TINY_GRID,
            repeats=2,
            demo=demo,
        )
        for module in (SYNC, DEADLOCK):
            path = write_experiment(folder, module, profile="default", repeats=REPEATS, seed=i)
            if edit is not None:
                df = pd.read_csv(path, keep_default_na=False, na_values=[""])
                edit(module.__name__.rsplit(".", 1)[-1], df)
                df.to_csv(path, index=False)
    return load_results(tmp_path)


def _render(results, module, name):
    ctx = Context(results, Palette(r.env_label for r in results.runs))
    return module.render(ctx, name).html


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return _results(tmp_path_factory.mktemp("results"))


@pytest.fixture(scope="module")
def deadlock_html(results):
    return _render(results, deadlock, "deadlock")


@pytest.fixture(scope="module")
def sync_html(results):
    return _render(results, sync_objects, "sync_objects")


def _per_env(html: str) -> dict:
    """{interpreter @ machine: the text under its h3}."""
    parts = re.split(r"<h3>([^<]+)</h3>", html)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def _rows(html: str) -> list:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr[^>]*>(.*?)</tr>", body)


# --- which timeouts are expected ---------------------------------------------------------------


def test_expected_timeouts_are_exactly_the_hanging_cells_without_detection(results):
    frame = results.frame("deadlock")
    mask = frame["status"] == "expected_timeout"
    hung = frame[mask]
    assert set(zip(hung["scenario"], hung["detection"])) == {
        (h["scenario"], h["detection"]) for h in DEADLOCK.HANGS
    }
    assert len(hung) == len(ENVS) * len(DEADLOCK.HANGS) * REPEATS
    assert set(frame.loc[~mask, "status"]) == {"ok"}


def test_a_version_1_timeout_is_expected_only_for_a_hanging_cell_without_detection():
    info = migrate_v1_info("deadlock", ["schema_version", "scenario", "detection", "wall_s"], {})
    cases = [
        ("lock_order", "none", "timeout", "expected_timeout"),
        ("lock_order", "none", "error", "error"),  # the worker failed: a failure
        ("lock_order", "timeout", "timeout", "timeout"),  # detection should have ended it
        ("same_order", "none", "timeout", "timeout"),  # cannot deadlock
    ]
    for scenario, detection, status, migrated in cases:
        params = {"scenario": scenario, "detection": detection}
        assert migrate_status(status, 1, info, params) == migrated
        assert migrate_status(status, SCHEMA_VERSION, info, params) == status


def test_quality_box_counts_expected_timeouts_apart_from_failures(tmp_path):
    def fail_one(name, df):
        if name == "deadlock":
            i = df.index[(df["scenario"] == "same_order") & (df["detection"] == "timeout")][0]
            df.loc[i, "status"], df.loc[i, "error"] = "error", "RuntimeError: synthetic"

    results = _results(tmp_path, demo=True, edit=fail_one)
    box = quality.render(results)
    header = re.findall(r"<th>(.*?)</th>", box)
    hung = len(DEADLOCK.HANGS) * REPEATS
    for run, row in zip(results.runs, _rows(box)):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        reps = sum(len(df) for df in run.tables.values())
        # demo_counter: one error and one (unexpected) timeout; deadlock: the error put in above
        assert cells[header.index("failed repetitions")] == "3 of %d" % reps
        assert cells[header.index("expected timeouts")] == str(hung)
    assert "Expected timeouts: %d repetitions" % (hung * len(ENVS)) in box
    section = _render(results, deadlock, "deadlock")
    assert "Failed repetitions (%d of " % len(ENVS) in section
    assert "Besides these, %d expected timeouts" % (hung * len(ENVS)) in section


# --- the deadlock section ------------------------------------------------------------------------


def test_deadlock_section_reads_its_numbers_from_the_data(results, deadlock_html):
    frame = results.frame("deadlock")
    envs = _per_env(deadlock_html)
    assert set(envs) >= {r.env_label for r in results.runs}
    for run in results.runs:
        text = envs[run.env_label]
        rows = frame[(frame["env_label"] == run.env_label) & (frame["status"] == "ok")]
        for timeout in (10.0, 100.0):
            ttd = rows.loc[
                (rows["scenario"] == "lock_order") & (rows["timeout_ms"] == timeout), "time_to_detect_ms"
            ].median()
            # three repetitions: the median says it has no 95 % interval
            assert (
                "after %s (n=%d, no 95 %% CI) at timeout=%g ms (+%s)"
                % (
                    duration_s(ttd / 1e3),
                    REPEATS,
                    timeout,
                    duration_s((ttd - timeout) / 1e3),
                )
                in text
            )
        n = 2 * REPEATS
        assert "(lock_order) deadlocked in %d of %d repetitions" % (n, n) in text
        assert "(same_order) never deadlocked" in text
        assert "(lock_reentry) blocked in %d of %d repetitions" % (n, n) in text
        assert "(rlock_reentry) succeeded in %d of %d" % (3 * REPEATS, 3 * REPEATS) in text
        assert "lock_order hung in %d of %d; lock_reentry hung in %d of %d" % ((REPEATS,) * 4) in text
        assert 'class="finding"' not in text


def test_deadlock_section_shows_hangs_as_deadlocks_the_harness_detected(deadlock_html):
    assert deadlock_html.count('<img src="data:image/png;base64,') == 1
    rows = _rows(deadlock_html)
    assert len(rows) == len(ENVS) * len(list(DEADLOCK.PROFILES["default"].points()))
    hung = [r for r in rows if "hung (expected)" in r]
    assert len(hung) == len(ENVS) * len(DEADLOCK.HANGS)
    for row in hung:
        assert "%d of %d, by the harness" % (REPEATS, REPEATS) in row and "at its 1 s limit" in row
    assert "Failed repetitions" not in deadlock_html
    assert (
        "Every other repetition ended ok (%d expected timeouts" % (len(ENVS) * len(DEADLOCK.HANGS) * REPEATS)
        in deadlock_html
    )


def test_deadlock_findings_flag_what_the_theory_does_not_predict():
    calm = findings(
        Analysis(
            None,
            found=[
                deadlock_cell("lock_order", "none", ok=0, hung=3),
                deadlock_cell("same_order", "timeout", 3, timeout_ms=10),
            ],
        ),
        "e",
    )
    assert [css for css, _ in calm] == [None, None]
    odd = findings(
        Analysis(
            None,
            found=[
                deadlock_cell("lock_order", "none", ok=1, hung=2),  # a deadlock that did not form
                deadlock_cell("same_order", "timeout", ok=3, detected=1, timeout_ms=10),  # a slow holder
            ],
        ),
        "e",
    )
    flagged = [text for css, text in odd if css == "finding"]
    assert any("did not form" in t and "1 of 3" in t for t in flagged)
    assert any("same_order" in t and "not a deadlock" in t for t in flagged)


# --- the sync_objects section -------------------------------------------------------------------


def test_sync_objects_section_has_a_figure_and_one_table_row_perdeadlock_cell(results, sync_html):
    assert sync_html.count('<img src="data:image/png;base64,') == 1
    tables = sync_html.split("<h4>")[1:]
    assert len(tables) == len(OBJECT_METRICS)
    cells = pd.DataFrame(list(SYNC.PROFILES["default"].points()))
    for obj, part in zip(OBJECT_METRICS, tables):
        assert len(_rows(part)) == len(ENVS) * int((cells["object"] == obj).sum()), obj


def test_sync_objects_sentences_come_from_the_data(results, sync_html):
    frame = results.frame("sync_objects")
    envs = _per_env(sync_html)
    for run in results.runs:
        rows = frame[frame["env_label"] == run.env_label]
        text = envs[run.env_label]
        barrier = rows[rows["object"] == "barrier"]
        parties = int(barrier["threads"].max())
        skew = barrier.loc[barrier["threads"] == parties, "barrier_skew_p50_us"].median()
        assert (
            "with %d parties the last thread passed a median %s" % (parties, duration_s(skew * 1e-6)) in text
        )
        sem = rows[rows["object"] == "semaphore"]
        shares = (
            sem.groupby("permits")["throughput_tasks_s"].median()
            / sem.groupby("permits")["ideal_throughput_tasks_s"].median()
        )
        assert "%s–%s of the ideal" % (percent(shares.min()), percent(shares.max())) in text
        assert "exactly min(k, tasks) threads were inside at once, never more than k" in text
        exits = rows[rows["object"] == "daemon_exit"]
        plain = exits.loc[exits["daemon"] == False, "exit_delay_ms"].median()  # noqa: E712
        daemon = exits.loc[exits["daemon"] == True, "exit_delay_ms"].median()  # noqa: E712
        assert "kept the process alive for %s" % duration_s(plain / 1e3) in text
        assert "the process exited after %s" % duration_s(daemon / 1e3) in text
        assert 'class="finding"' not in text


def test_a_semaphore_that_lets_too_many_in_is_a_finding(tmp_path):
    def overfill(name, df):
        if name == "sync_objects":
            df.loc[(df["object"] == "semaphore") & (df["permits"] == 2), "max_concurrency"] = 3

    html = _render(_results(tmp_path, edit=overfill), sync_objects, "sync_objects")
    assert html.count('class="finding"') == len(ENVS)
    assert "3 at k=2" in html and "did not bound the pool" in html
