"""Per-cell statistics (median, exact 95 % interval, CV, noisy flag) and comparisons between runs that
hold an A/A test (run-to-run noise, false-discovery control, rounds paired where they can be)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from experiments.schema import HARNESS_METRICS, Metric, SchemaError
from experiments.schema import metric as declare_metric
from report.analysis.intervals import CONFIDENCE, ci_note, median_ci, median_ranks, min_n_for_ci, missing  # noqa: F401

#: A cell whose coefficient of variation exceeds this is flagged noisy (pyperf warns at 10 % too).
CV_NOISY = 0.10
#: False-discovery rate (Benjamini–Hochberg) at which a family of comparisons is judged.
ALPHA = 0.05
#: A change smaller than this (relative) is "same" even when significant.
CHANGE_THRESHOLD = 0.05
#: Tail metrics, by a marker in their name, and the quantile each one estimates (a maximum is 1.0).
TAIL_QUANTILES = (("p999", 0.999), ("_p99", 0.99), ("_max", 1.0))
#: A tail quantile gets a verdict only when its sample puts at least this many values beyond it.
TAIL_EXCEEDANCES = 10
#: The sample median's standard error over the mean's for normal data: sqrt(pi / 2).
MEDIAN_SE_FACTOR = math.sqrt(math.pi / 2)
TAIL_VERDICT = "n/a: tail metric"


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


@dataclass
class Comparison:
    """A metric of one cell in a run against the same cell in the baseline run.

    ``ratio`` is other / base: the ratio of medians for runs started separately, the median of the
    per-round ratios for paired runs; ``ci_low``/``ci_high`` its 95 % interval (NaN when there is none;
    ``note`` says why). ``p_value`` is NaN for a comparison that was not tested (a tail metric, values
    that give no ratio); ``q_value`` is its Benjamini–Hochberg adjusted p within the family.
    ``noise_floor`` is the standard deviation of the log ratio that run-to-run noise alone gives
    (0 for paired rounds, where it cancels).
    """

    n_base: int
    n_other: int
    median_base: float
    median_other: float
    ratio: float
    ci_low: float = math.nan
    ci_high: float = math.nan
    p_value: float = math.nan
    verdict: str = "n/a"
    q_value: float = math.nan
    noise_floor: float = 0.0
    paired: bool = False
    note: str = ""

    @property
    def significant(self) -> bool:
        return self.verdict in ("faster", "slower", "higher", "lower")

    @property
    def tested(self) -> bool:
        return math.isfinite(self.p_value)

    @property
    def tail(self) -> bool:
        return self.verdict == TAIL_VERDICT


def minimum_effect(noise_floor: float = 0.0) -> float:
    """The smallest change, as |log ratio|, that can be called: CHANGE_THRESHOLD or the noise floor,
    whichever is larger."""
    floor = noise_floor if math.isfinite(noise_floor) else 0.0
    return max(math.log1p(CHANGE_THRESHOLD), floor)


def judge(comparisons: list, metrics: Sequence, directions: dict | None = None) -> list:
    """Benjamini–Hochberg over the tested comparisons of one family (scipy's
    ``false_discovery_control``), then each tested one's verdict: "faster"/"slower" (or
    "higher"/"lower" for a metric with no better direction, see ``direction``) only when q < ALPHA
    *and* the ratio moved by more than ``minimum_effect(noise_floor)``; otherwise "same".
    ``directions`` maps a metric to its declared better direction (experiments.json); a metric
    missing from it gets ``direction(metric)``. Sets ``q_value`` and ``verdict`` in place and returns them."""
    tested = [c for c in comparisons if c.tested]
    if tested:
        qs = np.atleast_1d(sps.false_discovery_control([c.p_value for c in tested], method="bh"))
        for c, q in zip(tested, qs):
            c.q_value = float(q)
    for c, metric in zip(comparisons, metrics):
        if c.tested:
            sense = (directions or {}).get(metric)
            c.verdict = _verdict(c, metric, direction(metric) if sense is None else sense)
    return comparisons


def _verdict(c: Comparison, metric: str, sense: int) -> str:
    moved = c.ratio > 0 and abs(math.log(c.ratio)) > minimum_effect(c.noise_floor)
    if not (c.q_value < ALPHA and moved):
        return "same"
    up = c.ratio > 1
    if sense == 0:
        return "higher" if up else "lower"
    return "faster" if up == (sense > 0) else "slower"


def _per_pair(value, count: int) -> list:
    if value is None or isinstance(value, (int, float)):
        return [value] * count
    values = list(value)
    if len(values) != count:
        raise ValueError("%d values given for %d comparisons" % (len(values), count))
    return values


def _screen(c: Comparison, base: np.ndarray, other: np.ndarray, metric: str, samples) -> bool:
    """Settle a comparison that gets no test (no values, a tail metric with too small a sample, no
    ratio); True when it was settled."""
    if not base.size or not other.size:
        c.verdict, c.note = "n/a", "no value in one of the runs"
        return True
    needed = tail_samples_needed(metric)
    if needed and not (samples is not None and np.isfinite(samples) and samples >= needed):
        c.verdict = TAIL_VERDICT
        had = "no sample count" if samples is None or not np.isfinite(samples) else "%d samples" % samples
        c.note = (
            "a maximum is never judged"
            if math.isinf(needed)
            else "needs %d samples for %d beyond the quantile; %s" % (needed, TAIL_EXCEEDANCES, had)
        )
        return True
    if np.ptp(base) == 0 and np.ptp(other) == 0 and base[0] == other[0]:
        c.verdict, c.note = "same", "identical constant values"
        c.ratio = 1.0 if c.median_base else math.nan
        return True
    if not (c.median_base > 0 and c.median_other > 0):
        c.verdict, c.note = "n/a", "a ratio needs positive medians"
        return True
    return False


def _finite(values) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    return x[np.isfinite(x)]


def _median(x: np.ndarray) -> float:
    return float(np.median(x)) if x.size else math.nan


def _log_spread(x: np.ndarray, median: float) -> float:
    """One sample's standard deviation on the log scale (relative to the median when some values are
    not positive); NaN below two values."""
    if x.size < 2:
        return math.nan
    if (x > 0).all():
        return float(np.std(np.log(x), ddof=1))
    return float(np.std(x, ddof=1) / median) if median > 0 else math.nan


def compare_unpaired(pairs: list, noise_floor=0.0, tail_samples=None, directions=None) -> list:
    """A Comparison for each ``(base samples, other samples, metric)`` of two runs started separately,
    judged as one family (``judge``).

    The estimate is the log ratio of medians. Its variance adds each side's within-run uncertainty of
    the median (MEDIAN_SE_FACTOR × spread / √n, the spread on the log scale and never below the
    median spread of that metric over the family, since three repetitions say little about their own
    spread) to the run-to-run noise: ``noise_floor``, the standard deviation of the log ratio between
    two runs of the same thing (one number, or one per pair). p is two-sided from the normal; the
    interval is exp(log ratio ± 1.96 sd), run-to-run noise included. A tail metric is judged only when
    ``tail_samples`` (per pair: the sample count behind it) reaches ``tail_samples_needed``.
    """
    floors = [f if f is not None and math.isfinite(f) else 0.0 for f in _per_pair(noise_floor, len(pairs))]
    samples = _per_pair(tail_samples, len(pairs))
    prepared, spreads = [], {}
    for base, other, metric in pairs:
        a, b = _finite(base), _finite(other)
        ma, mb = _median(a), _median(b)
        sa, sb = _log_spread(a, ma), _log_spread(b, mb)
        spreads.setdefault(metric, []).extend(s for s in (sa, sb) if math.isfinite(s))
        prepared.append((a, b, metric, ma, mb, sa, sb))
    pooled = {m: float(np.median(v)) for m, v in spreads.items() if v}
    z = sps.norm.ppf(0.5 + CONFIDENCE / 2)
    out = []
    for (a, b, metric, ma, mb, sa, sb), floor, count in zip(prepared, floors, samples):
        c = Comparison(a.size, b.size, ma, mb, mb / ma if ma > 0 else math.nan, noise_floor=floor)
        out.append(c)
        if _screen(c, a, b, metric, count):
            continue
        var = floor**2
        for s, n in ((sa, a.size), (sb, b.size)):
            s = max((v for v in (s, pooled.get(metric, math.nan)) if math.isfinite(v)), default=0.0)
            var += (MEDIAN_SE_FACTOR * s) ** 2 / n
        d = math.log(c.ratio)
        sd = math.sqrt(var)
        if sd == 0:
            c.p_value = 1.0 if d == 0 else 0.0
            c.ci_low = c.ci_high = c.ratio
            continue
        c.p_value = math.erfc(abs(d) / sd / math.sqrt(2))
        c.ci_low, c.ci_high = math.exp(d - z * sd), math.exp(d + z * sd)
    return judge(out, [p[2] for p in pairs], directions)


def compare_paired(pairs: list, tail_samples=None, directions=None) -> list:
    """A Comparison for each ``(base values, other values, metric)`` of two runs interleaved in one
    invocation, the values aligned round by round (position i of both came from the same round),
    judged as one family (``judge``).

    The machine's drift between rounds hits both runs of a round alike and cancels in the per-round
    ratio other / base: the estimate is the median of those ratios, its interval ``median_ci`` of them
    (none below 6 rounds; ``note`` says so), p the two-sided Wilcoxon signed-rank test of their logs
    (scipy), and no run-to-run noise floor applies. Rounds missing, or not positive, on either side
    are left out.
    """
    samples = _per_pair(tail_samples, len(pairs))
    out: list = []
    batches: dict = {}
    for (base, other, metric), count in zip(pairs, samples):
        a, b = np.asarray(base, dtype=float), np.asarray(other, dtype=float)
        both = np.isfinite(a) & np.isfinite(b)
        a, b = a[both], b[both]
        c = Comparison(a.size, b.size, _median(a), _median(b), math.nan, paired=True)
        out.append(c)
        if _screen(c, a, b, metric, count):
            continue
        positive = (a > 0) & (b > 0)
        ratios = b[positive] / a[positive]
        if not ratios.size:
            c.verdict, c.note = "n/a", "no round with positive values on both sides"
            continue
        c.ratio = float(np.median(ratios))
        c.ci_low, c.ci_high = median_ci(ratios)
        notes = [ci_note(ratios.size)]
        if ratios.size < a.size:
            notes.append("%d rounds with values <= 0 left out" % (a.size - ratios.size))
        c.note = "; ".join(n for n in notes if n)
        logs = np.log(ratios)
        if np.any(logs):
            # exact without ties or zeros; scipy's fallback for them (a permutation test) costs ~0.5 s a row
            ties = not np.all(logs) or np.unique(np.abs(logs)).size < logs.size
            batches.setdefault((logs.size, "asymptotic" if ties else "exact"), []).append((c, logs))
        else:
            c.p_value = 1.0
    for (_n, method), batch in batches.items():  # one vectorised scipy call per round count and method
        res = sps.wilcoxon(np.stack([logs for _, logs in batch]), axis=1, method=method)
        for (c, _), p in zip(batch, np.atleast_1d(res.pvalue)):
            c.p_value = float(p)
    return judge(out, [p[2] for p in pairs], directions)


def min_signed_rank_p(n: int) -> float:
    """The smallest two-sided p the exact Wilcoxon signed-rank test reaches with ``n`` rounds (every ratio
    on one side): 2 / 2**n, below ALPHA only from 6 rounds on."""
    return min(1.0, 2.0 / 2**n) if n > 0 else 1.0


def compare(base, other, metric: str, noise_floor: float = 0.0) -> Comparison:
    """One comparison of two runs started separately (``compare_unpaired`` with a family of one)."""
    return compare_unpaired([(base, other, metric)], noise_floor)[0]


def speed_noise(base_ns: Iterable, other_ns: Iterable, same_machine: bool = True) -> float:
    """Run-to-run noise from the machine's single-process speed (loop ns per iteration at the start and
    end of each run): the root-mean-square log difference between a speed measured in one run and one
    measured in the other, i.e. the standard deviation of the log ratio that the machine's drift alone
    puts between two runs. Between different machines their speed difference is no noise, so only
    each run's own start-to-end change counts. NaN when the speeds are missing (old runs)."""
    a = np.log([float(v) for v in base_ns if v and float(v) > 0])
    b = np.log([float(v) for v in other_ns if v and float(v) > 0])
    if same_machine:
        if not a.size or not b.size:
            return math.nan
        return float(np.sqrt(np.mean(np.subtract.outer(a, b) ** 2)))
    within = [float(x[-1] - x[0]) for x in (a, b) if x.size >= 2]
    return float(np.sqrt(np.mean(np.square(within)))) if within else math.nan
