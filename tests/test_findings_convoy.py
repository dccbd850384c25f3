"""convoy's sentences against hand-built rounds: direction words follow the interval, numbers come from
the cell named, and a factor without an interval says why."""

from __future__ import annotations

import re

import pytest

import report.page.sections.convoy.findings as f
from report.page.formatting import num, ratio
from report.page.sections.convoy.analysis import Analysis
from tests.support.handmade import context, write_rows

ENV = "cpython-3.12.1 @ handmade"
FT_ENV = "cpython-3.13.0t @ handmade"
NO_CI = "too few repetitions for a 95 % interval: n=3, needs 6"


def _wobble(r: int) -> float:
    """A small round-to-round change (±3 %), the same for every cell of a round."""
    return 1.0 + 0.03 * ((r * 7) % 5 - 2) / 2


def convoy_rows(cells: dict, repeats: int, groups: dict | None = None, switch: float = 5.0) -> list:
    """Rows of the cells ``{(cpu_workers, cpu_kind): (round trips per s, p50 µs, mean µs)}``, the
    no-load cell being ``(0, "thread")``; speedup is each cell's rate over the no-load rate of the round."""
    rows = []
    for r in range(repeats):
        w = _wobble(r)
        idle_rate = cells[(0, "thread")][0] * w
        for (n, kind), (rate, p50, mean) in cells.items():
            rate = rate * w * (1 + 0.002 * r)
            rows.append(
                dict(
                    cpu_workers=n,
                    cpu_kind=kind,
                    switch_interval_ms=switch,
                    io_round_trips=1000,
                    repeat=r,
                    group_id="%s-%g" % ((groups or {}).get((n, kind), "g"), switch),
                    round_trips_per_s=rate,
                    latency_p50_us=p50 * (1 + 0.001 * r),
                    latency_mean_us=mean * (1 + 0.001 * r),
                    latency_p99_us=mean * 5,
                    round_trips=1000,
                    work_units=1000,
                    speedup=rate / idle_rate,
                )
            )
    return rows


def analysis(tmp_path, cells, repeats, gil=True, groups=None) -> tuple:
    label = "cpython-3.12.1" if gil else "cpython-3.13.0t"
    write_rows(tmp_path, "convoy", convoy_rows(cells, repeats, groups), interpreter=label, gil=gil)
    env = ENV if gil else FT_ENV
    return Analysis(context(tmp_path), "convoy"), env


GIL_CELLS = {
    (0, "thread"): (10000.0, 90.0, 100.0),
    (1, "thread"): (2000.0, 400.0, 500.0),
    (1, "process"): (20000.0, 45.0, 50.0),
    (2, "thread"): (1000.0, 900.0, 1000.0),
    (2, "process"): (25000.0, 35.0, 40.0),
}


def _numbers(text: str) -> list:
    return [float(x) for x in re.findall(r"\d+(?:\.\d+)?", text)]


def test_threads_slower_than_no_load_say_slower_and_quote_the_most_threads(tmp_path):
    a, env = analysis(tmp_path, GIL_CELLS, 8)
    css, text = f.finding_threads_vs_idle(a, env)
    assert css is None
    assert "2 CPU-bound threads" in text and "switch interval 5 ms" in text
    rec = a.vs_idle(env, 2, "thread")
    assert rec["n"] == 8 and rec["ci_high"] < 1
    assert "slower" in text and "faster" not in text
    # The 2-thread cell's factor (0.1x), not the 1-thread cell's (0.2x); the slowdown inverted.
    assert ratio(rec["median"]) + " [" in text
    assert ratio(1 / rec["median"]) + " slower" in text


def test_processes_that_speed_the_io_thread_up_are_called_faster_not_slower(tmp_path):
    """Issue 11: "The same load in 2 processes slowed it by 0.386x only" when the ratio was above 1."""
    a, env = analysis(tmp_path, GIL_CELLS, 8)
    css, text = f.finding_processes_vs_idle(a, env)
    rec = a.vs_idle(env, 2, "process")
    assert rec["ci_low"] > 1
    assert "2 CPU-bound processes" in text
    assert "faster" in text and "slower" not in text
    assert ratio(rec["median"]) + " faster" in text
    assert "wake up" in text  # the explanation that goes with faster


def test_without_an_interval_no_direction_is_claimed_and_the_note_says_why(tmp_path):
    a, env = analysis(tmp_path, GIL_CELLS, 3)
    for finding in (f.finding_threads_vs_idle, f.finding_processes_vs_idle, f.finding_threads_vs_control):
        css, text = finding(a, env)
        assert NO_CI in text, text
        assert not re.search(r"\b(faster|slower|no clear change)\b", text), text


