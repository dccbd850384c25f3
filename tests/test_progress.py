"""Progress: a bar with the running cell and an ETA on a terminal, one plain line per cell otherwise."""

import io

from experiments.progress import Progress


def test_terminal_bar_shows_the_running_cell_count_and_eta():
    out = io.StringIO()
    p = Progress(4, stream=out, tty=True)
    p.start("io_vs_cpu", "workers=2", 0)
    assert "0/4" in out.getvalue() and "running io_vs_cpu [workers=2] r0" in out.getvalue()
    p.cell("io_vs_cpu", "workers=2", 0, "ok")
    p.cell("io_vs_cpu", "workers=8", 0, "timeout")
    text = out.getvalue()
    assert "\r" in text and "2/4 ETA" in text and "timeout: workers=8" in text


def test_plain_lines_when_not_a_terminal():
    out = io.StringIO()
    p = Progress(2, stream=out, tty=False)
    p.start("deadlock", "x", 0)
    p.cell("deadlock", "x", 0, "timeout")
    assert out.getvalue().splitlines() == [out.getvalue().strip()]
    assert out.getvalue().startswith("1/2 ETA") and out.getvalue().rstrip().endswith("-> timeout")
