"""``physiocap info FILE [--json]``: what a session file holds and whether it is complete."""

from __future__ import annotations

import argparse
import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from physiocap.core.errors import StorageError
from physiocap.storage import SessionReader
from physiocap.storage.timeline import typical_sample_period_s


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "info", help="describe a session file",
        description="Print the participant, session, trials, streams (sample counts and "
                    "rates), gaps of a session file, and whether its recording completed.")
    parser.add_argument("file", type=Path, help="session file (.h5)")
    parser.add_argument("--json", action="store_true", help="print a JSON document instead")
    parser.set_defaults(func=run)


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def describe(reader: SessionReader) -> dict[str, Any]:
    """Everything ``info`` reports, as plain JSON-able data."""
    participant, session = reader.participant, reader.session
    trials = []
    for trial in reader.trials:
        streams = []
        for record in trial.streams:
            packets = reader.packets(trial.trial_id, record.device_id, record.spec.name)
            period_s = typical_sample_period_s(packets, record.spec.nominal_rate_hz)
            streams.append({
                "device_id": record.device_id, "stream": record.spec.name,
                "channels": list(record.spec.channels), "units": list(record.spec.units),
                "dtype": record.spec.dtype, "n_samples": record.n_samples,
                "n_packets": record.n_packets, "nominal_rate_hz": record.spec.nominal_rate_hz,
                "measured_rate_hz": 1.0 / period_s if len(packets) > 1 and not (
                    np.diff(packets["t_s"]) < 0).any() else None})
        gaps = reader.gaps(trial.trial_id)
        trials.append({
            "trial_id": trial.trial_id, "test": str(trial.info.test),
            "repetition": trial.info.repetition, "side": str(trial.info.side),
            "protocol": trial.info.protocol, "status": str(trial.status),
            "started_utc": _time(trial.started_utc), "ended_utc": _time(trial.ended_utc),
            "duration_s": _finite(trial.duration_s), "notes": trial.notes, "streams": streams,
            "gaps": [{"device_id": row["device_id"].decode(), "stream": row["stream"].decode(),
                      "start_s": float(row["start_s"]), "duration_s": float(row["duration_s"]),
                      "lost_samples": int(row["lost_samples"])} for row in gaps],
            "n_markers": trial.n_markers,
            "analysis_runs": [{"algorithm": run.algorithm, "run": run.run,
                               "algorithm_version": run.algorithm_version}
                              for run in reader.analysis_runs(trial.trial_id)],
            "damaged_analysis_runs": reader.damaged_analysis_runs(trial.trial_id),
            "warnings": list(trial.warnings)})
    return {
        "path": str(reader.path), "schema_version": reader.schema_version,
        "software_version": reader.software_version, "created_utc": _time(reader.created_utc),
        "file_uuid": reader.file_uuid, "completed": reader.completed,
        "interrupted": reader.interrupted,
        "participant": {"participant_id": participant.participant_id,
                        "birth_year": participant.birth_year, "sex": str(participant.sex),
                        "height_m": participant.height_m,
                        "body_mass_kg": participant.body_mass_kg,
                        "dominant_side": str(participant.dominant_side),
                        "group": participant.group},
        "session": {"session_id": session.session_id, "visit_label": session.visit_label,
                    "started_utc": _time(session.started_utc), "site": session.site,
                    "operator_id": session.operator_id},
        "devices": [{"device_id": info.device_id, "driver": info.driver, "kind": str(info.kind),
                     "model": info.model, "serial": info.serial, "firmware": info.firmware,
                     "placement": str(info.placement), "side": info.side,
                     "simulated": info.simulated} for info in reader.devices.values()],
        "trials": trials,
        "unreadable_trials": dict(reader.unreadable_trials),
        "calibration_warnings": _calibration_warnings(reader),
    }


def _calibration_warnings(reader: SessionReader) -> list[str]:
    """Overdue or failed calibration of the session's devices at the time of the visit,
    from the study's calibration registry (none when the study keeps no registry)."""
    from physiocap.core.errors import PhysiocapError
    from physiocap.storage.calibration_registry import CalibrationRegistry

    study = Path(reader.path).parent.parent
    if not CalibrationRegistry(study).exists():  # no registry: nothing to load (start-up)
        return []
    from physiocap.workflows.visit_summary import calibration_warnings

    try:
        return calibration_warnings(study,
                                    list(reader.devices.values()),
                                    at_utc=reader.session.started_utc)
    except PhysiocapError as error:
        return [f"the study's calibration registry cannot be read: {error}"]


def _rate(stream: dict[str, Any]) -> str:
    text = f"{stream['nominal_rate_hz']:g} Hz nominal"
    if stream["measured_rate_hz"] is not None:
        text += f", {stream['measured_rate_hz']:.2f} Hz measured"
    return text


