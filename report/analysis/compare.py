"""Comparisons across runs: each run against a baseline, every (cell, metric) given one of four verdicts
(faster / slower / equivalent / inconclusive) by the decision core (report.analysis.verdicts)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd

from experiments.schema import UNITS
from report.analysis import statistics as stats
from report.analysis.attribution import attribute_items, machine_readings
from report.analysis.family import DEFAULT_THRESHOLD, Family, Item
from report.analysis.runs import interleaved, machine_speed_factor
from report.analysis.separately import judge_separately
from report.analysis.verdicts.paired import family_verdicts
from report.analysis.verdicts.pooled import pooled_verdict

if TYPE_CHECKING:
    from report.analysis.load import Results, Run


__all__ = ["DEFAULT_THRESHOLD", "Family", "compare_runs", "machine_speed_factor", "normalised_ratio"]


def baseline_run(results: Results, baseline: str | None) -> Run:
    """The run everything is compared with: the one named, else the oldest."""
    return results.run(baseline) if baseline else results.runs[0]


def _declared(info, metrics: list, tail_samples: dict | None) -> tuple:
    """({tail metric: column counting its samples}, {metric: better direction}) from experiments.json."""
    counts, directions = dict(tail_samples or {}), {}
    for m in metrics:
        directions[m] = stats.direction(m, info)
        declared = info.metric_info(m) if info is not None else None
        if declared is not None and declared.samples and m not in counts:
            counts[m] = declared.samples
    return counts, directions


def _ok(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["status"] == "ok"]


def _log(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(values > 0, np.log(np.where(values > 0, values, 1.0)), np.nan)


def _paired_values(df_b: pd.DataFrame, df_o: pd.DataFrame, metrics: list, counts: dict):
    """(cell, metric, base values, other values, sample count, repeats) of every cell both runs
    measured, only rounds both measured, aligned: same cell_id and repeat."""
    extra = [c for c in set(counts.get(m) for m in metrics) if c and c in df_b and c in df_o]
    cols = ["cell_id", "repeat"] + list(dict.fromkeys(metrics + extra))
    key = ["cell_id", "repeat"]
    sides = [_ok(d)[cols].drop_duplicates(key, keep="last") for d in (df_b, df_o)]
    merged = sides[0].merge(sides[1], on=key, suffixes=("_b", "_o"))
    arrays = {c: merged[c].to_numpy(dtype=float) for c in merged.columns if c.endswith(("_b", "_o"))}
    repeats = merged["repeat"].to_numpy()
    for cell, rows in merged.groupby("cell_id").indices.items():
        for metric in metrics:
            a, b = arrays[metric + "_b"][rows], arrays[metric + "_o"][rows]
            if (np.isfinite(a) & np.isfinite(b)).any():
                column = counts.get(metric)
                n = None
                if column in extra:
                    side = [np.nanmedian(arrays[column + s][rows]) for s in ("_b", "_o")]
                    n = float(min(side)) if all(np.isfinite(side)) else None
                yield str(cell), metric, a, b, n, repeats[rows]


def same_round_ratio(metric: str, info=None) -> bool:
    """Whether a metric is a ratio of figures measured in one round (speedup, capacity_fraction): the
    machine's drift cancels in it, so run-to-run noise is never added to it."""
    declared = stats.declared(metric, info)
    return declared is not None and UNITS[declared.unit].kind in ("ratio", "fraction")


