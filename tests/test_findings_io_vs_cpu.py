"""io_vs_cpu's sentences, from hand-built rows: each direction word matches its interval, each sentence
quotes the cell it describes, and every interpreter is set against one shared baseline."""

from __future__ import annotations

import numpy as np
import pytest

from report.analysis import statistics as stats
from report.page.formatting import num
from report.page.sections import io_vs_cpu
from report.page.sections.io_vs_cpu.analysis import Analysis
from report.page.sections.io_vs_cpu.findings import (
    finding_amdahl,
    finding_free_threads,
    finding_gil_threads,
    finding_headline,
    finding_process_amdahl,
    finding_processes,
    finding_single_thread,
    findings,
    score,
)
from tests.support.records import context, environment, io_rows, results

#: The machine's speed moves from round to round; both runs of one invocation meet it alike.
DRIFT = [1.0, 1.3, 0.9, 1.1, 1.25, 0.95, 1.05, 1.15]
#: Round-to-round scatter of one cell, symmetric about 1.
JITTER = [1.0, 1.03, 0.97, 1.02, 0.98, 1.04, 0.96, 1.01]
GIL = environment("cpython-3.12.1", gil=True, created="2026-01-01T00:00:00Z")
FT = environment("cpython-3.13.0t", gil=False, created="2026-01-02T00:00:00Z")


def walls(seq: float, threads: dict, rounds: int = 8, jitter=JITTER) -> dict:
    """(executor, workers) -> wall per round: ``seq`` for the sequential cell, ``threads[w]`` for
    thread cells, each times the round's drift (and, for threads, its scatter)."""
    out = {("sequential", 1): [seq * DRIFT[r] for r in range(rounds)]}
    for w, factor in threads.items():
        out[("thread", w)] = [factor * DRIFT[r] * jitter[(r + w) % len(jitter)] for r in range(rounds)]
    return out


def analysis(gil_walls: dict, ft_walls: dict, ft_env=FT, baseline=None) -> tuple:
    res = results(
        [(GIL, {"io_vs_cpu": io_rows(GIL, gil_walls)}), (ft_env, {"io_vs_cpu": io_rows(ft_env, ft_walls)})]
    )
    return Analysis(context(res, baseline), "io_vs_cpu"), res


def env_of(e) -> str:
    return "%s @ %s" % (e.interpreter["label"], e.machine["label"])


def per_round(base: list, cell: list) -> np.ndarray:
    return np.asarray(base) / np.asarray(cell)


@pytest.mark.parametrize(
    "factor, verdict",
    [
        (0.55, "faster on the free-threaded build"),
        (1.0, "no clear difference"),
        (1.6, "slower on the free-threaded build"),
    ],
)
def test_headline_is_judged_on_its_own_paired_interval(factor, verdict):
    gil, ft = walls(1.0, {2: 1.0}), walls(1.2, {2: factor})
    a, _ = analysis(gil, ft)
    css, text = finding_headline(a, env_of(FT))
    ratios = per_round(gil[("sequential", 1)], ft[("thread", 2)])
    low, high = stats.median_ci(ratios)
    assert verdict in text
    assert (low > 1) == ("faster" in text) and (high < 1) == ("slower" in text)
    assert "%sx [%s–%s]" % (num(np.median(ratios)), num(low), num(high)) in text
    assert "on 2 threads (thread)" in text and "8 tasks × 250 k iterations" in text
    assert "paired round by round over 8 rounds" in text and env_of(GIL) in text
    assert css is None


def test_headline_without_an_interval_calls_no_difference_and_says_why():
    gil, ft = walls(1.0, {2: 1.0}, rounds=5), walls(1.2, {2: 0.5}, rounds=5)
    a, _ = analysis(gil, ft)
    _, text = finding_headline(a, env_of(FT))
    assert "faster" not in text and "slower" not in text
    assert "no clear difference (too few repetitions for a 95 % interval: n=5, needs 6)" in text
    assert "(n=5, no 95 % CI)" in text


def test_the_headline_quotes_the_panel_of_the_largest_tasks():
    # A grid with a second, short-task panel of more worker counts (e.g. --set workload=cpu_python over
    # the I/O blocks): short tasks measure the executor's overhead, so the headline keeps the long ones.
    long = {"workload": "cpu_python", "tasks": 8, "task_size": 250}
    short = {"workload": "cpu_python", "tasks": 32, "task_size": 5}
    tables = []
    for env, factor in ((GIL, 1.0), (FT, 0.55)):
        rows = io_rows(env, walls(1.0, {2: factor}), long)
        rows += io_rows(env, walls(0.1, {2: 1.0, 8: 1.0, 32: 1.0}), short)
        tables.append((env, {"io_vs_cpu": rows}))
    a = Analysis(context(results(tables)), "io_vs_cpu")
    assert a.main_panel(env_of(FT), "cpu_python") == ("cpu_python", 8, 250)
    _, text = finding_headline(a, env_of(FT))
    assert "8 tasks × 250 k iterations" in text and "faster on the free-threaded build" in text


