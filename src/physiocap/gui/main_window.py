"""The main window: a navigation column, the screens, and a bar saying who and what is open."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from physiocap.gui.state import AppState, OpenVisit
from physiocap.gui.widgets.common import label

#: The smallest screen the app must be usable on (issue 6: 1366×768 laptops).
MIN_SCREEN = QSize(1366, 768)


class ContextBar(QFrame):
    """Participant, visit and recording state, always visible above the screens."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contextBar")
        self.state = state
        self.participant = QLabel()
        self.visit = QLabel()
        self.activity = QLabel()
        self.simulated = label("SIMULATED DEVICES", "simulated")
        self.simulated.setToolTip("At least one connected device is simulated: "
                                  "its recordings are not patient measurements.")
        self.simulated.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.addWidget(self.participant)
        layout.addSpacing(24)
        layout.addWidget(self.visit)
        layout.addStretch(1)
        layout.addWidget(self.activity)
        layout.addSpacing(12)
        layout.addWidget(self.simulated)
        state.participant_changed.connect(self._show_participant)
        state.participant_changed.connect(lambda _p: self._show_visit(state.visit))
        state.visit_changed.connect(self._show_visit)
        self._show_participant(state.participant)
        self._show_visit(state.visit)

    def _show_participant(self, participant: object) -> None:
        text = getattr(participant, "participant_id", None)
        self.participant.setText(f"Participant: <b>{text}</b>" if text
                                 else "No participant selected")

    def _show_visit(self, visit: OpenVisit | None) -> None:
        if visit is None:
            self.visit.setText("No visit open")
        else:
            mode = "reviewing" if visit.existing else "recording"
            owner = visit.participant.participant_id
            selected = getattr(self.state.participant, "participant_id", None)
            whose = f"{owner} / " if owner != selected else ""  # another participant's visit
            self.visit.setText(f"Visit: <b>{whose}{visit.session.session_id}</b> ({mode})")

    def set_activity(self, text: str) -> None:
        self.activity.setText(text)


class MainWindow(QMainWindow):
    """Navigation on the left (Ctrl+1…Ctrl+9 jump to a screen), screens on the right.

    ``close_guard`` is asked before the window closes; it returns False to keep the window
    open (the battery screen asks whether to stop and save a running recording).
    """

    def __init__(self, state: AppState) -> None:
        super().__init__()
        self.state = state
        self.setWindowTitle("physiocap")
        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setFixedWidth(190)
        self.navigation.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.stack = QStackedWidget()
        self.context_bar = ContextBar(state)
        self.close_guards: list[Callable[[], bool]] = []
        self.shutdown_hooks: list[Callable[[], None]] = []
        self.shut_down = False

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(0)
        right_layout.addWidget(self.context_bar)
        right_layout.addWidget(self.stack, 1)
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.navigation)
        layout.addWidget(right, 1)
        self.setCentralWidget(central)
        self.navigation.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.statusBar().showMessage("Ready.")
        state.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.resize(MIN_SCREEN.width(), MIN_SCREEN.height() - 40)

    def add_screen(self, title: str, screen: QWidget) -> int:
        """Append a screen to the navigation; returns its index."""
        index = self.stack.addWidget(screen)
        self.navigation.addItem(f"{index + 1}  {title}")
        shortcut = QShortcut(QKeySequence(f"Ctrl+{index + 1}"), self)
        shortcut.activated.connect(lambda: self.show_screen(index))
        if self.navigation.currentRow() < 0:
            self.navigation.setCurrentRow(0)
        return index

    def show_screen(self, target: int | QWidget) -> None:
        index = target if isinstance(target, int) else self.stack.indexOf(target)
        self.navigation.setCurrentRow(index)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        """Ask the guards, then run the shutdown hooks once (a close requested while a
        guard's question is open, e.g. by a stop signal, must not run them twice)."""
        if not self.shut_down:
            for guard in self.close_guards:
                if not guard():
                    event.ignore()
                    return
            if self.shut_down:  # closed while a guard was asking
                event.accept()
                return
            self.shut_down = True
            for hook in self.shutdown_hooks:
                hook()
        event.accept()
