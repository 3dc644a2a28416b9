"""GUI test fixtures: the main window on a temporary study folder, offscreen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("PySide6", reason="the GUI tests need PySide6")
pytest.importorskip("pytestqt", reason="the GUI tests need pytest-qt")

from physiocap.core.clock import ScaledClock
from physiocap.gui.app import PhysiocapWindow, application, build_window

#: Simulated time runs this many times faster than real time in the workflow tests.
FAST_CLOCK_SPEED = 10.0


def _window(qtbot: object, study: Path, speed: float | None) -> PhysiocapWindow:
    application()
    main_window = build_window(study, None if speed is None else ScaledClock(speed))
    qtbot.addWidget(main_window)  # type: ignore[attr-defined]
    main_window.resize(1366, 768)
    main_window.show()
    return main_window


@pytest.fixture
def window(qtbot: object, tmp_path: Path) -> Iterator[PhysiocapWindow]:
    main_window = _window(qtbot, tmp_path / "study", None)
    yield main_window
    main_window.close()
    main_window.deleteLater()


@pytest.fixture
def fast_window(qtbot: object, tmp_path: Path) -> Iterator[PhysiocapWindow]:
    """A window whose engine and simulated devices run 10× faster than real time."""
    main_window = _window(qtbot, tmp_path / "study", FAST_CLOCK_SPEED)
    main_window.battery_screen.countdown_step_ms = 100
    yield main_window
    main_window.close()
    main_window.deleteLater()
