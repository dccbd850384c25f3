"""The README's examples work as written, and its promises about the set-up hold."""

import re
import shlex
import subprocess
import sys

import pytest

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def _examples():
    block = README.split("<!-- readme-examples", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.strip().splitlines() if line.strip()]


def test_the_readme_shows_examples():
    assert len(_examples()) >= 3


# One test per example (numbered from the top), so that pytest-xdist runs them side by side.
@pytest.mark.parametrize("line", _examples(), ids=["example-%d" % (i + 1) for i in range(len(_examples()))])
def test_readme_example_runs(line, tmp_path):
    args = shlex.split(line)
    assert args[0] == "gilbench"
    args[:1] = [sys.executable, "-m", "gilbench"]  # the command, as its installed script runs it
    if "run" in args:
        args += ["--results", str(tmp_path / "results")]
    out = subprocess.run(args, cwd=str(ROOT), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, (line, out.stderr[-1500:])


def test_quick_start_is_the_two_commands():
    quick = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [re.split(r"\s+#", ln)[0].strip() for ln in quick.strip().splitlines()]
    assert commands == ["make bench", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "make lint" in ci


def test_every_catalogue_experiment_is_described():
    from experiments.harness.registry import CATALOGUE

    reference = (ROOT / "docs" / "experiments.md").read_text()
    for name in CATALOGUE:
        assert "| `%s` |" % name in README, "README's table does not list %s" % name
        assert "### `%s`" % name in reference, "docs/experiments.md does not describe %s" % name


def test_the_readme_is_a_short_guide_whose_links_lead_somewhere():
    assert len(README.encode()) <= 15 * 1024
    for page in ["README.md"] + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md")):
        text = (ROOT / page).read_text()
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" not in target:
                assert (ROOT / page).parent.joinpath(target).exists(), (page, target)


def test_readme_python_example_loads_results(tmp_path, monkeypatch):
    from tests.support.synthetic import write_run

    write_run(tmp_path / "results", interpreter="cpython-3.12.1", created="2026-01-01T00:00:00Z", seed=1)
    code = README.split("```python\nfrom report import load_results", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec("from report import load_results" + code, namespace)
    assert len(namespace["df"]) > 0 and "interpreter" in namespace["df"]
