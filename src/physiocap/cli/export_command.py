"""``physiocap export outcomes|bids --study DIR -o OUT``: a study's data for researchers."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export", help="export a study: tidy outcome table (CSV/Parquet) or Motion-BIDS",
        description="Export a study folder for researchers. Only the pseudonymous "
                    "participant ID identifies anyone.")
    kinds = parser.add_subparsers(dest="export_kind", metavar="KIND", required=True)
    outcomes = kinds.add_parser(
        "outcomes", help="one row per participant × visit × trial × outcome",
        description="Every trial's outcomes from its most recent stored analysis run, one "
                    "row per outcome, with the protocol variables; .csv or .parquet by the "
                    "suffix of OUT.")
    outcomes.add_argument("--study", type=Path, required=True, help="study folder")
    outcomes.add_argument("-o", "--out", type=Path, required=True,
                          help="table to write (.csv or .parquet)")
    outcomes.add_argument("--accepted-only", action="store_true",
                          help="only trials the operator accepted")
    outcomes.add_argument("--visit-scores", action="store_true",
                          help="add each visit's score per test (the visit summary's rule)")
    outcomes.set_defaults(func=_run_outcomes)
    bids = kinds.add_parser(
        "bids", help="Motion-BIDS dataset (raw signals, events, participants)",
        description="Write the study as a Motion-BIDS dataset (BIDS >= 1.9 motion datatype): "
                    "per trial _motion.tsv/_channels.tsv/_motion.json per tracking system and "
                    "_events.tsv with the detected phases, steps and efforts.")
    bids.add_argument("--study", type=Path, required=True, help="study folder")
    bids.add_argument("-o", "--out", type=Path, required=True, help="BIDS folder to write")
    bids.add_argument("--age-band-years", type=int, default=None, metavar="YEARS",
                      help="export age at the visit as a band of this width (e.g. 10 → "
                           "60-69) instead of leaving age out")
    bids.add_argument("--accepted-only", action="store_true",
                      help="only trials the operator accepted")
    bids.add_argument("--force", action="store_true",
                      help="write into an existing non-empty folder")
    bids.set_defaults(func=_run_bids)


def _run_outcomes(args: argparse.Namespace) -> int:
    from physiocap.workflows.export.outcome_table import export_outcomes

    summary = export_outcomes(args.study, args.out, accepted_only=args.accepted_only,
                              visit_scores=args.visit_scores)
    for problem in summary.skipped:
        print(f"skipped {problem}")
    print(f"Wrote {summary.rows} rows from {summary.sessions} session files to {summary.path}")
    return 1 if summary.skipped else 0


def _run_bids(args: argparse.Namespace) -> int:
    from physiocap.workflows.export.bids import export_bids

    summary = export_bids(args.study, args.out, age_band_years=args.age_band_years,
                          accepted_only=args.accepted_only, overwrite=args.force)
    for problem in summary.skipped:
        print(f"skipped {problem}")
    print(f"Wrote {summary.recordings} recordings of {summary.participants} participants "
          f"to {summary.path}")
    return 1 if summary.skipped else 0
