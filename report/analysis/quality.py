"""How far each run can be trusted: its noise flags, noisy cells, failed repetitions and the comparison
groups that reached the precision target (the page's run-quality box shows them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from experiments.schema import FAILED_STATUSES
from report.analysis import statistics as stats
from report.analysis.numbers import percent

if TYPE_CHECKING:
    from report.analysis.load import Run


def noisy_reasons(run: Run) -> list:
    """The harness's reasons for calling the run noisy (capacity moved, load, steal time)."""
    return list(run.env.noisy_reasons)


def noisy_cells(run: Run) -> tuple:
    """(noisy cells, cells) over every experiment's wall time."""
    noisy = total = 0
    for df in run.tables.values():
        if "wall_s" not in df:
            continue
        s = stats.summarize(df, ["cell_id"], ["wall_s"], ci=False)
        noisy += int(s["noisy"].sum())
        total += len(s)
    return noisy, total


def failed_and_expected(run: Run) -> tuple:
    """(failed repetitions, expected timeouts, repetitions) of a run's experiments measured in rounds
    (experiments.json's ``interleaved_rounds``: bench/'s micro-benchmark rows are processes, not
    repetitions of cells): an ``expected_timeout`` is a cell meant to hang, ended by the harness's
    limit: its result."""
    failed = expected = total = 0
    for name, df in run.tables.items():
        info = run.experiments.get(name)
        if info is not None and not info.interleaved_rounds:
            continue
        failed += int(df["status"].isin(FAILED_STATUSES).sum())
        expected += int((df["status"] == "expected_timeout").sum())
        total += len(df)
    return failed, expected, total


def precision_targets(run: Run) -> tuple:
    """(met, judged, missed) over a run's comparison groups with ratios: whether each group's last
    round reached the precision target (``precision_met``); ``missed`` names the others."""
    met = judged = 0
    missed = []
    for name, df in sorted(run.tables.items()):
        if "precision_met" not in df or "group_rounds" not in df:
            continue
        for group, rows in df.groupby("group_id", sort=True):
            last = rows[rows["group_rounds"] == rows["group_rounds"].max()]
            flags = last["precision_met"].dropna()
            if flags.empty:
                continue  # a group without ratios has no precision to reach
            judged += 1
            if flags.max() >= 1:
                met += 1
                continue
            width = last["group_precision"].dropna()
            rounds = int(last["group_rounds"].max())
            how = "±%s" % percent(width.max()) if len(width) else "no 95 % interval"
            missed.append("%s [%s] (%s after %d rounds)" % (name, group, how, rounds))
    return met, judged, missed
