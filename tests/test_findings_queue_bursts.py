"""queue_bursts' sentences against hand-built rows: each quotes the cell it names, the measured load (and
says when it is off nominal), and checks Little's law per repetition with independent estimators."""

from __future__ import annotations

import re

import report.page.sections.queue_bursts.findings as f
from report.page.formatting import num
from report.page.sections.queue_bursts.analysis import Analysis
from tests.support.handmade import context, write_rows

ENV = "cpython-3.12.1 @ handmade"
NO_CI = "too few repetitions for a 95 % interval: n=3, needs 6"
BASE = dict(
    pattern="poisson",
    load=0.9,
    service_ms=0.5,
    service="exponential",
    consumers=1,
    maxsize=2,
    put="drop",
    arrivals=1000,
    warmup_arrivals=100,
    burst_items=20,
    burst_peak=4.0,
)


def cell(repeats: int, values, **params) -> list:
    """Rows of one cell: ``values(repeat)`` gives each repetition's metrics."""
    return [dict(BASE, **params, repeat=r, **values(r)) for r in range(repeats)]


def consistent(drop=0.2, predicted=0.2, load=0.9, depth=1.0, rate=1800.0, wait_ms=0.5):
    """Metrics of a repetition where every estimate agrees (Little's law holds: depth = rate × wait)."""

    def values(r):
        wobble = 1 + 0.01 * r
        return dict(
            drop_fraction=drop * wobble,
            predicted_drop_fraction=predicted * wobble,
            producer_blocked_fraction=0.0,
            predicted_blocked_fraction=0.0,
            load_measured=load * wobble,
            achieved_rate_hz=rate,
            wait_mean_ms=wait_ms * wobble,
            queue_depth_mean=depth * wobble,
            queue_depth_sampled_mean=rate * wait_ms * wobble / 1000.0,
            predicted_mean_depth=depth,
            service_cv=1.0,
            arrival_gap_cv=1.0,
        )

    return values


def analysis(tmp_path, rows) -> Analysis:
    write_rows(tmp_path, "queue_bursts", rows)
    return Analysis(context(tmp_path), "queue_bursts")


def test_a_sentence_about_one_consumer_quotes_the_one_consumer_cell(tmp_path):
    rows = cell(8, consistent(drop=0.20, predicted=0.21)) + cell(
        8, consistent(drop=0.05, predicted=0.06), consumers=2
    )
    a = analysis(tmp_path, rows)
    css, text = f.finding_drops(a, ENV)
    one = a.cells("drop_fraction", ENV, consumers=1)[0]
    two = a.cells("drop_fraction", ENV, consumers=2)[0]
    assert "1 consumer" in text and "M/M/1/K" in text
    assert num(100 * one["median"]) + " %" in text
    assert num(100 * two["median"]) + " %" not in text
    assert num(100 * a.same_cell("predicted_drop_fraction", one)["median"]) + " %" in text


def test_the_load_quoted_is_the_measured_one_and_off_nominal_is_said(tmp_path):
    """Issue 11: "at load ρ = 0.9" quoted a cell whose measured ρ was 1.04–1.17."""
    a = analysis(tmp_path, cell(8, consistent(load=1.04)))
    css, text = f.finding_drops(a, ENV)
    lm = a.same_cell("load_measured", a.cells("drop_fraction", ENV)[0])
    assert lm["ci_low"] > 0.9 * 1.05
    assert "measured load ρ = %s [" % num(lm["median"]) in text
    assert "off its nominal 0.9" in text
    assert "ρ = 0.9" not in text


def test_a_load_on_nominal_is_quoted_with_the_nominal_beside_it(tmp_path):
    a = analysis(tmp_path, cell(8, consistent(load=0.89)))
    _, text = f.finding_drops(a, ENV)
    assert "(nominal 0.9)" in text and "off its nominal" not in text
    assert f.finding_load(a, ENV) is None


def test_off_nominal_cells_are_counted(tmp_path):
    rows = cell(8, consistent(load=1.04)) + cell(8, consistent(load=0.9), maxsize=5)
    a = analysis(tmp_path, rows)
    _, text = f.finding_load(a, ENV)
    assert text.startswith("1 of 2 cells ran more than 5 % off their nominal load")
    assert "maxsize 2" in text


