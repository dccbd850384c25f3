"""A parameter of an experiment: its type, range and meaning, and the one-line error of a bad value.

Standard library only: imported inside the measured interpreter.
"""

from __future__ import annotations

from experiments.schema import ParamInfo, unit_from_name


class ParamError(ValueError):
    """A parameter value that an experiment cannot take."""


class Param:
    """One parameter of an experiment: its type, its allowed range and what it means."""

    def __init__(self, kind, help="", minimum=None, maximum=None, choices=None, allow_none=False, unit=None):
        self.kind = kind
        self.help = help
        #: The unit of the value, when it has one; by default read from the name (``delay_ms``).
        self.unit = unit
        self.minimum = minimum
        self.maximum = maximum
        self.choices = tuple(choices) if choices is not None else None
        self.allow_none = allow_none

    def parse(self, name, text):
        """Turn command-line text into a checked value (``none`` where allowed)."""
        if self.allow_none and text.strip().lower() in ("none", "inf", "unbounded"):
            return None
        try:
            if self.kind is bool:
                low = text.strip().lower()
                if low not in ("0", "1", "true", "false", "yes", "no"):
                    raise ValueError(text)
                value = low in ("1", "true", "yes")
            else:
                value = self.kind(text)
        except ValueError:
            raise ParamError(
                "parameter %s=%r is not a %s%s" % (name, text, self.kind.__name__, self.range_text())
            ) from None
        return self.check(name, value)

    def check(self, name, value):
        """Return ``value`` if it is allowed, else raise ParamError naming the allowed values."""
        if value is None and self.allow_none:
            return value
        ok_type = isinstance(value, self.kind) and not (self.kind is not bool and isinstance(value, bool))
        if self.kind is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok_type = float(value), True
        if not ok_type:
            raise ParamError(
                "parameter %s=%r must be a %s%s" % (name, value, self.kind.__name__, self.range_text())
            )
        bad = (
            (self.choices is not None and value not in self.choices)
            or (self.minimum is not None and value < self.minimum)
            or (self.maximum is not None and value > self.maximum)
        )
        if bad:
            raise ParamError("parameter %s=%r is out of range%s" % (name, value, self.range_text()))
        return value

    def describe(self, name: str) -> ParamInfo:
        """This parameter as a run folder's experiments.json records it."""
        return ParamInfo(
            name=name,
            type=self.kind.__name__,
            unit=self.unit or unit_from_name(name),
            help=self.help,
            choices=self.choices,
            minimum=self.minimum,
            maximum=self.maximum,
            allow_none=self.allow_none,
        )

    def range_text(self):
        if self.choices is not None:
            return " (one of: %s)" % ", ".join(str(c) for c in self.choices)
        parts = []
        if self.minimum is not None:
            parts.append(">= %s" % self.minimum)
        if self.maximum is not None:
            parts.append("<= %s" % self.maximum)
        if self.allow_none:
            parts.append("or none")
        return " (%s)" % ", ".join(parts) if parts else ""
