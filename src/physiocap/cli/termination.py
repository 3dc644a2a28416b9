"""A polite request to stop (SIGTERM, SIGHUP) ends a recording the way Ctrl+C does.

Logging out sends SIGHUP to the programs of a terminal, ``systemctl stop`` and ``kill``
send SIGTERM; by default both kill Python at once, leaving the session file open
(interrupted, unsealed) and its lock behind. While :func:`stopping_on_termination` is
active they raise :class:`Terminated` in the main thread instead, a ``KeyboardInterrupt``:
every path that closes a recording on Ctrl+C (trial marked interrupted, file closed, lock
released) runs for them too. A second request during that clean-up is ignored, so the
clean-up itself is never cut short; SIGKILL remains the way to stop at once.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

#: The signals that ask a program to stop, where the platform has them.
TERMINATION_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class Terminated(KeyboardInterrupt):
    """The process was asked to stop by ``signal_number``."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signal_number).name}")
        self.signal_number = signal_number

    @property
    def exit_code(self) -> int:
        """The shell's convention for a process ended by a signal: 128 + its number."""
        return 128 + self.signal_number


@contextlib.contextmanager
def stopping_on_termination() -> Iterator[None]:
    """Within the block, a termination signal raises :class:`Terminated` (once). Outside
    the main thread, where Python cannot install handlers, it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    raised = threading.Event()

    def _handler(signal_number: int, _frame: FrameType | None) -> None:
        if raised.is_set():
            return
        raised.set()
        raise Terminated(signal_number)

    previous = {number: signal.signal(number, _handler) for number in TERMINATION_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
