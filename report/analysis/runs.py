"""Which runs pair up: measured in one invocation (round by round), on one machine, and how fast the
machine ran at each run's start and end."""

from __future__ import annotations

from typing import TYPE_CHECKING

from report.analysis.run_folder import ResultsError

if TYPE_CHECKING:
    from report.analysis.load import Results, Run


def interleaved(base: Run, other: Run) -> bool:
    """Whether two runs were measured in one invocation (round r of every group under both before
    round r + 1), told by a shared ``config.invocation_id``; runs without one count as separate."""
    a = (base.env.config or {}).get("invocation_id")
    b = (other.env.config or {}).get("invocation_id")
    return bool(a) and a == b


def run_speeds(run: Run) -> list:
    """The machine's single-process speed (loop ns per iteration) at the start and end of a run."""
    speed = run.env.speed or {}
    out = []
    for phase in ("start", "end"):
        value = (speed.get(phase) or {}).get("loop_ns_per_iter")
        if isinstance(value, (int, float)) and value > 0:
            out.append(float(value))
    return out


def same_machine(a: Run, b: Run) -> bool:
    fa, fb = a.machine.get("fingerprint"), b.machine.get("fingerprint")
    return a.machine_label == b.machine_label and (fa == fb or fa is None or fb is None)


def loop_ns(run: Run) -> float | None:
    """The machine's single-process speed at the start of a run: pure-Python loop ns per iteration."""
    value = ((run.env.speed or {}).get("start") or {}).get("loop_ns_per_iter")
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


def variant_gate(results: Results, name: str | None) -> list:
    """For runs of ``--variant``: one (baseline run id, the run ids it gates) per interpreter of the
    newest invocation that measured variants, in the order the interpreters ran. Each interpreter's
    variants are gated against its own baseline, variant ``name``, else the first variant given, so
    no variant is compared with another interpreter's. [] when no run was measured with variants."""
    measured = [r for r in results.runs if r.variant]
    if not measured:
        if name:
            raise ResultsError(
                "--baseline-variant %s: none of the runs loaded was measured with --variant" % name
            )
        return []
    newest = (measured[-1].env.config or {}).get("invocation_id")
    runs = [r for r in measured if (r.env.config or {}).get("invocation_id") == newest]
    order = (runs[0].env.config or {}).get("variants") or [r.variant for r in runs]
    wanted = name or order[0]
    pairs = []
    for label in dict.fromkeys(r.interpreter_label for r in runs):
        mine = [r for r in runs if r.interpreter_label == label]
        base = [r for r in mine if r.variant == wanted]
        if not base:
            raise ResultsError(
                "no variant %r under %s in run %s; its variants are %s"
                % (wanted, label, mine[0].run_id.rsplit("-", 1)[0], ", ".join(r.variant for r in mine))
            )
        pairs.append((base[0].run_id, [r.run_id for r in mine]))
    return pairs


def machine_speed_factor(base: Run, other: Run) -> float | None:
    """How many times slower the other run's machine runs a fixed loop; None on the same machine."""
    if same_machine(base, other):
        return None
    a, b = loop_ns(base), loop_ns(other)
    return b / a if a and b else None
