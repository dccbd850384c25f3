"""Runs a plan: capacity at start, every comparison group in interleaved rounds, capacity at end."""

from __future__ import annotations

import csv
import statistics
import time

from experiments import capacity
from experiments.cell_runner import Interpreter, Outcome, run_cell
from experiments.environment import finish_environment, probe_interpreter
from experiments.plan import ExperimentPlan, Group, load_experiment, plan_experiment
from experiments.progress import Progress
from experiments.schema import SCHEMA_VERSION, Environment
from experiments.store import RunFolder

#: Interleaved rounds of the capacity measurement at each end of a run, per profile.
CAPACITY_ROUNDS = {"quick": 3, "default": 5, "full": 9}
#: A run whose capacity at N = cores moved more than this between start and end is noisy.
CAPACITY_MOVED_LIMIT = 0.15
#: Steal time above this fraction of the run's core-seconds marks a run on a contended host.
STEAL_LIMIT = 0.05
#: A 1-minute load average above this fraction of the cores at the start marks a loaded machine.
LOAD_LIMIT = 0.5
#: At the end the run's own workers add load; only more than this many times the cores is suspicious.
LOAD_END_LIMIT = 1.5


def rounds_for(plan: ExperimentPlan, done: dict) -> list:
    """(group, round) pairs still to run; a round is stored whole, so it is done or missing."""
    todo = []
    for group in plan.groups:
        for r in range(plan.profile.repeat):
            if not all(r in done.get(c.cell_id, ()) for c in group.cells):
                todo.append((group, r))
    return todo


