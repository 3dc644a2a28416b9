"""Participants' progress, computed once per state of their session files and shared by
the screens (the Participants list shows the latest verdicts, the Progress screen the
whole course).

Computing a participant's progress re-analyses each visit, so it runs on a worker thread,
one participant at a time (the machine's other core stays free for capture), the one a
screen is waiting for first, and none starts while a trial records. A result stays valid
while the participant's session files are unchanged (names and modification times); a
new, changed or removed file makes the next request compute it again, so no screen shows
a stale answer.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from physiocap.gui.background import BackgroundTask, Progress, run_in_background
from physiocap.gui.errors import describe
from physiocap.workflows.progress import ParticipantProgress, participant_progress

Stamp = tuple[tuple[str, int], ...]
#: While a trial records, a waiting computation is retried this often, ms.
RETRY_MS = 1000


def session_stamp(study_root: Path, participant_id: str) -> Stamp:
    """The participant's session files and their modification times."""
    folder = study_root / participant_id
    if not folder.is_dir():
        return ()
    return tuple(sorted((path.name, path.stat().st_mtime_ns) for path in folder.glob("*.h5")))


class ProgressStore(QObject):
    """Cached :class:`ParticipantProgress` per participant, computed in the background."""

    updated = Signal(str)  # participant ID whose progress is ready
    failed = Signal(str, str)  # participant ID, why
    progress = Signal(str, int, int)  # participant ID, visits done, visits in all

    def __init__(self, study_root: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.study_root = Path(study_root)
        self._results: dict[str, tuple[Stamp, ParticipantProgress]] = {}
        self._queue: deque[str] = deque()
        self._running: tuple[str, BackgroundTask] | None = None
        self._busy: Callable[[], bool] = lambda: False

    def set_study_root(self, study_root: Path) -> None:
        self.study_root = Path(study_root)
        self._results.clear()
        self._queue.clear()
        if self._running is not None:
            self._running[1].cancel()
            self._running = None

    def shutdown(self) -> None:
        """Forget the participants still waiting (the app is closing)."""
        self._queue.clear()

    def get(self, participant_id: str) -> ParticipantProgress | None:
        """The progress if it was computed from the session files as they are now."""
        cached = self._results.get(participant_id)
        if cached is None or cached[0] != session_stamp(self.study_root, participant_id):
            return None
        return cached[1]

    @property
    def idle(self) -> bool:
        """Nothing computing and nothing waiting."""
        return self._running is None and not self._queue

    def loading(self, participant_id: str) -> bool:
        return (self._running is not None and self._running[0] == participant_id) or \
            participant_id in self._queue

    def request(self, participant_id: str, *, first: bool = False,
                force: bool = False) -> None:
        """Compute ``participant_id``'s progress unless it is fresh (``force``: anyway);
        ``first`` puts it ahead of the others waiting. :attr:`updated` says when ready."""
        if force:
            self._results.pop(participant_id, None)
        if self.get(participant_id) is not None:
            self.updated.emit(participant_id)
            return
        if not session_stamp(self.study_root, participant_id):
            return
        if self._running is not None and self._running[0] == participant_id:
            return
        if participant_id in self._queue:
            self._queue.remove(participant_id)
        if first:
            self._queue.appendleft(participant_id)
        else:
            self._queue.append(participant_id)
        self._next()

    def hold_while(self, busy: Callable[[], bool]) -> None:
        """Start no computation while ``busy()`` (a trial is recording: the capture
        threads come first), checking again every second."""
        self._busy = busy

    def _next(self) -> None:
        if self._running is not None or not self._queue:
            return
        if self._busy():
            QTimer.singleShot(RETRY_MS, self._next)
            return
        participant_id = self._queue.popleft()
        root = self.study_root
        stamp = session_stamp(root, participant_id)

        def work(report: Progress) -> ParticipantProgress:
            return participant_progress(root, participant_id, on_progress=report)

        def done(result: ParticipantProgress) -> None:
            self._running = None
            self._results[participant_id] = (stamp, result)
            self.updated.emit(participant_id)
            self._next()

        def failed(error: BaseException) -> None:
            self._running = None
            self.failed.emit(participant_id, describe(error))
            self._next()

        task = run_in_background(
            work, done=done, failed=failed,
            progress=lambda d, t: self.progress.emit(participant_id, d, t))
        self._running = (participant_id, task)
