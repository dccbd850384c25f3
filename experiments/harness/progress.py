"""Progress of a run: a bar on a terminal, plain lines otherwise, every line also in the run's log."""

from __future__ import annotations

import os
import shutil
import sys
import time

#: The log each run folder keeps of its progress and messages, whatever became of the terminal.
#: Outcomes a run foresees (a cell that cannot run on this interpreter, a cell meant to hang): counted
#: in the final line on a terminal, not announced one by one as failures are.
EXPECTED = {"skipped": "skipped", "expected_timeout": "expected timeouts (cells meant to hang)"}


def _duration(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return "%dm%02ds" % divmod(seconds, 60) if seconds >= 60 else "%ds" % seconds


class Console:
    """Where a run's messages go: the terminal while someone reads it, and always each run's log.

    A reader that goes away (``2>&1 | head -1``, a closed terminal) makes the next write fail with
    EPIPE or EIO. A run's data matters more than its chatter, so the terminal is then dropped, its
    descriptor pointed at /dev/null (the interpreter's own flush at exit must not fail either), and
    the run goes on, still writing its log. A log that cannot be written (disk full) is dropped too:
    the error that matters comes from the store, which writes the data.
    """

    def __init__(self, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.lost = False
        self._logs: list = []

    def attach(self, path) -> None:
        """Append every line from now on to ``path`` (a run folder's log)."""
        try:
            self._logs.append(os.open(str(path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644))
        except OSError:
            pass  # an unwritable folder is the store's to report, in one line

    def isatty(self) -> bool:
        if self.lost:
            return False
        try:
            return self.stream.isatty()
        except (OSError, ValueError, AttributeError):
            return False

    def show(self, text: str) -> None:
        """Write to the terminal only (a progress bar redrawn in place)."""
        if self.lost or not text:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self._lose_terminal()

    def record(self, text: str) -> None:
        """Write to the logs only."""
        data = text.encode("utf-8", "backslashreplace")
        for fd in list(self._logs):
            try:
                os.write(fd, data)
            except OSError:
                self._logs.remove(fd)
                os.close(fd)

    def write(self, text: str) -> int:
        self.show(text)
        self.record(text)
        return len(text)

    def flush(self) -> None:
        if not self.lost:
            try:
                self.stream.flush()
            except (OSError, ValueError):
                self._lose_terminal()

    def __getattr__(self, name):
        # Anything else a stderr is asked (encoding, fileno) is the terminal's answer.
        return getattr(self.stream, name)

    def close(self) -> None:
        """Close the logs (the terminal stays open: it is not ours)."""
        for fd in self._logs:
            os.close(fd)
        self._logs = []

    def _lose_terminal(self) -> None:
        self.lost = True
        silence(self.stream)


def silence(stream) -> None:
    """Point a stream whose reader has gone at /dev/null, so that later writes and flushes succeed."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # not backed by a descriptor (a test's StringIO): nothing flushes it at exit


class Progress:
    """Counts cells done against the total and shows the current cell and an ETA."""

    def __init__(self, total: int, stream=None, tty: bool | None = None):
        self.total = max(total, 1)
        self.done = 0
        stream = stream if stream is not None else sys.stderr
        self.console = stream if isinstance(stream, Console) else Console(stream)
        self.tty = self.console.isatty() if tty is None else tty
        self.started = time.monotonic()
        #: Seconds the run is expected to take (its budget), when known: the ETA counts down from it,
        #: since adaptive rounds make the number of cells unknown in advance.
        self.expected_s: float | None = None
        #: Cell repetitions per status other than ok, for the final line.
        self.statuses: dict = {}

    def eta(self) -> str:
        elapsed = time.monotonic() - self.started
        if self.expected_s is not None and elapsed < self.expected_s:
            return _duration(self.expected_s - elapsed)
        if not self.done:
            return "?"
        return _duration(elapsed / self.done * max(0, self.total - self.done))

    def _bar(self, what: str) -> str:
        width = shutil.get_terminal_size((100, 20)).columns
        bar_width = 20
        filled = int(bar_width * self.done / self.total)
        head = "[%s%s] %d/%d ETA %s " % (
            "#" * filled,
            "." * (bar_width - filled),
            self.done,
            self.total,
            self.eta(),
        )
        return "\r\033[K" + (head + what)[: width - 1]

    def _emit(self, terminal: str, line: str | None) -> None:
        """``terminal`` on a terminal, else the plain ``line``; the log always gets the plain line."""
        self.console.show(terminal if self.tty else (line or ""))
        if line:
            self.console.record(line)

    def start(self, experiment: str, cell_id: str, repeat: int) -> None:
        """Show the cell now running (on a terminal; plain output reports cells when they end)."""
        if self.tty:
            self.console.show(self._bar("running %s [%s] r%d" % (experiment, cell_id, repeat)))

    def cell(self, experiment: str, cell_id: str, repeat: int, status: str = "") -> None:
        """Report one finished cell repetition."""
        self.done += 1
        what = "%s [%s] r%d" % (experiment, cell_id, repeat)
        mark = "" if status in ("", "ok") else " -> " + status
        if mark:
            self.statuses[status] = self.statuses.get(status, 0) + 1
        line = "%d/%d ETA %s %s%s\n" % (self.done, self.total, self.eta(), what, mark)
        shown = mark and status not in EXPECTED
        terminal = self._bar(what) + ("\n  %s: %s\n" % (status, cell_id) if shown else "")
        self._emit(terminal, line)

    def _counts(self) -> str:
        """``: 38 skipped, 6 expected timeouts (cells meant to hang), 1 error``; nothing when all were ok."""
        parts = ["%d %s" % (self.statuses[s], EXPECTED[s]) for s in EXPECTED if s in self.statuses]
        parts += [
            "%d %s%s" % (n, s, "" if n == 1 else "s")
            for s, n in sorted(self.statuses.items())
            if s not in EXPECTED
        ]
        return ": " + ", ".join(parts) if parts else ""

    def note(self, text: str) -> None:
        self._emit("\r\033[K" + text + "\n", text + "\n")

    def close(self) -> None:
        line = "done: %d cells in %s%s\n" % (
            self.done,
            _duration(time.monotonic() - self.started),
            self._counts(),
        )
        self._emit("\r\033[K" + line, line)
