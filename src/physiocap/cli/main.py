"""The ``physiocap`` command: one subcommand module per job.

Each module in :data:`COMMAND_MODULES` exposes ``register(subparsers)`` which adds its
parser and sets ``func`` (taking the parsed arguments, returning an exit code). A module
``physiocap.cli.<name>_command`` registers the command ``<name>``: when the command line
names one, only that module is imported (start-up cost, ``benchmarks/startup.py``); the
modules import their heavy dependencies only when their command runs.

Errors are printed as one readable sentence, never a traceback: physiocap's own errors as
they are, an operating-system error with its path and reason, anything else as an
internal error to report. SIGTERM and SIGHUP stop a command like Ctrl+C
(:mod:`physiocap.cli.termination`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from physiocap import __version__
from physiocap.cli.termination import Terminated, stopping_on_termination
from physiocap.core.errors import PhysiocapError

COMMAND_MODULES: tuple[str, ...] = (
    "physiocap.cli.demo_command",
    "physiocap.cli.analyze_command",
    "physiocap.cli.import_command",
    "physiocap.cli.export_command",
    "physiocap.cli.reanalyze_command",
    "physiocap.cli.info_command",
    "physiocap.cli.validate_command",
    "physiocap.cli.gui_command",
    "physiocap.cli.devices_command",
    "physiocap.cli.progress_command",
    "physiocap.cli.report_command",
    "physiocap.cli.qa_command",
)


def command_name(module_name: str) -> str:
    """The command a module registers, by the naming convention (``x_command`` → ``x``)."""
    return module_name.rsplit(".", 1)[-1].removesuffix("_command").replace("_", "-")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with every command, or only ``command``'s when it is known (faster)."""
    parser = argparse.ArgumentParser(
        prog="physiocap",
        description="Capture and analyse clinical functional tests from Bluetooth sensors.")
    parser.add_argument("--version", action="version", version=f"physiocap {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = [name for name in COMMAND_MODULES if command_name(name) == command]
    for module_name in chosen or COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    if chosen and command not in subparsers.choices:  # a module named unconventionally
        return build_parser()
    return parser


def _first_word(argv: Sequence[str]) -> str | None:
    return next((word for word in argv if not word.startswith("-")), None)


def _one_line(text: str) -> str:
    """An error as one line (a value quoted from a damaged file may hold line breaks)."""
    return " ".join(text.split())


def _os_error_text(error: OSError) -> str:
    where = f"{error.filename}: " if error.filename else ""
    return f"{where}{error.strerror or error}"


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(_first_word(words)).parse_args(words)
    try:
        with stopping_on_termination():
            code = int(args.func(args) or 0)
            sys.stdout.flush()  # a closed pipe shows here, inside the handlers below
            return code
    except PhysiocapError as error:
        print(f"physiocap {args.command}: {_one_line(str(error))}", file=sys.stderr)
        return 2
    except Terminated as stop:
        print(f"physiocap {args.command}: {stop}", file=sys.stderr)
        return stop.exit_code
    except KeyboardInterrupt:
        print(f"physiocap {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader stopped reading (``physiocap progress ... | head``): nothing is wrong,
        # so say nothing, and keep Python from failing again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as for a program the closed pipe stopped
    except OSError as error:
        print(f"physiocap {args.command}: {_one_line(_os_error_text(error))}", file=sys.stderr)
        return 2
    except Exception as error:  # a bug: one line, and how to get the details
        if os.environ.get("PHYSIOCAP_DEBUG"):
            raise
        print(f"physiocap {args.command}: internal error {type(error).__name__}: "
              f"{_one_line(str(error))} (please report it; PHYSIOCAP_DEBUG=1 shows the "
              "traceback)", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
