"""The numbers behind the gil_share section: speedup curves along gil_share, and where they cross."""

from __future__ import annotations

import math

from report.analysis.cells import CellAnalysis, Context

METRICS = ["speedup", "task_ms", "python_time_fraction", "cpu_util_cores", "wall_s"]
#: Thread-like and process-like executors raced against each other, in the order they are paired.
THREADS = ("thread_pool", "thread", "asyncio")
PROCESSES = ("process_pool", "process", "interpreter_pool")


class Analysis(CellAnalysis):
    """gil_share cells: the executors raced, their speedup along gil_share, where processes overtake."""

    def __init__(self, ctx: Context, experiment: str):
        super().__init__(ctx, experiment, METRICS)

    def executors(self, env: str) -> list:
        found = {r["executor"] for r in self.s.select("speedup", env_label=env)}
        return [e for e in THREADS + PROCESSES if e in found]

    def curve(self, env: str, executor: str) -> list:
        """Speedup records along gil_share, every other parameter at its usual value."""
        return self.sweep("speedup", env, "gil_share", executor=executor)

    def pair(self, env: str) -> tuple:
        """(thread executor, process executor) raced in this run, or Nones."""
        present = self.executors(env)
        threads = [e for e in THREADS if e in present]
        procs = [e for e in PROCESSES if e in present]
        return (threads[0] if threads else None), (procs[0] if procs else None)

    def turnover(self, env: str) -> float:
        """The gil_share where the process executor's median speedup first overtakes the thread
        executor's (linear between measured points); NaN when it never does or always has."""
        thread, proc = self.pair(env)
        if not thread or not proc:
            return math.nan
        t = {r["gil_share"]: r["median"] for r in self.curve(env, thread)}
        p = {r["gil_share"]: r["median"] for r in self.curve(env, proc)}
        shares = sorted(set(t) & set(p))
        gaps = [(s, t[s] - p[s]) for s in shares]
        for (s0, g0), (s1, g1) in zip(gaps, gaps[1:]):
            if g0 >= 0 > g1:
                return s0 + (s1 - s0) * g0 / (g0 - g1)
        return math.nan
