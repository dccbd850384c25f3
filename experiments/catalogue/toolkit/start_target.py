"""A process-start target that imports nothing, so a child pays only for its interpreter and multiprocessing.

Standard library only, and deliberately empty: the packages ``experiments``, ``experiments.catalogue``
and ``experiments.catalogue.toolkit`` (none of which imports anything) and this module are all that a
child under ``spawn`` or ``forkserver`` imports to find ``noop``.
"""


def noop():
    """What a started worker runs: nothing, so start + join is all that is timed."""