def rotated(cells: list, r: int, rounds: int) -> list:
    """Round ``r``'s order: the group's cells rotated so that, over ``rounds`` rounds, each cell's
    position spreads across the whole round and drift within a round favours no cell."""
    step = max(1, len(cells) // max(1, rounds))
    offset = (r * step) % len(cells)
    return cells[offset:] + cells[:offset]


def capacity_plan(cores: int, rounds: int, phase: str) -> ExperimentPlan:
    return plan_experiment(load_experiment("capacity", False), capacity.profile(cores, rounds, phase))


def _utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class RunContext:
    """What every round of a run needs: where to write, what to run, how far along it is."""

    def __init__(
        self,
        plans: list,
        folder: RunFolder,
        env: Environment,
        interpreter: Interpreter,
        cores: int,
        progress: Progress,
        prefix: str = "",
    ):
        self.plans = plans
        self.folder = folder
        self.env = env
        self.interpreter = interpreter
        self.label = env.interpreter["label"]
        self.cores = cores
        self.progress = progress
        self.prefix = prefix
        config = env.config
        self.memory_cap_mib: int | None = config.get("memory_cap_mib")
        self.capacity_rounds = config.get("capacity_rounds") or CAPACITY_ROUNDS[config["profile"]]
        self.capacity: dict = {}
        self._started_groups: set = set()

    def run_one(self, plan: ExperimentPlan, cell) -> Outcome:
        """One repetition of one cell in its own worker process."""
        spec = plan.spec
        timeout_s = spec.timeout_s(cell.params, plan.profile)
        return run_cell(self.interpreter, spec.import_name, cell.params, timeout_s, self.memory_cap_mib)

    def run_round(self, plan: ExperimentPlan, group: Group, r: int, warm_up: bool) -> list:
        """Run repetition ``r`` of every cell of a group, in an order rotated by ``r``; return rows."""
        name = plan.name
        cells = rotated(group.cells, r, plan.profile.repeat)
        if warm_up:
            # One unrecorded run first: disk caches, imports and CPU clocks settle before round 0.
            self.run_one(plan, cells[0])
        results = []
        for cell in cells:
            self.progress.start(self.prefix + name, cell.cell_id, r)
            started = _utc_now()
            outcome = self.run_one(plan, cell)
            results.append((cell, started, outcome))
            self.progress.cell(self.prefix + name, cell.cell_id, r, outcome.status)
        by_id = {cell.cell_id: outcome for cell, _, outcome in results}
        base = by_id.get(group.baseline.cell_id) if group.baseline else None
        return [self._row(plan, cell, r, started, outcome, base) for cell, started, outcome in results]

    def _row(
        self, plan: ExperimentPlan, cell, r: int, started: str, outcome: Outcome, base: Outcome | None
    ) -> dict:
        spec = plan.spec
        status = outcome.status
        if status == "timeout" and spec.info.expected_hang(cell.params):
            status = "expected_timeout"  # the cell was meant to hang: the timeout is its result
        row = {
            "schema_version": SCHEMA_VERSION,
            "run_id": self.folder.run_id,
            "experiment": spec.name,
            "cell_id": cell.cell_id,
            "group_id": cell.group_id,
            "repeat": r,
            "status": status,
            "error": outcome.error.replace("\n", " ")[:500],
            "interpreter": self.label,
            "gil_enabled_start": outcome.gil_enabled_start,
            "gil_enabled_end": outcome.gil_enabled_end,
            "started_at_utc": started,
            "wall_s": outcome.wall_s,
        }
        row.update(cell.params)
        row.update(outcome.measured)
        unknown = set(outcome.metrics) - set(spec.metrics)
        if unknown and outcome.status == "ok":
            row["status"] = "error"
            row["error"] = "run_cell returned undeclared metrics: %s" % ", ".join(sorted(unknown))
        row.update({k: v for k, v in outcome.metrics.items() if k in spec.metrics})
        row.update(self._ratios(plan, cell, outcome, base))
        return row

    def _ratios(self, plan: ExperimentPlan, cell, outcome: Outcome, base: Outcome | None) -> dict:
        if base is None or base.status != "ok" or outcome.status != "ok" or not outcome.wall_s:
            return {}
        work = outcome.metrics.get("work_units", 1) / base.metrics.get("work_units", 1)
        speedup = base.wall_s / outcome.wall_s * work
        ratios = {"speedup": speedup}
        parallelism = plan.spec.parallelism
        if parallelism and cell.params.get(parallelism):
            n = cell.params[parallelism]
            ratios["efficiency"] = speedup / n
            available = self.capacity.get(min(n, self.cores))
            if plan.spec.is_capacity_bound(cell.params) and available:
                ratios["capacity_fraction"] = speedup / available
        return ratios

    def done(self, index: int) -> dict:
        return self.folder.done_repeats(self.plans[index].name)

    def run_group_round(self, index: int, group_id: str, r: int) -> None:
        """Run and store round ``r`` of one comparison group of the run's ``index``-th plan."""
        plan = self.plans[index]
        group = next(g for g in plan.groups if g.group_id == group_id)
        self.run_and_store(plan, group, r)

    def run_and_store(self, plan: ExperimentPlan, group: Group, r: int) -> None:
        key = (plan.name, group.group_id)
        if key not in self._started_groups:
            done = self.folder.done_repeats(plan.name)
            warm_up = not any(c.cell_id in done for c in group.cells)
            self._started_groups.add(key)
        else:
            warm_up = False
        rows = self.run_round(plan, group, r, warm_up)
        self.folder.append_rows(plan.spec.info, rows)

    def run_plan(self, plan: ExperimentPlan) -> None:
        for group, r in rounds_for(plan, self.folder.done_repeats(plan.name)):
            self.run_and_store(plan, group, r)

    def measure_capacity(self, phase: str, rounds: int) -> dict:
        """Capacity ratio per process count: median over rounds of rate(N) / rate(1)."""
        plan = capacity_plan(self.cores, rounds, phase)
        self.run_plan(plan)
        return read_capacity(self.folder, phase)


def _capacity_rows(folder: RunFolder, phase: str) -> list:
    path = folder.csv_path("capacity")
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return [r for r in csv.DictReader(f) if r.get("phase") == phase and r.get("status") == "ok"]


def read_capacity(folder: RunFolder, phase: str) -> dict:
    """{processes: median speedup} for one phase, from the run's capacity.csv."""
    ratios: dict = {}
    for row in _capacity_rows(folder, phase):
        if row.get("speedup"):
            ratios.setdefault(int(row["processes"]), []).append(float(row["speedup"]))
    return {n: statistics.median(v) for n, v in sorted(ratios.items())}


def read_speed(folder: RunFolder, phase: str) -> dict:
    """The machine's single-process speed in one phase: loop ns per iteration, memory copy GiB/s."""
    rows = [r for r in _capacity_rows(folder, phase) if r.get("loop_ns_per_iter")]
    if not rows:
        return {}
    return {
        "loop_ns_per_iter": statistics.median(float(r["loop_ns_per_iter"]) for r in rows),
        "memcpy_gib_s": statistics.median(float(r["memcpy_gib_s"]) for r in rows),
    }


def count_cells(plans: list, folder: RunFolder) -> int:
    total = 0
    for plan in plans:
        done = folder.done_repeats(plan.name)
        total += sum(len(g.cells) for g, _ in rounds_for(plan, done))
    return total


def execute(runs: list, cores: int, progress_stream=None) -> list:
    """Measure everything the runs still lack, then write each run's end-of-run facts.

    ``runs`` holds (plans, folder, env, interpreter), one per interpreter. Several interpreters are
    measured interleaved: round r of a comparison group runs under every interpreter, in an order
    rotated by r, before round r + 1 starts, so that a comparison between interpreters (GIL on
    against off, 3.12 against 3.13) meets the machine's drift on both sides alike.
    """
    progress = Progress(0, stream=progress_stream)
    several = len(runs) > 1
    ctxs = [
        RunContext(
            plans, folder, env, interp, cores, progress, env.interpreter["label"] + " " if several else ""
        )
        for plans, folder, env, interp in runs
    ]
    progress.total = sum(
        count_cells(c.plans, c.folder) + cores * c.capacity_rounds * (1 if c.env.capacity["start"] else 2)
        for c in ctxs
    )
    for ctx in ctxs:
        if not ctx.env.capacity["start"]:
            start = ctx.measure_capacity("start", ctx.capacity_rounds)
            ctx.env.capacity["start"] = {str(k): v for k, v in start.items()}
            ctx.env.speed = {"start": read_speed(ctx.folder, "start")}
            ctx.folder.write_environment(ctx.env)
        ctx.capacity = {int(k): v for k, v in ctx.env.capacity["start"].items()}
    for index, plan in enumerate(ctxs[0].plans):
        todo = {id(ctx): set((g.group_id, r) for g, r in rounds_for(ctx.plans[index], ctx.done(index)))
                for ctx in ctxs}  # fmt: skip
        for group in plan.groups:
            for r in range(plan.profile.repeat):
                for ctx in rotated(ctxs, r, plan.profile.repeat):
                    if (group.group_id, r) in todo[id(ctx)]:
                        ctx.run_group_round(index, group.group_id, r)
    for ctx in ctxs:
        end = ctx.measure_capacity("end", ctx.capacity_rounds)
        ctx.env.capacity["end"] = {str(k): v for k, v in end.items()}
        ctx.env.speed["end"] = read_speed(ctx.folder, "end")
        finish_environment(ctx.env, probe_interpreter(ctx.interpreter))
        assess_noise(ctx.env, cores)
        ctx.folder.write_environment(ctx.env)
    progress.close()
    return [ctx.env for ctx in ctxs]


def _seconds_between(start: str, end: str | None) -> float | None:
    if not end:
        return None
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return (time.mktime(time.strptime(end, fmt)) - time.mktime(time.strptime(start, fmt))) or None


def assess_noise(env: Environment, cores: int) -> None:
    """Flag a run whose machine changed under it or was busy when it started."""
    reasons = []
    start, end = env.capacity["start"] or {}, env.capacity["end"] or {}
    key = str(cores)
    if key in start and key in end and start[key]:
        moved = abs(end[key] - start[key]) / start[key]
        env.capacity["moved_fraction"] = moved
        if moved > CAPACITY_MOVED_LIMIT:
            reasons.append(
                "capacity at %d processes moved from %.2fx to %.2fx during the run"
                % (cores, start[key], end[key])
            )
    machine = env.machine
    steal_start, steal_end = machine.get("cpu_steal_s_start"), machine.get("cpu_steal_s_end")
    if steal_start is not None and steal_end is not None:
        wall = _seconds_between(env.created_utc, env.finished_utc)
        if wall and (steal_end - steal_start) > STEAL_LIMIT * wall * cores:
            reasons.append(
                "the hypervisor took %.1f s of CPU (steal) from this machine's %d cores during the run"
                % (steal_end - steal_start, cores)
            )
    load = machine.get("load_avg_start") or [0]
    if load[0] > LOAD_LIMIT * cores:
        reasons.append("1-minute load average was %.2f on %d cores when the run started" % (load[0], cores))
    load = machine.get("load_avg_end") or [0]
    if load[0] > LOAD_END_LIMIT * cores:
        reasons.append("1-minute load average was %.2f on %d cores when the run ended" % (load[0], cores))
    env.noisy = bool(reasons)
    env.noisy_reasons = reasons
