"""The numbers behind the io_vs_cpu section: medians, CIs, Amdahl/USL fits with intervals, and every
interpreter's cells against one shared baseline."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from report.analysis import models
from report.analysis import statistics as stats
from report.analysis.cells import Context, Ratio, ratios_against, shared_baseline
from report.analysis.load import Run
from report.page.figures import EXECUTOR_COLOURS, known_first
from report.page.formatting import num

METRICS = ["speedup", "efficiency", "capacity_fraction", "cpu_util_cores", "wall_s"]
CI_METRICS = ("speedup", "cpu_util_cores", "wall_s")
#: A panel of the figures: one workload at one task count and size.
PANEL = ["workload", "tasks", "task_size"]
CELL = PANEL + ["executor", "workers"]
KNOWN_WORKLOADS = ("cpu_python", "c_hash", "mixed", "sleep_io", "socket_io")
KNOWN_EXECUTORS = tuple(EXECUTOR_COLOURS)
THREADS = ("thread", "thread_pool")
PROCESSES = ("process", "process_pool")
SIZE_UNITS = {"cpu_python": "k iterations", "c_hash": "MiB", "sleep_io": "ms", "socket_io": "round trips"}
#: The comparison every run other than the baseline is judged on first, declared before any data:
#: pure-Python work on this many threads, against the shared baseline's sequential cell.
HEADLINE_WORKLOAD, HEADLINE_WORKERS = "cpu_python", 2


def cpu_bound(df: pd.DataFrame, column: str = "workload") -> set:
    """Workloads the harness scored against the machine's capacity, i.e. bound by the CPU."""
    if "capacity_fraction" not in df or column not in df:
        return set()
    par = df[df["executor"] != "sequential"]
    return set(par.loc[par["capacity_fraction"].notna(), column])


def workload_order(names) -> list:
    return known_first(names, KNOWN_WORKLOADS)


def executor_order(names) -> list:
    return known_first(names, KNOWN_EXECUTORS)


