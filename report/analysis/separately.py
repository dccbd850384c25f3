"""Runs started separately (no shared rounds): a common shift judged against the baseline's own
run-to-run noise, cells judged beyond it, and same-round ratios judged on their own rounds."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from report.analysis import statistics as stats
from report.analysis.family import Item
from report.analysis.runs import interleaved, same_machine
from report.analysis.verdicts import round_levels, separate_runs, steadiness
from report.analysis.verdicts.paired import family_verdicts

if TYPE_CHECKING:
    from report.analysis.family import Family
    from report.analysis.load import Results, Run


def baseline_runs(family: Family, results: Results | None, experiment: str) -> list:
    """The runs the baseline's run-to-run noise is measured from: the baseline and every other run of
    its interpreter on its machine that measured ``experiment``, never the run being judged (a
    regressed run would inflate the noise until it hides itself). One run per invocation: runs measured
    interleaved in one invocation share its rounds and cancel the drift between starts, which is the
    noise a separately started run is judged against (two such runs of the same code made a separate
    A/A pair "slower 1.19x" in `make aa`)."""
    base, other = family.base, family.other
    runs = [base]
    for r in results.runs if results is not None else []:
        if r is base or r is other or r.run_id in (base.run_id, other.run_id):
            continue
        if any(interleaved(r, kept) for kept in runs):
            continue
        if same_machine(r, base) and r.interpreter_label == base.interpreter_label and experiment in r.tables:
            runs.append(r)
    return runs


def _medians(run: Run, experiment: str, metric: str) -> pd.Series:
    df = run.tables[experiment]
    ok = df[(df["status"] == "ok") & (df[metric] > 0)] if metric in df else df.iloc[0:0]
    return ok.groupby("cell_id")[metric].median() if not ok.empty else pd.Series(dtype=float)


def _samples(run: Run, experiment: str, column: str | None) -> pd.Series:
    df = run.tables[experiment]
    if not column or column not in df:
        return pd.Series(dtype=float)
    return df[df["status"] == "ok"].groupby("cell_id")[column].median()


def judge_separately(
    family: Family, results, name: str, metrics: list, counts: dict, directions: dict, same_round
):
    """One experiment of two runs started separately, metric by metric (see the module docstring).
    ``same_round[metric]``: whether it is a ratio measured inside a round (speedup)."""

    every = baseline_runs(family, results, name)
    for metric in metrics:
        runs = [r for r in every if metric in r.tables[name]]  # an older run may lack it: not noise
        columns = {r.run_id: _medians(r, name, metric) for r in runs}
        cand = _medians(family.other, name, metric)
        cells = [str(c) for c in cand.index if c in columns[family.base.run_id].index]
        n_base = _samples(family.base, name, counts.get(metric))
        n_other = _samples(family.other, name, counts.get(metric))
        items, judged = [], []
        for cell in cells:
            item = Item(
                name, cell, metric, None, float(columns[family.base.run_id][cell]), float(cand[cell]), False
            )
            items.append(item)
            n = min(n_base.get(cell, np.nan), n_other.get(cell, np.nan))
            if stats.judgeable(metric, n if np.isfinite(n) else None):
                judged.append(item)
        family.items += items
        if not judged:
            continue
        better = directions.get(metric, 0)
        if same_round[metric]:
            _same_round(family, name, metric, judged, better)
            continue
        matrix = np.array([[np.log(columns[r.run_id].get(i.cell, np.nan)) for i in judged] for r in runs])
        vector = np.log([i.other for i in judged])
        cells_judged = [i.cell for i in judged]
        steady = steadiness(
            [round_levels(_round_matrix(r, name, metric, cells_judged)) for r in runs],
            round_levels(_round_matrix(family.other, name, metric, cells_judged)),
        )
        found = separate_runs(matrix, vector, family.threshold, better=better, steady=steady)
        for item, v in zip(judged, found.cells):
            item.verdict = v
        family.shifts.append(
            {
                "experiment": name,
                "metric": metric,
                "shift": found.shift,
                "cause": found.cause,
                "source": found.noise_source,
                "runs": len(runs),
            }
        )


def _round_matrix(run: Run, experiment: str, metric: str, cells: list) -> np.ndarray:
    """(rounds, cells) log values of ``metric`` in one run, NaN where a cell has none in a round."""
    df = run.tables[experiment]
    ok = df[(df["status"] == "ok") & (df[metric] > 0)]
    table = ok.assign(cell=ok["cell_id"].astype(str)).pivot_table(
        index="repeat", columns="cell", values=metric, aggfunc="median"
    )
    return np.log(table.reindex(columns=cells).to_numpy(dtype=float))


def _same_round(family: Family, name: str, metric: str, items: list, better: int) -> None:
    """A ratio measured inside each round (speedup, capacity_fraction): the machine's drift cancels in
    it, so no run-to-run noise is added. Each run's rounds are independent of the other's, so pairing
    them by repeat index gives independent differences, and the paired t interval holds."""
    data = []
    for item in items:
        a = _round_values(family.base, name, item.cell, metric)
        b = _round_values(family.other, name, item.cell, metric)
        n = min(a.size, b.size)
        data.append(np.log(b[:n]) - np.log(a[:n]))
    judged = family_verdicts(data, family.threshold, better=better)
    for item, v in zip(items, judged.cells):
        item.verdict = v


def _round_values(run: Run, experiment: str, cell: str, metric: str) -> np.ndarray:
    df = run.tables[experiment]
    rows = df[(df["status"] == "ok") & (df["cell_id"].astype(str) == cell)]
    values = rows.sort_values("repeat")[metric].to_numpy(dtype=float)
    return values[np.isfinite(values) & (values > 0)]
