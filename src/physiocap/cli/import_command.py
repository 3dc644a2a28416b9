"""``physiocap import FORMAT SRC -o OUT.h5``: another system's recording as a session file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from physiocap.core.errors import ConfigurationError
from physiocap.core.records import ISOMETRIC_MUSCLE_GROUPS, Participant, Side, TestKind

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
    parser.add_argument("--test", default=None,
                        choices=[TestKind.GRIP.value, TestKind.KNEE_EXTENSION.value,
                                 *ISOMETRIC_MUSCLE_GROUPS],
                        help="test recorded: grip, knee_extension or a named isometric test "
                             "such as finger_flexors, hamstrings, shoulder_external_rotation "
                             "(default grip)")
    parser.add_argument("--date", default=None,
                        help="session date YYYY-MM-DD, needed when the export's file and "
                             "folder names carry none")
    parser.add_argument("--side", choices=["left", "right"], default=None)
    parser.add_argument("--protocol", default=None,
                        help="grip protocol asht|southampton, or knee method make|break")
    parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    return _run_tindeq(args)


def _run_tindeq(args: argparse.Namespace) -> int:
    from datetime import date

    from physiocap.workflows.importers.tindeq import import_tindeq_csv

    protocol: dict[str, object] = {}
    if args.test in ISOMETRIC_MUSCLE_GROUPS:
        test = TestKind.ISOMETRIC
        protocol["muscle_group"] = args.test
    else:
        test = TestKind(args.test or TestKind.GRIP.value)
    if test not in (TestKind.GRIP, TestKind.KNEE_EXTENSION, TestKind.ISOMETRIC):
        raise ConfigurationError(f"tindeq-csv records grip, knee_extension or a named "
                                 f"isometric test ({', '.join(ISOMETRIC_MUSCLE_GROUPS)}), "
                                 f"not {test}")
    if args.protocol is not None:
        protocol["protocol" if test is TestKind.GRIP else "method"] = args.protocol
    try:
        recorded_on = None if args.date is None else date.fromisoformat(args.date)
    except ValueError:
        raise ConfigurationError(f"--date {args.date!r} is not a date YYYY-MM-DD") from None
    done = import_tindeq_csv(args.source, args.out, Participant(args.participant), test=test,
                             side=Side(args.side or ""), protocol=protocol,
                             overwrite=args.force, recorded_on=recorded_on)
    print(f"Imported {args.source} into {done.out} (session date {done.session_date}, "
          f"from the {done.date_source})")
    for segment in done.dropped_segments:
        print(f"  left out a segment before the time column restarted ({segment.describe()}); "
              "the longest segment is the set")
    return 0
