"""docs/adding-an-experiment.md works as written: its experiment module and its section, added to a
copy of the project, measure with the quick profile and render, title and sentence on the page."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys

from tests.conftest import ROOT

#: A code block docs/adding-an-experiment.md marks as a file to add: ``<!-- add-experiment: PATH -->``.
BLOCK = re.compile(r"<!-- add-experiment: (\S+) -->\n```python\n(.*?)```", re.S)


def _blocks() -> dict:
    return dict(BLOCK.findall((ROOT / "docs" / "adding-an-experiment.md").read_text()))


def _copy_project(dest) -> None:
    """The project's tracked files (what a clone holds), as they are in the working tree."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=str(ROOT), capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def test_the_readme_experiment_and_section_measure_and_render(tmp_path):
    blocks = _blocks()
    path, module = next((path, code) for path, code in blocks.items() if path.startswith("experiments/"))
    name = path.rsplit("/", 1)[1][: -len(".py")]  # an experiment's name is its module's
    title = re.search(r'^TITLE = "([^"]+)"', module, re.M).group(1)
    assert sorted(blocks) == [
        "experiments/catalogue/%s.py" % name,
        "report/page/sections/%s/__init__.py" % name,
    ]
    for hook in (
        "PARAMS",
        "METRICS",
        "COMPARE",
        "BASELINE",
        "PARALLELISM",
        "HANGS",
        "HANG_TIMEOUT_S",
        "NOTES",
    ):
        assert re.search(r"^%s = " % hook, module, re.M), hook
    for hook in ("capacity_bound", "cell_timeout_s", "run_cell"):
        assert "def %s(params" % hook in module, hook

    project = tmp_path / "project"
    _copy_project(project)
    for path, code in blocks.items():
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_text(code)
    # Its own file is all a new experiment needs: discovery finds it, no list names it.

    results, page = tmp_path / "results", tmp_path / "report.html"
    run = [sys.executable, "-m", "experiments", "run", "--profile", "quick", "--only", name]
    run += ["--results", str(results), "--capacity-rounds", "1"]
    out = subprocess.run(run, cwd=str(project), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    render = [sys.executable, "-m", "report", "--results", str(results), "--output", str(page)]
    out = subprocess.run(render, cwd=str(project), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]

    body = page.read_text().split('<section id="exp-%s">' % name, 1)[1].split("</section>", 1)[0]
    text = html.unescape(body)
    assert "<h2>%s — %s</h2>" % (name, title) in text
    assert "failed to render" not in text and "No dedicated section" not in text
    assert re.search(
        r"On 2 threads the sum ran at [0-9.]+x .*: (faster than|slower than|no clear change from)", text
    )
    assert (
        "expected timeouts of cells meant to hang" in text
    )  # HANGS: the held lock's cells, ended on purpose
    assert text.count('<img src="data:image/png;base64,') == 1
