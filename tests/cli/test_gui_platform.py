"""``physiocap gui`` on a machine without a display: the tour runs offscreen by itself and
the interactive app says what to do instead of letting Qt abort the process."""

from __future__ import annotations

import os
import sys

import pytest

from physiocap.cli import gui_command
from physiocap.core.errors import ConfigurationError

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="DISPLAY/WAYLAND_DISPLAY decide this on Linux only")


@pytest.fixture
def no_display(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_tour_without_display_runs_offscreen(no_display: pytest.MonkeyPatch) -> None:
    gui_command._choose_platform(touring=True)
    assert os.environ["QT_QPA_PLATFORM"] == "offscreen"


def test_app_without_display_says_how_to_get_one(no_display: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match=r"xvfb-run.*QT_QPA_PLATFORM=offscreen"):
        gui_command._choose_platform(touring=False)


def test_chosen_platform_is_respected(no_display: pytest.MonkeyPatch) -> None:
    no_display.setenv("QT_QPA_PLATFORM", "xcb")
    gui_command._choose_platform(touring=False)
    assert os.environ["QT_QPA_PLATFORM"] == "xcb"
