"""The shared axis and legend helpers: enough ticks to read a value, legends of what was drawn."""

from __future__ import annotations

import pytest

from report.page import figures
from report.page.figures import log2_yaxis, only_drawn, plain_log, readable_log_ticks, subplots
from report.page.sections.io_vs_cpu.analysis import Analysis
from report.page.sections.io_vs_cpu.figures import env_figure
from tests.support.handmade import context
from tests.support.synthetic import io_grid, write_run


@pytest.mark.parametrize(
    "low, high, base",
    [
        (0.4, 1.4, 2),  # io_vs_cpu's cpu_python panel on one core: only 0.5 and 1 before
        (0.5, 1.2, 2),
        (0.9, 1.1, 2),
        (0.5, 40, 2),
        (2.0**-12, 2.0**12, 2),
        (0.3, 0.45, 10),
        (0.02, 0.3, 10),
        (1, 1e6, 10),
        (1e-9, 1e9, 10),
    ],
)
def test_a_log_axis_gets_four_to_eight_ticks_over_any_range(low, high, base):
    ticks = readable_log_ticks(low, high, base)
    assert 4 <= len(ticks) <= 8, ticks
    assert all(low * (1 - 1e-9) <= t <= high * (1 + 1e-9) for t in ticks)
    assert ticks == sorted(set(ticks))


def test_drawn_axes_label_their_ticks_plainly():
    fig, (ax2, ax10) = subplots(2)
    ax2.plot([1, 2], [0.6, 1.2])
    log2_yaxis(ax2, 0.4, 1.4)
    ax10.plot([1, 2], [0.31, 0.44])
    ax10.set_yscale("log")
    plain_log(ax10, "y")
    fig.canvas.draw()
    labels2 = [t.get_text() for t in ax2.get_yticklabels() if t.get_text()]
    labels10 = [t.get_text() for t in ax10.get_yticklabels() if t.get_text()]
    figures.plt.close(fig)
    assert labels2 == ["0.4", "0.6", "0.8", "1", "1.2", "1.4"]
    assert len(labels10) >= 4 and all("10^" not in t and "$" not in t for t in labels10)


def test_only_drawn_keeps_the_entries_some_artist_carries():
    fig, axes = subplots(2)
    axes[0].plot([1, 2], [1, 2], label="thread")
    axes[1].plot([1, 2], [1, 2], label="ideal (N x)")
    handles = [figures.Line2D([], [], label=name) for name in ("thread", "interpreter_pool", "ideal (N x)")]
    kept = [h.get_label() for h in only_drawn(handles, axes)]
    figures.plt.close(fig)
    assert kept == ["thread", "ideal (N x)"]


def test_io_vs_cpu_legend_names_only_the_executors_this_run_drew(tmp_path, monkeypatch):
    """One run measured interpreter_pool, the other (3.11 has none) did not: its legend leaves it out."""
    results = tmp_path / "results"
    with_pool = io_grid() + [
        (w, "interpreter_pool", n, 8, 250) for w in ("cpu_python", "c_hash") for n in (2, 4)
    ]
    write_run(
        results, interpreter="cpython-3.14.0", created="2026-01-02T00:00:00Z", grid=with_pool, demo=False
    )
    write_run(results, interpreter="cpython-3.11.9", created="2026-01-01T00:00:00Z", demo=False)
    legends = {}
    real_header = figures.header

    def spy(fig, title, handles, *args, **kwargs):
        legends[title.split(" — ")[-1]] = [h.get_label() for h in handles]
        real_header(fig, title, handles, *args, **kwargs)

    monkeypatch.setattr("report.page.sections.io_vs_cpu.figures.header", spy)
    a = Analysis(context(results), "io_vs_cpu")
    assert "interpreter_pool" in a.executors
    for run in a.runs:
        assert env_figure(a, run.env_label).startswith("data:image/png")
    new, old = (next(v for k, v in legends.items() if name in k) for name in ("3.14", "3.11"))
    assert "interpreter_pool" in new and "interpreter_pool" not in old
    assert {"sequential", "thread", "process_pool", "ideal (N x)"} <= set(old)