def compare_interleaved(family: Family, name: str, df_b, df_o, metrics: list, counts: dict, directions: dict):
    """One experiment of two runs measured in one invocation: per-round log ratios per (cell, metric),
    judged as one family per better direction (verdicts.family_verdicts, ``n_first`` passed back for
    rounds stopped by Stein's rule), and the cells of each metric pooled (verdicts.pooled_verdict)."""
    rows, by_metric = [], {}
    for cell, metric, a, b, n, repeats in _paired_values(df_b, df_o, metrics, counts):
        d = _log(b) - _log(a)
        item = Item(name, cell, metric, None, float(np.nanmedian(a)), float(np.nanmedian(b)), True)
        family.items.append(item)
        if stats.judgeable(metric, n):
            rows.append((item, d))
            by_metric.setdefault(metric, {})[cell] = pd.Series(d, index=repeats)
    for sense in {directions.get(i.metric, 0) for i, _ in rows}:
        members = [(i, d) for i, d in rows if directions.get(i.metric, 0) == sense]
        judged = family_verdicts(
            [d for _, d in members], family.threshold, better=sense, n_first=family.n_first
        )
        for (item, _), v in zip(members, judged.cells):
            item.verdict = v
    for metric, cells in by_metric.items():
        if len(cells) >= 2:
            matrix = pd.DataFrame(cells).to_numpy(dtype=float)
            pooled = pooled_verdict(matrix, family.threshold, better=directions.get(metric, 0))
            family.pooled.append({"experiment": name, "metric": metric, "pooled": pooled})


def compare_runs(
    base: Run,
    other: Run,
    metrics_for: Callable[[str], list],
    results: Results | None = None,
    tail_samples: dict | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> Family:
    """Every (experiment, cell, metric) the two runs share, judged at ``threshold`` (any value >= 0, as
    given): round by round when the runs were interleaved in one invocation; else as runs started
    separately (report.analysis.separately: a common shift judged against the run-to-run noise of the
    baseline's own repeated runs in ``results``, cells beyond it, the machine's readings compared
    and each change attributed). ``tail_samples`` maps a tail metric to the column counting its
    samples; a tail metric without enough gets no verdict."""
    paired = interleaved(base, other)
    infos = {name: base.experiments.get(name) or other.experiments.get(name) for name in base.tables}
    unpaired = [n for n, info in infos.items() if info is not None and not info.interleaved_rounds]
    n_first = _n_first(base, other) if paired else None
    family = Family(base, other, paired, threshold, unpaired=unpaired, n_first=n_first)
    if not paired or unpaired:
        family.machine = machine_readings(base, other)
    for name, df_b in base.tables.items():
        df_o = other.tables.get(name)
        if df_o is None:
            continue
        metrics = [m for m in metrics_for(name) if m in df_b and m in df_o]
        if not metrics:
            continue
        counts, directions = _declared(infos[name], metrics, tail_samples)
        if family.by_round(name):
            compare_interleaved(family, name, df_b, df_o, metrics, counts, directions)
        else:
            same_round = {m: same_round_ratio(m, infos[name]) for m in metrics}
            judge_separately(family, results, name, metrics, counts, directions, same_round)
    if family.machine is not None:
        attribute_items(family)
    return family


def _n_first(base: Run, other: Run) -> int | None:
    """The first-stage round count Stein's stopping rule used (``config.n_first``), when both runs
    stopped by it with the same one; None otherwise (plain t intervals)."""
    values = {(r.env.config or {}).get("n_first") for r in (base, other)}
    if len(values) == 1:
        value = values.pop()
        return int(value) if isinstance(value, int) and value >= 2 else None
    return None


def normalised_ratio(value_ratio: float, metric: str, factor: float, info=None) -> float:
    """A ratio of medians with the machines' speed difference taken out, where the metric scales with
    it: by its declared unit (``info``: the experiment's ExperimentInfo), a duration is divided by
    ``factor`` and a rate multiplied by it; NaN for anything else (a count, a fraction, a ratio)."""
    declared = stats.declared(metric, info)
    kind = UNITS[declared.unit].kind if declared is not None else None
    if kind == "rate":
        return value_ratio * factor
    if kind == "duration":
        return value_ratio / factor
    return math.nan


def normalised(value_ratio: float, metric: str, factor: float, info=None) -> str:
    """normalised_ratio as the page prints it (a dash where the machine's speed does not apply)."""
    from report.analysis.numbers import ratio

    return ratio(normalised_ratio(value_ratio, metric, factor, info))


def compare_all(
    results: Results,
    baseline: str | None,
    metrics_for: Callable[[str], list],
    tail_samples: dict | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> list:
    """Every run but the baseline compared with it (compare_runs), in the order loaded."""
    base = baseline_run(results, baseline)
    return [
        compare_runs(base, other, metrics_for, results, tail_samples, threshold)
        for other in results.runs
        if other is not base
    ]
