"""Termination signals reach the desktop app: logout and ``systemctl stop`` close a visit.

Qt's event loop runs in C++, so a Python signal handler only runs when Python code next
runs, which in an idle window may be never: SIGTERM (``systemctl stop``, ``kill``), SIGHUP
(logout) and SIGINT (Ctrl+C in the terminal that started the app) would wait, then the
session manager's SIGKILL would leave the session file open and its lock behind. Here the
C-level handler writes the signal's number to a socket (``signal.set_wakeup_fd``) that a
:class:`QSocketNotifier` watches, so the event loop wakes at once and emits
:attr:`TerminationWatch.requested` with the number, in the GUI thread, between events,
never inside another slot. The app then closes its window through the normal close path
without asking (:meth:`physiocap.gui.app.PhysiocapWindow.terminate`), as the command line
does on these signals (:mod:`physiocap.cli.termination`).
"""

from __future__ import annotations

import signal
import socket
import threading
from types import FrameType

from PySide6.QtCore import QObject, QSocketNotifier, Signal

from physiocap.cli.termination import TERMINATION_SIGNALS

#: Every signal that asks the app to stop: the command line's polite ones and Ctrl+C.
STOP_SIGNALS: tuple[signal.Signals, ...] = (*TERMINATION_SIGNALS, signal.SIGINT)


def _pending(_signal_number: int, _frame: FrameType | None) -> None:
    """The Python-level handler does nothing: the number travels through the wakeup socket
    (a handler other than the default is what keeps the process alive)."""


class TerminationWatch(QObject):
    """While installed, a stop signal emits ``requested(signal_number)`` in the GUI thread.

    Outside the main thread (where Python cannot install handlers) it does nothing.
    :meth:`uninstall` restores the previous handlers and wakeup descriptor.
    """

    requested = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._previous: dict[int, object] = {}
        self._previous_fd = -1
        self._sockets: tuple[socket.socket, socket.socket] | None = None
        self._notifier: QSocketNotifier | None = None
        if threading.current_thread() is not threading.main_thread():
            return
        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        self._sockets = (reader, writer)
        self._previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        self._previous = {number: signal.signal(number, _pending) for number in STOP_SIGNALS}
        self._notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._wake)

    def _wake(self) -> None:
        if self._sockets is None:
            return
        try:
            received = self._sockets[0].recv(64)
        except BlockingIOError:
            return
        for number in received:
            if number in STOP_SIGNALS:
                self.requested.emit(number)

    def uninstall(self) -> None:
        if self._sockets is None:
            return
        if self._notifier is not None:
            self._notifier.setEnabled(False)
        for number, handler in self._previous.items():
            signal.signal(number, handler)  # type: ignore[arg-type]
        signal.set_wakeup_fd(self._previous_fd)
        for end in self._sockets:
            end.close()
        self._sockets = None
