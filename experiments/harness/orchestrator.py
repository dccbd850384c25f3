"""Runs a plan: capacity at start, every comparison group in interleaved rounds until its ratios are
precise or its budget is spent, with the machine's capacity measured inside each CPU-bound round,
then capacity at end."""

from __future__ import annotations

import time

from experiments.harness.capacity import (
    CAPACITY_ROUNDS,
    PROBE_REGION_MS,
    assess_noise,
    capacity_columns,
    number,
    probe_profile,
    read_capacity,
    read_speed,
)
from experiments.harness.cell_runner import Interpreter, Outcome, run_cell
from experiments.harness.environment import calibrated, finish_environment, probe_interpreter
from experiments.harness.plan import Cell, ExperimentPlan, Group, cell_key, plan_experiment
from experiments.harness.progress import Progress
from experiments.harness.registry import capacity_probe
from experiments.harness.rounds import GroupRecord, RoundPolicy, another_round, must_round, precision_columns
from experiments.harness.store import RunFolder
from experiments.schema import SCHEMA_VERSION, Environment
from experiments.spec import ExperimentSpec

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


def load_records(folder: RunFolder, plan: ExperimentPlan) -> list:
    """One GroupRecord per group of the plan, from what the run folder already holds (--resume)."""
    records = [
        GroupRecord(tuple(c.cell_id for c in g.cells), g.baseline.cell_id if g.baseline else None)
        for g in plan.groups
    ]
    where = {c.cell_id: i for i, g in enumerate(plan.groups) for c in g.cells}
    for row in folder.rows(plan.name):
        i = where.get(row.get("cell_id"))
        repeat = number(row.get("repeat"))
        if i is not None and repeat is not None:
            speedup, seconds = number(row.get("speedup")), number(row.get("process_wall_s"))
            records[i].add(int(repeat), row["cell_id"], speedup, seconds)
    probe = capacity_probe().name
    if plan.name != probe:
        phases = {probe_phase(plan, g): i for i, g in enumerate(plan.groups)}
        for row in folder.rows(probe):
            i = phases.get(row.get("phase"))
            if i is not None:
                records[i].spent_s += number(row.get("process_wall_s")) or 0.0
    return records


