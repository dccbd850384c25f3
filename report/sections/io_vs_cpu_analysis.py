"""The numbers behind the io_vs_cpu section: medians, CIs and Amdahl/USL fits per panel and executor."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from report import models, stats
from report.figures import EXECUTOR_COLOURS
from report.formatting import num
from report.load import Run
from report.sections import Context

METRICS = ["speedup", "efficiency", "capacity_fraction", "cpu_util_cores", "wall_s"]
CI_METRICS = ("speedup", "cpu_util_cores", "wall_s")
#: A panel of the figures: one workload at one task count and size.
PANEL = ["workload", "tasks", "task_size"]
KNOWN_WORKLOADS = ("cpu_python", "c_hash", "sleep_io", "socket_io")
PARALLEL = tuple(e for e in EXECUTOR_COLOURS if e != "sequential")
SIZE_UNITS = {"cpu_python": "k iterations", "c_hash": "MiB", "sleep_io": "ms", "socket_io": "round trips"}


def cpu_bound(df: pd.DataFrame) -> set:
    """Workloads the harness scored against the machine's capacity, i.e. bound by the CPU."""
    if "capacity_fraction" not in df:
        return set()
    par = df[df["executor"] != "sequential"]
    return set(par.loc[par["capacity_fraction"].notna(), "workload"])


def workload_order(names) -> list:
    return sorted(
        set(names), key=lambda w: (KNOWN_WORKLOADS.index(w) if w in KNOWN_WORKLOADS else 99, str(w))
    )


class Analysis:
    """Medians, CIs and model fits for the newest run of each interpreter × machine."""

    def __init__(self, ctx: Context, experiment: str):
        self.runs = ctx.runs_for(experiment)
        self.df = ctx.rows(experiment)
        self.cpu_bound = cpu_bound(self.df)
        by = ["env_label"] + PANEL + ["executor", "workers"]
        # Bootstrap intervals only where they are drawn or printed; the ratios' medians are enough elsewhere.
        with_ci = [m for m in METRICS if m in CI_METRICS]
        without = [m for m in METRICS if m not in CI_METRICS]
        self.summary = pd.concat(
            [stats.summarize(self.df, by, with_ci), stats.summarize(self.df, by, without, ci=False)],
            ignore_index=True,
        )
        # Figures and sentences look up hundreds of single points: dicts, not DataFrame filters.
        self._metric = {m: g for m, g in self.summary.groupby("metric")} if not self.summary.empty else {}
        self._points: dict = {}
        self._workers: dict = {}
        for rec in self.summary.to_dict("records"):
            panel = (rec["workload"], rec["tasks"], rec["task_size"])
            self._points[(rec["metric"], rec["env_label"], panel, rec["executor"], rec["workers"])] = rec
            if rec["metric"] == "speedup":
                for key in ((rec["env_label"], panel, rec["executor"]), (rec["env_label"], panel, None)):
                    self._workers.setdefault(key, set()).add(int(rec["workers"]))
        self.fits = self._fit()
        self._fit_index = {
            (f["env_label"], (f["workload"], f["tasks"], f["task_size"]), f["executor"]): f
            for f in self.fits.to_dict("records")
        }

    def run(self, env: str) -> Run:
        return next(r for r in self.runs if r.env_label == env)

    def metric(self, metric: str, env: str | None = None) -> pd.DataFrame:
        s = self._metric.get(metric, self.summary.iloc[0:0])
        return s[s["env_label"] == env] if env is not None else s

    def panels(self, env: str) -> list:
        keys = {k[1] for k in self._workers if k[0] == env}
        order = workload_order(k[0] for k in keys)
        return sorted(keys, key=lambda k: (order.index(k[0]), k[1], k[2]))

    def main_panel(self, env: str, workload: str) -> tuple | None:
        """The panel that best represents a workload: most worker counts, then the largest tasks."""
        panels = [p for p in self.panels(env) if p[0] == workload]
        if not panels:
            return None
        return max(panels, key=lambda p: (len(self._workers[(env, p, None)]), p[2], p[1]))

    def point(self, env: str, panel, executor: str, workers: int, metric: str = "speedup") -> dict | None:
        """One cell's summary (median, ci_low, ci_high, n, cv, noisy) as a dict, or None."""
        return self._points.get((metric, env, tuple(panel), executor, workers))

    def workers(self, env: str, panel, executor: str | None = None) -> list:
        return sorted(self._workers.get((env, tuple(panel), executor), ()))

    def series(self, env: str, panel, executor: str, metric: str = "speedup") -> tuple:
        """(workers, median, ci_low, ci_high) arrays of one executor in one panel."""
        pts = [self.point(env, panel, executor, w, metric) for w in self.workers(env, panel, executor)]
        pts = [p for p in pts if p is not None]
        cols = [[p[k] for p in pts] for k in ("workers", "median", "ci_low", "ci_high")]
        return tuple(np.asarray(c, dtype=float) for c in cols)

    def _fit(self) -> pd.DataFrame:
        rows = []
        s = self.metric("speedup")
        s = s[s["executor"] != "sequential"]
        for (env, workload, tasks, size, executor), g in s.groupby(["env_label"] + PANEL + ["executor"]):
            cores = self.run(env).cores
            bound = workload in self.cpu_bound
            n = models.model_workers(g["workers"].to_numpy(), cores, bound)
            y = g["median"].to_numpy()
            rows.append(
                {
                    "env_label": env,
                    "workload": workload,
                    "tasks": tasks,
                    "task_size": size,
                    "executor": executor,
                    "cores": cores,
                    "cpu_bound": bound,
                    "amdahl": models.fit_amdahl(n, y),
                    "usl": models.fit_usl(n, y),
                }
            )
        return pd.DataFrame(rows)

    def fit(self, env: str, panel, executor: str) -> dict | None:
        """{"amdahl": Fit or None, "usl": Fit or None, ...} of one executor in one panel, or None."""
        return self._fit_index.get((env, tuple(panel), executor))

    def thread_executor(self, env: str, panel) -> str | None:
        """Raw threads where measured, else the thread pool: where the GIL serial fraction is read."""
        for ex in ("thread", "thread_pool"):
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


def panel_title(panel) -> str:
    workload, tasks, size = panel
    return "%s: %d tasks × %s %s" % (workload, tasks, num(size), SIZE_UNITS.get(workload, "units"))


def capacity_fraction(a: Analysis, env: str, panel, executor: str, workers: int) -> float:
    p = a.point(env, panel, executor, workers, "capacity_fraction")
    return float(p["median"]) if p is not None else math.nan


def best_process(a: Analysis, env: str, panel):
    best = None
    for ex in ("process", "process_pool"):
        for w in a.workers(env, panel, ex):
            p = a.point(env, panel, ex, w)
            if p is not None and (best is None or p["median"] > best[2]["median"]):
                best = (ex, w, p)
    return best
