"""``physiocap demo``: a simulated standard visit through the real capture path."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the workflows (and scipy under them) load when the demo runs
    from physiocap.workflows.demo import DemoReport
    from physiocap.workflows.visit import RecordedTrial

#: Default speed of the simulated demo (the simulated devices keep up far beyond it).
DEFAULT_SIM_SPEED = 20.0

_HEADLINE = {"tug": ("tug_total_time_s", "s", 2), "gait_speed": ("gait_speed_m_per_s", "m/s", 2),
             "sit_to_stand": ("sit_to_stand_time_s", "s", 2), "grip": ("peak_force_n", "N", 0),
             "knee_extension": ("peak_force_n", "N", 0)}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo", help="record and analyse a simulated standard visit",
        description="A pseudonymous demo participant with a simulated lower-back IMU and a "
                    "simulated dynamometer runs the standard battery through the real capture "
                    "path; the session file is written to the study folder.")
    parser.add_argument("--out", type=str, default=None,
                        help="study folder (default: the per-user data folder)")
    parser.add_argument("--speed", type=_speed, default=argparse.SUPPRESS,
                        help="at most this many times real time (default 20; a slower "
                             "machine runs slower, never losing a sample), or 'max' for "
                             "virtual time, as fast as this machine can simulate; with "
                             "--ble-emulated default 10, and 'max' is refused (bleak and "
                             "D-Bus run in real time)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--participant", default=None, metavar="ID",
                        help="record the visit for this pseudonymous participant: a follow-up "
                             "when the study already has them, else a new participant with "
                             "the demo body measures (default DEMO-0001)")
    parser.add_argument("--group", default=None,
                        help="study arm of the participant (kept in the participant record)")
    parser.add_argument("--visit-label", default="demo", metavar="LABEL",
                        help="visit label, e.g. baseline, month-3 (default demo)")
    parser.add_argument("--date", type=_date, default=None, metavar="YYYY-MM-DD",
                        help="date of the visit (default today); follow-ups are ordered by it")
    parser.add_argument("--change", type=_changes, default=None, metavar="NAME=DELTA,...",
                        help="the simulated patient's true change from baseline capacity at "
                             "this visit, e.g. gait_speed_m_per_s=+0.15,tug_total_time_s=-2,"
                             "grip_kgf=+6 (also sit_to_stand_time_s in s, "
                             "knee_extension_peak_force_n in N, or one leg's with "
                             "knee_extension_left_peak_force_n or "
                             "knee_extension_right_peak_force_n); each applies to its own "
                             "test")
    parser.add_argument("--ble-emulated", action="store_true",
                        help="Linux: record over the real Bluetooth path (device registry, "
                             "Movesense and Tindeq drivers, bleak's BlueZ backend) against an "
                             "emulated BlueZ with an emulated Movesense and Tindeq: the "
                             "standard visit (about 30 s at the default 10×)")
    parser.add_argument("--short", action="store_true",
                        help="with --ble-emulated: a short visit (one TUG, one gait speed, "
                             "one grip per hand)")
    parser.set_defaults(func=_run)


def _speed(text: str) -> float | None:
    """A positive speed factor, or ``None`` for 'max' (virtual time)."""
    if text.strip().lower() == "max":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"speed must be a number or 'max', not {text!r}") \
            from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"speed must be > 0, got {value}")
    return value


def _date(text: str) -> datetime:
    """A visit date as 09:00 UTC that day (a clinic morning)."""
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d")
    except ValueError:
        raise argparse.ArgumentTypeError(f"date must be YYYY-MM-DD, not {text!r}") from None
    return day.replace(hour=9, tzinfo=UTC)


def _changes(text: str) -> dict[str, float]:
    from physiocap.core.errors import ConfigurationError
    from physiocap.workflows.simulated_patient import parse_changes

    try:
        return parse_changes(text)
    except ConfigurationError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _format(value: float | None, unit: str, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f} {unit}"


def print_report(report: DemoReport, *,
                 devices_note: str = "Simulated devices and participant: not a patient "
                                     "measurement.") -> None:
    from physiocap.core.units import n_to_kgf
    from physiocap.workflows.demo import truth_headline

    print(f"Session file: {report.path}")
    print(f"Recorded {report.device_time_s:.0f} s of simulated visit in "
          f"{report.wall_time_s:.1f} s.\n")
    outcomes = {outcome.trial_id: outcome for outcome in report.outcomes}
    print(f"{'trial':<20}{'side':<7}{'measured':>14}{'simulated truth':>18}  flags")
    for recorded in report.trials:
        trial = recorded.trial
        key, unit, digits = _HEADLINE[str(trial.test)]
        outcome = outcomes.get(trial.trial_id)
        measured = outcome.headline.get(key) if outcome is not None else None
        truth = (truth_headline(recorded.performed, trial.protocol)
                 if recorded.performed is not None else None)
        detail = (outcome.error or ", ".join(outcome.flags)) if outcome is not None else ""
        print(f"{trial.trial_id:<20}{trial.side.value or '':<7}"
              f"{_format(measured, unit, digits):>14}{_format(truth, unit, digits):>18}  {detail}")
    print("\nVisit summary")
    for summary in report.summaries:
        value = _format(summary.value, summary.unit, 2 if summary.unit != "N" else 0)
        if summary.unit == "N" and summary.value is not None:
            value += f" ({float(n_to_kgf(summary.value)):.1f} kgf)"
        print(f"  {summary.label}: {value} — {summary.rule}")
        for side in summary.sides:
            torque = ("" if side.torque_per_kg_nm_per_kg is None
                      else f", {side.torque_nm:.0f} N·m, {side.torque_per_kg_nm_per_kg:.2f} N·m/kg")
            cv = "" if side.cv_pct is None else f", CV {side.cv_pct:.1f} %"
            print(f"      {side.side}: best {side.best_n:.0f} N, mean {side.mean_of_trials_n:.0f} N"
                  f"{cv}{torque}")
        if summary.asymmetry is not None:
            pair = summary.asymmetry
            print(f"      asymmetry: SI {pair.symmetry_index_pct:+.1f} %, deficit "
                  f"{pair.deficit_pct:.1f} % ({pair.weaker_side} weaker: "
                  f"{pair.deficit_category})")
        for verdict in summary.verdicts:
            mark = "FLAG" if verdict.flagged else "ok  "
            print(f"      [{mark}] {verdict.criterion} ({verdict.threshold}): "
                  f"{verdict.meaning if verdict.flagged else 'not met'}")
        for note in summary.notes:
            print(f"      {note}")
    print(f"\n{devices_note}")


def _run(args: argparse.Namespace) -> int:
    if args.ble_emulated:
        return _run_ble(args)
    if args.short:
        print("--short only applies with --ble-emulated (the simulated demo always "
              "records the standard battery).")
        return 2
    from physiocap.core.clock import VirtualClock
    from physiocap.workflows.demo import demo_participant, run_demo
    from physiocap.workflows.simulated_patient import SimulatedPatient

    speed = getattr(args, "speed", DEFAULT_SIM_SPEED)
    study = _study(args)
    clock = VirtualClock(max_speed=speed, start_utc=args.date or datetime.now(UTC))

    participant = demo_participant(study, args.participant, args.group)
    patient = SimulatedPatient(participant, seed=args.seed, changes=args.change)
    print(f"Participant {participant.participant_id}, visit {args.visit_label!r} on "
          f"{clock.to_utc(clock.now()):%Y-%m-%d}"
          + (f", simulated change from baseline {_change_text(args.change)}"
             if args.change else ""), flush=True)
    print_report(run_demo(study, seed=args.seed, clock=clock, participant=participant,
                          visit_label=args.visit_label, patient=patient,
                          on_trial=_print_trial))
    return 0


def _change_text(changes: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:+g}" for name, value in changes.items())


def _print_trial(recorded: RecordedTrial) -> None:
    """One line per trial as soon as it is recorded (the analysis follows at the end)."""
    from physiocap.workflows.demo import truth_headline

    trial = recorded.trial
    _, unit, digits = _HEADLINE[str(trial.test)]
    truth = (truth_headline(recorded.performed, trial.protocol)
             if recorded.performed is not None else None)
    print(f"  recorded {trial.trial_id:<18}{trial.side.value or '':<7}"
          f"{recorded.summary.t_end_s - recorded.summary.t_start_s:5.1f} s, simulated truth "
          f"{_format(truth, unit, digits)}", flush=True)


def _study(args: argparse.Namespace) -> Path:
    from physiocap.workflows.study import default_study_dir

    study = default_study_dir() if args.out is None else Path(args.out)
    if args.out is None:
        print(f"No --out given: writing to the per-user study folder {study}")
    return study


def _run_ble(args: argparse.Namespace) -> int:
    from physiocap.devices.ble.emulator.environment import emulation_unavailable_reason
    from physiocap.workflows.demo import STANDARD_VISIT

    reason = emulation_unavailable_reason()
    if reason is not None:
        print(f"Cannot run the emulated Bluetooth demo: {reason}.")
        return 2
    # imported here: the emulator runs on dbus-fast, which bleak installs on Linux only
    from physiocap.workflows.ble_demo import (
        DEFAULT_BLE_SPEED,
        DYNAMOMETER_ADDRESS,
        IMU_ADDRESS,
        SHORT_BLE_VISIT,
        run_ble_demo,
    )

    speed = getattr(args, "speed", DEFAULT_BLE_SPEED)
    if speed is None:
        print("--speed max (virtual time) cannot drive bleak and D-Bus, which run in real "
              f"time; give a factor such as {DEFAULT_BLE_SPEED:g}.")
        return 2
    study = _study(args)
    plan = SHORT_BLE_VISIT if args.short else STANDARD_VISIT
    print(f"Emulated BlueZ on a private D-Bus: an emulated Movesense ({IMU_ADDRESS}, lower "
          f"back) and Tindeq Progressor ({DYNAMOMETER_ADDRESS}) through bleak, at {speed:g}× "
          "real time.")
    print_report(run_ble_demo(study, speed=speed, seed=args.seed, plan=plan),
                 devices_note="Emulated Bluetooth devices and a simulated participant: "
                              "not a patient measurement.")
    return 0
