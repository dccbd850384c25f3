"""What the harness runs inside a measured interpreter, each as ``python -m experiments.inside.X``.

``worker`` runs one repetition of one cell and reports over a pipe; ``probe`` prints what the
interpreter says about itself (and, with ``--calibrate``, what experiments' ``calibrate()`` measure);
``function_probe`` tries a user's ``--workload`` function once. Standard library only, CPython >= 3.9.
"""
