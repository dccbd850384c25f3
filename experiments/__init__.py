"""gilbench's measuring side: experiments, workloads, the cell runner and the orchestrator.

Modules imported inside a measured interpreter (``schema``, ``spec``, ``worker``, ``probe``,
``function_probe``, ``workloads``, ``executors`` and every experiment module in ``CATALOGUE`` and
``ON_REQUEST``) use the standard library only, so they run on any CPython >= 3.9, GIL or
free-threaded, with nothing installed.
"""

#: Experiments in the order ``run`` measures them (``capacity`` is run by the harness itself).
CATALOGUE = (
    "io_vs_cpu",
    "gil_share",
    "lock_contention",
    "sync_objects",
    "deadlock",
    "queue_bursts",
    "timer_drift",
    "convoy",
    "process_overhead",
)
#: Experiments run only when asked for: ``user_function`` measures the function named by --workload.
ON_REQUEST = ("user_function",)
