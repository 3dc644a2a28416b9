"""``physiocap analyze FILE [--json]``: analyse every trial; store each result as a new run."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from physiocap.workflows.analyze import TrialOutcome


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "analyze", help="analyse a session file (stores a new versioned run per trial)",
        description="Run the analysis that fits each trial's test and append it to the file "
                    "as a new analysis run; raw data and earlier runs are never changed.")
    parser.add_argument("file", type=Path, help="session file (.h5)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--dry-run", action="store_true", help="analyse without storing")
    parser.add_argument("--include-rejected", action="store_true",
                        help="also analyse trials the operator rejected")
    parser.set_defaults(func=_run)


def _trial_json(outcome: TrialOutcome) -> dict[str, Any]:
    algorithm = outcome.algorithm
    return {"trial_id": outcome.trial_id, "test": str(outcome.test),
            "status": str(outcome.status), "run": outcome.run,
            "algorithm": None if algorithm is None else {
                "name": algorithm.name, "version": algorithm.version,
                "parameters": algorithm.parameters},
            "headline": outcome.headline, "flags": list(outcome.flags),
            "error": outcome.error or None, "result": outcome.record}


def _run(args: argparse.Namespace) -> int:
    from physiocap.analysis.result import to_jsonable
    from physiocap.storage import SessionReader
    from physiocap.workflows.analyze import analyze_session
    from physiocap.workflows.visit_summary import summarize_visit

    outcomes = analyze_session(args.file, store=not args.dry_run,
                               include_rejected=args.include_rejected)
    with SessionReader(args.file) as reader:
        participant = reader.participant
        protocols = {trial.trial_id: trial.info.protocol for trial in reader.trials}
    summaries = summarize_visit(outcomes, participant, protocols)
    if args.json:
        print(json.dumps(to_jsonable({"file": str(args.file),
                                      "trials": [_trial_json(o) for o in outcomes],
                                      "summary": summaries}), indent=2))
        return 0
    for outcome in outcomes:
        stored = "not stored" if outcome.run is None else f"run {outcome.run}"
        name = "—" if outcome.algorithm is None else (
            f"{outcome.algorithm.name} {outcome.algorithm.version}, {stored}")
        values = ", ".join(f"{key} {value:.3g}" if isinstance(value, float) else f"{key} {value}"
                           for key, value in outcome.headline.items() if value is not None)
        problem = outcome.error or ", ".join(outcome.flags)
        print(f"{outcome.trial_id:<20} {name:<32} {values}" + (f"  [{problem}]" if problem else ""))
    for summary in summaries:
        value = "—" if summary.value is None else f"{summary.value:.3g} {summary.unit}"
        flagged = [v.criterion for v in summary.verdicts if v.flagged]
        print(f"{summary.label}: {value} ({summary.rule})"
              + (f"; below/above cut-off: {', '.join(flagged)}" if flagged else ""))
    return 0