def test_runs_started_separately_are_a_ratio_of_medians():
    gil, ft = walls(1.0, {2: 1.0}), walls(1.2, {2: 0.5})
    a, _ = analysis(
        gil, ft, ft_env=environment("cpython-3.13.0t", gil=False, created="2026-01-02", invocation="x")
    )
    _, text = finding_headline(a, env_of(FT))
    ratio = np.median(gil[("sequential", 1)]) / np.median(ft[("thread", 2)])
    assert "ran at %sx [" % num(ratio) in text
    assert "ratio of medians of runs started separately" in text


def test_single_thread_cost_is_the_sequential_time_against_the_baseline():
    gil, ft = walls(1.0, {2: 1.0}), walls(1.3, {2: 0.7})
    a, _ = analysis(gil, ft)
    _, text = finding_single_thread(a, env_of(FT))
    cost = np.median(per_round(ft[("sequential", 1)], gil[("sequential", 1)]))
    assert "took %sx [" % num(cost) in text and ": slower on one thread." in text
    entry = score(a, env_of(FT))["single_thread_cost"]
    assert entry.value == pytest.approx(cost) and entry.text.startswith(num(cost) + "x [")
    assert score(a, env_of(GIL))["single_thread_cost"].text == "1x (the baseline)"
    assert finding_single_thread(a, env_of(GIL)) is None  # the baseline is not set against itself


def test_gil_threads_direction_follows_the_interval():
    near = walls(1.0, {2: 1.0})
    a, _ = analysis(near, walls(1.0, {2: 0.5}))
    _, text = finding_gil_threads(a, env_of(GIL))
    assert "no clear change from sequential" in text and "on 2 GIL threads (thread)" in text
    slow = walls(1.0, {2: 1.25})
    a, _ = analysis(slow, walls(1.0, {2: 0.5}))
    _, text = finding_gil_threads(a, env_of(GIL))
    speedups = per_round(slow[("sequential", 1)], slow[("thread", 2)])
    assert "slower than sequential" in text and "ran at %sx [" % num(np.median(speedups)) in text
    assert finding_gil_threads(a, env_of(FT)) is None


def test_free_threads_scale_only_with_an_interval_above_one():
    a, _ = analysis(walls(1.0, {2: 1.0}), walls(1.0, {2: 0.55}))
    _, text = finding_free_threads(a, env_of(FT))
    assert "scaled to" in text and "on 2 threads (thread)" in text
    a, _ = analysis(walls(1.0, {2: 1.0}, rounds=4), walls(1.0, {2: 0.55}, rounds=4))
    _, text = finding_free_threads(a, env_of(FT))
    assert "scaled" not in text and "no clear gain" in text and "(n=4, no 95 % CI)" in text
    css, text = finding_free_threads(analysis(walls(1.0, {2: 1.0}), walls(1.0, {2: 0.95}))[0], env_of(FT))
    assert css == "finding" and "something other than the GIL" in text
    # a machine that had no second core to give: said so, from its measured capacity
    busy = environment(
        "cpython-3.13.0t", gil=False, created="2026-01-02T00:00:00Z", capacity={1: 1.0, 2: 1.08}
    )
    css, text = finding_free_threads(
        analysis(walls(1.0, {2: 1.0}), walls(1.0, {2: 0.95}), ft_env=busy)[0], env_of(FT)
    )
    assert (
        css == "finding" and "the machine itself gave only 1.08x with 2 processes at the run's start" in text
    )


def test_a_serial_fraction_at_its_bound_says_so():
    # threads a little slower than sequential: the fit stops at 1, some resampled rounds do not
    a, _ = analysis(walls(1.0, {2: 1.01}), walls(1.0, {2: 0.55}))
    _, text = finding_amdahl(a, env_of(GIL))
    fit = a.fit(env_of(GIL), ("cpu_python", 8, 250), "thread")["amdahl"]
    low = fit.interval("serial")[0]
    assert fit.at_bound("serial") == 1 and low < 0.99
    assert "serial fraction (1 = fully serial) at ≥ %.2f, at the bound" % low in text
    assert "cannot go beyond fully serial" in text
    # clearly slower: every resample stops at the bound too
    a, _ = analysis(walls(1.0, {2: 1.2, 4: 1.3}), walls(1.0, {2: 0.55}))
    assert "at 1.00, at the bound (every resampled fit too)" in finding_amdahl(a, env_of(GIL))[1]
    a, _ = analysis(walls(1.0, {2: 1.2}, rounds=4), walls(1.0, {2: 0.55}, rounds=4))
    _, text = finding_amdahl(a, env_of(GIL))
    assert "at 1.00, at the bound (too few rounds for a 95 % interval: n=4, needs 6)" in text
    assert score(a, env_of(GIL))["serial_fraction"].text == "1.00, at the bound (n=4 rounds, no 95 % CI)"


