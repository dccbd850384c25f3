"""One run folder as loaded: its environment's facts (labels, GIL, usable cores, capacity) and its tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from experiments.schema import Environment


class ResultsError(Exception):
    """A run folder or file the report cannot read; the message is one line naming the file and the fix."""


@dataclass
class Run:
    """One run folder: its environment, its experiments' descriptions and one DataFrame per CSV."""

    run_id: str
    path: Path
    env: Environment
    tables: dict = field(default_factory=dict)
    #: {experiment: ExperimentInfo} from experiments.json (inferred for version-1 folders).
    experiments: dict = field(default_factory=dict)

    @property
    def interpreter(self) -> dict:
        return self.env.interpreter

    @property
    def machine(self) -> dict:
        return self.env.machine

    @property
    def params(self) -> dict:
        """{experiment: its parameter columns, in declaration order}."""
        return {name: list(info.params) for name, info in self.experiments.items()}

    @property
    def interpreter_label(self) -> str:
        return str(self.interpreter.get("label"))

    @property
    def machine_label(self) -> str:
        return str(self.machine.get("label"))

    @property
    def variant(self) -> str:
        """The version of the user's code the run measured (``--variant NAME=...``), else ""."""
        return str(((self.env.config or {}).get("variant") or {}).get("name") or "")

    @property
    def env_label(self) -> str:
        """Interpreter (and variant) and machine: what a row of the scorecard stands for."""
        variant = " [%s]" % self.variant if self.variant else ""
        return "%s%s @ %s" % (self.interpreter_label, variant, self.machine_label)

    @property
    def gil(self) -> str:
        start, end = self.interpreter.get("gil_enabled_start"), self.interpreter.get("gil_enabled_end")
        if start is None:
            return "?"
        if end is not None and bool(end) != bool(start):
            # A free-threaded build turns the GIL back on when it imports an extension that needs it.
            return "on→off" if start else "off→on"
        return "on" if start else "off"

    @property
    def cores(self) -> float:
        """Cores the run could use: affinity, capped by a cgroup quota."""
        m = self.machine
        if m.get("usable_cores"):
            return float(m["usable_cores"])
        cores = len(m.get("affinity") or []) or m.get("logical_cores") or 1
        quota = m.get("cgroup_cpu_quota_cores")
        return float(min(cores, quota) if quota else cores)

    @property
    def created(self) -> str:
        return str(self.env.created_utc or "")

    @property
    def complete(self) -> bool:
        return bool(self.env.finished_utc)

    def capacity(self, phase: str = "start") -> dict:
        """{processes: capacity ratio} measured at the start or end of the run (may be empty)."""
        cap = self.env.capacity.get(phase) or {}
        out = {}
        for k, v in cap.items():
            try:
                out[int(k)] = float(v)
            except (TypeError, ValueError):
                continue
        return out
