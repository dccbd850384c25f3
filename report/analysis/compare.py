"""Comparisons across runs: each run against a baseline run, judged so that two runs of the same thing
read "same" (the A/A test); significant differences only."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd

from experiments.schema import UNITS
from report.analysis import statistics as stats
from report.analysis.numbers import percent, ratio
from report.analysis.runs import interleaved, loop_ns, run_speeds, same_machine

if TYPE_CHECKING:
    from report.analysis.load import Results, Run

#: Runs of one interpreter on one machine it takes to measure run-to-run noise from their spread.
REPEATED_RUNS = 3


def baseline_run(results: Results, baseline: str | None) -> Run:
    """The run everything is compared with: the one named, else the oldest."""
    return results.run(baseline) if baseline else results.runs[0]


@dataclass
class NoiseFloor:
    """Run-to-run noise between two runs started separately, as the standard deviation of the log ratio
    of a cell's medians that it alone gives: per (experiment, metric) where three or more runs of one
    interpreter on the machine show it, else from the machine's single-process speed."""

    speed: float
    per_metric: dict = field(default_factory=dict)
    repeated_runs: int = 0
    speeds: tuple = ((), ())

    def for_metric(self, experiment: str, metric: str) -> float:
        value = self.per_metric.get((experiment, metric))
        if value is not None and math.isfinite(value):
            return value
        return self.speed if math.isfinite(self.speed) else 0.0

    @property
    def known(self) -> bool:
        return math.isfinite(self.speed) or bool(self.per_metric)

    def describe(self) -> str:
        """One sentence for the page: the floor and where it comes from."""
        parts = []
        if self.per_metric:
            values = sorted(self.per_metric.values())
            parts.append(
                "per metric from the spread of per-cell medians over %d runs of one interpreter on this "
                "machine: %s (median %s)"
                % (self.repeated_runs, _span(values[0], values[-1]), percent(float(np.median(values)), 1))
            )
        if math.isfinite(self.speed):
            base, other = ("/".join("%.1f" % v for v in s) or "?" for s in self.speeds)
            which = "elsewhere " if self.per_metric else ""
            parts.append(
                "%s%s from the machine's single-process speed at the start and end of each run "
                "(%s vs %s ns per loop iteration)" % (which, percent(self.speed, 1), base, other)
            )
        if not parts:
            return (
                "Run-to-run noise unknown (no single-process speed in these runs and fewer than %d runs "
                "of one interpreter): judged against within-run noise only, which understates it."
                % REPEATED_RUNS
            )
        return (
            "Run-to-run noise floor (standard deviation of the log ratio of two runs of the same thing): %s."
            % ("; ".join(parts))
        )


def _span(low: float, high: float) -> str:
    return percent(low, 1) if abs(high - low) < 5e-4 else "%s–%s" % (percent(low, 1), percent(high, 1))


def repeated_run_groups(results: Results, runs: list) -> list:
    """Groups of REPEATED_RUNS or more runs of one interpreter on the machine of any of ``runs``."""
    groups: dict = {}
    for r in results.runs:
        if any(same_machine(r, x) for x in runs):
            groups.setdefault((r.machine_label, r.interpreter_label), []).append(r)
    return [g for g in groups.values() if len(g) >= REPEATED_RUNS]


def _cell_medians(run: Run, experiment: str, metrics: list) -> pd.DataFrame | None:
    df = run.tables.get(experiment)
    if df is None:
        return None
    present = [m for m in metrics if m in df]
    ok = df[df["status"] == "ok"]
    return ok.groupby("cell_id")[present].median() if present and not ok.empty else None


def between_run_noise(medians_by_cell: Iterable) -> float:
    """Run-to-run noise from three or more runs of one interpreter on one machine: the pooled standard
    deviation of each cell's log median across those runs, times √2 (the spread of a difference of
    two runs). Each item holds one cell's medians, one per run; cells seen in fewer than three runs
    are skipped; NaN when none is left."""
    squares, dof = 0.0, 0
    for medians in medians_by_cell:
        x = np.asarray([m for m in medians if m is not None], dtype=float)
        x = x[np.isfinite(x) & (x > 0)]
        if x.size < 3:
            continue
        logs = np.log(x)
        squares += float(np.sum((logs - logs.mean()) ** 2))
        dof += x.size - 1
    return math.sqrt(2 * squares / dof) if dof else math.nan


