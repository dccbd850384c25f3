"""The ``gilbench`` command: one front door to both sides of the project.

``gilbench run | list | interpreters`` is ``python -m experiments`` (the measuring side);
``gilbench report`` is ``python -m report`` and ``gilbench advise`` is ``python -m report advise`` (the
reading side). It lives beside experiments/ and report/ rather than in either, so that the measuring
side still imports nothing from the reading side.
"""

from __future__ import annotations

import os
import sys

USAGE = "usage: gilbench {run,list,interpreters,report,advise} ..."


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv else None
    if command in ("report", "advise"):
        from report.__main__ import main as report_main

        return report_main(argv if command == "advise" else argv[1:])
    if command in ("-h", "--help"):
        try:
            print(USAGE + "\n\n" + __doc__.strip(), flush=True)
        except BrokenPipeError:  # a reader that stopped early (| head) ends it quietly, like ls
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    from experiments.harness.cli import main as experiments_main

    return experiments_main(argv)
