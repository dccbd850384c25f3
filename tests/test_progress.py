"""Progress: a bar with the running cell and an ETA on a terminal, one plain line per cell otherwise."""

import io

from experiments.harness.progress import Console, Progress
from experiments.schema import LOG_FILE


def test_terminal_bar_shows_the_running_cell_count_and_eta():
    out = io.StringIO()
    p = Progress(4, stream=out, tty=True)
    p.start("io_vs_cpu", "workers=2", 0)
    assert "0/4" in out.getvalue() and "running io_vs_cpu [workers=2] r0" in out.getvalue()
    p.cell("io_vs_cpu", "workers=2", 0, "ok")
    p.cell("io_vs_cpu", "workers=8", 0, "timeout")
    text = out.getvalue()
    assert "\r" in text and "2/4 ETA" in text and "timeout: workers=8" in text


def test_expected_outcomes_are_counted_in_the_last_line_not_announced_on_a_terminal(tmp_path):
    out = io.StringIO()
    console = Console(out)
    console.attach(tmp_path / LOG_FILE)
    p = Progress(5, stream=console, tty=True)
    p.cell("io_vs_cpu", "executor=interpreter_pool", 0, "skipped")
    p.cell("io_vs_cpu", "executor=interpreter_pool", 1, "skipped")
    p.cell("deadlock", "order=opposite", 0, "expected_timeout")
    p.cell("convoy", "threads=2", 0, "error")
    p.cell("convoy", "threads=0", 0, "ok")
    p.close()
    console.close()
    lines = [line.split("\r\033[K")[-1] for line in out.getvalue().split("\n") if line]
    assert "  error: threads=2" in lines
    assert not any(line.startswith(("  skipped", "  expected_timeout")) for line in lines)
    assert lines[-1].startswith("done: 5 cells in ")
    assert lines[-1].endswith(": 2 skipped, 1 expected timeouts (cells meant to hang), 1 error")
    # The log keeps one line per cell, whatever its outcome.
    assert (tmp_path / LOG_FILE).read_text().count("-> skipped") == 2


def test_plain_lines_when_not_a_terminal():
    out = io.StringIO()
    p = Progress(2, stream=out, tty=False)
    p.start("deadlock", "x", 0)
    p.cell("deadlock", "x", 0, "timeout")
    assert out.getvalue().splitlines() == [out.getvalue().strip()]
    assert out.getvalue().startswith("1/2 ETA") and out.getvalue().rstrip().endswith("-> timeout")


def test_the_log_gets_plain_lines_while_a_terminal_gets_the_bar(tmp_path):
    terminal = io.StringIO()
    console = Console(terminal)
    console.attach(tmp_path / LOG_FILE)
    p = Progress(2, stream=console, tty=True)
    p.start("io_vs_cpu", "workers=2", 0)
    p.cell("io_vs_cpu", "workers=2", 0, "ok")
    p.note("gilbench: a note")
    p.cell("io_vs_cpu", "workers=8", 0, "timeout")
    p.close()
    console.close()
    assert "\r\033[K[" in terminal.getvalue()
    log = (tmp_path / LOG_FILE).read_text()
    assert "\r" not in log and "\033" not in log
    lines = log.splitlines()
    assert lines[0].startswith("1/2 ETA") and lines[0].endswith("io_vs_cpu [workers=2] r0")
    assert (
        lines[1] == "gilbench: a note" and lines[2].endswith("-> timeout") and lines[3].startswith("done: 2")
    )


class GoneReader(io.StringIO):
    """A stream whose reader leaves after the first line, as ``| head -1`` does."""

    def write(self, text):
        if "\n" in self.getvalue():
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(text)


def test_a_reader_that_goes_away_is_dropped_and_the_log_goes_on(tmp_path):
    terminal = GoneReader()
    console = Console(terminal)
    console.attach(tmp_path / LOG_FILE)
    print("gilbench: run started", file=console)
    p = Progress(3, stream=console, tty=False)
    for n in range(3):
        p.cell("io_vs_cpu", "workers=%d" % n, 0)
    p.close()
    assert console.lost and terminal.getvalue() == "gilbench: run started\n"
    log = (tmp_path / LOG_FILE).read_text().splitlines()
    assert log[0] == "gilbench: run started" and len(log) == 5 and log[-1].startswith("done: 3 cells")


def test_progress_hears_the_status_the_row_stores():
    # A deadlock cell that hangs on purpose is an expected timeout on the console too, not a failure.
    from experiments.harness.cell_runner import Outcome
    from experiments.harness.orchestrator import _status
    from experiments.harness.plan import plan_run

    plan = plan_run("quick", ["deadlock"])[0]
    hangs = [c for c in plan.cells() if plan.spec.info.expected_hang(c.params)]
    others = [c for c in plan.cells() if not plan.spec.info.expected_hang(c.params)]
    assert hangs and others
    assert _status(plan.spec, hangs[0], Outcome("timeout")) == "expected_timeout"
    assert _status(plan.spec, others[0], Outcome("timeout")) == "timeout"
    assert _status(plan.spec, hangs[0], Outcome("ok")) == "ok"
