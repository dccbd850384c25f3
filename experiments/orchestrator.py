"""Runs a plan: capacity at start, every comparison group in interleaved rounds until its ratios are
precise or its budget is spent, with the machine's capacity measured inside each CPU-bound round,
then capacity at end."""

from __future__ import annotations

import statistics
import time

from experiments import capacity
from experiments.cell_runner import Interpreter, Outcome, run_cell
from experiments.environment import calibrated, finish_environment, probe_interpreter
from experiments.plan import Cell, ExperimentPlan, Group, cell_key, load_experiment, plan_experiment
from experiments.progress import Progress
from experiments.rounds import GroupRecord, RoundPolicy, another_round, must_round, precision_columns
from experiments.schema import SCHEMA_VERSION, Environment
from experiments.spec import ExperimentSpec
from experiments.store import RunFolder

#: Rounds of the capacity probe at each end of a run, per profile (for the noise verdict).
CAPACITY_ROUNDS = {"quick": 2, "default": 3, "full": 5}
#: Length of each phase of a capacity probe, per profile: quick is a smoke test and gives no
#: intervals, so its probes are short (and flagged more often).
PROBE_REGION_MS = {"quick": 150, "default": capacity.REGION_MS, "full": capacity.REGION_MS}
#: A run whose capacity at N = cores moved more than this between start and end is noisy.
CAPACITY_MOVED_LIMIT = 0.15
#: Steal time above this fraction of the run's core-seconds marks a run on a contended host.
STEAL_LIMIT = 0.05
#: A 1-minute load average above this fraction of the cores at the start marks a loaded machine.
LOAD_LIMIT = 0.5
#: At the end the run's own workers add load; only more than this many times the cores is suspicious.
LOAD_END_LIMIT = 1.5
#: Seconds a capacity probe costs beyond its three phases (worker and process start-up), for the ETA.
PROBE_OVERHEAD_S = 0.3


