"""Per-cell statistics (median, bootstrap CI, CV, noisy flag) and honest comparisons between runs."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

CONFIDENCE = 0.95
RESAMPLES = 1000
SEED = 20240611
#: A cell whose coefficient of variation exceeds this is flagged noisy (pyperf warns at 10 % too).
CV_NOISY = 0.10
#: A 1-minute load average above this fraction of the usable cores at the start marks a loaded machine.
LOAD_START_LIMIT = 0.5
#: At the end the run's own workers add load; only more than this many times the cores is suspicious.
LOAD_END_LIMIT = 1.5
#: Mann–Whitney U significance level for "faster"/"slower".
ALPHA = 0.05
#: A change smaller than this (relative) is "same" even when significant.
CHANGE_THRESHOLD = 0.05

# Metric names whose larger values are better; anything timed (``_s``, ``_us``, ``_ns``) is worse larger.
_HIGHER_BETTER = (
    "speedup",
    "efficiency",
    "capacity_fraction",
    "throughput",
    "ops_s",
    "rate_hz",
    "per_s",
    "fairness",
)
_LOWER_BETTER = ("lateness", "latency", "cost", "drift", "skew")
_TIME_SUFFIXES = ("_s", "_ms", "_us", "_ns")


def median_ci(values, rng: np.random.Generator | None = None) -> tuple:
    """95 % percentile-bootstrap confidence interval of the median (NaN with fewer than 2 values)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 2:
        return (math.nan, math.nan)
    lo, hi = _bootstrap_columns(x[:, None], rng if rng is not None else np.random.default_rng(SEED))
    return (float(lo[0]), float(hi[0]))


def _bootstrap_columns(data: np.ndarray, rng: np.random.Generator) -> tuple:
    """Percentile-bootstrap CI of each column's median; one resampling of the rows for all columns."""
    n = data.shape[0]
    idx = rng.integers(0, n, size=(RESAMPLES, n))
    medians = np.median(data[idx], axis=1)
    tail = (1 - CONFIDENCE) / 2 * 100
    lo, hi = np.percentile(medians, [tail, 100 - tail], axis=0)
    return lo, hi


def _bootstrap_cells(blocks: np.ndarray, rng: np.random.Generator) -> tuple:
    """CI of the median for many cells with the same repetition count at once: ``blocks`` is
    (cells, n, metrics) with no NaN; every cell is resampled with the same row indices, which
    leaves each cell's interval exactly as valid and costs one numpy call instead of one per cell."""
    n = blocks.shape[1]
    idx = rng.integers(0, n, size=(RESAMPLES, n))
    tail = (1 - CONFIDENCE) / 2 * 100
    los, his = [], []
    for start in range(0, blocks.shape[0], 32):  # bounded memory: 32 cells × RESAMPLES × n × metrics
        medians = np.median(blocks[start : start + 32][:, idx, :], axis=2)  # (cells, resamples, metrics)
        lo, hi = np.percentile(medians, [tail, 100 - tail], axis=1)
        los.append(lo)
        his.append(hi)
    return np.concatenate(los), np.concatenate(his)