def test_a_serial_fraction_inside_its_bounds_has_an_interval():
    a, _ = analysis(walls(1.0, {2: 1.0}), walls(1.0, {2: 0.56, 4: 0.57}))
    _, text = finding_amdahl(a, env_of(FT))
    fit = a.fit(env_of(FT), ("cpu_python", 8, 250), "thread")["amdahl"]
    low, high = fit.interval("serial")
    assert low <= fit.params["serial"] <= high
    assert "%.2f [%.2f–%.2f]" % (fit.params["serial"], low, high) in text


def test_the_shared_baseline_is_a_gil_build_unless_named():
    a, res = analysis(walls(1.0, {2: 1.0}), walls(1.2, {2: 0.5}))
    assert a.baseline.env_label == env_of(GIL)
    a, _ = analysis(walls(1.0, {2: 1.0}), walls(1.2, {2: 0.5}), baseline=FT.run_id)
    assert a.baseline.env_label == env_of(FT)
    _, text = finding_headline(a, env_of(GIL))
    assert (
        "on cpython-3.12.1" in text
    )  # a GIL build against a free-threaded baseline is named, not "free-threaded"


def test_unknown_executors_and_workloads_render():
    gil = walls(1.0, {2: 1.0})
    gil[("asyncio", 4)] = [0.3 * d for d in DRIFT]
    rows = io_rows(GIL, gil) + io_rows(
        GIL, walls(2.0, {2: 1.1}), panel={"workload": "mixed", "tasks": 4, "task_size": 9}
    )
    res = results([(GIL, {"io_vs_cpu": rows}), (FT, {"io_vs_cpu": io_rows(FT, walls(1.2, {2: 0.5}))})])
    html = io_vs_cpu.render(context(res), "io_vs_cpu").html
    assert "asyncio" in html and "mixed: 4 tasks × 9 units" in html
    assert html.count("<img ") == 3  # one figure per run, and the shared-baseline figure


def test_every_sentence_of_a_run_comes_in_order_and_none_is_empty():
    a, _ = analysis(walls(1.0, {2: 1.0, 4: 1.02}), walls(1.2, {2: 0.55, 4: 0.56}))
    for env in (env_of(GIL), env_of(FT)):
        out = findings(a, env)
        assert out and all(text.strip().endswith(".") for _, text in out)
    heads = [t for _, t in findings(a, env_of(FT)) if t.startswith("Headline")]
    assert len(heads) == 1


def test_processes_are_scored_against_the_capacity_of_their_own_rounds_where_the_rows_carry_it():
    gil = walls(1.0, {2: 1.0})
    gil[("process_pool", 2)] = [0.6 * d for d in DRIFT]
    rows = io_rows(GIL, gil)
    a, _ = analysis(gil, walls(1.2, {2: 0.5}))
    _, text = finding_processes(a, env_of(GIL))
    assert "on 2 processes (process_pool)" in text and "(capacity 1.9x at the run's start)" in text
    fit = a.fit(env_of(GIL), ("cpu_python", 8, 250), "process_pool")
    assert fit["fitted_to"] == "speedup ÷ capacity at the run's start × N"
    for r in rows:
        r["round_capacity"] = 1.7
        r["capacity_above_cores"] = r["executor"] == "process_pool" and r["repeat"] == 3
    res = results([(GIL, {"io_vs_cpu": rows}), (FT, {"io_vs_cpu": io_rows(FT, walls(1.2, {2: 0.5}))})])
    a = Analysis(context(res), "io_vs_cpu")
    _, text = finding_processes(a, env_of(GIL))
    assert "(capacity 1.7x in the same rounds)" in text and "a measurement error" in text
    assert a.fit(env_of(GIL), ("cpu_python", 8, 250), "process_pool")["fitted_to"].endswith("same round × N")
    _, text = finding_process_amdahl(a, env_of(GIL))
    assert (
        "process_pool has a serial fraction of" in text and "not the cores the machine could not give" in text
    )
