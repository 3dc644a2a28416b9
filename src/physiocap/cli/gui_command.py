"""``physiocap gui [--study DIR] [--tour DIR]``: start the desktop app.

The GUI sits above the CLI in the layer order, so this module hands over to it by name at
run time (as the ``physiocap-gui`` entry point does) and never imports Qt itself: every
other subcommand keeps working on a machine without a display.
"""

from __future__ import annotations

import argparse
import importlib
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


def run(args: argparse.Namespace) -> int:
    try:
        app = importlib.import_module(GUI_APP_MODULE)
    except ImportError as error:
        raise ConfigurationError(
            f"the desktop app cannot start because Qt is not available ({error}); "
            "reinstall physiocap with its default dependencies") from None
    return int(app.run(args.study, args.tour))