def summarize(df: pd.DataFrame, by: list, metrics: list, ci: bool = True) -> pd.DataFrame:
    """One row per cell (``by``) and metric: n, median, ci_low, ci_high, cv, noisy.

    Only ``status == ok`` rows count. The bootstrap is seeded, so a report is reproducible;
    the CI is NaN for a single repetition, or everywhere with ``ci=False`` (much faster).
    """
    cols = list(by) + ["metric", "n", "median", "ci_low", "ci_high", "cv", "noisy"]
    metrics = [m for m in metrics if m in df]
    if df.empty or not metrics:
        return pd.DataFrame(columns=cols)
    ok = df[df["status"] == "ok"] if "status" in df else df
    if ok.empty:
        return pd.DataFrame(columns=cols)
    rng = np.random.default_rng(SEED)
    values = ok[metrics].to_numpy(dtype=float)
    keys = ok[list(by)].astype(object).where(ok[list(by)].notna(), None)
    cells: dict = {}
    for i, key in enumerate(map(tuple, keys.itertuples(index=False, name=None))):
        cells.setdefault(key, []).append(i)
    # (cell, metric) -> finite values; cells whose metrics are all finite are bootstrapped together
    by_size: dict = {}
    single = []
    for key, rows in cells.items():
        data = values[rows]
        for j in range(len(metrics)):
            col = data[:, j]
            finite = col[np.isfinite(col)]
            if finite.size == 0:
                continue
            if finite.size == col.size:
                by_size.setdefault(col.size, {}).setdefault(key, []).append(j)
            else:
                single.append((key, j, finite))
    out = []
    for n, group in by_size.items():
        keys_n = list(group)
        blocks = np.stack([values[cells[k]] for k in keys_n])  # (cells, n, metrics)
        blocks = np.where(np.isfinite(blocks), blocks, 0.0)  # columns with NaN are not read below
        med = np.median(blocks, axis=1)
        mean = blocks.mean(axis=1)
        std = blocks.std(axis=1, ddof=1) if n > 1 else np.full_like(med, np.nan)
        lo, hi = _bootstrap_cells(blocks, rng) if n > 1 and ci else (med * np.nan, med * np.nan)
        for c, key in enumerate(keys_n):
            for j in group[key]:
                out.append((key, j, n, med[c, j], lo[c, j], hi[c, j], mean[c, j], std[c, j]))
    for key, j, finite in single:
        lo, hi = median_ci(finite, rng) if ci else (math.nan, math.nan)
        std = float(np.std(finite, ddof=1)) if finite.size > 1 else math.nan
        out.append((key, j, finite.size, float(np.median(finite)), lo, hi, float(np.mean(finite)), std))
    rows = []
    for key, j, n, med, lo, hi, mean, std in out:
        cv = float(std / abs(mean)) if mean and np.isfinite(std) else math.nan
        rows.append(
            list(key) + [metrics[j], int(n), float(med), float(lo), float(hi), cv, bool(cv > CV_NOISY)]
        )
    result = pd.DataFrame(rows, columns=cols)
    return (
        result.sort_values(list(by) + ["metric"], kind="stable", ignore_index=True) if len(result) else result
    )


def load_reasons(environment: dict, cores: float) -> list:
    """Why the machine looked loaded during a run (load average against its usable cores)."""
    machine = environment.get("machine") or {}
    reasons = []
    start, end = machine.get("load_avg_start"), machine.get("load_avg_end")
    if start and start[0] > LOAD_START_LIMIT * cores:
        reasons.append("load average %.2f at the start on %g cores" % (start[0], cores))
    if end and end[0] > LOAD_END_LIMIT * cores:
        reasons.append("load average %.2f at the end on %g cores" % (end[0], cores))
    return reasons


def direction(metric: str) -> int:
    """+1 when a larger value is better, -1 when smaller is better, 0 when neither is clear."""
    if any(h in metric for h in _HIGHER_BETTER):
        return 1
    if metric.endswith(_TIME_SUFFIXES) or any(word in metric for word in _LOWER_BETTER):
        return -1
    return 0


@dataclass
class Comparison:
    """A metric of one cell in a run against the same cell in the baseline run."""

    n_base: int
    n_other: int
    median_base: float
    median_other: float
    ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    verdict: str
    #: The smallest p-value Mann–Whitney U can reach with these sample sizes.
    min_p: float

    @property
    def significant(self) -> bool:
        return self.verdict not in ("same", "n/a")


def min_mannwhitney_p(n1: int, n2: int) -> float:
    """Two-sided exact p of complete separation: below ALPHA only with enough repetitions."""
    return min(1.0, 2.0 / math.comb(n1 + n2, n1)) if n1 and n2 else 1.0


def compare(
    base, other, metric: str, rng: np.random.Generator | None = None, full: bool = False
) -> Comparison:
    """Ratio of medians (other / base) with a bootstrap CI, and a verdict (see compare_many)."""
    return compare_many([(base, other, metric)], rng, full)[0]