class Analysis:
    """Medians, CIs and model fits for the newest run of each interpreter × machine, and each one's
    cells against the shared baseline (cells.shared_baseline) sequential cell. A section with the same
    executor columns but another panel (user_function) subclasses it: ``PANEL``, ``METRICS``,
    ``frame`` (columns derived from the CSV's) and ``panel_title`` are its hooks."""

    PANEL = PANEL
    METRICS = METRICS
    CI_METRICS = CI_METRICS

    def __init__(self, ctx: Context, experiment: str):
        self.ctx = ctx
        self.info = ctx.results.info(experiment)
        self.runs = ctx.runs_for(experiment)
        self.df = self.frame(ctx.rows(experiment))
        self.cpu_bound = cpu_bound(self.df, self.PANEL[0])
        base_point = self.info.baseline or {"executor": "sequential", "workers": 1}
        self.sequential = base_point.get("executor", "sequential")
        self.executors = executor_order(self.df["executor"].dropna()) if "executor" in self.df else []
        self.parallel = [e for e in self.executors if e != self.sequential]
        self._summarise()
        self.fits = [f for f in (self._fit(*k, g) for k, g in self._fit_groups()) if f is not None]
        self._fit_index = {(f["env_label"], f["panel"], f["executor"]): f for f in self.fits}
        self.baseline = shared_baseline(ctx, experiment)
        self.against = self._against(experiment, base_point)

    def _summarise(self) -> None:
        by = ["env_label"] + self.PANEL + ["executor", "workers"]
        # Intervals only where they are drawn or printed; the ratios' medians are enough elsewhere.
        metrics = [m for m in self.METRICS if m in self.df]
        with_ci = [m for m in metrics if m in self.CI_METRICS]
        without = [m for m in metrics if m not in self.CI_METRICS]
        self.summary = pd.concat(
            [stats.summarize(self.df, by, with_ci), stats.summarize(self.df, by, without, ci=False)],
            ignore_index=True,
        )
        # Figures and sentences look up hundreds of single points: dicts, not DataFrame filters.
        self._metric = {m: g for m, g in self.summary.groupby("metric")} if not self.summary.empty else {}
        self._points: dict = {}
        self._workers: dict = {}
        for rec in self.summary.to_dict("records"):
            panel = tuple(rec[c] for c in self.PANEL)
            self._points[(rec["metric"], rec["env_label"], panel, rec["executor"], rec["workers"])] = rec
            if rec["metric"] == "speedup":
                for key in ((rec["env_label"], panel, rec["executor"]), (rec["env_label"], panel, None)):
                    self._workers.setdefault(key, set()).add(int(rec["workers"]))

    def frame(self, df: pd.DataFrame) -> pd.DataFrame:
        """The rows as the analysis reads them (a subclass derives its panel's columns here)."""
        return df

    def panel_title(self, panel) -> str:
        return panel_title(panel)

    def workload_order(self, names) -> list:
        return workload_order(names)

    def run(self, env: str) -> Run:
        return next(r for r in self.runs if r.env_label == env)

    def metric(self, metric: str, env: str | None = None) -> pd.DataFrame:
        s = self._metric.get(metric, self.summary.iloc[0:0])
        return s[s["env_label"] == env] if env is not None else s

    def panels(self, env: str) -> list:
        keys = {k[1] for k in self._workers if k[0] == env}
        order = workload_order(k[0] for k in keys)
        return sorted(keys, key=lambda k: (order.index(k[0]),) + tuple(k[1:]))

    def main_panel(self, env: str, workload: str) -> tuple | None:
        """The panel that best represents a workload: the largest tasks (small ones measure the
        executor's overhead more than the workload; a panel without a task size skips this), then
        most worker counts, then most tasks."""
        panels = [p for p in self.panels(env) if p[0] == workload]
        if not panels:
            return None
        return max(panels, key=lambda p: (tuple(p[2:]), len(self._workers[(env, p, None)]), p[1]))

    def point(self, env: str, panel, executor: str, workers: int, metric: str = "speedup") -> dict | None:
        """One cell's summary (median, ci_low, ci_high, n, cv, noisy, ci_note) as a dict, or None."""
        return self._points.get((metric, env, tuple(panel), executor, workers))

    def workers(self, env: str, panel, executor: str | None = None) -> list:
        return sorted(self._workers.get((env, tuple(panel), executor), ()))

    def series(self, env: str, panel, executor: str, metric: str = "speedup") -> tuple:
        """(workers, median, ci_low, ci_high) arrays of one executor in one panel."""
        pts = [self.point(env, panel, executor, w, metric) for w in self.workers(env, panel, executor)]
        pts = [p for p in pts if p is not None]
        cols = [[p[k] for p in pts] for k in ("workers", "median", "ci_low", "ci_high")]
        return tuple(np.asarray(c, dtype=float) for c in cols)

    def _fit_groups(self):
        """((env, panel, executor), ok rows) of every parallel executor in every panel."""
        if self.df.empty or not self.parallel:
            return
        ok = self.df[(self.df["status"] == "ok") & (self.df["executor"] != self.sequential)]
        for key, g in ok.groupby(["env_label"] + self.PANEL + ["executor"], sort=True):
            yield (key[0], tuple(key[1:-1]), key[-1]), g

    def _fit(self, env: str, panel: tuple, executor: str, rows: pd.DataFrame) -> dict | None:
        """Amdahl and USL fitted to one executor's speedups in one panel, with bootstrap intervals.

        Process executors on CPU-bound work are fitted to their speedup over the machine's capacity
        at min(workers, cores), times that N (fitted_to says which capacity): the serial fraction
        then measures the executor, not the machine's shortfall."""
        cores = self.run(env).cores
        bound = panel[0] in self.cpu_bound
        y, fitted_to = rows["speedup"].to_numpy(dtype=float), "speedup"
        if bound and executor in PROCESSES:
            y, fitted_to = capacity_normalised(rows, cores)
        table = rounds_table(rows["repeat"].to_numpy(), rows["workers"].to_numpy(), y)
        if table is None:
            return None
        workers, by_round = table
        n = models.model_workers(workers, cores, bound)
        amdahl, usl = (models.fit_rounds(m, n, by_round) for m in ("amdahl", "usl"))
        return dict(
            env_label=env,
            panel=panel,
            executor=executor,
            cores=cores,
            cpu_bound=bound,
            fitted_to=fitted_to,
            amdahl=amdahl,
            usl=usl,
        )

    def fit(self, env: str, panel, executor: str) -> dict | None:
        """{"amdahl": Fit or None, "usl": Fit or None, "fitted_to": ...} of one executor, or None."""
        return self._fit_index.get((env, tuple(panel), executor))

    def _against(self, experiment: str, base_point: dict) -> dict:
        """{(env, panel, executor, workers): Ratio} the cell's speed over the shared baseline's
        sequential cell of the same panel (> 1: faster than the baseline)."""
        if self.baseline is None:
            return {}
        base = self.frame(self.baseline.tables.get(experiment))
        base = base[np.logical_and.reduce([base[k] == v for k, v in base_point.items() if k in base])]
        out = {}
        for run in self.runs:
            mine = self.df[self.df["run_id"] == run.run_id]
            cell_columns = self.PANEL + ["executor", "workers"]
            found = ratios_against(self.baseline, run, base, mine, self.PANEL, cell_columns, "wall_s")
            for cell, r in found.items():
                out[(run.env_label, tuple(cell[:-2]), cell[-2], int(cell[-1]))] = r.inverse()
        return out

    def vs_baseline(self, env: str, panel, executor: str, workers: int) -> Ratio | None:
        """One cell's speed over the shared baseline's sequential cell of the same panel, or None."""
        return self.against.get((env, tuple(panel), executor, int(workers)))

    def cell_rows(self, env: str, panel, executor: str, workers: int) -> pd.DataFrame:
        """One cell's ok rows."""
        df = self.df
        mask = (df["env_label"] == env) & (df["status"] == "ok") & (df["executor"] == executor)
        mask &= df["workers"] == workers
        for col, value in zip(self.PANEL, panel):
            mask &= df[col] == value
        return df[mask]

    def capacity(self, env: str, panel, executor: str, workers: int) -> tuple:
        """(the machine's capacity at min(workers, cores) a cell was scored against, where it was
        measured: "in the same rounds" from the rows' ``round_capacity``, else "at the run's start"),
        and whether any of its rounds measured more capacity than usable cores (``capacity_above_cores``)."""
        rows = self.cell_rows(env, panel, executor, workers)
        above = "capacity_above_cores" in rows and rows["capacity_above_cores"].eq(True).any()
        if "round_capacity" in rows and rows["round_capacity"].notna().any():
            return float(rows["round_capacity"].median()), "in the same rounds", bool(above)
        run = self.run(env)
        cap = run.capacity("start").get(int(min(workers, run.cores)))
        return (cap if cap else math.nan), "at the run's start", bool(above)

    def is_baseline(self, env: str) -> bool:
        """Whether the run shown for ``env`` is the shared baseline itself (not merely the same
        interpreter and machine: --baseline may name an older run of it)."""
        return self.baseline is not None and self.baseline.run_id == self.run(env).run_id

    def thread_executor(self, env: str, panel) -> str | None:
        """Raw threads where measured, else the thread pool: where the GIL serial fraction is read."""
        for ex in THREADS:
            if self.workers(env, panel, ex):
                return ex
        return None

    def reference_workers(self, env: str, panel, executor: str) -> int | None:
        """The worker count a sentence quotes: the one nearest the machine's cores, at least 2."""
        ws = [w for w in self.workers(env, panel, executor) if w >= 2]
        if not ws:
            return None
        cores = self.run(env).cores
        return min(ws, key=lambda w: (abs(math.log2(w) - math.log2(max(cores, 2))), w))

    def size_unit(self, workload: str) -> str:
        """The unit of task_size for a workload: from the run folder's notes, else the known ones."""
        units = self.info.notes.get("task_size_units") if isinstance(self.info.notes, dict) else None
        if isinstance(units, dict) and workload in units:
            return str(units[workload])
        return SIZE_UNITS.get(workload, "units")


