"""Per-cell statistics (median, exact 95 % interval, CV, noisy flag), metrics' declared directions and
the tail rule (which tail metrics have samples enough to judge). Verdicts between runs: verdicts/."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from experiments.schema import HARNESS_METRICS, Metric, SchemaError
from experiments.schema import metric as declare_metric
from report.analysis.intervals import CONFIDENCE, ci_note, median_ci, median_ranks, min_n_for_ci, missing  # noqa: F401

#: A cell whose coefficient of variation exceeds this is flagged noisy (pyperf warns at 10 % too).
CV_NOISY = 0.10
#: False-discovery rate (Benjamini–Hochberg) at which a family of comparisons is judged.
ALPHA = 0.05
#: Tail metrics, by a marker in their name, and the quantile each one estimates (a maximum is 1.0).
TAIL_QUANTILES = (("p999", 0.999), ("_p99", 0.99), ("_max", 1.0))
#: A tail quantile gets a verdict only when its sample puts at least this many values beyond it.
TAIL_EXCEEDANCES = 10


def _group_cells(ok: pd.DataFrame, by: list, values: np.ndarray, n_metrics: int) -> tuple:
    """Rows per cell, then (cell, metric) pairs: by repetition count where every value is finite (they
    are summarised together), one by one otherwise."""
    keys = ok[list(by)].astype(object).where(ok[list(by)].notna(), None)
    cells: dict = {}
    for i, key in enumerate(map(tuple, keys.itertuples(index=False, name=None))):
        cells.setdefault(key, []).append(i)
    by_size: dict = {}
    single = []
    for key, rows in cells.items():
        data = values[rows]
        for j in range(n_metrics):
            col = data[:, j]
            finite = col[np.isfinite(col)]
            if finite.size == 0:
                continue
            if finite.size == col.size:
                by_size.setdefault(col.size, {}).setdefault(key, []).append(j)
            else:
                single.append((key, j, finite))
    return cells, by_size, single


def summarize(df: pd.DataFrame, by: list, metrics: list, ci: bool = True) -> pd.DataFrame:
    """One row per cell (``by``) and metric: n, median, ci_low, ci_high, cv, noisy, ci_note.

    Only ``status == ok`` rows count. ``ci_low``/``ci_high`` bound the exact 95 % interval of the
    median (``median_ci``); with n <= 5 they are NaN and ``ci_note`` says why, in words a page can
    print ("too few repetitions for a 95 % interval: n=3, needs 6"); it is empty otherwise, and with
    ``ci=False`` (no intervals asked for). Speedup rows are per-round ratios, so their interval is the
    interval of the median per-round ratio. Cells with the same repetition count are sorted in one
    numpy call and read at the two ranks of that count.
    """
    cols = list(by) + ["metric", "n", "median", "ci_low", "ci_high", "cv", "noisy", "ci_note"]
    metrics = [m for m in metrics if m in df]
    if df.empty or not metrics:
        return pd.DataFrame(columns=cols)
    ok = df[df["status"] == "ok"] if "status" in df else df
    if ok.empty:
        return pd.DataFrame(columns=cols)
    values = ok[metrics].to_numpy(dtype=float)
    cells, by_size, single = _group_cells(ok, by, values, len(metrics))
    out = []
    for n, group in by_size.items():
        keys_n = list(group)
        blocks = np.stack([values[cells[k]] for k in keys_n])  # (cells, n, metrics)
        blocks = np.sort(np.where(np.isfinite(blocks), blocks, 0.0), axis=1)  # NaN columns are not read
        med = np.median(blocks, axis=1)
        mean = blocks.mean(axis=1)
        std = blocks.std(axis=1, ddof=1) if n > 1 else np.full_like(med, np.nan)
        ranks = median_ranks(n) if ci else None
        lo = blocks[:, ranks[0], :] if ranks else med * np.nan
        hi = blocks[:, ranks[1], :] if ranks else med * np.nan
        for c, key in enumerate(keys_n):
            for j in group[key]:
                out.append((key, j, n, med[c, j], lo[c, j], hi[c, j], mean[c, j], std[c, j]))
    for key, j, finite in single:
        lo, hi = median_ci(finite) if ci else (math.nan, math.nan)
        std = float(np.std(finite, ddof=1)) if finite.size > 1 else math.nan
        out.append((key, j, finite.size, float(np.median(finite)), lo, hi, float(np.mean(finite)), std))
    rows = []
    for key, j, n, med, lo, hi, mean, std in out:
        cv = float(std / abs(mean)) if mean and np.isfinite(std) else math.nan
        note = ci_note(n) if ci else ""
        rows.append(
            list(key) + [metrics[j], int(n), float(med), float(lo), float(hi), cv, bool(cv > CV_NOISY), note]
        )
    result = pd.DataFrame(rows, columns=cols)
    return (
        result.sort_values(list(by) + ["metric"], kind="stable", ignore_index=True) if len(result) else result
    )


def declared(metric: str, info=None) -> Metric | None:
    """How the run folder declares ``metric``: in its experiment's ExperimentInfo (``info``, from
    experiments.json) or among the harness's own measurements; a metric no run folder describes
    (a hand-built table) as experiments.schema would declare it from its name, or None when the schema
    would refuse it. The report's only source of a metric's unit and better direction."""
    found = info.metric_info(metric) if info is not None else HARNESS_METRICS.get(metric)
    if found is not None:
        return found
    try:
        return declare_metric(metric)
    except SchemaError:
        return None


def direction(metric: str, info=None) -> int:
    """+1 when a larger value is better, -1 when smaller is better, 0 when neither is clear: the
    declared direction (``declared``)."""
    found = declared(metric, info)
    return found.direction if found is not None else 0


def tail_quantile(metric: str) -> float | None:
    """The quantile a tail metric estimates (0.99 for ``*_p99*``, 0.999 for ``*p999*``, 1.0 for a
    maximum), None for a metric that is not a tail."""
    for marker, q in TAIL_QUANTILES:
        if marker in metric:
            return q
    return None


def tail_samples_needed(metric: str) -> float:
    """Samples a tail metric must summarise before a change in it is judged: TAIL_EXCEEDANCES values
    beyond its quantile (1000 for a p99); a maximum never qualifies (it grows with the sample), and a
    metric that is not a tail needs none (0)."""
    q = tail_quantile(metric)
    if q is None:
        return 0.0
    if q >= 1:
        return math.inf
    return float(math.ceil(TAIL_EXCEEDANCES / (1 - q) - 1e-9))


def judgeable(metric: str, samples: float | None) -> bool:
    """Whether a verdict may be given: not a tail metric, or one with enough samples behind it (a
    p99 needs TAIL_EXCEEDANCES values beyond it; a maximum never qualifies)."""
    need = tail_samples_needed(metric)
    return need == 0 or (samples is not None and samples >= need)
