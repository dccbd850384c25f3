"""Run folders written from hand-built rows, read back as a section's Context (for tests of findings).

A test states every row it needs (parameters, metrics, ``repeat`` and ``group_id``); the rest of the
CSV is left empty, and the folder goes through the same schema writer and loader as a real run.
"""

from __future__ import annotations

import csv
from pathlib import Path

from experiments.harness.plan import load_experiment
from experiments.schema import SCHEMA_VERSION, Environment, write_experiments
from report.analysis.load import load_results
from report.page.figures import Palette
from report.page.sections import Context


def write_rows(
    results: Path,
    experiment: str,
    rows: list,
    interpreter: str = "cpython-3.12.1",
    gil: bool = True,
    cores: int = 2,
    switch_interval_s: float = 0.005,
) -> Path:
    """One run folder holding ``rows`` as ``<experiment>.csv`` (status ok and one group unless a row
    says otherwise); returns the folder."""
    info = load_experiment(experiment).info
    run_id = "handmade-%s-%s" % (interpreter, "gil" if gil else "nogil")
    folder = Path(results) / run_id
    folder.mkdir(parents=True)
    with open(folder / ("%s.csv" % experiment), "w", newline="") as f:
        out = csv.DictWriter(f, fieldnames=info.columns(), restval="")
        out.writeheader()
        for i, row in enumerate(rows):
            full = {
                "schema_version": SCHEMA_VERSION,
                "run_id": run_id,
                "experiment": experiment,
                "cell_id": "cell-%d" % i,
                "group_id": "g",
                "status": "ok",
                "interpreter": interpreter,
                "gil_enabled_start": gil,
                "gil_enabled_end": gil,
            }
            full.update(row)
            out.writerow({k: "" if v is None else v for k, v in full.items()})
    write_experiments(folder, [info])
    Environment(
        run_id=run_id,
        created_utc="2026-01-01T00:00:00Z",
        finished_utc="2026-01-01T00:01:00Z",
        interpreter={
            "label": interpreter,
            "gil_enabled_start": gil,
            "gil_enabled_end": gil,
            "free_threaded_build": not gil,
            "switch_interval_s": switch_interval_s,
        },
        machine={"label": "handmade", "usable_cores": cores},
        config={"experiments": [experiment]},
    ).write(folder / "environment.json")
    return folder


def context(results: Path) -> Context:
    """The Context a section renders from, over every run folder in ``results``."""
    loaded = load_results(Path(results))
    return Context(results=loaded, palette=Palette(r.env_label for r in loaded.runs))


def rounds(cells: list, values: dict, repeats: int, group_id: str = "g") -> list:
    """Rows of several cells over ``repeats`` rounds: ``cells`` are parameter dicts, ``values`` maps
    an index into ``cells`` to a function ``repeat -> metrics dict``."""
    rows = []
    for r in range(repeats):
        for i, params in enumerate(cells):
            rows.append(dict(params, repeat=r, group_id=group_id, **values[i](r)))
    return rows