def capacity_normalised(rows: pd.DataFrame, cores: float) -> tuple:
    """(values, what they are): speedup ÷ the machine's capacity at N = min(workers, cores), times N —
    the speedup an ideal N-core machine would have shown. Capacity from the same round where the rows
    carry it (``round_capacity``), else from ``capacity_fraction`` (capacity at the run's start);
    plain speedup where neither is there."""
    n = np.minimum(rows["workers"].to_numpy(dtype=float), cores)
    speedup = rows["speedup"].to_numpy(dtype=float)
    if "round_capacity" in rows and rows["round_capacity"].notna().any():
        cap = rows["round_capacity"].to_numpy(dtype=float)
        return speedup / cap * n, "speedup ÷ capacity of the same round × N"
    if "capacity_fraction" in rows and rows["capacity_fraction"].notna().any():
        return rows["capacity_fraction"].to_numpy(
            dtype=float
        ) * n, "speedup ÷ capacity at the run's start × N"
    return speedup, "speedup"


def rounds_table(repeats, workers, values) -> tuple | None:
    """(distinct workers, rounds × workers array of values, NaN where a round lacks one), or None."""
    ok = np.isfinite(values)
    if not ok.any():
        return None
    ws, col = np.unique(np.asarray(workers, dtype=float)[ok], return_inverse=True)
    rs, row = np.unique(np.asarray(repeats)[ok], return_inverse=True)
    table = np.full((rs.size, ws.size), np.nan)
    table[row, col] = np.asarray(values, dtype=float)[ok]
    return ws, table


def panel_title(panel, unit: str | None = None) -> str:
    workload, tasks, size = panel
    return "%s: %d tasks × %s %s" % (workload, tasks, num(size), unit or SIZE_UNITS.get(workload, "units"))


def capacity_fraction(a: Analysis, env: str, panel, executor: str, workers: int) -> float:
    p = a.point(env, panel, executor, workers, "capacity_fraction")
    return float(p["median"]) if p is not None else math.nan


def best_process(a: Analysis, env: str, panel):
    best = None
    for ex in PROCESSES:
        for w in a.workers(env, panel, ex):
            p = a.point(env, panel, ex, w)
            if p is not None and (best is None or p["median"] > best[2]["median"]):
                best = (ex, w, p)
    return best