def test_against_the_control_the_factor_is_the_per_round_ratio_of_the_same_round(tmp_path):
    a, env = analysis(tmp_path, GIL_CELLS, 8)
    css, text = f.finding_threads_vs_control(a, env)
    rec = a.vs_control(env, 2)
    # Thread rate 1000 over process rate 25000 in every round: 0.04, i.e. 25x slower.
    assert rec["median"] == pytest.approx(0.04, rel=0.02)
    assert rec["rounds"] == list(range(8))
    assert "2 CPU-bound processes" in text and ratio(1 / rec["median"]) + " slower" in text
    assert css is None and "GIL's own share" in text


def test_an_interval_holding_one_is_no_clear_change(tmp_path):
    cells = dict(GIL_CELLS)
    cells[(2, "process")] = (10000.0, 90.0, 100.0)  # the same rate as no load, the wobble shared
    a, env = analysis(tmp_path, cells, 8)
    rec = a.vs_idle(env, 2, "process")
    assert rec["ci_low"] <= 1 <= rec["ci_high"]
    css, text = f.finding_processes_vs_idle(a, env)
    assert "no clear change" in text
    assert not re.search(r"\b(faster|slower)\b", text)


def test_fewer_round_trips_with_a_shorter_median_is_explained_not_contradicted(tmp_path):
    """Issue 11, free-threaded: "2.47x fewer round trips; median latency went from 87.6 µs to 48.3 µs"."""
    cells = {
        (0, "thread"): (10000.0, 87.6, 100.0),
        (2, "thread"): (4050.0, 48.3, 247.0),
        (2, "process"): (12000.0, 40.0, 83.0),
    }
    a, env = analysis(tmp_path, cells, 8, gil=False)
    _, rate = f.finding_threads_vs_idle(a, env)
    _, latency = f.finding_latency(a, env)
    assert "slower" in rate
    assert "shorter" in latency and "longer" not in latency
    for metric in ("latency_p50_us", "latency_p99_us"):  # both cells' own medians
        assert num(a.cell(metric, env, 2, "thread")["median"]) + " µs" in latency
        assert num(a.idle(metric, env)["median"]) + " µs" in latency
    css, why = f.finding_median_against_mean(a, env)
    assert "one over the mean" in why
    for rec in (a.cell("latency_mean_us", env, 2, "thread"), a.idle("latency_mean_us", env)):
        assert num(rec["median"]) + " µs" in why  # the means, from the cells named


def test_the_usual_case_needs_no_mean_explanation(tmp_path):
    a, env = analysis(tmp_path, GIL_CELLS, 8)
    assert f.finding_median_against_mean(a, env) is None


def test_a_control_from_another_group_is_not_paired(tmp_path):
    groups = {(1, "process"): "other", (2, "process"): "other"}
    a, env = analysis(tmp_path, GIL_CELLS, 8, groups=groups)
    assert a.vs_control(env, 2) is None
    css, text = f.finding_threads_vs_control(a, env)
    assert text.startswith("No process control ran in the same rounds")


def test_threads_no_worse_than_processes_with_the_gil_is_flagged(tmp_path):
    cells = dict(GIL_CELLS)
    cells[(2, "thread")] = (25000.0 * 1.2, 35.0, 40.0)
    a, env = analysis(tmp_path, cells, 8)
    css, text = f.finding_threads_vs_control(a, env)
    assert css == "finding" and "faster" in text


def test_score_is_the_inverse_of_the_median_per_round_ratio(tmp_path):
    a, env = analysis(tmp_path, GIL_CELLS, 8)
    s = f.score(a, env)["convoy_slowdown"]
    assert s.value == pytest.approx(1 / a.vs_idle(env, 2, "thread")["median"])
    assert s.value > 1


def test_findings_run_in_order_and_each_quotes_its_cell(tmp_path):
    a, env = analysis(tmp_path, GIL_CELLS, 8)
    texts = [t for _, t in f.findings(a, env)]
    assert len(texts) == 4  # idle, control, processes, latency; no mean note, no switch sweep
    # The 2-thread cell's median (~900 µs) against no load's (~90 µs), not the 1-thread cell's.
    assert num(a.cell("latency_p50_us", env, 2, "thread")["median"]) + " µs" in texts[3]
    assert num(a.cell("latency_p50_us", env, 1, "thread")["median"]) + " µs" not in texts[3]


def test_switch_sweep_quotes_each_interval_of_one_thread_count(tmp_path):
    short = {k: (v[0] * 3, v[1] / 4, v[2] / 4) for k, v in GIL_CELLS.items() if k[0] in (0, 2)}
    rows = convoy_rows(GIL_CELLS, 3) + convoy_rows(short, 3, switch=0.5)
    write_rows(tmp_path, "convoy", rows)
    a = Analysis(context(tmp_path), "convoy")
    assert a.switch == 5.0  # the interpreter's own interval, 5 ms
    css, text = f.finding_switch_sweep(a, ENV)
    for sw in (5.0, 0.5):
        rec = a.cell("latency_p50_us", ENV, 2, "thread", switch=sw)
        assert "%s ms: %s µs" % (num(sw), num(rec["median"])) in text
    assert text.index("5 ms:") < text.index("0.5 ms:") and NO_CI in text
