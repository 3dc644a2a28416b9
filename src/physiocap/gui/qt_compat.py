"""A guard against a reference-counting bug of PySide6 6.12.0 on Python 3.11.

In PySide6 6.12.0, every ``Signal.emit()`` made from Python drops one reference to
``True`` more than it took (measured here: after 200 emits ``sys.getrefcount(True)`` is
199 lower; PySide6 6.11.3 does not do this). From Python 3.12 ``True`` is immortal and
nothing happens; on Python 3.11 the count reaches zero after a few thousand emits
(pyqtgraph emits several signals per redraw, so within minutes of live plotting) and the
interpreter aborts with ``bool_dealloc``. A recording app must not die that way, so when
the leak is detected at start-up the guard gives ``True``, ``False`` and ``None`` (which
can never be freed anyway) a reserve of references large enough for any session.

The proper fix is a PySide6 without the bug (pin ``PySide6-Essentials<6.12`` or a fixed
release); :func:`emit_leaks_references` is checked by the GUI tests so the guard can be
dropped once no supported PySide6 needs it.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

#: References added to each singleton: 2**40 emits is decades of 30 Hz plotting.
RESERVE = 2**40
_PROBE_EMITS = 64


class _Probe(QObject):
    ping = Signal()


def emit_leaks_references() -> bool:
    """Whether ``Signal.emit()`` loses references to ``True`` in this PySide6/Python."""
    probe = _Probe()
    probe.ping.connect(lambda: None)
    before = sys.getrefcount(True)
    for _ in range(_PROBE_EMITS):
        probe.ping.emit()
    after = sys.getrefcount(True)
    probe.deleteLater()
    return before - after >= _PROBE_EMITS // 2


_installed = False


def install_refcount_guard() -> bool:
    """Give True/False/None a reserve of references if emit() leaks; returns whether it did.

    Only needed (and only applied) before Python 3.12, where these singletons are not
    immortal; idempotent.
    """
    global _installed
    if _installed or sys.version_info >= (3, 12) or not emit_leaks_references():
        return _installed
    for singleton in (True, False, None):
        ctypes.c_ssize_t.from_address(id(singleton)).value += RESERVE
    _installed = True
    return True
