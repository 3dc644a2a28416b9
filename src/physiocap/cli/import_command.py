"""``physiocap import FORMAT SRC -o OUT.h5``: another system's recording as a session file."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from physiocap.core.errors import ConfigurationError, StorageError
from physiocap.core.records import ISOMETRIC_MUSCLE_GROUPS, Participant, Side, TestKind

FORMATS = ("tindeq-csv", "apdm-h5", "mobilised-mat", "csv")


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
                        choices=[*(str(t) for t in TestKind
                                   if t not in (TestKind.CALIBRATION, TestKind.ISOMETRIC)),
                                 *ISOMETRIC_MUSCLE_GROUPS],
                        help="test recorded (tindeq-csv: grip, knee_extension or a named "
                             "isometric test such as finger_flexors, hamstrings, "
                             "shoulder_external_rotation; default grip; "
                             "apdm-h5 and csv: required)")
    parser.add_argument("--date", default=None,
                        help="tindeq-csv: session date YYYY-MM-DD, needed when the export's "
                             "file and folder names carry none")
    parser.add_argument("--side", choices=["left", "right"], default=None)
    parser.add_argument("--protocol", default=None,
                        help="grip protocol asht|southampton, or knee method make|break")
    parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    _add_research_options(parser)
    parser.set_defaults(func=_run)


def _nearest_existing(path: Path) -> Path:
    for folder in (path, *path.parents):
        if os.path.lexists(folder):
            return folder
    return Path.cwd()


def check_import_paths(source: Path, out: Path, *, out_is_folder: bool = False,
                       folder_source: bool = False) -> None:
    """Refuse, naming the path and the reason, what would fail half-way or destroy data:
    a missing source or a folder given as source, an output that is the source itself
    (``--force`` would overwrite it) or a link, an output whose folder is a file or not
    writable."""
    if not source.exists():
        raise StorageError("does not exist", path=source)
    if source.is_dir() and not folder_source:
        raise StorageError("is a folder; give the exported file itself", path=source)
    if os.path.lexists(out):
        if out.is_symlink():
            raise StorageError("is a symbolic link; physiocap never writes through links",
                               path=out)
        if os.path.samefile(source, out):
            raise StorageError("is the source file itself: importing into it would destroy "
                               "the source; choose another output file", path=out)
    folder = out if out_is_folder else out.parent
    existing = _nearest_existing(folder)
    if not existing.is_dir():
        raise StorageError(f"cannot be written: {existing} is a file, not a folder", path=out)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise StorageError(f"cannot be written: the folder {existing} is not writable",
                           path=out)


def _run(args: argparse.Namespace) -> int:
    mobilised = args.format == "mobilised-mat"  # a folder of data.mat files is a source
    check_import_paths(args.source, args.out, out_is_folder=mobilised, folder_source=mobilised)
    if args.format != "tindeq-csv":
        return _run_research_format(args)
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


def _add_research_options(parser: argparse.ArgumentParser) -> None:
    """Options of apdm-h5, mobilised-mat and csv (see docs/file-format.md, Importing)."""
    group = parser.add_argument_group(
        "apdm-h5, mobilised-mat, csv",
        "mobilised-mat: SRC is a data.mat or a folder of them; OUT is a session file for one "
        "visit, else a study folder (one file per participant and time measure). csv: the "
        "column and unit mapping comes from --map FILE (JSON) and/or the options below")
    group.add_argument("--visit-label", default="import", help="visit label (default import)")
    group.add_argument("--map", type=Path, default=None, help="csv: mapping file (JSON)")
    group.add_argument("--time", default=None,
                       help="csv: time column and unit, COLUMN[:s|ms|us|ns|unix_s|unix_ms|"
                            "unix_us|unix_ns|iso]")
    group.add_argument("--rate-hz", type=float, default=None,
                       help="csv: fixed sampling rate instead of a time column")
    for name, example in (("acc", "ax,ay,az:g"), ("gyro", "gx,gy,gz:deg/s"),
                          ("mag", "mx,my,mz:uT")):
        group.add_argument(f"--{name}", default=None, help=f"csv: {name} columns and unit, "
                                                           f"e.g. {example}")
    group.add_argument("--force-column", dest="force_column", default=None,
                       help="csv: force column and unit (N, kgf, lbf), e.g. F:kgf")
    group.add_argument("--placement", default=None,
                       help="csv: where the sensor sat (lower_back, thigh, shank, wrist, foot, "
                            "grip_dynamometer, knee_dynamometer)")
    group.add_argument("--start-utc", default=None,
                       help="csv with relative times: the recording's start, ISO 8601 with "
                            "offset (the file's modification time is never used)")
    group.add_argument("--delimiter", default=None, help="csv: delimiter (default ,)")


def _required_test(args: argparse.Namespace) -> TestKind:
    if args.test is None:
        raise ConfigurationError(f"{args.format}: say which test the recording holds "
                                 "(--test tug|gait_speed|sit_to_stand|grip|knee_extension)")
    return TestKind(args.test)


def _run_research_format(args: argparse.Namespace) -> int:
    participant = Participant(args.participant)
    if args.format == "apdm-h5":
        from physiocap.workflows.importers.apdm_h5 import import_apdm_h5

        out = import_apdm_h5(args.source, args.out, participant, _required_test(args),
                             visit_label=args.visit_label, overwrite=args.force)
        print(f"Imported {args.source} into {out}")
    elif args.format == "mobilised-mat":
        from physiocap.workflows.importers.mobilised_mat import import_mobilised

        chosen = None if args.participant == "IMPORTED" else args.participant
        for visit in import_mobilised(args.source, args.out, participant_id=chosen,
                                      overwrite=args.force):
            print(f"Imported {visit.participant_id} {visit.session_id} "
                  f"({len(visit.trial_ids)} trials) into {visit.path}")
    else:
        from physiocap.workflows.importers.mapped_csv import (
            import_mapped_csv,
            load_mapping_file,
            mapping_from,
        )

        mapping = mapping_from(
            load_mapping_file(args.map) if args.map else {},
            {"time": args.time, "rate_hz": args.rate_hz, "acc": args.acc, "gyro": args.gyro,
             "mag": args.mag, "force": args.force_column, "placement": args.placement,
             "side": args.side, "start_utc": args.start_utc, "delimiter": args.delimiter})
        out = import_mapped_csv(args.source, args.out, mapping, participant,
                                _required_test(args), visit_label=args.visit_label,
                                overwrite=args.force)
        print(f"Imported {args.source} into {out}")
    return 0
