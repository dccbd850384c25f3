"""The page: every part present, data escaped, images embedded, written atomically, fast for ten runs."""

from __future__ import annotations

import base64
import re
import subprocess
import sys

import pandas as pd
import pytest

from report.analysis.load import load_results
from report.page.build import render_report, write_report
from tests.conftest import ROOT
from tests.support.synthetic import write_run

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def two_interpreters(tmp_path_factory):
    results = tmp_path_factory.mktemp("results")
    write_run(results, interpreter="cpython-3.12.1", created="2026-01-01T00:00:00Z", seed=1)
    write_run(
        results,
        interpreter="cpython-3.13.0t",
        gil=False,
        machine=HOSTILE,
        created="2026-01-02T00:00:00Z",
        seed=2,
        demo_error='<img src=x onerror="alert(2)">',
    )
    return results


@pytest.fixture(scope="module")
def page(two_interpreters):
    return render_report(load_results(two_interpreters))


def test_sections_in_order(page):
    anchors = re.findall(r'<section id="([^"]+)"', page)
    assert anchors == [
        "advice",
        "scorecard",
        "quality",
        "exp-io_vs_cpu",
        "exp-demo_counter",
        "comparisons",
        "environments",
    ]
    for text in (
        "Speedup and CPU cores busy vs workers",
        "Model fits",
        "Failed repetitions",
        "Benjamini–Hochberg",
        "usable cores",
    ):
        assert text in page


def test_text_from_data_is_escaped_and_there_is_no_script(page):
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in page
    assert "<script" not in page.lower() and "<img src=x" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing from the network


def test_images_are_embedded_pngs(page):
    srcs = re.findall(r'<img src="([^"]+)"', page)
    assert len(srcs) >= 3  # speedup and CPU per interpreter, and the side-by-side figure
    for src in srcs:
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_numbers_come_from_the_data(page):
    # GIL threads on pure Python stay near 1x; with the GIL off they scale (the synthetic model says so)
    assert re.search(r"on 2 GIL threads \(thread\) ran at (0\.9\d*|1\.0\d*)x", page)
    # five rounds give no 95 % interval: the gain is quoted, not claimed
    assert re.search(
        r"With the GIL off, pure-Python CPU work on 2 threads \(thread\) reached a median 1\.[6-9]\d*x "
        r"\(n=5, no 95 % CI\).*its interval does not exclude 1x",
        page,
    )
    serial = [float(x) for x in re.findall(r"serial fraction \(1 = fully serial\) at (?:≥ )?([0-9.]+)", page)]
    assert len(serial) == 2 and serial[0] > 0.8 and serial[1] < 0.2
    assert "faster" in page  # free-threaded threads beat GIL threads, significantly


def test_scorecard_marks_the_best_and_dashes_what_is_missing(page):
    card = page.split('id="scorecard"', 1)[1].split("</section>", 1)[0]
    assert card.count('class="num best"') >= 2
    assert "not measured: needs the convoy experiment" in card


def test_write_is_atomic_and_the_cli_names_runs(two_interpreters, tmp_path):
    out = tmp_path / "report.html"
    write_report(load_results(two_interpreters), out)
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left behind
    run_id = sorted(p.name for p in two_interpreters.iterdir())[0]
    res = subprocess.run(
        [sys.executable, "-m", "report", run_id, "--results", str(two_interpreters), "--output", str(out)],
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str(out)
    assert "Only one run loaded" in out.read_text()
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "report",
            "--results",
            str(two_interpreters),
            "--baseline",
            "nope",
            "--output",
            str(out),
        ],
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 2 and "no run 'nope'" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_interrupted_and_failed_runs_still_render(tmp_path):
    """A run stopped before its experiments, and one whose io_vs_cpu cells all failed: the page says so."""
    import json

    early = write_run(
        tmp_path, interpreter="cpython-3.12.1", created="2026-01-01T00:00:00Z", seed=1, demo=False
    )
    (early / "io_vs_cpu.csv").unlink()
    env = json.loads((early / "environment.json").read_text())
    env["finished_utc"] = None
    (early / "environment.json").write_text(json.dumps(env))
    failed = write_run(
        tmp_path, interpreter="cpython-3.13.0", created="2026-01-02T00:00:00Z", seed=2, demo=False
    )
    path = failed / "io_vs_cpu.csv"
    df = pd.read_csv(path)
    df["status"], df["error"] = "crashed", "the worker died (signal 9)"
    df.to_csv(path, index=False)
    results = load_results(tmp_path)
    assert set(results.frame("io_vs_cpu")["status"]) == {"crashed"}
    html = render_report(results)
    assert "incomplete (interrupted)" in html
    assert "No successful repetitions to show." in html
    assert "Failed repetitions" in html
