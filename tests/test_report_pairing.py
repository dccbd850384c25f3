"""Cells paired round by round, their per-round summaries, and direction words that follow the interval."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from report.analysis.cells import paired_rounds, round_record
from report.page.formatting import NoteOnce, interval_side, ratio_verdict


def _rows(values: list, kind: str, group: str = "g", run: str = "r1") -> list:
    return [
        dict(env_label="e", run_id=run, group_id=group, repeat=i, status="ok", kind=kind, value=v)
        for i, v in enumerate(values)
    ]


def test_only_cells_of_the_same_run_group_and_round_are_paired():
    df = pd.DataFrame(
        _rows([1.0, 2.0, 3.0], "a")
        + _rows([10.0, 20.0], "b")  # no third round of b
        + _rows([5.0, 5.0, 5.0], "b", group="other")
        + _rows([7.0], "b", run="r2")
    )
    pairs = paired_rounds(df, "value", {"kind": "a"}, {"kind": "b"})
    assert list(pairs["repeat"]) == [0, 1]
    assert list(pairs["first"] / pairs["second"]) == [0.1, 0.1]


def test_a_side_that_matches_two_rows_in_a_round_is_left_out():
    df = pd.DataFrame(_rows([1.0, 2.0], "a") + _rows([10.0, 20.0], "b") + _rows([30.0], "b"))
    pairs = paired_rounds(df, "value", {"kind": "a"}, {"kind": "b"})
    assert list(pairs["repeat"]) == [1]  # round 0 has two b rows: which one is meant is unknown


def test_failed_or_missing_values_are_not_paired():
    rows = _rows([1.0, 2.0, 3.0], "a") + _rows([10.0, math.nan, 30.0], "b")
    rows[2]["status"] = "error"
    pairs = paired_rounds(pd.DataFrame(rows), "value", {"kind": "a"}, {"kind": "b"})
    assert list(pairs["repeat"]) == [0]


def test_round_record_has_an_interval_from_six_values_and_a_note_below():
    few = round_record([1.0, 2.0, 3.0])
    assert few["median"] == 2.0 and math.isnan(few["ci_low"]) and "n=3, needs 6" in few["ci_note"]
    enough = round_record([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, math.nan])
    assert enough["n"] == 6 and enough["ci_low"] <= enough["median"] <= enough["ci_high"]
    assert enough["ci_note"] == ""
    assert round_record([math.nan]) is None


@pytest.mark.parametrize(
    "low,high,side,verdict",
    [
        (1.2, 1.8, 1, "1.5x faster"),
        (0.3, 0.5, -1, "2.5x slower"),
        (0.9, 1.1, 0, "no clear change"),
        (math.nan, math.nan, None, ""),
    ],
)
def test_direction_words_follow_the_interval_not_the_median(low, high, side, verdict):
    median = 1.5 if side == 1 else 0.4 if side == -1 else 0.6 if side is None else 1.0
    rec = {"median": median, "ci_low": low, "ci_high": high, "n": 8 if side is not None else 3}
    assert interval_side(rec) == side
    assert ratio_verdict(rec) == verdict


def test_note_once_says_each_missing_interval_once_at_the_end():
    q = NoteOnce()
    note = "too few repetitions for a 95 % interval: n=3, needs 6"
    a = q({"median": 2.0, "ci_low": math.nan, "ci_high": math.nan, "ci_note": note}, " ms")
    b = q({"median": 3.0, "ci_low": math.nan, "ci_high": math.nan, "ci_note": note}, " ms")
    c = q({"median": 4.0, "ci_low": 3.5, "ci_high": 4.5, "ci_note": ""}, "x")
    assert (a, b, c) == ("2 ms", "3 ms", "4x [3.5–4.5]")
    assert q.note() == " (%s)" % note
    assert NoteOnce().note() == ""
