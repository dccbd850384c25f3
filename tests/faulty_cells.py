"""Cells that fail on purpose, for the harness's fault tests (standard library only)."""

import ctypes
import os
import threading
import time

NAME = "faulty_cells"


def run_cell(params, region):
    kind = params["kind"]
    with region():
        if kind == "ok":
            time.sleep(0.01)
        elif kind == "raise":
            raise ValueError("cell failed on purpose")
        elif kind == "exit":
            os._exit(3)
        elif kind == "segfault":
            ctypes.string_at(0)
        elif kind == "hang":
            lock = threading.Lock()
            lock.acquire()
            lock.acquire()
        elif kind == "memory":
            hoard = []
            while True:
                hoard.append(bytearray(16 << 20))
        elif kind == "orphan":
            # A grandchild that outlives the worker and keeps its pipe open.
            child = os.fork()
            if child == 0:
                time.sleep(600)
                os._exit(0)
            with open(params["pid_file"], "w") as f:
                f.write(str(child))
    return {"kind_done": kind}
