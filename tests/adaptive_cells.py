"""Cells whose speedup is known exactly, constant or widely noisy, for the adaptive-rounds tests.

Standard library only: run in worker processes like any experiment module. A cell reports
``work_units`` proportional to its own measured wall time, so the harness's speedup (baseline wall /
cell wall x cell work / baseline work) is the ratio of the cells' factors, whatever the machine did.
"""

import random
import time

from experiments.spec import Metric, Param, Profile

NAME = "adaptive_cells"
TITLE = "Cells with known speedups"
PARAMS = {
    "kind": Param(str, choices=("constant", "noisy"), help="constant or widely noisy ratios"),
    "variant": Param(str, choices=("base", "fast"), help="the baseline, or the cell compared with it"),
}
METRICS = (Metric("work_units", "count"),)
COMPARE = ("variant",)
BASELINE = {"variant": "base"}
_GRID = [{"kind": ["constant", "noisy"], "variant": ["fast"]}]
PROFILES = {
    name: Profile(grid=_GRID, budget_s=20, max_rounds=10, timeout_s=30)
    for name in ("quick", "default", "full")
}


def run_cell(params, region):
    with region() as timing:
        time.sleep(0.001)
    factor = 1.0
    if params["variant"] == "fast":
        factor = 2.0 if params["kind"] == "constant" else random.uniform(0.5, 2.0)
    return {"work_units": factor * timing.wall_s * 1e6}