def _status(spec: ExperimentSpec, cell: Cell, outcome: Outcome) -> str:
    """The status stored for an outcome: a timeout of a cell meant to hang is its result."""
    if outcome.status == "timeout" and spec.info.expected_hang(cell.params):
        return "expected_timeout"
    return outcome.status


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
        #: The version of the user's code this run measures (--variant), "" without variants.
        self.variant = (env.config.get("variant") or {}).get("name") or ""
        self.cores = cores
        self.progress = progress
        self.prefix = prefix
        config = env.config
        self.memory_cap_mib: int | None = config.get("memory_cap_mib")
        self.capacity_rounds = config.get("capacity_rounds") or CAPACITY_ROUNDS[config["profile"]]
        self.probe_region_ms = PROBE_REGION_MS[config["profile"]]
        self.capacity_spec = capacity_probe()
        self._records: dict = {}
        self._started: set = set()
        #: {(plan id, cell_id): (round, error)} of cells that hung unexpectedly: not run again.
        self._hung: dict = {}

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
            cells.append(
                Cell(self.capacity_spec.name, params, cell_key(self.capacity_spec, params, params), group_id)
            )
        return cells

    def run_one(self, spec: ExperimentSpec, profile, cell: Cell) -> Outcome:
        """One repetition of one cell in its own worker process."""
        timeout_s = spec.timeout_s(cell.params, profile)
        return run_cell(self.interpreter, spec.import_name, cell.params, timeout_s, self.memory_cap_mib)

    def spec_of(self, plan: ExperimentPlan, cell: Cell) -> ExperimentSpec:
        return self.capacity_spec if cell.experiment == self.capacity_spec.name else plan.spec

    def run_item(self, plan: ExperimentPlan, cell: Cell, r: int, known: dict) -> tuple:
        """Run one cell (or capacity probe) of round ``r``: (cell, started, outcome). A cell in
        ``known`` ({cell_id: (started, outcome)}) is not run again: that is its outcome."""
        what = self.prefix + cell.experiment
        self.progress.start(what, cell.cell_id, r)
        if cell.cell_id in known:
            started, outcome = known[cell.cell_id]
        else:
            started = _utc_now()
            outcome = self.run_one(self.spec_of(plan, cell), plan.profile, cell)
        self.progress.cell(what, cell.cell_id, r, _status(self.spec_of(plan, cell), cell, outcome))
        return cell, started, outcome

    def prepare_round(self, plan: ExperimentPlan, gi: int, r: int) -> tuple:
        """Round ``r`` of the plan's ``gi``-th group: its cells and capacity probes in the order to run
        them, and the outcomes already known ({cell_id: (started, outcome)}: a warm-up that failed or
        hung, a cell that hung in an earlier round)."""
        group, rec = plan.groups[gi], self.records(plan)[gi]
        items = rotated(group.cells + self.probes(plan, group), r, plan.profile.rotation_rounds())
        if r >= (plan.profile.rotation_rounds()):
            self.progress.total += len(items)  # a round beyond the estimate the total was made from
        known = {}
        if (id(plan), gi) not in self._started and not rec.rows:
            # One unrecorded run first: disk caches, imports and CPU clocks settle before round 0.
            started = _utc_now()
            warm = self.run_one(plan.spec, plan.profile, group.cells[0])
            if warm.status in ("error", "timeout"):
                # A cell that failed or hung here would only fail or hang again: its result stands.
                known[group.cells[0].cell_id] = (started, warm)
        self._started.add((id(plan), gi))
        for cell in group.cells:
            if (id(plan), cell.cell_id) in self._hung:
                # A hang costs the cell's limit each time: one is enough to know it.
                first, error = self._hung[(id(plan), cell.cell_id)]
                skipped = Outcome("skipped", "not run again: it timed out in round %d (%s)" % (first, error))
                known[cell.cell_id] = (_utc_now(), skipped)
        return items, known

    def store_round(self, plan: ExperimentPlan, gi: int, r: int, results: list) -> None:
        """Derive round ``r``'s ratios from its results ((cell, started, outcome) in the order run) and
        store the round whole."""
        group, rec = plan.groups[gi], self.records(plan)[gi]
        for cell, _, outcome in results:
            if cell.experiment == plan.name and _status(plan.spec, cell, outcome) == "timeout":
                self._hung.setdefault((id(plan), cell.cell_id), (r, outcome.error))
        outcomes = {cell.cell_id: outcome for cell, _, outcome in results}
        base = outcomes.get(group.baseline.cell_id) if group.baseline else None
        probes = {
            cell.params["processes"]: outcome.metrics
            for cell, _, outcome in results
            if cell.experiment == self.capacity_spec.name and outcome.status == "ok"
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
        status = _status(spec, cell, outcome)
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
            "variant": self.variant,
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
            self.capacity_spec, probe_profile(self.cores, rounds, phase, self.probe_region_ms)
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
    interpreter that lacks it: round r runs under all of them before round r + 1, and inside the
    round cell by cell, each cell under every interpreter one after the other (their order rotated
    by the round and by the cell) before the next cell. A cell and its counterpart under another
    interpreter or variant are measured a cell's time apart, not a whole round's, so the machine's
    speed, which moves within seconds here, meets them alike; each run stores its round whole."""
    rounds = [ctx.records(p)[gi] for ctx, p in zip(ctxs, plans)]
    r = min(rec.next_round() for rec in rounds)
    order = rotated(list(range(len(ctxs))), r, plans[0].profile.rotation_rounds())
    todo = [k for k in order if r not in rounds[k].complete()]
    prepared = {k: ctxs[k].prepare_round(plans[k], gi, r) for k in todo}
    results = {k: [] for k in todo}
    for i in range(max((len(items) for items, _ in prepared.values()), default=0)):
        for k in rotated(todo, i, len(todo)):  # who goes first moves on by one each cell
            items, known = prepared[k]
            if i < len(items):
                results[k].append(ctxs[k].run_item(plans[k], items[i], r, known))
    for k in todo:
        ctxs[k].store_round(plans[k], gi, r, results[k])


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


def _capacity_probe_s(ctx: RunContext) -> tuple:
    """(cells, seconds) of the start (if still missing) and end capacity probes."""
    phases = 1 if ctx.env.capacity["start"] else 2
    cells = phases * ctx.capacity_rounds * max(1, ctx.cores - 1)
    return cells, cells * (3 * ctx.probe_region_ms / 1000.0 + PROBE_OVERHEAD_S)


def _prefix(env: Environment) -> str:
    """What a progress line starts with when several runs are measured: interpreter [and variant]."""
    variant = (env.config.get("variant") or {}).get("name")
    return env.interpreter["label"] + (" [%s]" % variant if variant else "") + " "


def execute(runs: list, cores: int, progress_stream=None) -> list:
    """Measure everything the runs still lack, then write each run's end-of-run facts.

    ``runs`` holds (plans, folder, env, interpreter), one per interpreter. Several interpreters are
    measured interleaved, round by round (see run_round).
    """
    progress = Progress(0, stream=progress_stream)
    several = len(runs) > 1
    ctxs = [
        RunContext(plans, folder, env, interp, cores, progress, _prefix(env) if several else "")
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
