"""The page in a real headless Chromium: no console error, every image loads, nothing from the network,
and it fits a 1280-pixel window without sideways scrolling."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess

import pytest

from experiments.harness.registry import CATALOGUE
from report.analysis.load import load_results
from report.page.build import write_report
from tests.conftest import ROOT
from tests.support.browser import check_page, find_chromium
from tests.support.synthetic import write_experiment, write_run

#: The window the page must fit without sideways scrolling (a laptop's browser window).
WINDOW_PX = 1280
#: The screenshot of the real report (docs/report.md names this path).
SCREENSHOT = ROOT / "results" / "report-screenshot.png"


@pytest.fixture(scope="module")
def chromium():
    """Debian's chromium, installed by the test when it is missing (the suite runs as root)."""
    exe = find_chromium()
    if exe is None:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for cmd in (
            ["apt-get", "update"],
            ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
        ):
            out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
            assert out.returncode == 0, "could not install chromium (%s): %s" % (
                " ".join(cmd),
                out.stderr[-500:],
            )
        exe = find_chromium()
    assert exe, "chromium is still missing after apt-get install"
    return exe


def _assert_clean(check, expected_images):
    assert check.problems == [], check.problems
    assert check.document_width <= WINDOW_PX, "the page is %d px wide in a %d-px window" % (
        check.document_width,
        WINDOW_PX,
    )
    assert check.broken_nav == [], "navigation links broken across lines: %s" % check.broken_nav
    assert check.images == expected_images
    png = check.screenshot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20000
    assert check.content_size[1] > 2000  # the whole page, not one viewport


def test_synthetic_report_in_headless_chromium(chromium, tmp_path):
    results = tmp_path / "results"
    write_run(results, interpreter="cpython-3.12.1", created="2026-01-01T00:00:00Z", seed=1)
    write_run(
        results,
        interpreter="<script>alert(1)</script>",
        gil=False,
        created="2026-01-02T00:00:00Z",
        seed=2,
        demo_error="<img src=x onerror=alert(2)>",
    )
    page = write_report(load_results(results), tmp_path / "report.html")
    images = page.read_text().count("<img ")
    check = check_page(page, tmp_path / "shot.png", chromium=chromium)
    _assert_clean(check, images)


def test_every_section_fits_a_1280_pixel_window(chromium, tmp_path):
    """Every experiment's section for three interpreters (the widest scorecard, the longest
    navigation): no sideways scrolling, and no table scrolling inside its box; the screenshot
    stays in tmp_path to be looked at."""
    results = tmp_path / "results"
    for i, (label, gil) in enumerate(
        [("cpython-3.12.1", True), ("cpython-3.13.0", True), ("cpython-3.13.0t", False)]
    ):
        folder = write_run(
            results, interpreter=label, gil=gil, created="2026-01-0%dT00:00:00Z" % (i + 1), seed=i
        )
        for name in CATALOGUE:
            if name != "io_vs_cpu":
                write_experiment(folder, importlib.import_module("experiments.catalogue." + name), seed=i)
    page = write_report(load_results(results), tmp_path / "report.html")
    check = check_page(page, tmp_path / "every-section.png", width=WINDOW_PX, chromium=chromium)
    _assert_clean(check, page.read_text().count("<img "))
    # No table scrolls inside its box either: wide ones drop constant columns and split (tables.py).
    assert check.scrolling_boxes == [], check.scrolling_boxes


def test_a_page_wider_than_the_window_is_caught(chromium, tmp_path):
    page = tmp_path / "wide.html"
    page.write_text('<!DOCTYPE html><html><body><div style="width:1500px">wide</div></body></html>')
    assert check_page(page, chromium=chromium).document_width >= 1500  # and the body's margin


def test_a_broken_image_and_a_console_error_are_caught(chromium, tmp_path):
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><body><img src="data:image/png;base64,AAAA" alt="broken">'
        "<script>console.error('boom')</script></body></html>"
    )
    check = check_page(page, tmp_path / "bad.png", chromium=chromium)
    assert check.broken_images and "boom" in " ".join(check.console_errors)


def test_real_report_screenshot(chromium, tmp_path, run_experiment):
    """A real run rendered and checked in Chromium; the screenshot goes where docs/report.md says.

    The page shows the runs in results/ when there are any (after ``make bench``) and a fresh quick
    run of io_vs_cpu otherwise (a clean clone in CI), in two rounds to keep the test short
    (pages of more rounds are checked on synthetic runs above)."""
    runs = [p for p in (ROOT / "results").glob("*/environment.json")]
    if runs:
        source = ROOT / "results"
    else:
        run = run_experiment("--profile", "quick", "--only", "io_vs_cpu", "--repeat", "2")
        source = run.path.parent
    page = write_report(load_results(source), tmp_path / "report.html")
    check = check_page(page, tmp_path / "report-screenshot.png", chromium=chromium)
    _assert_clean(check, page.read_text().count("<img "))
    SCREENSHOT.parent.mkdir(exist_ok=True)
    shutil.copyfile(check.screenshot, SCREENSHOT)
