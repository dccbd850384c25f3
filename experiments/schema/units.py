"""Units and metrics: what a column's number means, the range a physical value of it lies in, and
which way is better; the harness's own measurements declared like an experiment's metrics.

Standard library only: imported inside the measured interpreter.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from experiments.schema.format import SchemaError


@dataclass(frozen=True)
class Unit:
    """What a metric's number means, and the range a physical value of it can take."""

    symbol: str
    kind: str  # duration, rate, fraction, size, count, ratio, flag, cores, items, text
    minimum: float | None = 0.0
    maximum: float | None = None
    #: +1 when a larger value is better, -1 when smaller is, 0 when neither is clear.
    better: int = 0


UNITS = {
    "s": Unit("s", "duration", better=-1),
    "ms": Unit("ms", "duration", better=-1),
    "us": Unit("µs", "duration", better=-1),
    "ns": Unit("ns", "duration", better=-1),
    "hz": Unit("/s", "rate", better=+1),
    "mib_s": Unit("MiB/s", "rate", better=+1),
    "gib_s": Unit("GiB/s", "rate", better=+1),
    "fraction": Unit("", "fraction", 0.0, 1.0),
    "mib": Unit("MiB", "size", better=-1),
    "bytes": Unit("B", "size"),
    "count": Unit("", "count"),
    "items": Unit("items", "items"),
    "ratio": Unit("x", "ratio", better=+1),
    "flag": Unit("", "flag", 0.0, 1.0),
    "cores": Unit("cores", "cores"),
    "text": Unit("", "text", None, None),
}
#: Name endings that say a metric's unit, most specific first (``_ops_s`` is a rate, not seconds).
SUFFIX_UNITS = (
    ("_ns_per_iter", "ns"),
    ("_ops_s", "hz"),
    ("_tasks_s", "hz"),
    ("_per_s", "hz"),
    ("_mib_s", "mib_s"),
    ("_gib_s", "gib_s"),
    ("_hz", "hz"),
    ("_ns", "ns"),
    ("_us", "us"),
    ("_ms", "ms"),
    ("_s", "s"),
    ("_fraction", "fraction"),
    ("_mib", "mib"),
    ("_bytes", "bytes"),
    ("_cores", "cores"),
)


def unit_from_name(name: str) -> str | None:
    """The unit a metric or parameter name's ending declares (``latency_p99_us`` -> ``us``), or None."""
    for suffix, unit in SUFFIX_UNITS:
        if name.endswith(suffix):
            return unit
    return None


@dataclass(frozen=True)
class Metric:
    """One metric column: its unit, the range a physical value lies in, and which way is better.

    ``samples`` names the metric that counts the observations behind a quantile (p99 of 40
    samples is not p99 of 40 000), so the report can tell a tail it may judge from one it may not.
    """

    name: str
    unit: str
    minimum: float | None = None
    maximum: float | None = None
    better: int | None = None
    samples: str | None = None
    help: str = ""

    def __post_init__(self):
        if self.unit not in UNITS:
            raise SchemaError(
                "metric %s: unknown unit %r (known: %s)" % (self.name, self.unit, ", ".join(UNITS))
            )

    @property
    def low(self) -> float | None:
        return UNITS[self.unit].minimum if self.minimum is None else self.minimum

    @property
    def high(self) -> float | None:
        return UNITS[self.unit].maximum if self.maximum is None else self.maximum

    @property
    def direction(self) -> int:
        return UNITS[self.unit].better if self.better is None else self.better

    @property
    def symbol(self) -> str:
        return UNITS[self.unit].symbol

    @property
    def numeric(self) -> bool:
        return self.unit != "text"

    def problem(self, value) -> str | None:
        """Why ``value`` cannot be a measurement of this metric (None when it can)."""
        if not self.numeric or value is None:
            return None
        try:
            x = float(value)
        except (TypeError, ValueError):
            return "%r is not a number" % (value,)
        if math.isnan(x):
            return None  # missing, judged by the caller (a metric a cell does not report is empty)
        if math.isinf(x):
            return "%r is not finite" % (value,)
        if self.low is not None and x < self.low:
            return "%s is below %g, the least a %s can be" % (value, self.low, UNITS[self.unit].kind)
        if self.high is not None and x > self.high:
            return "%s is above %g, the most a %s can be" % (value, self.high, UNITS[self.unit].kind)
        return None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k != "name"}

    @classmethod
    def from_dict(cls, name: str, data: dict) -> Metric:
        known = {k: data[k] for k in ("unit", "minimum", "maximum", "better", "samples", "help") if k in data}
        return cls(name=name, **known)


def metric(name: str, unit: str | None = None, **details) -> Metric:
    """A Metric whose unit comes from its name's ending unless given."""
    unit = unit or unit_from_name(name)
    if unit is None:
        raise SchemaError(
            "metric %r has no unit: end its name with one (%s) or declare Metric(%r, unit=...)"
            % (name, ", ".join(s for s, _ in SUFFIX_UNITS[:8]), name)
        )
    return Metric(name, unit, **details)


#: The harness's own measurements and ratios, declared like an experiment's metrics.
HARNESS_METRICS = {
    m.name: m
    for m in (
        metric("wall_s"),
        metric("cpu_user_s"),
        metric("cpu_sys_s"),
        metric("cpu_util_cores"),
        # Where cpu_* came from: "cpuclock" (the kernel's exact per-process clocks) or "psutil" (ticks).
        metric("cpu_time_source", "text"),
        metric("peak_rss_mib"),
        metric("ctx_voluntary", "count", better=-1),
        metric("ctx_involuntary", "count", better=-1),
        metric("process_wall_s"),
        metric("speedup", "ratio"),
        metric("efficiency", "ratio"),
        # Speedup over the machine's capacity measured in the same round: above 1 is impossible
        # and gets flagged, but it is a measurement (of noise), not corrupt data.
        metric("capacity_fraction", "ratio"),
        Metric(
            "round_capacity",
            "ratio",
            better=0,
            help="the machine's parallel capacity at min(parallelism, cores) processes, measured in this "
            "row's round (capacity.csv, phase experiment:group); 1.0 at one worker; a probe above that "
            "process count only within its interval is read as the count",
        ),
        Metric(
            "capacity_above_cores",
            "flag",
            help="1: this round's capacity exceeded its process count (at most the usable cores) beyond "
            "its interval, a measurement error; round_capacity holds it, capacity_fraction is empty",
        ),
        Metric(
            "group_rounds", "count", help="rounds the row's comparison group had completed when it was stored"
        ),
        Metric(
            "group_precision",
            "fraction",
            maximum=math.inf,
            better=-1,
            help="half-width of the 95 % interval of the group's least precise ratio (median per-round "
            "speedup), relative to its median, over the rounds so far; empty: too few rounds",
        ),
        Metric("precision_met", "flag", better=+1, help="1: group_precision was within the run's target"),
    )
}