def rotated(cells: list, r: int, rounds: int) -> list:
    """Round ``r``'s order: the group's cells rotated so that, over ``rounds`` rounds, each cell's
    position spreads across the whole round and drift within a round favours no cell."""
    step = max(1, len(cells) // max(1, rounds))
    offset = (r * step) % len(cells)
    return cells[offset:] + cells[:offset]


def probe_phase(plan: ExperimentPlan, group: Group) -> str:
    """The ``phase`` of the capacity probes measured inside a group's rounds: experiment:group."""
    return "%s:%s" % (plan.name, group.group_id)


def _number(text) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def load_records(folder: RunFolder, plan: ExperimentPlan) -> list:
    """One GroupRecord per group of the plan, from what the run folder already holds (--resume)."""
    records = [
        GroupRecord(tuple(c.cell_id for c in g.cells), g.baseline.cell_id if g.baseline else None)
        for g in plan.groups
    ]
    where = {c.cell_id: i for i, g in enumerate(plan.groups) for c in g.cells}
    for row in folder.rows(plan.name):
        i = where.get(row.get("cell_id"))
        repeat = _number(row.get("repeat"))
        if i is not None and repeat is not None:
            speedup, seconds = _number(row.get("speedup")), _number(row.get("process_wall_s"))
            records[i].add(int(repeat), row["cell_id"], speedup, seconds)
    if plan.name != capacity.NAME:
        phases = {probe_phase(plan, g): i for i, g in enumerate(plan.groups)}
        for row in folder.rows(capacity.NAME):
            i = phases.get(row.get("phase"))
            if i is not None:
                records[i].spent_s += _number(row.get("process_wall_s")) or 0.0
    return records


def capacity_columns(speedup: float, processes: int, probes: dict) -> dict:
    """A capacity-bound row's capacity columns, from the probes of its own round ({N: metrics}).

    N processes cannot deliver more than N times one. A probe whose whole interval (capacity_low,
    from the faster single-process phase) lies above N measured noise, not the machine: it is
    flagged and no fraction is computed from it. One above N only within its interval is read as N.
    """
    if processes <= 1:
        return {"round_capacity": 1.0, "capacity_above_cores": 0, "capacity_fraction": speedup}
    probe = probes.get(processes)
    if not probe or not probe.get("capacity"):
        return {}
    if probe["capacity_low"] > processes:
        return {"round_capacity": probe["capacity"], "capacity_above_cores": 1}
    available = min(probe["capacity"], float(processes))
    return {"round_capacity": available, "capacity_above_cores": 0, "capacity_fraction": speedup / available}


def _utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class RunContext:
    """What every round of a run needs: where to write, what to run, what is stored, how far along."""

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
        # Every worker of the run reads the calibration recorded at its start (also on --resume).
        self.interpreter = calibrated(interpreter, env.interpreter.get("calibration"))
        self.label = env.interpreter["label"]
        self.cores = cores
        self.progress = progress
        self.prefix = prefix
        config = env.config
        self.memory_cap_mib: int | None = config.get("memory_cap_mib")
        self.capacity_rounds = config.get("capacity_rounds") or CAPACITY_ROUNDS[config["profile"]]
        self.probe_region_ms = PROBE_REGION_MS[config["profile"]]
        self.capacity_spec = load_experiment(capacity.NAME, False)
        self._records: dict = {}
        self._started: set = set()

    def records(self, plan: ExperimentPlan) -> list:
        """The plan's GroupRecords, read from the run folder once, then kept up to date."""
        if id(plan) not in self._records:
            self._records[id(plan)] = (plan, load_records(self.folder, plan))
        return self._records[id(plan)][1]

    def probes(self, plan: ExperimentPlan, group: Group) -> list:
        """The capacity probes a round of this group runs: one per process count (2..cores) that its
        capacity-bound cells need, min(parallelism, cores)."""
        spec, name = plan.spec, plan.spec.parallelism
        if not name:
            return []
        counts = {
            min(c.params[name], self.cores)
            for c in group.cells
            if c.params.get(name) and spec.is_capacity_bound(c.params)
        }
        phase, cells = probe_phase(plan, group), []
        for n in sorted(counts - {1}):
            params = {"phase": phase, "processes": n, "region_ms": self.probe_region_ms}
            group_id = cell_key(self.capacity_spec, params, ["phase", "region_ms"])
            cells.append(Cell(capacity.NAME, params, cell_key(self.capacity_spec, params, params), group_id))
        return cells

    def run_one(self, spec: ExperimentSpec, profile, cell: Cell) -> Outcome:
        """One repetition of one cell in its own worker process."""
        timeout_s = spec.timeout_s(cell.params, profile)
        return run_cell(self.interpreter, spec.import_name, cell.params, timeout_s, self.memory_cap_mib)

    def spec_of(self, plan: ExperimentPlan, cell: Cell) -> ExperimentSpec:
        return self.capacity_spec if cell.experiment == capacity.NAME else plan.spec

    def run_round(self, plan: ExperimentPlan, items: list, r: int) -> list:
        """Run every cell (and capacity probe) of a round in the given order: (cell, started, outcome)."""
        results = []
        for cell in items:
            what = self.prefix + cell.experiment
            self.progress.start(what, cell.cell_id, r)
            started = _utc_now()
            outcome = self.run_one(self.spec_of(plan, cell), plan.profile, cell)
            results.append((cell, started, outcome))
            self.progress.cell(what, cell.cell_id, r, outcome.status)
        return results

    def run_and_store(self, plan: ExperimentPlan, gi: int, r: int) -> None:
        """Run round ``r`` of the plan's ``gi``-th group, derive its ratios and store it whole."""
        group, rec = plan.groups[gi], self.records(plan)[gi]
        items = rotated(group.cells + self.probes(plan, group), r, plan.profile.rotation_rounds())
        if r >= (plan.profile.rotation_rounds()):
            self.progress.total += len(items)  # a round beyond the estimate the total was made from
        if (id(plan), gi) not in self._started and not rec.rows:
            # One unrecorded run first: disk caches, imports and CPU clocks settle before round 0.
            self.run_one(plan.spec, plan.profile, group.cells[0])
        self._started.add((id(plan), gi))
        results = self.run_round(plan, items, r)
        outcomes = {cell.cell_id: outcome for cell, _, outcome in results}
        base = outcomes.get(group.baseline.cell_id) if group.baseline else None
        probes = {
            cell.params["processes"]: outcome.metrics
            for cell, _, outcome in results
            if cell.experiment == capacity.NAME and outcome.status == "ok"
        }
        rows, probe_rows = [], []
        for cell, started, outcome in results:
            spec = self.spec_of(plan, cell)
            row = self._row(spec, cell, r, started, outcome)
            if spec is plan.spec:
                row.update(self._ratios(spec, cell, outcome, base, probes))
                rows.append(row)
                rec.add(r, cell.cell_id, row.get("speedup"), row.get("process_wall_s"))
            else:
                probe_rows.append(row)
                rec.spent_s += row.get("process_wall_s") or 0.0
        columns = precision_columns(rec, plan.profile.precision)
        for row in rows:
            row.update(columns)
        if probe_rows:
            self.folder.append_rows(self.capacity_spec.info, probe_rows)
        self.folder.append_rows(plan.spec.info, rows)

    def _row(self, spec: ExperimentSpec, cell: Cell, r: int, started: str, outcome: Outcome) -> dict:
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
        return row

    def _ratios(self, spec: ExperimentSpec, cell: Cell, outcome: Outcome, base, probes: dict) -> dict:
        if base is None or base.status != "ok" or outcome.status != "ok" or not outcome.wall_s:
            return {}
        work = outcome.metrics.get("work_units", 1) / base.metrics.get("work_units", 1)
        speedup = base.wall_s / outcome.wall_s * work
        ratios = {"speedup": speedup}
        parallelism = spec.parallelism
        if parallelism and cell.params.get(parallelism):
            n = cell.params[parallelism]
            ratios["efficiency"] = speedup / n
            if spec.is_capacity_bound(cell.params):
                ratios.update(capacity_columns(speedup, min(n, self.cores), probes))
        return ratios

    def measure_capacity(self, phase: str, rounds: int) -> None:
        """Probe the capacity at the start or end of the run and record it in the environment:
        {N: median over rounds of rate(N) / rate(1)}, the probes flagged above their process count,
        and the machine's single-process speed."""
        plan = plan_experiment(
            self.capacity_spec, capacity.profile(self.cores, rounds, phase, self.probe_region_ms)
        )
        if phase == "end":
            self._started.update((id(plan), gi) for gi in range(len(plan.groups)))  # warm by now
        run_plan([self], [plan])
        measured, flagged = read_capacity(self.folder, phase)
        self.env.capacity[phase] = {str(k): v for k, v in measured.items()}
        self.env.capacity.setdefault("flagged_above_cores", {})[phase] = flagged
        self.env.speed[phase] = read_speed(self.folder, phase)

    def remaining_cells(self) -> int:
        """Cell runs still to come if every group stops at its fixed or minimum rounds."""
        total = 0
        for plan in self.plans:
            planned = plan.profile.rotation_rounds()
            for group, rec in zip(plan.groups, self.records(plan)):
                todo = max(0, planned - len(rec.complete()))
                total += todo * (len(group.cells) + len(self.probes(plan, group)))
        return total

    def remaining_budget_s(self) -> float | None:
        """Seconds of budget the run's experiments have left (None when one has fixed rounds)."""
        if not all(p.profile.adaptive for p in self.plans):
            return None
        spent = sum(rec.spent_s for p in self.plans for rec in self.records(p))
        return max(0.0, sum(p.profile.budget_s for p in self.plans) - spent)


def _wants(ctxs: list, plans: list, gi: int) -> list:
    return [RoundPolicy.of(p.profile).wants(ctx.records(p), gi) for ctx, p in zip(ctxs, plans)]


def run_round(ctxs: list, plans: list, gi: int) -> None:
    """The next round of group ``gi`` of ``plans`` (one plan per interpreter's context), under every
    interpreter that lacks it, in an order rotated by the round: round r runs under all of them
    before round r + 1, so a comparison between interpreters meets the machine's drift alike."""
    rounds = [ctx.records(p)[gi] for ctx, p in zip(ctxs, plans)]
    r = min(rec.next_round() for rec in rounds)
    for k in rotated(list(range(len(ctxs))), r, plans[0].profile.rotation_rounds()):
        if r not in rounds[k].complete():
            ctxs[k].run_and_store(plans[k], gi, r)


def run_plan(ctxs: list, plans: list) -> None:
    """Every group of an experiment to its fixed or minimum rounds, group by group; then, while the
    budget lasts, one more round at a time for the group that wants one and has the fewest rounds.

    Every decision is taken afresh from what is stored, so a resumed run continues where it stopped.
    """
    for gi in range(len(plans[0].groups)):
        while must_round(_wants(ctxs, plans, gi)):
            run_round(ctxs, plans, gi)
    while True:
        wanted = [
            (min(ctx.records(p)[gi].next_round() for ctx, p in zip(ctxs, plans)), gi)
            for gi in range(len(plans[0].groups))
            if another_round(_wants(ctxs, plans, gi))
        ]
        if not wanted:
            return
        run_round(ctxs, plans, min(wanted)[1])


def read_capacity(folder: RunFolder, phase: str) -> tuple:
    """({processes: median capacity}, probes flagged) for one phase, from the run's capacity.csv.

    1 process is 1.0 by definition. As inside a round, a probe whose whole interval lies above its
    process count is a measurement error, left out and counted; one above it only within its
    interval counts as the process count.
    """
    ratios: dict = {1: [1.0]}
    flagged = 0
    for row in _capacity_rows(folder, phase):
        n, cap, low = int(row["processes"]), _number(row.get("capacity")), _number(row.get("capacity_low"))
        if cap is None:
            continue
        if low is not None and low > n:
            flagged += 1
            continue
        ratios.setdefault(n, []).append(min(cap, float(n)))
    return {n: statistics.median(v) for n, v in sorted(ratios.items())}, flagged


def _capacity_rows(folder: RunFolder, phase: str) -> list:
    return [r for r in folder.rows(capacity.NAME) if r.get("phase") == phase and r.get("status") == "ok"]


def read_speed(folder: RunFolder, phase: str) -> dict:
    """The machine's single-process speed in one phase: loop ns per iteration, memory copy GiB/s."""
    rows = _capacity_rows(folder, phase)
    speed = {}
    for key in ("loop_ns_per_iter", "memcpy_gib_s"):
        values = [float(r[key]) for r in rows if _number(r.get(key)) is not None]
        if values:
            speed[key] = statistics.median(values)
    return speed


def _capacity_probe_s(ctx: RunContext) -> tuple:
    """(cells, seconds) of the start (if still missing) and end capacity probes."""
    phases = 1 if ctx.env.capacity["start"] else 2
    cells = phases * ctx.capacity_rounds * max(1, ctx.cores - 1)
    return cells, cells * (3 * ctx.probe_region_ms / 1000.0 + PROBE_OVERHEAD_S)


def execute(runs: list, cores: int, progress_stream=None) -> list:
    """Measure everything the runs still lack, then write each run's end-of-run facts.

    ``runs`` holds (plans, folder, env, interpreter), one per interpreter. Several interpreters are
    measured interleaved, round by round (see run_round).
    """
    progress = Progress(0, stream=progress_stream)
    several = len(runs) > 1
    ctxs = [
        RunContext(
            plans, folder, env, interp, cores, progress, env.interpreter["label"] + " " if several else ""
        )
        for plans, folder, env, interp in runs
    ]
    progress.total = sum(c.remaining_cells() + _capacity_probe_s(c)[0] for c in ctxs)
    budgets = [c.remaining_budget_s() for c in ctxs]
    if all(b is not None for b in budgets):
        # The ETA counts down the budgets rather than extrapolating cells whose count is not known.
        progress.expected_s = sum(budgets) + sum(_capacity_probe_s(c)[1] for c in ctxs)
    for ctx in ctxs:
        if not ctx.env.capacity["start"]:
            ctx.measure_capacity("start", ctx.capacity_rounds)
            ctx.folder.write_environment(ctx.env)
    for index in range(len(ctxs[0].plans)):
        run_plan(ctxs, [ctx.plans[index] for ctx in ctxs])
    for ctx in ctxs:
        ctx.measure_capacity("end", ctx.capacity_rounds)
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
