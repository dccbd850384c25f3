"""Per-cell numbers a section reads: medians with CIs per cell, sweeps of one parameter, and each cell
against a baseline (per-round ratios where runs were interleaved, else ratios of medians)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from report.analysis import statistics as stats
from report.analysis.runs import interleaved
from report.analysis.statistics import missing

if TYPE_CHECKING:
    from report.analysis.load import Results


def most_common(df: pd.DataFrame, column: str) -> Any:
    """The value a column takes most often (the experiment's default setting), or None."""
    if column not in df or df[column].dropna().empty:
        return None
    return df[column].mode().iloc[0]


@dataclass
class Context:
    """What every section reads: the loaded runs, the page's colours, and the run named by
    ``--baseline`` (None: each section picks its own, see shared_baseline)."""

    results: Results
    #: The page's colours (report.page.figures.Palette); None where nothing is drawn (advice).
    palette: object = None
    baseline: str | None = None

    def runs_for(self, experiment: str) -> list:
        """The newest run of each interpreter × machine that has ok rows of ``experiment``.

        Older runs of the same interpreter and machine appear in the comparisons instead.
        """
        latest: dict = {}
        for run in self.results.runs:  # oldest first, so the newest wins
            df = run.tables.get(experiment)
            if df is not None and (df["status"] == "ok").any():
                latest[run.env_label] = run
        return [latest[k] for k in sorted(latest)]

    def rows(self, experiment: str) -> pd.DataFrame:
        """Rows of ``experiment`` from runs_for(experiment), environment columns joined."""
        df = self.results.frame(experiment)
        ids = [r.run_id for r in self.runs_for(experiment)]
        return df[df["run_id"].isin(ids)] if not df.empty else df


class CellAnalysis:
    """An experiment's rows, the runs they come from, its parameters, and each cell's medians with CIs.

    ``s`` is a Summary keyed by interpreter × machine (``env_label``) and every parameter.
    """

    def __init__(self, ctx, experiment: str, metrics, summary: bool = True):
        self.ctx = ctx
        self.experiment = experiment
        self.info = ctx.results.info(experiment)
        self.runs = ctx.runs_for(experiment)
        self.df = ctx.rows(experiment)
        self.params = [p for p in ctx.results.param_columns(experiment) if p in self.df]
        self.metrics = [m for m in metrics if m in self.df]
        by = ["env_label"] + self.params
        self.s = Summary(self.df, by, self.metrics) if summary else None
        # Lookups sections repeat hundreds of times, built on first use.
        self._usual_cache: dict = {}
        self._by_env: dict | None = None
        self._cells: dict | None = None
        self._ok: pd.DataFrame | None = None

    def run(self, env: str):
        return next(r for r in self.runs if r.env_label == env)

    def usual(self, **where) -> dict:
        """Each parameter's most common value among the rows matching ``where`` (the experiment's
        default setting of every knob, for the cells ``where`` selects)."""
        key = tuple(
            sorted((k, tuple(v) if isinstance(v, (list, tuple, set)) else v) for k, v in where.items())
        )
        if key not in self._usual_cache:  # sweeps ask for the same cells again and again
            self._usual_cache[key] = self._usual(where)
        return dict(self._usual_cache[key])

    def _usual(self, where: dict) -> dict:
        rows = self.df
        for k, v in where.items():
            if k in rows:
                rows = rows[rows[k].isin(v) if isinstance(v, (list, tuple, set)) else rows[k] == v]
        return {p: most_common(rows, p) for p in self.params if p not in where}

    def sweep(self, metric: str, env: str, x: str, **where) -> list:
        """Records of ``metric`` for one interpreter × machine along parameter ``x``: the cells that
        match ``where`` with every other parameter held at its most common value among them (a
        sweep moves one knob). Sorted by ``x``."""
        held = {p: v for p, v in self.usual(**where).items() if p != x and not missing(v)}
        recs = [
            r
            for r in self.s.select(metric, env_label=env, **where)
            if all(r.get(p) == v for p, v in held.items()) and not missing(r.get(x))
        ]
        return sorted(recs, key=lambda r: r[x])

    def env_rows(self, env: str) -> pd.DataFrame:
        """The rows of one interpreter × machine (all statuses)."""
        if self._by_env is None:
            self._by_env = dict(iter(self.df.groupby("env_label", sort=False))) if not self.df.empty else {}
        return self._by_env.get(env, self.df.iloc[0:0])

    def values(self, metric: str, rec: dict) -> np.ndarray:
        """The ok repetitions' values of ``metric`` in the cell a summary record ``rec`` describes."""
        if self._cells is None:
            ok = self.df[self.df["status"] == "ok"] if not self.df.empty else self.df
            self._ok = ok
            groups = (
                ok.groupby(["env_label"] + self.params, dropna=False, sort=False).indices if len(ok) else {}
            )
            self._cells = {_key(_as_tuple(k)): rows for k, rows in groups.items()}
        rows = self._cells.get(_key([rec.get("env_label")] + [rec.get(p) for p in self.params]))
        if rows is None or metric not in self._ok:
            return np.array([])
        x = self._ok[metric].to_numpy(dtype=float)[rows]
        return x[np.isfinite(x)]

    def point(self, metric: str, env: str, **where) -> dict | None:
        """One cell's record: the parameters not in ``where`` held at their most common value."""
        held = {p: v for p, v in self.usual(**where).items() if not missing(v)}
        found = self.s.select(metric, env_label=env, **where)
        found = [r for r in found if all(r.get(p) == v for p, v in held.items())]
        return found[0] if len(found) == 1 else None


def side(rec, at: float = 1.0) -> int:
    """+1 when a record's 95 % interval (``ci_low``–``ci_high``) lies wholly above ``at``, -1 wholly
    below, 0 when it holds ``at`` or there is no interval: the only grounds for a direction word."""
    low, high = (rec.get(k) for k in ("ci_low", "ci_high")) if isinstance(rec, dict) else (rec[0], rec[1])
    if missing(low) or missing(high):
        return 0
    if float(low) > at:
        return 1
    return -1 if float(high) < at else 0


def shifted(a, b) -> tuple:
    """(direction, p): +1 when values ``a`` run larger than ``b``, -1 smaller, 0 when a two-sided
    Mann–Whitney U test (scipy; exact for small samples without ties) finds no shift at
    stats.ALPHA. For two cells measured apart, not in the same rounds; p is NaN without values."""
    a, b = (np.asarray(v, dtype=float) for v in (a, b))
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if not a.size or not b.size:
        return 0, math.nan
    p = float(sps.mannwhitneyu(a, b, alternative="two-sided").pvalue)
    if p >= stats.ALPHA:
        return 0, p
    return (1 if np.median(a) > np.median(b) else -1), p


@dataclass(frozen=True)
class Ratio:
    """A ratio of one cell's metric to a baseline's, with its 95 % interval (NaN, and ``ci_note``
    saying why, when there is none). ``paired``: the median of per-round ratios of runs interleaved in
    one invocation, its exact interval; else the ratio of the two runs' medians, its interval from
    within-run noise only, without the drift between runs (separate_ratios)."""

    median: float
    ci_low: float = math.nan
    ci_high: float = math.nan
    n: int = 0
    paired: bool = False
    ci_note: str = ""

    def record(self) -> dict:
        """The keys formatting.record_ci and side() read, as a summary record has them."""
        keys = ("median", "ci_low", "ci_high", "n", "ci_note")
        return {k: getattr(self, k) for k in keys}

    def inverse(self) -> Ratio:
        """base / cell instead of cell / base (a time ratio turned into a speed ratio)."""
        flip = lambda x: 1.0 / x if x else math.nan  # noqa: E731
        return replace(self, median=flip(self.median), ci_low=flip(self.ci_high), ci_high=flip(self.ci_low))

    @property
    def side(self) -> int:
        return side(self.record())

    def how(self) -> str:
        """How the ratio was made, in words for the page."""
        if self.paired:
            return "paired round by round over %d round%s" % (self.n, "" if self.n == 1 else "s")
        return "ratio of medians of runs started separately, within-run noise in its interval"


def _ok_rows(df: pd.DataFrame, metric: str) -> pd.DataFrame:
    ok = df[(df["status"] == "ok") & df[metric].notna()] if "status" in df else df[df[metric].notna()]
    return ok[ok[metric] > 0]


def _key(values) -> tuple:
    return tuple(None if missing(v) else v for v in values)


def round_ratios(base: pd.DataFrame, other: pd.DataFrame, on: list, by: list, metric: str) -> dict:
    """{cell (values of ``by``): Ratio other / base of ``metric``}, each other row matched with the
    base row of the same round: equal ``on`` columns and ``repeat`` (rows of one comparison group and
    repeat in runs interleaved in one invocation ran in the same round). The median of the per-round
    ratios and its exact interval (stats.median_ci; none below 6 rounds, ``ci_note`` says so)."""
    key = list(on) + ["repeat"]
    b = _ok_rows(base, metric)[key + [metric]].drop_duplicates(key, keep="last")
    o = _ok_rows(other, metric)
    cols = list(dict.fromkeys(list(by) + key + [metric]))
    merged = o[cols].merge(b.rename(columns={metric: "_base"}), on=key)
    if merged.empty:
        return {}
    ratio = (merged[metric] / merged["_base"]).to_numpy(dtype=float)
    out = {}
    for cell, rows in merged.groupby(list(by), dropna=False, sort=False).indices.items():
        r = ratio[rows]
        low, high = stats.median_ci(r)
        out[_key(_as_tuple(cell))] = Ratio(
            float(np.median(r)), low, high, int(r.size), True, stats.ci_note(r.size)
        )
    return out


WITHIN_RUN = "runs started separately: within-run noise only, the drift between runs is not in it"


def separate_ratios(base: pd.DataFrame, other: pd.DataFrame, on: list, by: list, metric: str) -> dict:
    """As round_ratios for runs started separately: the ratio of medians (other / base, base rows
    matched on ``on``), its 95 % interval a Welch t interval on the two runs' log values: within-run
    noise only (``ci_note`` says so). The drift between separately started runs is measured only by
    repeated runs (report.analysis.separately judges it); no loop-speed floor stands in for it."""
    b, o = _ok_rows(base, metric), _ok_rows(other, metric)
    if b.empty or o.empty:
        return {}
    b_values, o_values = b[metric].to_numpy(dtype=float), o[metric].to_numpy(dtype=float)
    base_rows = {_key(_as_tuple(k)): rows for k, rows in b.groupby(list(on), dropna=False).indices.items()}
    at = [list(by).index(c) for c in on]
    out = {}
    for cell, rows in o.groupby(list(by), dropna=False).indices.items():
        cell = _key(_as_tuple(cell))
        found = base_rows.get(tuple(cell[i] for i in at))
        if found is not None:
            out[cell] = _welch(b_values[found], o_values[rows])
    return out


def _welch(a: np.ndarray, b: np.ndarray) -> Ratio:
    """Ratio of medians median(b) / median(a) and the Welch t 95 % interval of the log difference."""
    center = float(np.log(np.median(b)) - np.log(np.median(a)))
    a, b = np.log(a), np.log(b)
    n = min(a.size, b.size)
    if a.size < 2 or b.size < 2:
        return Ratio(math.exp(center), n=n, ci_note="fewer than 2 values a side: no interval")
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    if se == 0:
        return Ratio(math.exp(center), math.exp(center), math.exp(center), n, False, WITHIN_RUN)
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = float(sps.t.ppf(0.975, df)) * se
    return Ratio(math.exp(center), math.exp(center - half), math.exp(center + half), n, False, WITHIN_RUN)


def _as_tuple(key) -> tuple:
    return key if isinstance(key, tuple) else (key,)


def ratios_against(base_run, other_run, base: pd.DataFrame, other: pd.DataFrame, on, by, metric) -> dict:
    """Every cell of ``other`` (rows of ``other_run``) against the base rows (of ``base_run``):
    round by round when the two runs were interleaved in one invocation, or are one run; else as runs
    started separately (ratio of medians, within-run interval). See round_ratios and separate_ratios."""
    if base_run is other_run or base_run.run_id == other_run.run_id or interleaved(base_run, other_run):
        return round_ratios(base, other, on, by, metric)
    return separate_ratios(base, other, on, by, metric)


def shared_baseline(ctx, experiment: str):
    """The run every interpreter's cells are set against (None without runs): the page's
    ``--baseline`` run when it measured ``experiment``; else, among the runs shown, a GIL build (GIL
    on, not free-threaded) — the one interleaved with most of the others, then the oldest; else a run
    with the GIL on; else the oldest."""
    if getattr(ctx, "baseline", None):
        try:
            chosen = ctx.results.run(ctx.baseline)
        except Exception:  # an unknown --baseline is refused by the page builder, in one line
            chosen = None
        df = chosen.tables.get(experiment) if chosen is not None else None
        if df is not None and (df["status"] == "ok").any():
            return chosen
    runs = ctx.runs_for(experiment)
    if not runs:
        return None
    gil_builds = [r for r in runs if r.gil == "on" and not r.interpreter.get("free_threaded_build")]
    pool = gil_builds or [r for r in runs if r.gil == "on"] or runs
    oldest = sorted(pool, key=lambda r: (r.created, r.run_id))
    return max(oldest, key=lambda r: sum(interleaved(r, o) for o in runs if o is not r))


# --- Cells measured in the same round, paired ---

#: What identifies one round of one comparison group: both cells of a pair met the same machine.
ROUND_KEYS = ("env_label", "run_id", "group_id", "repeat")


def matching_rows(df: pd.DataFrame, where: dict) -> pd.DataFrame:
    """The ok rows whose columns equal ``where`` (a list value means any of them); none when a column
    is missing."""
    rows = df[df["status"] == "ok"] if "status" in df else df
    for k, v in where.items():
        if k not in rows:
            return rows.iloc[0:0]
        rows = rows[rows[k].isin(v) if isinstance(v, (list, tuple, set)) else rows[k] == v]
    return rows


def paired_rounds(df: pd.DataFrame, metric: str, first: dict, second: dict) -> pd.DataFrame:
    """``metric`` of two cells side by side, one row per round in which both ran: a row matching
    ``first`` and a row matching ``second`` that ended ok in the same run, comparison group and
    repetition (``repeat``), so both met the same machine in the same round.

    Columns: env_label, run_id, group_id, repeat, first, second. A round in which either side
    matches several rows (``first``/``second`` do not pin one cell of the group) is left out, and so
    is one where either value is missing; cells that ran in different groups give no rows.
    """
    columns = list(ROUND_KEYS) + ["first", "second"]
    if df.empty or metric not in df or not all(k in df for k in ROUND_KEYS):
        return pd.DataFrame(columns=columns)
    sides = []
    for name, where in (("first", first), ("second", second)):
        rows = matching_rows(df, where)[list(ROUND_KEYS) + [metric]]
        rows = rows[rows[metric].notna()].drop_duplicates(list(ROUND_KEYS), keep=False)
        sides.append(rows.rename(columns={metric: name}))
    pairs = sides[0].merge(sides[1], on=list(ROUND_KEYS))
    return pairs[columns].sort_values(list(ROUND_KEYS), ignore_index=True)


def round_record(values) -> dict | None:
    """Per-round values (ratios or differences of paired cells, or one value per repetition of a
    cell) summarised like a Summary record: n, median, ci_low/ci_high (the exact 95 % interval
    of the median; NaN below 6 values) and ci_note (why there is none). None without a finite value."""
    x = np.asarray(list(values), dtype=float)
    x = x[np.isfinite(x)]
    if not x.size:
        return None
    low, high = stats.median_ci(x)
    return {
        "n": int(x.size),
        "median": float(np.median(x)),
        "ci_low": low,
        "ci_high": high,
        "ci_note": stats.ci_note(int(x.size)),
    }


class Summary:
    """summarize() with lookups: one cell's record by its key, or every record matching some columns."""

    def __init__(self, df: pd.DataFrame, by: list, metrics: list, ci: bool = True):
        self.by = list(by)
        self.frame = stats.summarize(df, self.by, metrics, ci)
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
