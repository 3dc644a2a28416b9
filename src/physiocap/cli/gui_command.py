"""``physiocap gui [--study DIR] [--tour DIR]``: start the desktop app.

The GUI sits above the CLI in the layer order, so this module hands over to it by name at
run time (as the ``physiocap-gui`` entry point does) and never imports Qt itself: every
other subcommand keeps working on a machine without a display.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from physiocap.core.errors import ConfigurationError

GUI_APP_MODULE = "physiocap.gui.app"


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "gui", help="start the desktop app",
        description="Start the desktop app for participants, devices, the test battery, "
                    "visit summaries and replay.")
    parser.add_argument("--study", type=Path, default=None, metavar="DIR",
                        help="study folder (default: the per-user data folder)")
    parser.add_argument("--tour", type=Path, default=None, metavar="DIR",
                        help="drive a simulated visit by itself, save a PNG of every screen "
                             "to DIR and exit")
    parser.set_defaults(func=run)


def _choose_platform(touring: bool) -> None:
    """Pick Qt's platform where the machine has no display, or say what to do.

    On Linux without ``DISPLAY`` or ``WAYLAND_DISPLAY`` Qt aborts the process with a plugin
    error. The tour only saves screenshots, so it runs offscreen by itself; the interactive
    app needs a screen, so the user is told how to get one.
    """
    if (not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM")
            or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return
    if touring:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return
    raise ConfigurationError(
        "no display found (neither DISPLAY nor WAYLAND_DISPLAY is set): run it on the "
        "desktop, under a virtual screen (xvfb-run physiocap gui), or with "
        "QT_QPA_PLATFORM=offscreen to start it without showing a window")


def run(args: argparse.Namespace) -> int:
    _choose_platform(touring=args.tour is not None)
    try:
        app = importlib.import_module(GUI_APP_MODULE)
    except ImportError as error:
        raise ConfigurationError(
            f"the desktop app cannot start because Qt is not available ({error}); "
            "reinstall physiocap with its default dependencies") from None
    return int(app.run(args.study, args.tour))