def noise_floor(
    base: Run, other: Run, metrics_for: Callable[[str], list], results: Results | None
) -> NoiseFloor:
    """The run-to-run noise two runs started separately are judged against (see NoiseFloor)."""
    floor = NoiseFloor(
        stats.speed_noise(run_speeds(base), run_speeds(other), same_machine(base, other)),
        speeds=(tuple(run_speeds(base)), tuple(run_speeds(other))),
    )
    groups = repeated_run_groups(results, [base, other]) if results is not None else []
    if not groups:
        return floor
    floor.repeated_runs = max(len(g) for g in groups)
    for experiment in base.tables:
        if experiment not in other.tables:
            continue
        metrics = metrics_for(experiment)
        by_metric: dict = {}
        for group in groups:
            medians = [m for m in (_cell_medians(r, experiment, metrics) for r in group) if m is not None]
            for metric in metrics:
                columns = [m[metric] for m in medians if metric in m]
                if len(columns) >= REPEATED_RUNS:
                    by_metric.setdefault(metric, []).extend(pd.concat(columns, axis=1).to_numpy().tolist())
        for metric, cells in by_metric.items():
            sigma = between_run_noise(cells)
            if math.isfinite(sigma):
                floor.per_metric[(experiment, metric)] = sigma
    return floor


def _ok(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["status"] == "ok"]


def _count(df: pd.DataFrame, rows, column: str | None) -> float | None:
    if not column or column not in df:
        return None
    values = df[column].to_numpy(dtype=float)[rows]
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else None


def _separate_values(df_b: pd.DataFrame, df_o: pd.DataFrame, metrics: list, counts: dict):
    """(cell, metric, base values, other values, sample count) of every cell both runs measured."""
    ok_b, ok_o = _ok(df_b), _ok(df_o)
    # numpy arrays and position lists: pandas groups per cell cost more than the statistics
    values_b = {m: ok_b[m].to_numpy(dtype=float) for m in metrics}
    values_o = {m: ok_o[m].to_numpy(dtype=float) for m in metrics}
    cells_o = ok_o.groupby("cell_id").indices
    for cell, rows_b in ok_b.groupby("cell_id").indices.items():
        rows_o = cells_o.get(cell)
        if rows_o is None:
            continue
        for metric in metrics:
            a, b = values_b[metric][rows_b], values_o[metric][rows_o]
            if np.isfinite(a).any() and np.isfinite(b).any():
                column = counts.get(metric)
                n = [_count(ok_b, rows_b, column), _count(ok_o, rows_o, column)]
                yield cell, metric, a, b, (min(n) if None not in n else None)


def _paired_values(df_b: pd.DataFrame, df_o: pd.DataFrame, metrics: list, counts: dict):
    """As _separate_values, but only rounds both runs measured, aligned: same cell_id and repeat."""
    extra = [c for c in set(counts.get(m) for m in metrics) if c and c in df_b and c in df_o]
    cols = ["cell_id", "repeat"] + list(dict.fromkeys(metrics + extra))
    key = ["cell_id", "repeat"]
    sides = [_ok(d)[cols].drop_duplicates(key, keep="last") for d in (df_b, df_o)]
    merged = sides[0].merge(sides[1], on=key, suffixes=("_b", "_o"))
    arrays = {c: merged[c].to_numpy(dtype=float) for c in merged.columns if c.endswith(("_b", "_o"))}
    for cell, rows in merged.groupby("cell_id").indices.items():
        for metric in metrics:
            a, b = arrays[metric + "_b"][rows], arrays[metric + "_o"][rows]
            if (np.isfinite(a) & np.isfinite(b)).any():
                column = counts.get(metric)
                n = None
                if column in extra:
                    side = [np.nanmedian(arrays[column + s][rows]) for s in ("_b", "_o")]
                    n = float(min(side)) if all(np.isfinite(side)) else None
                yield cell, metric, a, b, n


@dataclass
class Family:
    """Every comparison of one run against the baseline, judged with one Benjamini–Hochberg family per
    experiment. ``items`` are dicts: experiment, cell, metric, c (a stats.Comparison)."""

    base: Run
    other: Run
    paired: bool
    floor: NoiseFloor | None
    items: list
    #: Experiments judged as started separately although ``paired`` (no interleaved rounds).
    unpaired: list = field(default_factory=list)

    def with_verdict(self, *verdicts: str) -> list:
        return [f for f in self.items if f["c"].verdict in verdicts]

    def by_round(self, experiment: str) -> bool:
        """Whether this experiment's cells are compared round by round (stats.compare_paired)."""
        return self.paired and experiment not in self.unpaired

    def floor_for(self, experiment: str, metric: str) -> float:
        """The run-to-run noise floor a comparison of this metric was judged against (0: by rounds)."""
        if self.by_round(experiment) or self.floor is None:
            return 0.0
        return self.floor.for_metric(experiment, metric)

    @property
    def tested(self) -> list:
        return [f for f in self.items if f["c"].tested]

    @property
    def called(self) -> list:
        return [f for f in self.items if f["c"].significant]

    @property
    def tails(self) -> list:
        return [f for f in self.items if f["c"].tail]


def _declared(info, metrics: list, tail_samples: dict | None) -> tuple:
    """({tail metric: column counting its samples}, {metric: better direction}) from experiments.json."""
    counts, directions = dict(tail_samples or {}), {}
    for m in metrics:
        declared = info.metric_info(m) if info is not None else None
        if declared is None:
            continue
        directions[m] = declared.direction
        if declared.samples and m not in counts:
            counts[m] = declared.samples
    return counts, directions


