"""timer_drift's sentences, from hand-built rows: lateness quoted as measured, in switch intervals, and
direction words only where an interval or a rank test carries them."""

from __future__ import annotations

import numpy as np

from report.page.formatting import duration_s, num
from report.page.sections import timer_drift
from report.page.sections.timer_drift.analysis import Analysis
from report.page.sections.timer_drift.findings import (
    finding_drift,
    finding_idle,
    finding_load_ratio,
    finding_loaded,
    score,
)
from tests.support.records import context, environment, results, row

GIL = environment("cpython-3.12.1", gil=True)
FT = environment("cpython-3.13.0t", gil=False, created="2026-01-02T00:00:00Z")
METRICS = ("lateness_p50_us", "lateness_p99_us", "cumulative_drift_ms")


def rows(env, cells: dict) -> list:
    """``cells``: (mode, delay_ms, cpu_threads, samples) -> {metric: one value per round}."""
    out = []
    for (mode, delay, threads, samples), values in cells.items():
        rounds = len(next(iter(values.values())))
        for r in range(rounds):
            params = {"mode": mode, "delay_ms": delay, "cpu_threads": threads, "samples": samples}
            metrics = {m: v[r] for m, v in values.items()}
            out.append(row(env, "timer_drift", r, params, wall_s=0.1, **metrics))
    return out


def analysis(cells: dict, env=GIL) -> Analysis:
    return Analysis(context(results([(env, {"timer_drift": rows(env, cells)})])), "timer_drift")


def env_of(e) -> str:
    return "%s @ %s" % (e.interpreter["label"], e.machine["label"])


def spread(value: float, rounds: int) -> list:
    """``rounds`` values scattered ±5 % around ``value``, median ``value``."""
    return list(value * np.linspace(0.95, 1.05, rounds))


def one_shot(idle_p50, loaded_p50, loaded_p99, rounds=7, threads=2, samples=30, delay=1.0) -> dict:
    return {
        ("one_shot", delay, 0, samples): {
            "lateness_p50_us": spread(idle_p50, rounds),
            "lateness_p99_us": spread(2 * idle_p50, rounds),
        },
        ("one_shot", delay, threads, samples): {
            "lateness_p50_us": spread(loaded_p50, rounds),
            "lateness_p99_us": spread(loaded_p99, rounds),
        },
    }


def test_loaded_lateness_is_quoted_as_measured_in_switch_intervals():
    """The sentence issue 11 found wrong: a p99 of 65 ms is 13 switch intervals, not "up to one"."""
    a = analysis(one_shot(100.0, 17000.0, 65000.0))
    _, text = finding_loaded(a, env_of(GIL))
    assert "With 2 CPU-bound threads running, a one-shot 1 ms Timer fired a median 17 ms [" in text
    assert (
        "(3.4 switch intervals of 5 ms)" in text
        and "65 ms [" in text
        and "(13 switch intervals of 5 ms;" in text
    )
    assert "with 30 firings a repetition, a p99 is about their largest" in text
    assert "win the GIL back" in text and "up to a switch interval" not in text


def test_loaded_lateness_is_explained_only_as_far_as_its_numbers_go():
    small = analysis(one_shot(100.0, 400.0, 900.0))
    _, text = finding_loaded(small, env_of(GIL))
    assert "seldom waited long for the GIL" in text and "win the GIL back" not in text
    free = analysis(one_shot(100.0, 17000.0, 65000.0), env=FT)
    _, text = finding_loaded(free, env_of(FT))
    assert "no lock to win back" in text and "2 cores with 2 busy threads" in text
    many = analysis(one_shot(100.0, 17000.0, 65000.0, samples=200))
    assert "a p99 is about their largest" not in finding_loaded(many, env_of(GIL))[1]


def test_loaded_against_idle_is_paired_round_by_round():
    a = analysis(one_shot(100.0, 17000.0, 65000.0))
    _, text = finding_load_ratio(a, env_of(GIL))
    assert "170x [" in text and "later than idle" in text and "paired round by round over 7 rounds" in text
    few = analysis(one_shot(100.0, 17000.0, 65000.0, rounds=3))
    _, text = finding_load_ratio(few, env_of(GIL))
    assert "later" not in text and "no clear difference from idle (too few repetitions" in text
    same = analysis(one_shot(100.0, 100.0, 300.0))
    assert "no clear difference from idle" in finding_load_ratio(same, env_of(GIL))[1]


def test_idle_lateness_against_the_timer_slack_floor():
    _, text = finding_idle(analysis(one_shot(100.0, 400.0, 900.0)), env_of(GIL))
    assert "a one-shot 1 ms Timer fired 100 µs [" in text and "the floor is 50 % of it." in text
    _, text = finding_idle(analysis(one_shot(400.0, 900.0, 900.0)), env_of(GIL))
    assert "the floor is 12 % of it; the rest is thread start-up and scheduling" in text


def _periodic(rearmed: list, deadline: list) -> dict:
    return {
        ("rearmed", 1.0, 0, 50): {"cumulative_drift_ms": rearmed},
        ("deadline_loop", 1.0, 0, 50): {"cumulative_drift_ms": deadline},
    }


def test_drift_is_called_less_only_when_a_rank_test_says_so():
    a = analysis(_periodic(spread(6.0, 6), spread(0.2, 6)))
    _, text = finding_drift(a, env_of(GIL))
    assert "every 1 ms over 50 periods" in text and "drifted 6 ms [" in text
    assert "— less (Mann–Whitney U over the repetitions, p = 0.0022): its errors do not accumulate." in text
    a = analysis(_periodic(spread(6.0, 3), spread(0.2, 3)))
    assert "no clear difference in these repetitions" in finding_drift(a, env_of(GIL))[1]
    css, text = finding_drift(analysis(_periodic(spread(0.2, 6), spread(6.0, 6))), env_of(GIL))
    assert css == "finding" and "— more (" in text


def test_scorecard_takes_the_idle_p99_and_the_section_renders():
    cells = one_shot(100.0, 17000.0, 65000.0)
    cells.update(_periodic(spread(6.0, 7), spread(0.2, 7)))
    a = analysis(cells)
    entry = score(a, env_of(GIL))["timer_p99"]
    assert entry.value == np.median(spread(200.0, 7)) and entry.text == duration_s(200e-6)
    res = results([(GIL, {"timer_drift": rows(GIL, cells)}), (FT, {"timer_drift": rows(FT, cells)})])
    html = timer_drift.render(context(res), "timer_drift").html
    assert html.count("<img ") == 1 and html.count("switch intervals of 5 ms") == 4
    assert num(17.0) + " ms [" in html
