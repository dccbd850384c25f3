"""The user_function section, from hand-made run folders: one panel per function with its figure,
findings whose direction words match their intervals and quote their cells, and a filled scorecard."""

from __future__ import annotations

import re
from functools import partial

import pytest

from report.analysis.load import load_results
from report.page.build import render_report
from report.page.formatting import record_ci
from report.page.sections.user_function.analysis import Analysis
from report.page.sections.user_function.findings import (
    finding_break_even,
    finding_processes,
    finding_threads,
    score,
)
from tests.support.handmade import context, rounds, write_rows

FUNCTIONS = {
    # function: (thread speedup, process speedup, one call in ms)
    "mytasks:pure_python": (1.0, 1.9, 40.0),
    "mytasks:zlib_compress": (1.8, 1.7, 25.0),
    "mytasks:sleeps": (3.9, 2.5, 10.0),
}
JITTER = [1.0, 1.03, 0.97, 1.02, 0.98, 1.04, 0.96, 1.01]
ROUNDS = 8


def _metrics(function: str, cell: dict, speed: float, call_ms: float, r: int) -> dict:
    """One repetition of one cell: its speedup scattered about ``speed``, CPU busy, memory, call time."""
    sp = speed * JITTER[(r + cell["workers"]) % len(JITTER)] if cell["executor"] != "sequential" else 1.0
    processes = cell["workers"] if cell["executor"] == "process_pool" else 0
    return {
        "speedup": sp,
        "wall_s": 0.32 / sp,
        "cpu_util_cores": min(sp, 2.0) if function != "mytasks:sleeps" else 0.1,
        "peak_rss_mib": 20.0 * (1 + processes) * JITTER[r % 8],
        "task_ms": call_ms * JITTER[(r + 3) % 8],
        "result_bytes": 24,
        "tasks_done": 8,
    }


def _rows() -> list:
    rows = []
    for function, (threads, processes, call_ms) in FUNCTIONS.items():
        base = {"function": function, "function_args": "{}", "tasks": 8}
        cells, speeds = [dict(base, executor="sequential", workers=1)], [1.0]
        for ex, s in (("thread_pool", threads), ("process_pool", processes)):
            for w in (2, 4):
                cells.append(dict(base, executor=ex, workers=w))
                speeds.append(s)
        values = {i: partial(_metrics, function, cell, speeds[i], call_ms) for i, cell in enumerate(cells)}
        rows += rounds(cells, values, ROUNDS, group_id=function)
    return rows


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("results")
    failing = [
        {
            "function": "mytasks:broken",
            "function_args": "{}",
            "tasks": 8,
            "executor": ex,
            "workers": w,
            "repeat": 0,
            "group_id": "broken",
            "status": "error",
            "error": "ValueError: bad input 4 at mytasks.py:12",
        }
        for ex, w in (("sequential", 1), ("thread_pool", 2))
    ]
    write_rows(folder, "user_function", _rows() + failing)
    return folder


@pytest.fixture(scope="module")
def page(results):
    return render_report(load_results(results))


def _section(page: str) -> str:
    return page.split('<section id="exp-user_function">', 1)[1].split("</section>", 1)[0]


def test_one_panel_with_a_figure_per_function_and_every_function_named(page):
    body = _section(page)
    panels = re.findall(r"<h4>(.*?)</h4>", body)
    assert panels == list(FUNCTIONS) + ["mytasks:broken"]
    assert body.count('<img src="data:image/png;base64,') == 3
    assert "ValueError: bad input 4 at mytasks.py:12" in body
    assert "No cell of mytasks:broken measured anything" in body


def test_the_scorecard_row_is_filled(page):
    card = page.split('id="scorecard"', 1)[1].split("</section>", 1)[0]
    assert "your function: best speedup" in card
    assert "needs the user_function experiment" not in card
    for name in ("pure_python", "zlib_compress", "sleeps"):
        assert name in card


def _panel(a: Analysis, function: str):
    env = a.runs[0].env_label
    return env, next(p for p in a.panels(env) if p[0] == function)