def compare_runs(
    base: Run,
    other: Run,
    metrics_for: Callable[[str], list],
    results: Results | None = None,
    tail_samples: dict | None = None,
) -> Family:
    """Every (experiment, cell, metric) the two runs share, compared as one family: round by round when
    the runs were interleaved in one invocation (stats.compare_paired), else against run-to-run noise
    (stats.compare_unpaired with ``noise_floor``; ``results`` supplies repeated runs of one interpreter
    for it). ``tail_samples`` maps a tail metric to the column counting the samples behind it; a tail
    metric without one gets no verdict. An experiment without interleaved rounds (bench/'s
    micro-benchmarks) is judged as started separately even in an interleaved invocation."""
    paired = interleaved(base, other)
    infos = {name: base.experiments.get(name) or other.experiments.get(name) for name in base.tables}
    unpaired = [n for n, info in infos.items() if info is not None and not info.interleaved_rounds]
    floor = noise_floor(base, other, metrics_for, results) if not paired or unpaired else None
    family = Family(base, other, paired, floor, [], unpaired)
    # One Benjamini–Hochberg family per experiment: what changed in convoy is not diluted by the
    # hundreds of cells of io_vs_cpu, and a headline cell keeps the power its own interval shows.
    for name, df_b in base.tables.items():
        df_o = other.tables.get(name)
        if df_o is None:
            continue
        metrics = [m for m in metrics_for(name) if m in df_b and m in df_o]
        if not metrics:
            continue
        info = infos[name]
        counts, directions = _declared(info, metrics, tail_samples)
        by_round = family.by_round(name)
        values = _paired_values if by_round else _separate_values
        keys, pairs, floors, samples = [], [], [], []
        for cell, metric, a, b, n in values(df_b, df_o, metrics, counts):
            keys.append((cell, metric))
            pairs.append((a, b, metric))
            samples.append(n)
            floors.append(family.floor_for(name, metric))
        if by_round:
            found = stats.compare_paired(pairs, samples, directions)
        else:
            found = stats.compare_unpaired(pairs, floors, samples, directions)
        family.items += [
            {"experiment": name, "cell": c, "metric": m, "c": comp} for (c, m), comp in zip(keys, found)
        ]
    return family


def machine_speed_factor(base: Run, other: Run) -> float | None:
    """How many times slower the other run's machine runs a fixed loop; None on the same machine."""
    if same_machine(base, other):
        return None
    a, b = loop_ns(base), loop_ns(other)
    return b / a if a and b else None


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
    return ratio(normalised_ratio(value_ratio, metric, factor, info))


def method_text(family: Family) -> str:
    """How this family was judged, with its noise floor and the number of comparisons tested."""
    tested = len(family.tested)
    if family.paired:
        rounds = sorted({f["c"].n_base for f in family.tested})
        text = (
            "Measured in one interleaved invocation with the baseline, so compared round by round: ratio "
            "= median of the per-round ratios, with the exact 95 %% interval of that median; Wilcoxon "
            "signed-rank test on the log ratios. The machine's drift cancels within a round: noise floor "
            "0, minimum effect %s." % percent(stats.CHANGE_THRESHOLD)
        )
        if rounds and stats.min_signed_rank_p(rounds[-1]) >= stats.ALPHA:
            text += (
                " With %d rounds the signed-rank test cannot reach p < %g (it needs 6): every verdict reads "
                '"same" by construction.' % (rounds[-1], stats.ALPHA)
            )
        if family.unpaired:
            text += (
                " %s measured without rounds (separate processes, minutes apart), so judged against "
                "run-to-run noise: %s" % (", ".join(family.unpaired), family.floor.describe())
            )
    else:
        text = (
            "Started separately from the baseline, so judged against run-to-run noise. %s A difference is "
            "called when it exceeds the larger of %s and the noise floor."
            % (family.floor.describe(), percent(stats.CHANGE_THRESHOLD))
        )
    return text + (
        " %d comparisons tested; false-discovery rate held at %g within each experiment "
        "(Benjamini–Hochberg q)." % (tested, stats.ALPHA)
    )


def summary_text(family: Family) -> str:
    called = family.called
    counts = {v: len(family.with_verdict(v)) for v in ("faster", "slower", "higher", "lower")}
    text = "%d of %d tested comparisons called different (%s); the rest the same." % (
        len(called),
        len(family.tested),
        ", ".join("%d %s" % (n, v) for v, n in counts.items() if n) or "none",
    )
    if family.tails:
        text += (
            " %d tail-metric comparisons (p99, maximum) get no verdict: a p99 needs %d counted samples, a "
            "maximum is never stable." % (len(family.tails), stats.tail_samples_needed("_p99"))
        )
    return text
