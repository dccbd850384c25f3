"""lock_contention's sentences against hand-built rounds: the Lock's cost is paired per round and claims a
direction only where its interval allows; below 6 repetitions the sentence says there are too few."""

from __future__ import annotations

import re

import pytest

import report.page.sections.lock_contention.findings as f
from report.page.formatting import num, ratio
from report.page.sections.lock_contention.analysis import Analysis
from tests.support.handmade import context, write_rows

ENV = "cpython-3.12.1 @ handmade"
FT_ENV = "cpython-3.13.0t @ handmade"


def _w(r: int) -> float:
    """The machine's speed in round r: every cell of the round shares it."""
    return 1.0 + 0.04 * ((r * 3) % 7 - 3)


def lock_rows(repeats: int, cells: dict, extra=lambda r: 0.0) -> list:
    """``cells``: {(threads, primitive, switch ms, pattern): metrics}; ``cost_per_op_ns`` scales with the
    round's speed, plus ``extra(r)`` ns for a locked cell; each (threads, switch, pattern) is a group."""
    rows = []
    for r in range(repeats):
        base_cost = {}
        for (threads, primitive, switch, pattern), m in cells.items():
            cost = m["cost_per_op_ns"] * _w(r) + (extra(r) if primitive != "none" else 0.0)
            if primitive == "none":
                base_cost[(threads, switch, pattern)] = cost
            rows.append(
                dict(
                    threads=threads,
                    primitive=primitive,
                    pattern=pattern,
                    work="inside",
                    work_iters=10,
                    switch_interval_ms=switch,
                    turns_per_thread=20,
                    repeat=r,
                    group_id="%d-%s-%s" % (threads, switch, pattern),
                    cost_per_op_ns=cost,
                    throughput_ops_s=1e9 / cost,
                    lost_update_fraction=m.get("lost", 0.0),
                    lost_updates=m.get("lost_updates", 0),
                    jain_fairness=m.get("jain", 1.0) * (1 - 0.001 * r),
                    acquire_wait_p99_us=m.get("wait99"),
                    updates=100000,
                    work_units=100000,
                )
            )
        for row in rows[-len(cells) :]:
            key = (row["threads"], row["switch_interval_ms"], row["pattern"])
            row["speedup"] = base_cost[key] / row["cost_per_op_ns"]
    return rows


CELLS = {
    (1, "none", 5.0, "counter"): {"cost_per_op_ns": 100.0},
    (1, "Lock", 5.0, "counter"): {"cost_per_op_ns": 130.0, "wait99": 1.0},
    (4, "none", 5.0, "counter"): {"cost_per_op_ns": 110.0, "lost": 0.0, "jain": 0.99},
    (4, "Lock", 5.0, "counter"): {"cost_per_op_ns": 300.0, "jain": 0.6, "wait99": 4000.0},
    (4, "none", 5.0, "fake_database"): {"cost_per_op_ns": 9e4, "lost": 0.74, "lost_updates": 700},
}


def analysis(tmp_path, rows, gil=True) -> Analysis:
    write_rows(
        tmp_path, "lock_contention", rows, interpreter="cpython-3.12.1" if gil else "cpython-3.13.0t", gil=gil
    )
    return Analysis(context(tmp_path), "lock_contention")


def test_the_uncontended_cost_without_an_interval_says_too_few_repetitions(tmp_path):
    """Issue 11: the cost claim compared CI bounds that are NaN below 6 repetitions."""
    a = analysis(tmp_path, lock_rows(5, CELLS))
    diff = a.lock_difference(ENV, 1)
    assert diff["n"] == 5 and diff["ci_low"] != diff["ci_low"]  # NaN: no interval
    css, text = f.finding_uncontended_cost(a, ENV)
    assert "too few repetitions for a 95 % interval: n=5, needs 6" in text
    assert not re.search(r"\b(added|not resolved|cheaper)\b", text)
    assert "by %s ns" % num(diff["median"]) in text
    assert f.score(a, ENV) == {}


