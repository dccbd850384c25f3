"""Every dedicated section renders from CSVs with its experiment's real columns, and feeds the scorecard."""

from __future__ import annotations

import csv
import importlib
import re

import pandas as pd
import pytest

from bench.export import describe
from experiments.harness.registry import CATALOGUE
from experiments.schema import SCHEMA_VERSION, write_experiments
from report.analysis.load import HEAD_COLUMNS, load_results
from report.page.build import render_report
from report.page.figures import Palette
from report.page.sections import Context, generic, has_section, section_for
from report.page.sections.generic import summary_table
from tests.support.synthetic import write_experiment, write_run

#: Dedicated sections whose experiment lives in experiments/ (io_vs_cpu has its own synthetic model,
#: primitives comes from bench/).
DEDICATED = [name for name in CATALOGUE if has_section(name)] + ["primitives"]
FROM_EXPERIMENTS = [name for name in DEDICATED if name not in ("io_vs_cpu", "primitives")]


#: How each of bench/'s pytest processes (``repeat``) moved the synthetic medians: their median is 1.
PROCESS_FACTORS = (1.0, 0.9, 1.2)


def _primitives(folder, interpreter):
    """A primitives.csv and its experiments.json entry, as bench/export writes them: one row per
    benchmark per pytest process."""
    rows = []
    for repeat, factor in enumerate(PROCESS_FACTORS):
        for name, group, primitive, style, container, median in (
            ("test_empty_call", "baseline", "", "", "", 40.0),
            ("test_lock_acquire_release[Lock-bare]", "lock", "Lock", "bare", "", 95.0),
            ("test_put_get[Queue]", "queue", "", "", "Queue", 2400.0),
        ):
            head = [
                SCHEMA_VERSION,
                folder.name,
                "primitives",
                name,
                group,
                repeat,
                "ok",
                "",
                interpreter,
                True,
                True,
                "",
            ]
            row = dict(zip(HEAD_COLUMNS, head), benchmark=name.split("[")[0], group=group)
            row.update(primitive=primitive, style=style, container=container)
            median *= factor
            row.update(median_ns=median, iqr_ns=median / 10, ops_per_s=1e9 / median)
            rows.append(row)
    info = describe(["primitive", "style", "container"], rows)
    write_experiments(folder, [info])
    with open(folder / "primitives.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=info.columns(), restval="")
        w.writeheader()
        w.writerows(rows)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    results = tmp_path_factory.mktemp("results")
    for i, (label, gil) in enumerate((("cpython-3.12.1", True), ("cpython-3.13.0t", False))):
        folder = write_run(
            results, interpreter=label, gil=gil, created="2026-01-0%dT00:00:00Z" % (i + 1), seed=i
        )
        for name in FROM_EXPERIMENTS:
            write_experiment(folder, importlib.import_module("experiments.catalogue." + name), seed=i)
        _primitives(folder, label)
    results_obj = load_results(results)
    for name in FROM_EXPERIMENTS + ["primitives"]:
        assert section_for(name, results_obj).module.__name__ == "report.page.sections." + name, name
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


def _body_rows(html: str) -> list:
    """The cells of each body row of the (first) table in ``html``, as text."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body)]


def test_generic_table_keeps_a_cell_with_empty_parameters_on_one_row():
    """A parameter a cell does not use is NaN in pandas; its metrics still share one row."""
    nan = float("nan")
    rows = []
    for r in range(3):
        rows.append(dict(env_label="e", object="x", permits=nan, daemon=None, a_us=10.0 + r, b_ms=nan))
        rows.append(dict(env_label="e", object="y", permits=2.0, daemon=None, a_us=nan, b_ms=5.0 + r))
        rows.append(dict(env_label="e", object="z", permits=nan, daemon=True, a_us=1.0, b_ms=7.0))
    df = pd.DataFrame(rows).assign(status="ok")
    got = _body_rows(summary_table(df, ["env_label", "object", "permits", "daemon"], ["a_us", "b_ms"]))
    assert [r[:4] for r in got] == [
        ["e", "x", "none", "none"],
        ["e", "y", "2", "none"],
        ["e", "z", "none", "True"],
    ]
    assert got[0][4] == "11" and got[0][5] == "—"  # 3 repetitions: a median, no 95 % interval
    assert got[1][4] == "—" and got[1][5] == "6"
    assert got[2][4].startswith("1") and got[2][5].startswith("7")


def test_a_wide_table_says_its_constant_parameters_once_and_splits_its_metrics():
    rows = [
        dict(
            env_label="e",
            load=load,
            service="exponential",
            put="drop",
            **{"m%02d" % i: 1.0 + i for i in range(20)},
        )
        for load in (0.5, 0.9)
        for _ in range(3)
    ]
    df = pd.DataFrame(rows).assign(status="ok")
    metrics = ["m%02d" % i for i in range(20)]
    html = summary_table(df, ["env_label", "load", "service", "put"], metrics)
    assert "Every row: service=exponential, put=drop." in html
    tables = re.findall(r"<table.*?</table>", html, re.S)
    headers = [[h.replace("<wbr>", "") for h in re.findall(r"<th>(.*?)</th>", t)] for t in tables]
    assert len(tables) == 2 and all(h[:2] == ["interpreter @ machine", "load"] for h in headers)
    assert [m for h in headers for m in h[2:]] == metrics  # every metric once, in order
    assert all(len(h) <= 14 for h in headers)
    assert [r[:2] for r in _body_rows(tables[1])] == [["e", "0.5"], ["e", "0.9"]]  # the same rows


def test_generic_section_shows_each_sync_objects_cell_once(tmp_path):
    """End to end from a CSV whose unused parameters are empty: one row per cell, every metric in it."""
    module = importlib.import_module("experiments.catalogue.sync_objects")
    folder = write_run(tmp_path, demo=False, grid=[("cpu_python", "sequential", 1, 8, 250)], repeats=2)
    write_experiment(folder, module, repeats=3)
    results = load_results(tmp_path)
    html = generic.render(Context(results, Palette(r.env_label for r in results.runs)), "sync_objects").html
    # A wide table goes on in further tables of the same rows: read them side by side.
    tables = re.findall(r"<table.*?</table>", html, re.S)
    got = [_body_rows(t) for t in tables]
    assert {len(rows) for rows in got} == {len(list(module.PROFILES["quick"].points()))}
    headers = [[h.replace("<wbr>", "") for h in re.findall(r"<th>(.*?)</th>", t)] for t in tables]
    for i in range(len(got[0])):
        pairs = [(h, text) for header, rows in zip(headers, got) for h, text in zip(header, rows[i])]
        filled = {h for h, text in pairs if text != "—"}
        obj = dict(pairs)["object"]
        assert {"barrier": "barrier_skew_p50_us", "semaphore": "max_concurrency"}.get(obj, "wall_s") in filled
        assert "wall_s" in filled


def test_a_section_that_raises_is_a_box_and_the_rest_of_the_page_renders(tmp_path, monkeypatch):
    folder = write_run(tmp_path / "results", seed=3)
    for name in ("timer_drift", "deadlock"):
        write_experiment(folder, importlib.import_module("experiments.catalogue." + name))
    from report.page.sections import timer_drift

    def broken(ctx, experiment):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(timer_drift, "render", broken)
    monkeypatch.setattr(timer_drift, "compare_metrics", broken)
    results = load_results(tmp_path / "results")
    html = render_report(results)
    box = html[html.index('id="exp-timer_drift"') :]
    box = box[: box.index("</section>")]
    assert "This section failed to render" in box and "RuntimeError: boom second line" in box
    for other in (
        "exp-io_vs_cpu",
        "exp-deadlock",
        "exp-demo_counter",
        'id="comparisons"',
        'id="environments"',
    ):
        assert other in html
    assert any("timer_drift failed to render: RuntimeError: boom" in w for w in results.warnings)
    assert any("timer_drift: compare_metrics failed" in w for w in results.warnings)


def test_primitives_sentences_quote_the_costs_the_scorecard_ranks(page):
    body = page.split('<section id="exp-primitives">', 1)[1].split("</section>", 1)[0]
    assert "An uncontended Lock acquire+release cost 55 ns beyond an empty Python call (95 ns with" in body
    assert "A queue.Queue put+get cost 2.36 µs beyond an empty Python call" in body
    assert "no 95 % interval" in body
    assert "the median over 3 pytest processes" in body


def test_primitives_table_has_one_row_per_benchmark_with_the_spread_between_processes(page):
    body = page.split('<section id="exp-primitives">', 1)[1].split("</section>", 1)[0]
    table = body.split("<h3>cpython-3.12.1", 1)[1].split("</table>", 1)[0]
    got = {row[0]: row for row in _body_rows(table)}
    assert sorted(got) == ["empty_call", "lock_acquire_release[Lock-bare]", "put_get[Queue]"]
    # the median over the three processes, and the range of their medians
    assert got["lock_acquire_release[Lock-bare]"][2:4] == ["95 ns", "85.5 ns–114 ns (3)"]
