"""``physiocap analyze FILE [--json] [--no-calibration]``: analyse every trial; store each
result as a new run. A session in a study whose calibration registry holds a passing check
of the device is analysed with that check's correction (named in the run's parameters);
``--no-calibration`` recomputes from the raw values without it."""

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
        description="Run the analysis that fits each trial's test and store it in the file "
                    "as a new analysis run (a run identical to a stored one is stored once), "
                    "atomically: raw data, earlier runs and the visit's state are never "
                    "changed; a write-protected or linked file is refused unchanged.")
    parser.add_argument("file", type=Path, help="session file (.h5)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--dry-run", action="store_true", help="analyse without storing")
    parser.add_argument("--include-rejected", action="store_true",
                        help="also analyse trials the operator rejected")
    parser.add_argument("--no-calibration", action="store_true",
                        help="analyse the raw values without the correction of the device's "
                             "latest passing calibration check (stored as a run without "
                             "'calibration' in its parameters)")
    parser.set_defaults(func=_run)


#: Headline field -> (label, unit, decimals) as a clinician reads it (the demo's rounding:
#: times and speeds to 0.01, forces to 1 N with kg beside them, as the GUI shows grip).
HEADLINE_LABELS: dict[str, tuple[str, str, int]] = {
    "tug_total_time_s": ("TUG time", "s", 2),
    "gait_speed_m_per_s": ("gait speed", "m/s", 2),
    "time_s": ("timed walk", "s", 2),
    "sit_to_stand_time_s": ("5×STS time", "s", 2),
    "steps": ("steps", "", 0),
    "rises_found": ("rises", "", 0),
    "cadence_steps_per_min": ("cadence", "steps/min", 0),
    "turn_direction": ("turn", "", 0),
    "peak_force_n": ("peak force", "N", 0),
    "side": ("side", "", 0),
    "time_to_peak_s": ("time to peak", "s", 2),
    "rfd_0_100_n_per_s": ("RFD 0-100 ms", "N/s", 0),
    "torque_nm": ("torque", "N·m", 0),
}


def headline_text(headline: dict[str, Any]) -> str:
    """``TUG time 9.87 s, steps 14, ...``: labels, units and rounding instead of field
    names; a force also in kg (dynamometers display kgf, grip norms are in kg)."""
    from physiocap.core.units import n_to_kgf

    parts = []
    for key, value in headline.items():
        if value is None or value == "":
            continue
        label, unit, decimals = HEADLINE_LABELS.get(key, (key.replace("_", " "), "", 3))
        if isinstance(value, float | int) and not isinstance(value, bool):
            text = f"{value:.{decimals}f}" + (f" {unit}" if unit else "")
            if unit == "N":
                text += f" ({float(n_to_kgf(value)):.1f} kg)"
        else:
            text = str(value)
        parts.append(f"{label} {text}")
    return ", ".join(parts)


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
                               include_rejected=args.include_rejected,
                               apply_calibration=not args.no_calibration)
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
        values = headline_text(outcome.headline)
        problem = outcome.error or ", ".join(f.replace("_", " ") for f in outcome.flags)
        calibration = (outcome.algorithm.parameters.get("calibration")
                       if outcome.algorithm is not None else None)
        if calibration:
            values += f" (corrected by check {calibration['check_id']})"
        print(f"{outcome.trial_id:<20} {name:<38} {values}" + (f"  [{problem}]" if problem else ""))
    for summary in summaries:
        print(summary_text(summary))
    return 0


def summary_text(summary: Any) -> str:
    """One visit-summary line: value with unit (grip also in kg), rule, and each cut-off
    with its unit and whether it is crossed."""
    from physiocap.core.units import n_to_kgf

    if summary.value is None:
        value = "—"
    elif summary.unit == "N":
        value = f"{summary.value:.0f} N ({float(n_to_kgf(summary.value)):.1f} kg)"
    else:
        value = f"{summary.value:.2f} {summary.unit}"
    line = f"{summary.label}: {value} ({summary.rule})"
    for verdict in summary.verdicts:
        state = "crossed" if verdict.flagged else "not crossed"
        line += f"; {verdict.criterion} cut-off {verdict.threshold}: {state}"
    return line
