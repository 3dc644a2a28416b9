"""The ``physiocap`` command: one subcommand module per job.

Each module in :data:`COMMAND_MODULES` exposes ``register(subparsers)`` which adds its
parser and sets ``func`` (taking the parsed arguments, returning an exit code). Errors from
physiocap are printed as one readable sentence, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from physiocap import __version__
from physiocap.core.errors import PhysiocapError

COMMAND_MODULES: tuple[str, ...] = (
    "physiocap.cli.demo_command",
    "physiocap.cli.analyze_command",
    "physiocap.cli.import_command",
    "physiocap.cli.export_command",
    "physiocap.cli.info_command",
    "physiocap.cli.validate_command",
    "physiocap.cli.gui_command",
    "physiocap.cli.devices_command",
    "physiocap.cli.progress_command",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="physiocap",
        description="Capture and analyse clinical functional tests from Bluetooth sensors.")
    parser.add_argument("--version", action="version", version=f"physiocap {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except PhysiocapError as error:
        print(f"physiocap {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"physiocap {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
