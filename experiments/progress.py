"""Progress of a run: a bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import shutil
import sys
import time


def _duration(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return "%dm%02ds" % divmod(seconds, 60) if seconds >= 60 else "%ds" % seconds


class Progress:
    """Counts cells done against the total and shows the current cell and an ETA."""

    def __init__(self, total: int, stream=None, tty: bool | None = None):
        self.total = max(total, 1)
        self.done = 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.started = time.monotonic()
        #: Seconds the run is expected to take (its budget), when known: the ETA counts down from it,
        #: since adaptive rounds make the number of cells unknown in advance.
        self.expected_s: float | None = None

    def eta(self) -> str:
        elapsed = time.monotonic() - self.started
        if self.expected_s is not None and elapsed < self.expected_s:
            return _duration(self.expected_s - elapsed)
        if not self.done:
            return "?"
        return _duration(elapsed / self.done * max(0, self.total - self.done))

    def _bar(self, what: str) -> None:
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
        self.stream.write("\r\033[K" + (head + what)[: width - 1])
        self.stream.flush()

    def start(self, experiment: str, cell_id: str, repeat: int) -> None:
        """Show the cell now running (on a terminal; plain output reports cells when they end)."""
        if self.tty:
            self._bar("running %s [%s] r%d" % (experiment, cell_id, repeat))

    def cell(self, experiment: str, cell_id: str, repeat: int, status: str = "") -> None:
        """Report one finished cell repetition."""
        self.done += 1
        what = "%s [%s] r%d" % (experiment, cell_id, repeat)
        if self.tty:
            self._bar(what)
            if status not in ("", "ok"):
                self.stream.write("\n  %s: %s\n" % (status, cell_id))
        else:
            mark = "" if status in ("", "ok") else " -> " + status
            self.stream.write("%d/%d ETA %s %s%s\n" % (self.done, self.total, self.eta(), what, mark))
        self.stream.flush()

    def note(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
        self.stream.write("done: %d cells in %s\n" % (self.done, _duration(time.monotonic() - self.started)))
        self.stream.flush()
