"""The harness: what runs on the project's own interpreter and drives the measured ones.

``cli`` (``run | list | interpreters``; ``gilbench`` adds ``report | advise``; argument errors in one
line by ``experiments.schema.command_line``, shared with report/ and bench/) → ``plan`` (cells and
comparison groups from a profile; ``registry`` finds the experiments in ``experiments/catalogue/``) →
``orchestrator`` (interleaved rounds, adaptive until precise, with the capacity probe measured inside
CPU-bound rounds) → ``cell_runner`` (one repetition in a fresh worker process, measured from outside with
``cputime``) → ``store`` (the run folder, appended round by round). Beside them: ``rounds`` (when a group
has enough rounds), ``capacity`` (reading the probes and judging a run's noise), ``progress``,
``environment`` (the interpreter's and machine's facts), ``interpreters`` (Pythons on PATH, pyenv and uv)
and ``workload_check`` (a user's --workload tried before anything is measured).

It may use anything installed in the project's environment (psutil); nothing in it runs inside a measured
interpreter.
"""
