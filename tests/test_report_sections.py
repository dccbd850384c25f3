"""Every dedicated section renders from CSVs with its experiment's real columns, and feeds the scorecard."""

from __future__ import annotations

import csv
import importlib
import re

import pytest

from report.build import render_report
from report.load import HEAD_COLUMNS, load_results
from report.sections import DEDICATED, module_for
from report.synthetic import write_experiment, write_run

#: Dedicated sections whose experiment lives in experiments/ (io_vs_cpu has its own synthetic model,
#: primitives comes from bench/).
FROM_EXPERIMENTS = [name for name in DEDICATED if name not in ("io_vs_cpu", "primitives")]


def _primitives(folder, interpreter):
    columns = list(HEAD_COLUMNS) + [
        "benchmark",
        "group",
        "primitive",
        "style",
        "container",
        "median_ns",
        "iqr_ns",
    ]
    columns += ["ops_per_s"]
    rows = [
        ("test_empty_call", "baseline", "", "", "", 40.0),
        ("test_lock_acquire_release[Lock-bare]", "lock", "Lock", "bare", "", 95.0),
        ("test_put_get[Queue]", "queue", "", "", "Queue", 2400.0),
    ]
    with open(folder / "primitives.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for name, group, primitive, style, container, median in rows:
            head = [1, folder.name, "primitives", name, group, 0, "ok", "", interpreter, True, True, ""]
            bench = name.split("[")[0]
            w.writerow(head + [bench, group, primitive, style, container, median, median / 10, 1e9 / median])


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    results = tmp_path_factory.mktemp("results")
    for i, (label, gil) in enumerate((("cpython-3.12.1", True), ("cpython-3.13.0t", False))):
        folder = write_run(
            results, interpreter=label, gil=gil, created="2026-01-0%dT00:00:00Z" % (i + 1), seed=i
        )
        for name in FROM_EXPERIMENTS:
            write_experiment(folder, importlib.import_module("experiments." + name), seed=i)
        _primitives(folder, label)
    results_obj = load_results(results)
    for name in FROM_EXPERIMENTS + ["primitives"]:
        assert module_for(name, results_obj).__name__ == "report.sections." + name, name
    return render_report(results_obj)


@pytest.mark.parametrize("name", FROM_EXPERIMENTS + ["primitives"])
def test_dedicated_section_renders_with_a_figure(page, name):
    body = page.split('<section id="exp-%s">' % name, 1)[1].split("</section>", 1)[0]
    assert "No dedicated section" not in body
    assert body.count('<img src="data:image/png;base64,') >= 1
    assert len(re.findall(r"<h3>cpython-3\.1[23]", body)) >= 2 or name == "io_vs_cpu"


def test_scorecard_takes_columns_from_every_section(page):
    card = page.split('id="scorecard"', 1)[1].split("</section>", 1)[0]
    for source in ("convoy", "timer_drift", "primitives (bench/)"):
        assert "needs the %s experiment" % source not in card
    assert "55 ns" in card  # bench: Lock acquire+release 95 ns minus the 40 ns empty call
