"""``physiocap import FORMAT SRC -o OUT.h5``: another system's recording as a session file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from physiocap.core.records import Participant, Side, TestKind
from physiocap.workflows.importers.tindeq import import_tindeq_csv

FORMATS = ("tindeq-csv",)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "import", help="convert another system's recording into a session file",
        description="Convert a recording made by another system into a physiocap session "
                    "file (one trial), keeping the source's timestamps.")
    parser.add_argument("format", choices=FORMATS, help="source format")
    parser.add_argument("source", type=Path, help="file to import")
    parser.add_argument("-o", "--out", type=Path, required=True, help="session file to write")
    parser.add_argument("--participant", default="IMPORTED",
                        help="pseudonymous participant ID (default IMPORTED)")
    parser.add_argument("--test", choices=[TestKind.GRIP.value, TestKind.KNEE_EXTENSION.value],
                        default=TestKind.GRIP.value, help="test recorded (default grip)")
    parser.add_argument("--side", choices=["left", "right"], default=None)
    parser.add_argument("--protocol", default=None,
                        help="grip protocol asht|southampton, or knee method make|break")
    parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    test = TestKind(args.test)
    protocol: dict[str, object] = {}
    if args.protocol is not None:
        protocol["protocol" if test is TestKind.GRIP else "method"] = args.protocol
    out = import_tindeq_csv(args.source, args.out, Participant(args.participant), test=test,
                            side=Side(args.side or ""), protocol=protocol, overwrite=args.force)
    print(f"Imported {args.source} into {out}")
    return 0
