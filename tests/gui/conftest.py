"""GUI test fixtures: the main window on a temporary study folder, offscreen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("PySide6", reason="the GUI tests need PySide6")
pytest.importorskip("pytestqt", reason="the GUI tests need pytest-qt")

from physiocap.gui.app import PhysiocapWindow, application, build_window


@pytest.fixture
def window(qtbot: object, tmp_path: Path) -> Iterator[PhysiocapWindow]:
    application()
    main_window = build_window(tmp_path / "study")
    qtbot.addWidget(main_window)  # type: ignore[attr-defined]
    main_window.resize(1366, 768)
    main_window.show()
    yield main_window
    for hook in main_window.shutdown_hooks:
        hook()
