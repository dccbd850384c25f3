"""process_overhead's sentences against hand-built rows: the break-even quotes the task durations timed in
its cells and says when the curves do not cross; start and import costs say only what the rounds support."""

from __future__ import annotations

import re

import pytest

import report.page.sections.process_overhead.findings as f
from report.page.formatting import num, ratio
from report.page.sections.process_overhead.analysis import Analysis
from tests.support.handmade import context, write_rows

ENV = "cpython-3.12.1 @ handmade"
NO_CI = "too few repetitions for a 95 % interval: n=3, needs 6"
BASE = dict(
    measure="cpu_task",
    runner="process",
    start_method="default",
    workers=2,
    tasks=100,
    payload_bytes=0,
    task_kiter=1,
    target="minimal",
)


def _w(r: int) -> float:
    return 1.0 + 0.01 * ((r * 3) % 7 - 3)


def cpu_rows(repeats: int, sizes: dict) -> list:
    """``sizes``: {task_kiter: (task_ms as timed in the cell, process speedup)}; thread rows beside."""
    rows = []
    for r in range(repeats):
        for kiter, (task_ms, speedup) in sizes.items():
            for runner in ("thread", "process"):
                rows.append(
                    dict(
                        BASE,
                        runner=runner,
                        task_kiter=kiter,
                        repeat=r,
                        group_id="cpu-%d" % kiter,
                        task_ms=task_ms * _w(r),
                        speedup=1.0 if runner == "thread" else speedup * _w(r),
                    )
                )
    return rows


def start_rows(repeats: int, heavy_extra: dict) -> list:
    """A thread start, fork and spawn starts with the minimal target, and each method in
    ``heavy_extra`` again with the heavy target costing that many ms more in every round."""
    rows = []
    cells = [("thread", "default", "minimal", 0.1), ("process", "fork", "minimal", 2.0)]
    cells += [("process", "spawn", "minimal", 30.0)]
    cells += [("process", m, "heavy", {"fork": 2.0, "spawn": 30.0}[m]) for m in heavy_extra]
    for r in range(repeats):
        for runner, method, target, ms in cells:
            extra = heavy_extra.get(method, 0.0) if target == "heavy" else 0.0
            # The heavy cell's extra wobbles a little around its value, the same in every cell of a round.
            value = ms * _w(r) + extra * (1 + 0.02 * ((r * 5) % 3 - 1))
            rows.append(
                dict(
                    BASE,
                    measure="start_join",
                    runner=runner,
                    start_method=method,
                    target=target,
                    tasks=2,
                    repeat=r,
                    group_id="starts",
                    start_join_ms=value,
                )
            )
    return rows


def analysis(tmp_path, rows) -> Analysis:
    write_rows(tmp_path, "process_overhead", rows)
    return Analysis(context(tmp_path), "process_overhead")


def test_break_even_quotes_the_task_durations_timed_in_the_cells(tmp_path):
    a = analysis(tmp_path, cpu_rows(8, {1: (0.0731, 0.4), 30: (2.17, 1.6)}))
    css, text = f.finding_break_even(a, ENV)
    assert css is None
    points = a.break_even_points(ENV)
    for duration, speedup in points:
        assert num(duration["median"]) + " ms [" in text  # the measured duration, with its interval
        assert "%s thousand iterations" % num(speedup["task_kiter"]) in text
    be, _ = a.break_even(ENV)
    assert points[0][0]["median"] < be < points[1][0]["median"]
    assert "crossing 1 near tasks of" in text
    assert f.score(a, ENV)["break_even"].value == pytest.approx(be)


def test_curves_that_do_not_cross_say_so_and_give_no_break_even(tmp_path):
    a = analysis(tmp_path, cpu_rows(8, {1: (0.0731, 0.3), 30: (2.17, 0.7)}))
    css, text = f.finding_break_even(a, ENV)
    assert "stayed below 1" in text and "do not cross in the measured range" in text
    for duration, _ in a.break_even_points(ENV):
        assert num(duration["median"]) + " ms [" in text
    assert f.score(a, ENV) == {}


def test_processes_winning_only_for_short_tasks_is_a_finding(tmp_path):
    a = analysis(tmp_path, cpu_rows(8, {1: (0.0731, 1.5), 30: (2.17, 0.6)}))
    css, text = f.finding_break_even(a, ENV)
    assert css == "finding" and "shorter tasks" in text


def test_one_task_size_has_no_break_even(tmp_path):
    a = analysis(tmp_path, cpu_rows(3, {20: (1.4, 0.9)}))
    _, text = f.finding_break_even(a, ENV)
    assert text.startswith("Only one task size was measured")
    assert "1.4 ms" in text and NO_CI in text


def test_import_cost_is_paired_per_round_and_worded_by_its_interval(tmp_path):
    a = analysis(tmp_path, start_rows(8, {"spawn": 40.0, "fork": 0.0}))
    spawn, fork = a.import_cost(ENV, "spawn"), a.import_cost(ENV, "fork")
    assert spawn["median"] == pytest.approx(40.0, rel=0.03) and spawn["ci_low"] > 0
    assert fork["ci_low"] <= 0 <= fork["ci_high"]
    css, text = f.finding_import_cost(a, ENV)
    assert css is None
    assert "spawn +%s ms [" % num(spawn["median"]) in text and "(longer)" in text
    assert re.search(r"fork [^,]* \(no clear difference\)", text)


def test_import_cost_without_an_interval_claims_no_direction(tmp_path):
    a = analysis(tmp_path, start_rows(3, {"spawn": 40.0}))
    _, text = f.finding_import_cost(a, ENV)
    assert NO_CI in text
    assert not re.search(r"\((longer|shorter|no clear difference)\)", text)


def test_a_forked_child_paying_for_the_imports_is_a_finding(tmp_path):
    a = analysis(tmp_path, start_rows(8, {"fork": 25.0}))
    css, _ = f.finding_import_cost(a, ENV)
    assert css == "finding"


def test_start_costs_quote_each_method_with_the_minimal_target(tmp_path):
    a = analysis(tmp_path, start_rows(3, {"spawn": 40.0}))
    _, text = f.finding_start_costs(a, ENV)
    spawn = a.start_cost(ENV, "spawn")
    assert "spawn %s ms" % num(spawn["median"]) in text
    assert "spawn %s ms" % num(a.start_cost(ENV, "spawn", "heavy")["median"]) not in text
    assert NO_CI in text


def test_round_trip_direction_follows_the_per_round_ratio(tmp_path):
    rows = []
    for r in range(8):
        for runner, ms in (("thread", 0.5), ("process", 2.5)):
            rows.append(
                dict(
                    BASE,
                    measure="round_trip",
                    runner=runner,
                    payload_bytes=1_000_000,
                    tasks=20,
                    repeat=r,
                    group_id="trip",
                    round_trip_ms=ms * _w(r),
                    speedup=1.0 if runner == "thread" else 0.2 * _w(r),
                )
            )
    a = analysis(tmp_path, rows)
    _, text = f.finding_round_trip(a, ENV)
    assert "1,000,000 bytes" in text and "2-worker process pool" in text
    per_round = a.twin("speedup", a.round_trips(ENV)[-1])
    assert per_round["ci_high"] < 1
    assert ratio(1 / per_round["median"]) + " slower" in text and "faster" not in text
