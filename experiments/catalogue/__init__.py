"""The experiments: every module in this folder is one (``toolkit/`` holds what they share).

An experiment's name is its module's name; ``experiments.harness.registry`` finds the modules here,
and ``run`` measures them in the order below. A module not listed runs after these, in alphabetical
order, so a new experiment needs only its own file; list it here to place it (tests/test_layout.py
checks that every module of the project's own catalogue is listed and every name listed exists).

Which experiments ``run`` measures is the module's to say (experiments/spec): ``ON_REQUEST = True``
runs only when asked for (``user_function``: with --workload), ``RUN_BY_HARNESS = True`` is the
machine's capacity probe the harness runs itself at the start and end of every run and inside
CPU-bound rounds (``capacity``).

Standard library only: every module here is imported inside the measured interpreter. This package
imports nothing (see ``toolkit/start_target``).
"""

#: The order ``run`` measures the catalogue in.
ORDER = (
    "io_vs_cpu",
    "gil_share",
    "lock_contention",
    "sync_objects",
    "deadlock",
    "queue_bursts",
    "timer_drift",
    "convoy",
    "process_overhead",
    "user_function",
    "capacity",
)
