"""What the experiments share: ``workloads`` (units of work), ``executors`` (running tasks on threads,
pools, processes, asyncio, subinterpreters), ``queueing`` (M/M/c/K predictions), ``pacing``
(exponential gaps, sleeps corrected for overshoot), ``sampling`` (quantiles), ``user_code`` (a
user's MODULE:FUNCTION: importing and calling it) and the process-start targets ``start_target``
(imports nothing) and ``start_target_heavy``.

Standard library only: imported inside the measured interpreter. This package imports nothing (see
``start_target``).
"""