def test_little_law_is_checked_per_row_not_on_medians_multiplied_separately(tmp_path):
    """Per row L = λW exactly, while median(L) is twice median(λ) × median(W)."""
    shapes = [(100.0, 40.0), (200.0, 5.0), (400.0, 10.0)]

    def values(r):
        rate, wait_ms = shapes[r % 3]
        vals = consistent(rate=rate, wait_ms=wait_ms)(0)
        vals["queue_depth_sampled_mean"] = rate * wait_ms / 1000.0
        return vals

    a = analysis(tmp_path, cell(9, values))
    checks = a.littles_law(ENV)
    assert len(checks) == 1 and checks[0][1]["median"] == 1.0
    css, text = f.finding_littles_law(a, ENV)
    assert css is None and "holds within the noise" in text
    assert "L/λW = 1 [1–1]" in text


def test_little_law_broken_beyond_the_noise_is_a_finding(tmp_path):
    def values(r):
        vals = consistent()(r)
        vals["queue_depth_sampled_mean"] *= 1.5
        return vals

    a = analysis(tmp_path, cell(8, values))
    css, text = f.finding_littles_law(a, ENV)
    assert css == "finding"
    assert "L/λW = 1.5" in text


def test_little_law_never_falls_back_to_the_timestamp_depth(tmp_path):
    """queue_depth_mean equals λW by construction: a check against it could not fail."""

    def values(r):
        vals = consistent()(r)
        vals["queue_depth_sampled_mean"] = None  # bursts are not Poisson: no PASTA estimate
        return vals

    a = analysis(tmp_path, cell(8, values, pattern="bursts"))
    assert a.littles_law(ENV) == []
    assert f.finding_littles_law(a, ENV) is None


def test_without_intervals_the_sentences_say_so(tmp_path):
    a = analysis(tmp_path, cell(3, consistent()))
    for finding in (f.finding_drops, f.finding_littles_law):
        _, text = finding(a, ENV)
        assert NO_CI in text, text
        assert not re.search(r"holds within|beyond the noise", text)


def test_the_largest_model_gap_quotes_its_cell_and_the_per_repetition_gap(tmp_path):
    rows = cell(8, consistent(drop=0.30, predicted=0.10)) + cell(
        8, consistent(drop=0.06, predicted=0.05), load=0.5
    )
    a = analysis(tmp_path, rows)
    css, text = f.finding_model_gap(a, ENV)
    assert css == "finding"
    assert "drop fraction" in text and "maxsize 2" in text and "(nominal 0.9)" in text
    gap = a.largest_gap(ENV)[3]
    assert gap["ci_low"] > 0 and num(100 * gap["median"]) + " percentage points [" in text


def test_a_small_model_gap_is_not_called_out(tmp_path):
    a = analysis(tmp_path, cell(8, consistent(drop=0.21, predicted=0.20)))
    assert f.finding_model_gap(a, ENV) is None


def test_unbounded_above_capacity_has_no_steady_state(tmp_path):
    def values(r):
        vals = consistent(load=1.1, depth=200.0)(r)
        vals["predicted_mean_depth"] = None
        return vals

    a = analysis(tmp_path, cell(8, values, maxsize=0, load=1.2))
    _, text = f.finding_unbounded(a, ENV)
    assert "no steady state at ρ ≥ 1" in text
    assert "off its nominal 1.2" in text


def test_blocking_quotes_its_own_cell_and_model(tmp_path):
    def values(r):
        vals = consistent()(r)
        vals.update(producer_blocked_fraction=0.12, predicted_blocked_fraction=0.11, producer_handoff_us=80.0)
        return vals

    rows = cell(8, values, put="block", maxsize=1) + cell(8, values, put="block", maxsize=1, consumers=2)
    a = analysis(tmp_path, rows)
    _, text = f.finding_blocking(a, ENV)
    assert "Queue(maxsize=1) and 1 consumer" in text and "M/M/1/K+1" in text
    assert "12 % [12–12]" in text and "11 % [11–11]" in text and "80 µs" in text
