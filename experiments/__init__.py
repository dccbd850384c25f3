"""gilbench's measuring side, one package per role.

* ``schema`` and ``spec`` — the contract. ``schema`` is the run folder's format (columns, statuses,
  units, environment.json and experiments.json), the one piece report/ and bench/ import; ``spec`` is
  what an experiment module declares and how the harness checks it.
* ``harness/`` — runs on the project's own interpreter: the command line, the plan of cells and
  groups, the orchestrator's interleaved rounds, the cell runner that measures a worker from outside,
  the run folder store, progress, the interpreters found and the machine's facts.
* ``inside/`` — what the harness starts inside a measured interpreter: the worker that runs one
  cell, the probe of the interpreter's facts, the try-out of a user's function.
* ``catalogue/`` — the experiments, one module each, found by discovery, and ``catalogue/toolkit/``,
  what they share (workloads, executors, queueing theory, quantiles, process-start targets).

Everything but ``harness/`` runs inside the measured interpreter, so it imports the standard library
only and runs on any CPython >= 3.9, GIL or free-threaded, with nothing installed
(tests/test_layout.py checks both). This package imports nothing: a child process started by
``spawn`` imports it on its way to ``catalogue.toolkit.start_target``.
"""