def test_each_sentence_says_the_direction_its_interval_shows_and_quotes_its_cell(results):
    a = Analysis(context(results), "user_function")
    env, pure = _panel(a, "mytasks:pure_python")
    _, text = finding_threads(a, env, pure)
    cell = a.point(env, pure, "thread_pool", 2)
    assert record_ci(cell, "x") in text and "no clear change from sequential" in text
    assert "as pure-Python work does" in text
    _, text = finding_processes(a, env, pure)
    best = a.best(env, pure, ("process", "process_pool"))
    assert record_ci(best[2], "x") in text and "faster than sequential" in text
    env, io = _panel(a, "mytasks:sleeps")
    _, text = finding_threads(a, env, io)
    assert "faster than sequential" in text and "outside the GIL" in text
    # No process_overhead in these runs: the break-even is said to be unmeasured.
    _, text = finding_break_even(a, env, io)
    assert "not measured" in text
    assert score(a, env)["function_best_speedup"].value == pytest.approx(
        a.best(env, io, a.parallel)[2]["median"]
    )


def test_the_break_even_is_set_against_one_call(results, monkeypatch):
    a = Analysis(context(results), "user_function")
    env, pure = _panel(a, "mytasks:pure_python")
    monkeypatch.setattr(a, "_break_even", {env: 5.0})
    _, text = finding_break_even(a, env, pure)
    assert (
        "longer than that" in text
        and record_ci(a.point(env, pure, "sequential", 1, "task_ms"), " ms") in text
    )
    monkeypatch.setattr(a, "_break_even", {env: 400.0})
    assert "shorter than that" in finding_break_even(a, env, pure)[1]


def test_the_brief_advice_is_one_line_per_function(results):
    from report.analysis.advice import advise
    from report.page.advice import render_brief

    plan = advise(load_results(results))
    lines = render_brief(plan).splitlines()
    assert len(lines) == len(plan.advice) == 3
    assert all(": use " in line and "mytasks:" in line for line in lines)
    for a, line in zip(plan.advice, lines):
        assert line.endswith("use %s, %s" % (a.choice.label, a.choice.speed_text()))


def test_an_inconclusive_brief_advice_names_the_fastest_by_median_and_uses_nothing(results):
    """`make bench` prints the brief advice: an inconclusive panel (no choice) is a line, not a crash."""
    from report.analysis.advice import advise
    from report.page.advice import render_brief

    plan = advise(load_results(results))
    first = plan.advice[0]
    first.choice, first.verdict = None, "inconclusive"
    lines = render_brief(plan).splitlines()
    assert len(lines) == 3 and ": use " not in lines[0] and ": use " in lines[1]
    fastest = "%s, %s" % (first.runner_up.label, first.runner_up.speed_text())
    assert lines[0].endswith("inconclusive (fastest by median: %s)" % fastest)
    first.runner_up = None
    assert render_brief(plan).splitlines()[0].endswith(": inconclusive")


def test_no_direction_is_claimed_without_an_interval():
    from report.page.sections.user_function.findings import UNJUDGED, _verdict

    assert _verdict({"median": 1.8, "ci_low": float("nan"), "ci_high": float("nan")}) == UNJUDGED
    assert _verdict({"median": 1.8, "ci_low": 1.5, "ci_high": 2.0}) == "faster than sequential"
    assert _verdict({"median": 1.0, "ci_low": 0.9, "ci_high": 1.1}) == "no clear change from sequential"


def test_the_break_even_comes_from_process_overhead_when_the_runs_have_it(tmp_path):
    import importlib

    from tests.support.synthetic import write_experiment

    folder = write_rows(tmp_path, "user_function", _rows())
    write_experiment(
        folder, importlib.import_module("experiments.catalogue.process_overhead"), profile="full"
    )
    a = Analysis(context(tmp_path), "user_function")
    env, pure = _panel(a, "mytasks:pure_python")
    be = a.break_even_ms(env)
    assert be is not None
    _, text = finding_break_even(a, env, pure)
    assert "not measured" not in text and "process_overhead" in text


def test_two_interpreters_get_one_figure_against_the_shared_baseline(tmp_path):
    # The same functions on two interpreters: a panel per function on each, and one figure of every
    # function's speed over the baseline interpreter's sequential run, each function named in it.
    write_rows(tmp_path, "user_function", _rows(), interpreter="cpython-3.12.1")
    write_rows(tmp_path, "user_function", _rows(), interpreter="cpython-3.13.0")
    body = _section(render_report(load_results(tmp_path)))
    assert re.findall(r"<h4>(.*?)</h4>", body) == list(FUNCTIONS) * 2
    assert body.count("Every interpreter against one baseline") == 1
    assert 's speed against the shared baseline">' in body  # the figure's alt text
    assert body.count('<img src="data:image/png;base64,') == 2 * len(FUNCTIONS) + 1
    a = Analysis(context(tmp_path), "user_function")
    for function in FUNCTIONS:  # each function's main panel on each interpreter, for the figure
        assert all(a.main_panel(run.env_label, function) is not None for run in a.runs)
