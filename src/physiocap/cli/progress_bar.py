"""The one progress bar of the command line: done/total, rate and ETA on stderr.

Long work shows progress (brief): every command that works through many files or folds
(progress, report, reanalyze, validate --loso) reports through :class:`ProgressBar`, so
they all look and behave alike. On a terminal the bar is redrawn in place and ends with a
newline; in a log or a pipe, where carriage returns would pile up, it writes one line per
tenth of the work and the final one. Work shorter than ``show_after_s`` shows nothing.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """``bar(done, total)`` after each item; ``bar.message(text)`` for a line in between
    (a failing file), which does not break the bar on a terminal.

    ``what`` names the work ("indexing the study"), ``unit`` the items ("sessions");
    ``stream`` defaults to stderr (stdout stays for results), ``tty`` to whether the
    stream is a terminal."""

    def __init__(self, what: str = "", unit: str = "", *, stream: TextIO | None = None,
                 width: int = 30, show_after_s: float = 0.5, tty: bool | None = None) -> None:
        self.what, self.unit, self.width = what, unit, width
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.show_after_s = show_after_s
        self.started = time.monotonic()
        self.shown = False
        self._last_tenth = -1
        self._drawn = False  # a terminal line without its newline yet

    def text(self, done: int, total: int) -> str:
        """``"indexing the study: 120/400 files, 35.2/s, ETA 8 s"``."""
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = f"ETA {(total - done) / rate:.0f} s" if rate > 0 else "ETA —"
        count = f"{done}/{total}" + (f" {self.unit}" if self.unit else "")
        prefix = f"{self.what}: " if self.what else ""
        return f"{prefix}{count}, {rate:.2f}/s, {eta}"

    def __call__(self, done: int, total: int) -> None:
        finished = done >= total
        if not self.shown:
            if time.monotonic() - self.started < self.show_after_s:
                return
            self.shown = True
        text = self.text(done, total)
        if self.tty:
            filled = int(self.width * done / max(total, 1))
            self.stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {text} ")
            self._drawn = not finished
            if finished:
                self.stream.write("\n")
        else:
            tenth = done * 10 // max(total, 1)
            if tenth != self._last_tenth or finished:
                self._last_tenth = tenth
                self.stream.write(text + "\n")
        self.stream.flush()

    def message(self, text: str) -> None:
        """A line of its own (on a terminal below the bar, which is redrawn next time)."""
        if self._drawn:
            self.stream.write("\n")
            self._drawn = False
        self.stream.write(text + "\n")
        self.stream.flush()
