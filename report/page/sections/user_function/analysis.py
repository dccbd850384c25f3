"""The numbers behind the user_function section: io_vs_cpu's analysis with one panel per function
(and per variant), plus what it costs per call, its failures and the break-even against process start."""

from __future__ import annotations

import math

import pandas as pd

from report.analysis.cells import Context
from report.page.sections.io_vs_cpu import analysis as io

#: The column the panels are told apart by: the function, its variant and its arguments, as one label.
LABEL = "panel_label"
METRICS = io.METRICS + ["peak_rss_mib", "task_ms", "result_bytes"]
CI_METRICS = io.CI_METRICS + ("peak_rss_mib", "task_ms")
FAILED = ("error", "timeout")


def label(row) -> str:
    """``module:function [variant] {args}``: a panel's name, every part that tells it apart."""
    text = str(row["function"])
    variant = row.get("variant")
    if isinstance(variant, str) and variant:
        text += " [%s]" % variant
    args = row.get("function_args")
    if isinstance(args, str) and args not in ("", "{}"):
        text += " " + args
    return text


class Analysis(io.Analysis):
    """io_vs_cpu's medians, intervals and fits, one panel per function × variant × arguments × tasks."""

    PANEL = [LABEL, "tasks"]
    METRICS = METRICS
    CI_METRICS = CI_METRICS

    def __init__(self, ctx: Context, experiment: str):
        super().__init__(ctx, experiment)
        self.experiment = experiment
        self._break_even = _process_overhead(ctx)

    def frame(self, df: pd.DataFrame | None) -> pd.DataFrame | None:
        if df is None or df.empty or "function" not in df:
            return df
        df = df.copy()
        df[LABEL] = [label(r) for r in df.to_dict("records")]
        return df

    def workload_order(self, names) -> list:
        """Functions in the order they were first measured (not io_vs_cpu's catalogue order)."""
        return list(dict.fromkeys(names))

    def panel_title(self, panel) -> str:
        return "%s, %d tasks" % (panel[0], panel[1])

    def functions(self, env: str | None = None) -> list:
        """Every panel label in the rows (measured or not), in order of first appearance."""
        df = self.df if env is None else self.df[self.df["env_label"] == env]
        return list(dict.fromkeys(df[LABEL])) if LABEL in df else []

    def failures(self, env: str, function: str) -> tuple:
        """(rows that failed, the commonest error) of one function on one interpreter × machine."""
        df = self.df[(self.df["env_label"] == env) & (self.df[LABEL] == function)]
        bad = df[df["status"].isin(FAILED)]
        if bad.empty:
            return 0, ""
        errors = bad["error"].fillna("").replace("", pd.NA).dropna()
        common = errors.value_counts().index[0] if len(errors) else bad["status"].iloc[0]
        return len(bad), str(common)

    def break_even_ms(self, env: str) -> float | None:
        """The task length (ms) from which a process pool beats a thread pool on this interpreter ×
        machine, from process_overhead's cells: NaN when they do not cross, None when not measured."""
        return self._break_even.get(env) if self._break_even is not None else None

    def best(self, env: str, panel, executors) -> tuple | None:
        """(executor, workers, speedup record) of the highest median speedup among ``executors``."""
        best = None
        for ex in executors:
            for w in self.workers(env, panel, ex):
                p = self.point(env, panel, ex, w)
                if (
                    p is not None
                    and math.isfinite(p["median"])
                    and (best is None or p["median"] > best[2]["median"])
                ):
                    best = (ex, w, p)
        return best


def _process_overhead(ctx: Context) -> dict | None:
    """{env: break-even task ms} of every run that measured process_overhead, or None without any."""
    if "process_overhead" not in ctx.results.experiments():
        return None
    from report.page.sections.process_overhead.analysis import Analysis as Overhead

    overhead = Overhead(ctx, "process_overhead")
    return {run.env_label: overhead.break_even(run.env_label)[0] for run in overhead.runs}