def format_text(summary: dict[str, Any]) -> str:
    lines = [f"File:        {summary['path']}"]
    damaged = bool(summary["unreadable_trials"]) or any(
        trial["warnings"] or trial["damaged_analysis_runs"] for trial in summary["trials"])
    if summary["completed"]:
        lines.append("Recording:   completed" + (", but the file is DAMAGED: see the warnings "
                                                 "below" if damaged else ""))
    else:
        lines.append("Recording:   INTERRUPTED: the writer stopped before closing the file; "
                     "it holds everything up to the last flush")
    lines.append(f"Schema:      physiocap-session v{summary['schema_version']} (written by "
                 f"physiocap {summary['software_version']}, created {summary['created_utc']})")
    person = summary["participant"]
    details = [text for present, text in (
        (person["birth_year"] is not None, f"born {person['birth_year']}"),
        (person["sex"] != "unknown", person["sex"]),
        (person["height_m"] is not None, f"{person['height_m']} m"),
        (person["body_mass_kg"] is not None, f"{person['body_mass_kg']} kg")) if present]
    lines.append(f"Participant: {person['participant_id']}"
                 + (f" ({', '.join(details)})" if details else ""))
    session = summary["session"]
    lines.append(f"Session:     {session['session_id']} \"{session['visit_label']}\" started "
                 f"{session['started_utc']}" + (f" at {session['site']}" if session["site"]
                                                  else ""))
    lines.append(f"Devices:     {len(summary['devices'])}")
    for device in summary["devices"]:
        simulated = " SIMULATED" if device["simulated"] else ""
        lines.append(f"  {device['device_id']}: {device['driver']} {device['model']} "
                     f"serial {device['serial']}, {device['placement']}{simulated}")
    for warning in summary["calibration_warnings"]:
        lines.append(f"  CALIBRATION: {warning}")
    lines.append(f"Trials:      {len(summary['trials'])}")
    for trial_id, reason in summary["unreadable_trials"].items():
        lines.append(f"  {trial_id}: unreadable, {reason}")
    for trial in summary["trials"]:
        duration = (f"{trial['duration_s']:.2f} s" if trial["duration_s"] is not None
                    else "no end time")
        lines.append(f"  {trial['trial_id']}: {trial['test']} #{trial['repetition']}"
                     f"{' ' + trial['side'] if trial['side'] else ''}, {trial['status']}, "
                     f"{duration}")
        for stream in trial["streams"]:
            lines.append(f"    {stream['device_id']}/{stream['stream']}: "
                         f"{stream['n_samples']} samples x {len(stream['channels'])} "
                         f"{stream['dtype']} in {stream['n_packets']} packets, {_rate(stream)}")
        lines += [f"    WARNING {warning}" for warning in trial["warnings"]]
        for gap in trial["gaps"]:
            lines.append(f"    gap in {gap['device_id']}/{gap['stream']} at "
                         f"{gap['start_s']:.3f} s: {gap['duration_s']:.3f} s, "
                         f"{gap['lost_samples']} samples lost")
        if not trial["gaps"]:
            lines.append("    no gaps")
        for run in trial["analysis_runs"]:
            lines.append(f"    analysis {run['algorithm']} run {run['run']} "
                         f"(version {run['algorithm_version']})")
        lines += [f"    WARNING analysis run {where} is damaged and left out: {reason}"
                  for where, reason in trial["damaged_analysis_runs"].items()]
    return "\n".join(lines)


def _not_a_session_file(path: Path) -> None:
    """Refuse a folder (listing the session files in it) or a CSV (pointing at import)
    with a sentence saying what to do instead."""
    if path.is_dir():
        files = sorted(found for found in path.rglob("*.h5") if found.is_file())
        listing = "".join(f"\n  {found}" for found in files[:50])
        more = f"\n  ... and {len(files) - 50} more" if len(files) > 50 else ""
        raise StorageError("is a folder; give one session file" + (
            f". Session files in it ({len(files)}):{listing}{more}" if files
            else " (it holds no .h5 session files)"), path=path)
    if path.is_file() and path.suffix.lower() in (".csv", ".txt", ".json", ".mat"):
        raise StorageError(f"is a {path.suffix} file, not a session file; convert it first "
                           "with 'physiocap import' (see physiocap import --help)", path=path)


def run(args: argparse.Namespace) -> int:
    _not_a_session_file(args.file)
    with SessionReader(args.file) as reader:
        summary = describe(reader)
    print(json.dumps(summary, indent=2) if args.json else format_text(summary))
    return 0