def compare_many(pairs: list, rng: np.random.Generator | None = None, full: bool = False) -> list:
    """A Comparison for each ``(base samples, other samples, metric)``: ratio of medians (other / base)
    with a bootstrap CI, and a verdict.

    The verdict is "faster"/"slower" (or "higher"/"lower" for a metric with no better direction)
    only when a two-sided Mann–Whitney U test is significant at ALPHA *and* the ratio moved by
    more than CHANGE_THRESHOLD; otherwise "same". The test runs only where it can change the
    verdict (p is NaN for a change within the threshold, or when the sample sizes cannot reach
    ALPHA), and the CI only beside a called difference — unless ``full``. Pairs of the same sizes
    are tested in one vectorised scipy call, with the method scipy's "auto" would pick for each.
    """
    rng = rng if rng is not None else np.random.default_rng(SEED)
    prepared = []
    for base, other, metric in pairs:
        a = np.asarray(base, dtype=float)
        b = np.asarray(other, dtype=float)
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        ma = float(np.median(a)) if a.size else math.nan
        mb = float(np.median(b)) if b.size else math.nan
        ratio = mb / ma if a.size and b.size and ma else math.nan
        prepared.append((a, b, metric, ma, mb, ratio))
    p_values = [math.nan] * len(prepared)
    batches: dict = {}
    for i, (a, b, _metric, _ma, _mb, ratio) in enumerate(prepared):
        if not a.size or not b.size:
            continue
        both = np.concatenate([a, b])
        if np.ptp(both) == 0:
            p_values[i] = 1.0  # identical constants: no evidence of any difference
            continue
        if not full and (
            not math.isfinite(ratio)
            or abs(ratio - 1) <= CHANGE_THRESHOLD
            or min_mannwhitney_p(a.size, b.size) >= ALPHA
        ):
            continue  # "same" whatever the test says
        ties = np.unique(both).size < both.size
        method = "exact" if not ties and min(a.size, b.size) <= 8 else "asymptotic"
        batches.setdefault((a.size, b.size, method), []).append(i)
    for (_n1, _n2, method), idx in batches.items():
        xs = np.stack([prepared[i][0] for i in idx])
        ys = np.stack([prepared[i][1] for i in idx])
        res = sps.mannwhitneyu(xs, ys, alternative="two-sided", axis=1, method=method)
        for i, p in zip(idx, np.atleast_1d(res.pvalue)):
            p_values[i] = float(p)
    out = []
    tail = (1 - CONFIDENCE) / 2 * 100
    for (a, b, metric, ma, mb, ratio), p in zip(prepared, p_values):
        if not a.size or not b.size:
            out.append(Comparison(a.size, b.size, ma, mb, math.nan, math.nan, math.nan, math.nan, "n/a", 1.0))
            continue
        verdict = "same"
        if math.isfinite(ratio) and p < ALPHA and abs(ratio - 1) > CHANGE_THRESHOLD:
            up = ratio > 1
            sense = direction(metric)
            if sense == 0:
                verdict = "higher" if up else "lower"
            else:
                verdict = "faster" if up == (sense > 0) else "slower"
        lo = hi = math.nan
        if (full or verdict != "same") and a.size > 1 and b.size > 1 and ma:
            ra = np.median(a[rng.integers(0, a.size, (RESAMPLES, a.size))], axis=1)
            rb = np.median(b[rng.integers(0, b.size, (RESAMPLES, b.size))], axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratios = rb / ra
            ratios = ratios[np.isfinite(ratios)]
            if ratios.size:
                lo, hi = (float(v) for v in np.percentile(ratios, [tail, 100 - tail]))
        out.append(
            Comparison(a.size, b.size, ma, mb, ratio, lo, hi, p, verdict, min_mannwhitney_p(a.size, b.size))
        )
    return out


class Summary:
    """summarize() with lookups: one cell's record by its key, or every record matching some columns."""

    def __init__(self, df: pd.DataFrame, by: list, metrics: list, ci: bool = True):
        self.by = list(by)
        self.frame = summarize(df, self.by, metrics, ci)
        self._records = self.frame.to_dict("records")
        # Sections look records up thousands of times: index them by metric and by interpreter × machine.
        self._index: dict = {}
        for rec in self._records:
            self._index.setdefault((rec["metric"], None), []).append(rec)
            if "env_label" in rec:
                self._index.setdefault((rec["metric"], rec["env_label"]), []).append(rec)

    def select(self, metric: str, **where) -> list:
        """Records of ``metric`` whose columns equal ``where`` (a list value means any of them)."""
        env = where.get("env_label")
        pool = self._index.get((metric, env if isinstance(env, str) else None), [])
        out = []
        for rec in pool:
            if all(
                rec.get(k) in v if isinstance(v, (list, tuple, set)) else rec.get(k) == v
                for k, v in where.items()
            ):
                out.append(rec)
        return out

    def get(self, metric: str, **where) -> dict | None:
        """The one record matching, or None (several matching is a caller's mistake)."""
        found = self.select(metric, **where)
        if len(found) > 1:
            raise ValueError("%d cells match %s for %s" % (len(found), where, metric))
        return found[0] if found else None

    def values(self, column: str, metric: str | None = None, **where) -> list:
        """Distinct values of a key column, sorted, among the matching records."""
        recs = self.select(metric, **where) if metric else self._records
        return sorted({r[column] for r in recs if r.get(column) is not None}, key=lambda v: (str(type(v)), v))
