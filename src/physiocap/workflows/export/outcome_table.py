"""``physiocap export outcomes``: every participant's outcomes in one tidy table.

One row per participant × visit × trial × outcome ("long" or tidy form, ready for pandas,
R's tidyverse and SPSS's restructure), from each trial's most recent stored analysis run
(:mod:`stored_outcomes`). Columns:

``participant_id, group, visit_label, visit_date, session_id, level, test, trial_id,
trial_status, side, repetition, outcome, value, unit, algorithm, algorithm_version, run,
flags, score_rule, device_serial, calibration_state, calibration_check_id,
calibration_applied, protocol_<variable>…``

``level`` is ``trial`` for a trial's outcome and ``visit`` for a per-visit score (with
``--visit-scores``): each test's score by the visit summary's rule (TUG, gait speed and
sit-to-stand as the mean of the analysed trials, grip by ASHT or Southampton, knee
extension best per leg; rejected trials never count), in ``score_rule``, plus one row per
tested side for strength. ``flags`` joins a trial's quality flags (or a score's cut-off
criteria met) with ``;``. A trial without a stored run gets one row with outcome
``not_analysed``. ``device_serial`` is the device the outcome was measured with (the
trial's IMU for mobility tests, its dynamometer for strength); ``calibration_state`` that
device's state in the study's calibration registry when the visit was recorded (ok,
overdue, failed, drifting, never checked; empty when the study keeps no registry),
``calibration_check_id`` the check that state refers to, and ``calibration_applied`` the
check whose correction the stored run applied (empty: raw values). ``algorithm_version``
is written ``v1.10``: a plain ``1.10`` is read as the number 1.1 by pandas, R and SPSS,
which would mix TUG 1.10 with TUG 1.1. Only the pseudonymous
participant ID identifies anyone: no birth year, sex, body measures, site or operator are
exported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from physiocap.core.errors import ConfigurationError, PhysiocapError
from physiocap.core.records import TrialStatus
from physiocap.storage import SessionReader
from physiocap.storage.records import TrialRecord
from physiocap.workflows.analyze import IMU_TESTS, TrialOutcome, study_dir_of
from physiocap.workflows.export.calibration_state import CalibrationLookup
from physiocap.workflows.export.stored_outcomes import stored_outcomes
from physiocap.workflows.export.study_files import study_session_files
from physiocap.workflows.trial_signals import force_device_id, imu_device_id
from physiocap.workflows.visit_summary import summarize_visit

#: Columns before the protocol variables, in order.
BASE_COLUMNS = ("participant_id", "group", "visit_label", "visit_date", "session_id", "level",
                "test", "trial_id", "trial_status", "side", "repetition", "outcome", "value",
                "unit", "algorithm", "algorithm_version", "run", "flags", "score_rule",
                "device_serial", "calibration_state", "calibration_check_id",
                "calibration_applied")
#: Unit of an outcome from its name's SI suffix (longest suffix first).
_UNIT_SUFFIXES = (("_nm_per_kg", "N·m/kg"), ("_n_per_s", "N/s"), ("_m_per_s", "m/s"),
                  ("_steps_per_min", "steps/min"), ("_nm", "N·m"), ("_n", "N"), ("_s", "s"),
                  ("_pct", "%"))


def unit_of(outcome: str) -> str:
    """The unit named by an outcome's suffix; ``count`` for step, rise and effort counts."""
    for suffix, unit in _UNIT_SUFFIXES:
        if outcome.endswith(suffix):
            return unit
    return "count"


@dataclass(frozen=True, slots=True)
class ExportSummary:
    path: Path
    rows: int
    sessions: int
    skipped: tuple[str, ...]  # "file: reason" for files that could not be read