def test_the_uncontended_cost_is_the_per_round_difference(tmp_path):
    a = analysis(tmp_path, lock_rows(8, CELLS))
    diff = a.lock_difference(ENV, 1)
    # Lock 130 and no lock 100 ns, both scaled by the round's speed: the difference is 30 × speed.
    assert diff["median"] == pytest.approx(30.0, rel=0.1) and diff["ci_low"] > 0
    css, text = f.finding_uncontended_cost(a, ENV)
    assert css is None and text.startswith(
        "An uncontended Lock (1 thread) added %s ns [" % num(diff["median"])
    )
    assert f.score(a, ENV)["lock_cost"].value == pytest.approx(diff["median"])


def test_a_cost_lost_in_the_noise_is_not_resolved(tmp_path):
    cells = dict(CELLS)
    cells[(1, "Lock", 5.0, "counter")] = {"cost_per_op_ns": 100.0}
    a = analysis(tmp_path, lock_rows(8, cells, extra=lambda r: (r % 3 - 1) * 2.0))
    diff = a.lock_difference(ENV, 1)
    assert diff["ci_low"] <= 0 <= diff["ci_high"]
    _, text = f.finding_uncontended_cost(a, ENV)
    assert "not resolved from the noise" in text and "added" not in text
    assert f.score(a, ENV) == {}


def test_lost_updates_quote_the_worst_cell(tmp_path):
    a = analysis(tmp_path, lock_rows(3, CELLS))
    css, text = f.finding_lost_updates(a, ENV)
    assert text.startswith("Without a lock, 74 % of the updates were lost (fake_database, 4 threads")
    assert "too few repetitions" in text


def test_no_loss_without_the_gil_is_a_finding(tmp_path):
    cells = {k: v for k, v in CELLS.items() if k[3] == "counter"}
    a = analysis(tmp_path, lock_rows(8, cells), gil=False)
    css, text = f.finding_lost_updates(a, FT_ENV)
    assert css == "finding" and "GIL off" in text


def test_contended_lock_direction_follows_the_per_round_ratio(tmp_path):
    a = analysis(tmp_path, lock_rows(8, CELLS))
    per_round = a.record("speedup", ENV, "Lock", 4)
    assert per_round["ci_high"] < 1
    _, text = f.finding_contended(a, ENV)
    assert "With 4 threads taking turns on one Lock (switch interval 5 ms)" in text
    assert ratio(1 / per_round["median"]) + " slower" in text


def test_fairness_quotes_lock_and_no_lock_at_the_same_threads(tmp_path):
    a = analysis(tmp_path, lock_rows(8, CELLS))
    _, text = f.finding_fairness(a, ENV)
    lock, free = a.record("jain_fairness", ENV, "Lock", 4), a.record("jain_fairness", ENV, "none", 4)
    assert "Jain index %s [" % num(lock["median"]) in text and ", %s [" % num(free["median"]) in text
    assert "0.25 = one thread did everything" in text and "20 switch intervals" in text


def test_a_locked_cell_that_loses_updates_is_a_finding(tmp_path):
    cells = dict(CELLS)
    cells[(4, "Lock", 5.0, "counter")] = dict(CELLS[(4, "Lock", 5.0, "counter")], lost_updates=3)
    a = analysis(tmp_path, lock_rows(3, cells))
    css, text = f.finding_locked_exact(a, ENV)
    assert css == "finding" and text.startswith("With a lock, 3 of 6 repetitions")
    a2 = analysis(tmp_path / "exact", lock_rows(3, CELLS))
    css, text = f.finding_locked_exact(a2, ENV)
    assert css is None and "no repetition lost an update (2 cells, 6 repetitions)" in text


def test_switch_sweep_lists_each_interval_of_the_same_thread_count(tmp_path):
    cells = dict(CELLS)
    cells[(4, "Lock", 0.5, "counter")] = {"cost_per_op_ns": 250.0, "wait99": 500.0}
    cells[(4, "none", 0.5, "counter")] = {"cost_per_op_ns": 110.0}
    a = analysis(tmp_path, lock_rows(3, cells))
    _, text = f.finding_switch_interval(a, ENV)
    assert "5 ms: 4000 µs" in text and "0.5 ms: 500 µs" in text
