"""``physiocap report SESSION.h5 -o report.pdf [--force]``: the visit report as a PDF."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report", help="a PDF report of one visit, with the participant's progress",
        description="Write a PDF a physiotherapist can file or hand over: page 1 the visit "
                    "(pseudonymous ID, date, operator, devices with serial numbers, each "
                    "test's score with its rule, cut-off and norm verdicts with sources, "
                    "quality flags), page 2 the participant's progress up to this visit "
                    "(plots against the MDC band and cut-offs, change table). The session "
                    "file is analysed in memory and never changed.")
    parser.add_argument("file", type=Path, help="session file (.h5)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="PDF to write")
    parser.add_argument("--force", action="store_true", help="replace an existing output")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from physiocap.cli.progress_bar import ProgressBar
    from physiocap.workflows.report import write_visit_report

    written = write_visit_report(args.file, args.output, force=args.force,
                                 on_progress=ProgressBar("analysing the participant's visits"))
    print(f"report written to {written}")
    return 0