def _protocol_columns(protocol: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in sorted(protocol.items()):
        if isinstance(value, bool):
            out[f"protocol_{name}"] = "yes" if value else "no"
        elif isinstance(value, int | float | str) or value is None:
            out[f"protocol_{name}"] = value
    return out


def _applied_check(outcome: TrialOutcome) -> str:
    """The check whose correction the outcome's run applied ("" for raw values)."""
    if outcome.algorithm is None:
        return ""
    calibration = outcome.algorithm.parameters.get("calibration")
    return str(calibration.get("check_id", "")) if isinstance(calibration, dict) else ""


def _calibration_columns(reader: SessionReader, trial: TrialRecord,
                         lookup: CalibrationLookup) -> dict[str, Any]:
    """The measuring device's serial and calibration state at the visit."""
    device_id = (imu_device_id(reader, trial) if trial.info.test in IMU_TESTS
                 else force_device_id(trial))
    if device_id is None:
        return {"device_serial": "", "calibration_state": "", "calibration_check_id": ""}
    device = reader.devices[device_id]
    calibration = lookup.at(device, reader.session.started_utc)
    return {"device_serial": calibration.serial, "calibration_state": calibration.state,
            "calibration_check_id": calibration.check_id}


def _trial_rows(base: dict[str, Any], outcome: TrialOutcome, trial: Any) -> list[dict]:
    common = base | {"level": "trial", "test": str(outcome.test), "trial_id": outcome.trial_id,
                     "trial_status": str(trial.status), "side": str(trial.info.side),
                     "repetition": trial.info.repetition, "flags": ";".join(outcome.flags),
                     "score_rule": ""} | _protocol_columns(trial.info.protocol)
    if outcome.algorithm is None:
        return [common | {"outcome": "not_analysed", "value": None, "unit": "",
                          "algorithm": "", "algorithm_version": "", "run": None,
                          "flags": outcome.error}]
    algorithm = {"algorithm": outcome.algorithm.name,
                 "algorithm_version": f"v{outcome.algorithm.version}", "run": outcome.run}
    return [common | algorithm | {"outcome": name, "value": value, "unit": unit_of(name)}
            for name, value in outcome.headline.items() if not isinstance(value, str)]


def _visit_rows(base: dict[str, Any], outcomes: list[TrialOutcome], reader: SessionReader,
                devices: dict[str, dict[str, Any]]) -> list[dict]:
    protocols = {trial.trial_id: trial.info.protocol for trial in reader.trials}
    rows = []
    for summary in summarize_visit(outcomes, reader.participant, protocols):
        # a named isometric test's score comes from its own muscle group's trials only
        own = [o for o in outcomes if o.test is summary.test and (
            not summary.named_test
            or protocols[o.trial_id].get("muscle_group") == summary.named_test)]
        first = own[0] if own else None
        protocol = protocols[first.trial_id] if first is not None else {}
        applied = sorted({_applied_check(o) for o in own} - {""})
        device = (devices[first.trial_id] if first is not None else {}) | {
            "calibration_applied": ";".join(applied)}
        flagged = ";".join(v.criterion for v in summary.verdicts if v.flagged)
        common = base | device | {"level": "visit", "test": str(summary.test), "trial_id": "",
                         "trial_status": "", "repetition": None, "algorithm": "",
                         "algorithm_version": "", "run": None, "score_rule": summary.rule,
                         "unit": unit_of(summary.measure)} | _protocol_columns(protocol)
        rows.append(common | {"side": "", "outcome": summary.measure, "value": summary.value,
                              "flags": flagged})
        for side in summary.sides:
            rows.append(common | {"side": side.side, "outcome": summary.measure,
                                  "value": side.score_n, "flags": ""})
    return rows


def session_rows(path: Path, *, accepted_only: bool = False,
                 visit_scores: bool = False) -> list[dict[str, Any]]:
    """The table rows of one session file."""
    with SessionReader(path) as reader:
        participant, session = reader.participant, reader.session
        base = {"participant_id": participant.participant_id, "group": participant.group,
                "visit_label": session.visit_label,
                "visit_date": session.started_utc.date().isoformat(),
                "session_id": session.session_id}
        trials = {trial.trial_id: trial for trial in reader.trials
                  if not accepted_only or trial.status is TrialStatus.ACCEPTED}
        outcomes = [o for o in stored_outcomes(reader) if o.trial_id in trials]
        lookup = CalibrationLookup(study_dir_of(path))
        devices = {trial_id: _calibration_columns(reader, trial, lookup)
                   for trial_id, trial in trials.items()}
        rows = [row for outcome in outcomes
                for row in _trial_rows(base | devices[outcome.trial_id]
                                       | {"calibration_applied": _applied_check(outcome)},
                                       outcome, trials[outcome.trial_id])]
        if visit_scores:
            rows += _visit_rows(base, outcomes, reader, devices)
    return rows


def outcome_rows(files: Iterable[Path], *, accepted_only: bool = False,
                 visit_scores: bool = False) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows of every readable file, and ``file: reason`` for each one that is not."""
    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    for path in files:
        try:
            rows += session_rows(path, accepted_only=accepted_only, visit_scores=visit_scores)
        except PhysiocapError as error:
            skipped.append(str(error))
    return rows, skipped


def export_outcomes(study: Path, out: Path, *, accepted_only: bool = False,
                    visit_scores: bool = False) -> ExportSummary:
    """Write the study's outcome table to ``out`` (``.csv`` or ``.parquet`` by suffix)."""
    import pandas as pd

    if out.suffix not in (".csv", ".parquet"):
        raise ConfigurationError(f"{out}: the table is written as .csv or .parquet")
    files = study_session_files(study)
    rows, unreadable = outcome_rows(files.paths, accepted_only=accepted_only,
                                    visit_scores=visit_scores)
    skipped = [*files.skipped, *unreadable]
    protocol = sorted({key for row in rows for key in row if key.startswith("protocol_")})
    table = pd.DataFrame(rows, columns=[*BASE_COLUMNS, *protocol])
    table["value"] = pd.to_numeric(table["value"])
    for column in ("repetition", "run"):
        table[column] = table[column].astype("Int64")
    for column in protocol:
        values = table[column].dropna()
        if not values.map(lambda v: isinstance(v, int | float)).all():
            table[column] = table[column].astype("string")
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".csv":
        table.to_csv(out, index=False)
    else:
        table.to_parquet(out, index=False)
    return ExportSummary(out, len(table), len(files.paths) - len(unreadable), tuple(skipped))
