"""Cost of starting and joining one multiprocessing.Process per start method (fork, forkserver, spawn).

spawn and forkserver children re-import the parent's __main__ module (here: pytest), as they would
a user's script, so their figure includes that import.
"""

from __future__ import annotations

import multiprocessing
import sys

import pytest

from bench.budget import rounds

#: Rounds at scale 1, sized from ~2 ms (fork), ~5 ms (forkserver) and ~30-80 ms (spawn) per start.
ROUNDS = {"fork": 100, "forkserver": 100, "spawn": 12}


@pytest.mark.benchmark(group="process")
@pytest.mark.parametrize("start_method", list(ROUNDS))
def test_process_start_join(benchmark, start_method):
    if start_method not in multiprocessing.get_all_start_methods():
        pytest.skip("start method %r is not available on %s" % (start_method, sys.platform))
    ctx = multiprocessing.get_context(start_method)

    def op():
        p = ctx.Process(target=int)
        p.start()
        p.join()
        return p.exitcode

    # One warm-up round: the first forkserver start launches the server itself, and the first
    # spawn pays for cold file caches; neither is the steady per-process cost.
    exitcode = benchmark.pedantic(op, rounds=rounds(ROUNDS[start_method]), warmup_rounds=1)
    assert exitcode == 0
