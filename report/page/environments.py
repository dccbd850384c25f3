"""The environments side by side, with a warning wherever two runs differ in something that moves results."""

from __future__ import annotations

from report.analysis.load import Results, Run
from report.page.formatting import DASH, num, ratio
from report.page.html import Markup, join, paragraph, table, tag


def _get(d: dict, dotted: str):
    for key in dotted.split("."):
        d = d.get(key) if isinstance(d, dict) else None
    return d


def _text(value) -> str:
    if value is None or value == "":
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return num(value, 4)
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join("%s=%s" % (k, _text(v)) for k, v in value.items())
    return str(value)


def _capacity(run: Run, phase: str) -> str:
    cap = run.capacity(phase)
    return ", ".join("%d: %s" % (n, ratio(v)) for n, v in sorted(cap.items())) if cap else DASH


def _load(values) -> str:
    return ", ".join("%.2f" % v for v in values) if values else DASH


def _memory(run: Run) -> str:
    b = run.machine.get("memory_total_bytes")
    return "%.1f GiB" % (b / 2**30) if isinstance(b, (int, float)) else DASH


def _speed(run: Run, phase: str) -> str:
    speed = run.env.speed.get(phase) or {}
    if not speed:
        return DASH
    return "%.1f ns/iteration, %.2f GiB/s copy" % (
        speed.get("loop_ns_per_iter", 0),
        speed.get("memcpy_gib_s", 0),
    )


#: (row title, how to read it from a run); the ones that change results come first after the ids.
FIELDS = (
    ("started (UTC)", lambda r: r.created),
    ("finished (UTC)", lambda r: r.env.finished_utc or "incomplete"),
    ("profile", lambda r: r.env.config.get("profile")),
    (
        "gilbench",
        lambda r: "%s (%s)" % (_text(r.env.tool.get("version")), _text(r.env.tool.get("git_commit"))),
    ),
    ("interpreter", lambda r: r.interpreter_label),
    ("version", lambda r: r.interpreter.get("version")),
    ("implementation", lambda r: r.interpreter.get("implementation")),
    ("free-threaded build", lambda r: r.interpreter.get("free_threaded_build")),
    ("GIL (start → end)", lambda r: r.gil),
    ("PYTHON_GIL", lambda r: r.interpreter.get("python_gil_env")),
    ("switch interval (s)", lambda r: r.interpreter.get("switch_interval_s")),
    ("start method", lambda r: r.interpreter.get("start_method")),
    ("executable", lambda r: r.interpreter.get("executable")),
    ("machine", lambda r: r.machine_label),
    ("host name", lambda r: r.machine.get("hostname")),
    ("CPU model", lambda r: r.machine.get("cpu_model")),
    (
        "physical / logical cores",
        lambda r: "%s / %s" % (_text(r.machine.get("physical_cores")), _text(r.machine.get("logical_cores"))),
    ),
    ("CPU affinity", lambda r: r.machine.get("affinity")),
    ("cgroup CPU quota (cores)", lambda r: r.machine.get("cgroup_cpu_quota_cores") or "none"),
    ("usable cores", lambda r: "%g" % r.cores),
    ("memory", _memory),
    ("OS", lambda r: r.machine.get("os")),
    ("kernel", lambda r: r.machine.get("kernel")),
    ("load average at start (1, 5, 15 min)", lambda r: _load(r.machine.get("load_avg_start"))),
    ("load average at end", lambda r: _load(r.machine.get("load_avg_end"))),
    ("timer slack (ns)", lambda r: r.interpreter.get("timer_slack_ns", r.machine.get("timer_slack_ns"))),
    ("perf_counter resolution (s)", lambda r: _get(r.interpreter, "clock_resolution_s.perf_counter")),
    ("machine fingerprint", lambda r: r.machine.get("fingerprint")),
    ("single-process speed at start", lambda r: _speed(r, "start")),
    ("single-process speed at end", lambda r: _speed(r, "end")),
    ("capacity at start", lambda r: _capacity(r, "start")),
    ("capacity at end", lambda r: _capacity(r, "end")),
    ("noisy", lambda r: "; ".join(r.env.noisy_reasons) or r.env.noisy),
)


def differences(base: Run, other: Run) -> list:
    """What differs between two runs' machines in a way that changes results, one sentence each."""
    out = []
    if base.cores != other.cores:
        out.append(
            "usable cores differ: %g (%s) vs %g (%s)" % (base.cores, base.run_id, other.cores, other.run_id)
        )
    for key, what in (
        ("cpu_model", "CPU model"),
        ("cgroup_cpu_quota_cores", "cgroup CPU quota"),
        ("logical_cores", "logical cores"),
    ):
        a, b = base.machine.get(key), other.machine.get(key)
        if a != b:
            out.append(
                "%s differs: %s (%s) vs %s (%s)" % (what, _text(a), base.run_id, _text(b), other.run_id)
            )
    return out


def load_warnings(results: Results) -> list:
    """The harness's reasons for calling a run noisy that concern the machine's load."""
    return ["%s: %s" % (run.run_id, r) for run in results.runs for r in run.env.noisy_reasons if "load" in r]


def render(results: Results) -> Markup:
    runs = results.runs
    rows, classes = [], []
    for title, read in FIELDS:
        values = [_text(read(r)) for r in runs]
        rows.append([title] + values)
        classes.append(
            "differs" if len(set(values)) > 1 and title not in ("started (UTC)", "finished (UTC)") else None
        )
    warnings = []
    for other in runs[1:]:
        warnings.extend(differences(runs[0], other))
    warnings.extend(load_warnings(results))
    parts = []
    if warnings:
        parts.append(
            tag(
                "div",
                join(
                    [
                        tag("strong", "Differences that change results: "),
                        tag("ul", join(tag("li", w) for w in dict.fromkeys(warnings))),
                    ]
                ),
                class_="warn",
            )
        )
    parts.append(table(["", *[r.run_id for r in runs]], rows, row_classes=classes))
    parts.append(paragraph("Highlighted rows differ between runs.", "muted"))
    return join(parts)
