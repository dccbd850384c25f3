"""A profile: how much of an experiment's grid runs, and for how many rounds; the fallbacks of
``quick`` and ``full`` for an experiment that declares only ``default``.

Standard library only: imported inside the measured interpreter.
"""

from __future__ import annotations

import itertools

#: Rounds an exact 95 % interval of a median needs: with 5, even [min, max] covers only 94 %.
INTERVAL_ROUNDS = 6
#: Rounds every group of an adaptive profile runs however small its budget.
MIN_ROUNDS = 3
#: The default precision target: each ratio's 95 % interval within +-5 % of its median.
PRECISION = 0.05
#: The profiles a run can ask for: ``default`` is required of an experiment, the others optional.
PROFILE_NAMES = ("quick", "default", "full")
#: The fixed rounds of ``quick`` when an experiment declares none: a smoke test, as quick profiles are.
QUICK_ROUNDS = 3


class Profile:
    """How much of an experiment's grid a profile runs, and for how many rounds.

    ``grid`` is a list of dicts mapping parameter names to lists of values; each dict
    is expanded as a Cartesian product and the union of all of them is the profile's
    set of cells.  ``timeout_s`` is the wall-clock limit of one cell's worker process.

    Rounds are fixed (``repeat``) or, when ``budget_s`` (seconds for the whole experiment) is
    given, adaptive: every comparison group runs ``min_rounds``; then, while the budget lasts,
    groups get more rounds until they have the INTERVAL_ROUNDS a 95 % interval needs and the
    interval of each of their ratios is within +-``precision`` of its median, or ``max_rounds``.
    """

    def __init__(
        self,
        grid,
        repeat=5,
        timeout_s=60.0,
        budget_s=None,
        precision=PRECISION,
        min_rounds=MIN_ROUNDS,
        max_rounds=40,
    ):
        self.grid = grid
        self.repeat = repeat
        self.timeout_s = timeout_s
        self.budget_s = budget_s
        self.precision = precision
        self.min_rounds = min_rounds
        self.max_rounds = max(max_rounds, min_rounds)

    @property
    def adaptive(self):
        return self.budget_s is not None

    def replace(self, **changes):
        """A copy with some settings changed (``grid``, ``repeat``, ``budget_s``, ...)."""
        settings = dict(
            grid=self.grid,
            repeat=self.repeat,
            timeout_s=self.timeout_s,
            budget_s=self.budget_s,
            precision=self.precision,
            min_rounds=self.min_rounds,
            max_rounds=self.max_rounds,
        )
        settings.update(changes)
        return Profile(**settings)

    def rounds_text(self):
        """The rounds rule in a few words, for listings."""
        if not self.adaptive:
            return "%d rounds" % self.repeat
        return "%d-%d rounds to +-%g %% in %g s" % (
            self.min_rounds,
            self.max_rounds,
            self.precision * 100,
            self.budget_s,
        )

    def rotation_rounds(self):
        """Rounds over which a group's cell order is rotated through every position."""
        return INTERVAL_ROUNDS if self.adaptive else self.repeat

    def points(self):
        """Every parameter point of the grid, in declaration order, without duplicates."""
        seen = set()
        for block in self.grid:
            names = list(block)
            for values in itertools.product(*(block[n] for n in names)):
                point = dict(zip(names, values))
                key = tuple(sorted(point.items(), key=lambda kv: kv[0]))
                if key not in seen:
                    seen.add(key)
                    yield point


def resolve_profiles(declared: dict) -> dict:
    """Every profile of PROFILE_NAMES from an experiment's PROFILES, which must hold ``default``.

    A missing ``quick`` is the default grid in QUICK_ROUNDS fixed rounds (a smoke test, no 95 %
    intervals); a missing ``full`` is the default profile as it is. ValueError names what is wrong.
    """
    for name, profile in declared.items():
        if name not in PROFILE_NAMES or not isinstance(profile, Profile):
            raise ValueError(
                "PROFILES[%r] must be a Profile for one of %s" % (name, ", ".join(PROFILE_NAMES))
            )
    default = declared.get("default")
    if default is None:
        raise ValueError("PROFILES lacks a Profile for default (quick and full fall back to it)")
    quick = default.replace(repeat=QUICK_ROUNDS, budget_s=None)
    return {"quick": declared.get("quick", quick), "default": default, "full": declared.get("full", default)}
