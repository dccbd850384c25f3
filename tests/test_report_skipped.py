"""Skipped cells are shown apart from failures, each with its reason."""

import re

import pandas as pd

from report.page.tables import failures

REASON = "InterpreterPoolExecutor (subinterpreters) needs Python 3.14 or newer; this is 3.12.1"


def _frame(statuses):
    rows = []
    for i, (cell, status, error) in enumerate(statuses):
        rows.append({"run_id": "r1", "cell_id": cell, "status": status, "error": error, "repeat": i % 3})
    return pd.DataFrame(rows)


def _text(markup):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", str(markup)))


def test_skipped_cells_are_listed_apart_with_their_reason_and_not_as_failures():
    df = _frame(
        [("executor=sequential", "ok", "")] * 3
        + [("executor=interpreter_pool", "skipped", REASON)] * 3
        + [("executor=thread", "error", "ValueError: boom")]
    )
    text = _text(failures(df))
    assert "Failed repetitions (1 of 7)" in text and "ValueError: boom" in text
    assert "Skipped cells (3 of 7 repetitions)" in text and "needs Python 3.14" in text
    failed_part = text.split("Skipped cells")[0]
    assert "interpreter_pool" not in failed_part  # a skipped cell is not a failure


def test_a_run_whose_only_misses_are_skips_says_so():
    df = _frame(
        [("executor=sequential", "ok", "")] * 2 + [("executor=process", "skipped", "cannot be pickled")]
    )
    text = _text(failures(df))
    assert "Every repetition that ran ended ok" in text
    assert "Failed repetitions" not in text and "cannot be pickled" in text
    assert "Every repetition ended ok" in _text(failures(_frame([("executor=sequential", "ok", "")] * 2)))
