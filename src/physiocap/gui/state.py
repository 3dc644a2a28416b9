"""What the app is working on: the study folder, the participant and the open visit.

One :class:`AppState` is shared by every screen; screens listen to its signals rather than
to each other, so each screen can be built and tested alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from physiocap.core.records import Participant, SessionInfo
from physiocap.gui.progress_store import ProgressStore
from physiocap.workflows.study import StudyFolder


@dataclass(frozen=True, slots=True)
class OpenVisit:
    """A visit being recorded (``existing`` False) or reviewed (True)."""

    participant: Participant
    session: SessionInfo
    path: Path
    existing: bool


class AppState(QObject):
    """The study, the selected participant and the visit; emits a signal on each change.
    :attr:`progress` holds the participants' longitudinal progress, computed in the
    background and shared by the screens."""

    study_changed = Signal()
    participant_changed = Signal(object)  # Participant | None
    visit_changed = Signal(object)  # OpenVisit | None
    status_message = Signal(str)

    def __init__(self, study_dir: Path) -> None:
        super().__init__()
        self.study = StudyFolder(study_dir)
        self.participant: Participant | None = None
        self.visit: OpenVisit | None = None
        self.progress = ProgressStore(study_dir, self)

    def set_study_dir(self, study_dir: Path) -> None:
        self.study = StudyFolder(study_dir)
        self.progress.set_study_root(study_dir)
        self.set_participant(None)
        self.study_changed.emit()

    def set_participant(self, participant: Participant | None) -> None:
        if participant != self.participant:
            self.participant = participant
            self.participant_changed.emit(participant)

    def set_visit(self, visit: OpenVisit | None) -> None:
        self.visit = visit
        if visit is not None:
            self.set_participant(visit.participant)
        self.visit_changed.emit(visit)

    def tell(self, message: str) -> None:
        """Show a short message in the status bar."""
        self.status_message.emit(message)
