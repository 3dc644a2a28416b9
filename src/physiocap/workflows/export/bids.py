"""``physiocap export bids``: a study as a Motion-BIDS dataset [E1, E2].

Layout (BIDS ≥ 1.9, ``motion`` datatype)::

    dataset_description.json  README  participants.tsv  participants.json
    sub-<p>/ses-<visit>/sub-<p>_ses-<visit>_scans.tsv (+ .json)
    sub-<p>/ses-<visit>/motion/
        sub-<p>_ses-<visit>_task-<test>_tracksys-<device>_run-<n>_motion.tsv
        …_channels.tsv   …_motion.json
        sub-<p>_ses-<visit>_task-<test>_run-<n>_events.tsv

One run per trial (numbered within its test and visit), one tracking system per device.
``_motion.tsv`` has no header; its first column is a ``LATENCY`` channel, the time of each
sample in seconds from the trial's start (so irregular sampling is exact), followed by the
device's channels in SI units (``ACCEL`` m/s², ``GYRO`` rad/s, ``MAGN`` T). A dynamometer's
force is not a motion channel: the specification puts such channels under type ``MISC``
[E1], so it is a ``MISC`` channel in N of its own tracking system. ``_events.tsv`` holds
what the most recent stored analysis found (:mod:`bids_events`); ``scans.tsv`` the trial's
start as ``acq_time`` and its physiocap trial ID, status and side.

The samples are the raw recorded values; ``_motion.json`` names the device's serial
(``DeviceSerialNumber``). In a study that keeps a calibration registry, ``_channels.tsv``
has four more columns, described in a ``_channels.json`` beside it (Motion-BIDS sidecars
admit no fields of their own; TSV columns with a description are allowed [E1]): the
device's calibration state when the trial was recorded, the check, and per channel the
offset and scale error physiocap's analyses correct the samples by (the latest passing
check before the recording), so a reader can apply them too. Not ``SoftwareFilters``:
nothing was applied to the exported samples.

Only the pseudonymous participant ID identifies anyone (``sub-`` labels are that ID with
anything but letters and digits removed); birth year becomes an age band on request, and
sex, body measures, site and operator are never exported.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from physiocap import __version__
from physiocap.core.device_info import DeviceInfo, DeviceKind
from physiocap.core.errors import ConfigurationError, PhysiocapError
from physiocap.core.records import Participant, TrialStatus
from physiocap.storage import SessionReader
from physiocap.storage.records import TrialRecord
from physiocap.workflows.export.bids_events import analysis_events
from physiocap.workflows.export.calibration_state import CalibrationLookup, VisitCalibration
from physiocap.workflows.export.stored_outcomes import latest_run
from physiocap.workflows.export.study_files import study_session_files

BIDS_VERSION = "1.9.0"
#: Motion-BIDS channel type of each physiocap stream; force is not a motion quantity and
#: goes under MISC [E1].
CHANNEL_TYPES = {"acc": "ACCEL", "gyro": "GYRO", "mag": "MAGN", "force": "MISC"}
_UNITS = {"m/s^2": "m/s^2", "rad/s": "rad/s", "T": "T", "N": "N"}


@dataclass(frozen=True, slots=True)
class BidsSummary:
    path: Path
    participants: int
    recordings: int
    skipped: tuple[str, ...]


def bids_label(text: str) -> str:
    """A BIDS label: letters and digits only."""
    return re.sub(r"[^A-Za-z0-9]", "", text) or "x"


def _camel(text: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", text) if part)


def age_band(birth_year: int | None, visit_year: int, width_years: int) -> str:
    """``"60-69"`` for width 10: the band holding visit year minus birth year (the true age
    is that or one year less); ``n/a`` when the birth year is unknown."""
    if birth_year is None:
        return "n/a"
    age = visit_year - birth_year
    low = (age // width_years) * width_years
    return f"{low}-{low + width_years - 1}"


def _write_json(path: Path, content: dict[str, Any]) -> None:
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_tsv(path: Path, header: list[str] | None, rows: list[list[Any]]) -> None:
    def cell(value: Any) -> str:
        if value is None or (isinstance(value, float) and not np.isfinite(value)):
            return "n/a"
        return str(value)

    lines = ([("\t".join(header))] if header else []) + [
        "\t".join(cell(value) for value in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _acq_time(moment: datetime | None) -> str:
    return "n/a" if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


@dataclass(frozen=True, slots=True)
class _System:
    """One tracking system of a trial: a device's streams on one sample grid."""

    label: str
    device: DeviceInfo
    latency_s: np.ndarray
    nominal_rate_hz: float
    columns: list[tuple[str, str, str, str, np.ndarray]]  # name, type, component, unit, data


def _systems(reader: SessionReader, trial: TrialRecord) -> list[_System]:
    by_device: dict[str, list[str]] = {}
    for stream in trial.streams:
        if stream.spec.name in CHANNEL_TYPES and stream.n_samples >= 2:
            by_device.setdefault(stream.device_id, []).append(stream.spec.name)
    systems, used = [], set()
    for device_id, names in by_device.items():
        device = reader.devices[device_id]
        base = "imu" if device.kind is DeviceKind.IMU else "dynamometer"
        label = bids_label(f"{base}{_camel(str(device.placement))}{_camel(device.side)}")
        label = next(f"{label}{n}" if n else label for n in range(len(used) + 1)
                     if (f"{label}{n}" if n else label) not in used)
        used.add(label)
        ordered = sorted(names, key=list(CHANNEL_TYPES).index)
        grid = reader.sample_times_s(trial.trial_id, device_id, ordered[0])
        columns = []
        for name in ordered:
            record = trial.stream(device_id, name)
            values = reader.samples_si(trial.trial_id, device_id, name)
            times = reader.sample_times_s(trial.trial_id, device_id, name)
            if len(times) != len(grid) or not np.allclose(times, grid, atol=1e-6):
                values = np.column_stack([np.interp(grid, times, values[:, k])
                                          for k in range(values.shape[1])])
            for k, channel in enumerate(record.spec.channels):
                component = channel if channel in ("x", "y", "z") else "n/a"
                columns.append((f"{name}_{channel}" if component != "n/a" else name,
                                CHANNEL_TYPES[name], component,
                                _UNITS.get(record.spec.units[k], record.spec.units[k]),
                                values[:, k]))
        rate = trial.stream(device_id, ordered[0]).spec.nominal_rate_hz
        systems.append(_System(label, device, grid - trial.t_start_s, rate, columns))
    return systems


#: Per-channel correction the analyses apply: stream -> (offset key, scale-error key).
CORRECTION_KEYS = {"acc": ("acc_bias_m_per_s2", "acc_scale_error_pct"),
                   "gyro": ("gyro_bias_rad_per_s", None),
                   "force": ("offset_n", "gain_error_pct")}
CALIBRATION_COLUMNS = ["calibration_state", "calibration_check", "calibration_offset",
                       "calibration_scale_error_pct"]
_AXIS = {"x": 0, "y": 1, "z": 2}


def calibration_cells(calibration: VisitCalibration, name: str) -> list[Any]:
    """The calibration columns of one channel (``name`` as ``acc_x``, ``force``)."""
    stream, _, component = name.partition("_")
    correction = calibration.correction
    keys = CORRECTION_KEYS.get(stream)
    if correction is None or keys is None:
        return [calibration.state, calibration.check_id or "n/a", "n/a", "n/a"]

    def value(key: str | None) -> float:
        if key is None:
            return 0.0
        item = correction.values[key]
        return float(item[_AXIS[component]] if isinstance(item, list) else item)

    offset_key, scale_key = keys
    return [calibration.state, correction.check_id, f"{value(offset_key):.7g}",
            f"{value(scale_key):.7g}"]


def calibration_column_descriptions(calibration: VisitCalibration) -> dict[str, Any]:
    """``_channels.json``: what the calibration columns mean, for this recording."""
    return {
        "calibration_state": {
            "LongName": "calibration state of the device when the trial was recorded",
            "Description": "From the study's physiocap calibration registry: ok, overdue, "
                           "failed, drifting or never checked. " + calibration.message,
            "Levels": {"ok": "latest check passed within its interval",
                       "overdue": "latest passing check or certificate out of date",
                       "failed": "latest check failed or was refused",
                       "drifting": "still periods of recordings since the latest passing "
                                   "check beyond its limits",
                       "never checked": "nothing about the device in the registry"}},
        "calibration_check": {
            "LongName": "calibration check",
            "Description": "ID of the registry check whose correction physiocap's analyses "
                           "apply to this channel (the latest passing check before the "
                           "recording); otherwise the check the state refers to, or n/a"},
        "calibration_offset": {
            "LongName": "calibration offset",
            "Description": "The samples are raw. physiocap's analyses correct them as "
                           "(sample - calibration_offset) / (1 + calibration_scale_error_pct "
                           "/ 100); n/a: analysed raw",
            "Units": "same as the channel"},
        "calibration_scale_error_pct": {
            "LongName": "calibration scale error", "Units": "%",
            "Description": "see calibration_offset"}}


def _write_system(stem: Path, system: _System, trial: TrialRecord, task: str,
                  calibration: VisitCalibration) -> None:
    tracked = _camel(str(system.device.placement)) + (_camel(system.device.side)
                                                      if system.device.side else "")
    data = np.column_stack([system.latency_s] + [c[4] for c in system.columns])
    np.savetxt(f"{stem}_motion.tsv", data, delimiter="\t",
               fmt=["%.6f"] + ["%.7g"] * len(system.columns))
    rows = [["latency", "n/a", "LATENCY", "n/a", "s"]] + [
        [name, component, kind, tracked or "n/a", unit]
        for name, kind, component, unit, _ in system.columns]
    header = ["name", "component", "type", "tracked_point", "units"]
    if calibration.state:  # the study keeps a calibration registry
        header += CALIBRATION_COLUMNS
        rows = [row + (calibration_cells(calibration, row[0]) if row[0] != "latency"
                       else ["n/a"] * len(CALIBRATION_COLUMNS)) for row in rows]
        _write_json(Path(f"{stem}_channels.json"),
                    calibration_column_descriptions(calibration))
    _write_tsv(Path(f"{stem}_channels.tsv"), header, rows)
    rate = system.nominal_rate_hz
    counts: dict[str, int] = {"LATENCY": 1}
    for _, kind, *_ in system.columns:
        counts[kind] = counts.get(kind, 0) + 1
    duration = float(system.latency_s[-1] - system.latency_s[0])
    sidecar: dict[str, Any] = {
        "TaskName": task, "SamplingFrequency": rate,
        "SamplingFrequencyEffective": (len(system.latency_s) - 1) / duration
        if duration > 0 else rate,
        "TrackingSystemName": f"{system.device.model} ({system.device.driver})",
        "Manufacturer": system.device.manufacturer or "n/a",
        "ManufacturersModelName": system.device.model,
        "SoftwareVersions": system.device.firmware or "n/a",
        "RecordingDuration": duration,
        "MotionChannelCount": sum(counts.values()),
        "TrackedPointsCount": 1,
        "TaskDescription": f"physiocap test {trial.info.test}, sensor placement "
                           f"{system.device.placement}"}
    sidecar |= {f"{kind}ChannelCount": count for kind, count in counts.items()}
    if system.device.serial:
        sidecar["DeviceSerialNumber"] = system.device.serial
    _write_json(Path(f"{stem}_motion.json"), sidecar)


def _session(reader: SessionReader, sub: str, ses: str, out: Path,
             accepted_only: bool, lookup: CalibrationLookup) -> int:
    folder = out / f"sub-{sub}" / f"ses-{ses}"
    motion = folder / "motion"
    motion.mkdir(parents=True, exist_ok=True)
    scans: list[list[Any]] = []
    runs: dict[str, int] = {}
    written = 0
    for trial in reader.trials:
        if accepted_only and trial.status is not TrialStatus.ACCEPTED:
            continue
        systems = _systems(reader, trial)
        if not systems:
            continue
        task = bids_label(str(trial.info.test))
        runs[task] = runs.get(task, 0) + 1
        prefix = f"sub-{sub}_ses-{ses}_task-{task}"
        for system in systems:
            stem = motion / f"{prefix}_tracksys-{system.label}_run-{runs[task]}"
            recorded = trial.started_utc or reader.session.started_utc
            _write_system(stem, system, trial, task, lookup.at(system.device, recorded))
            scans.append([f"motion/{stem.name}_motion.tsv", _acq_time(trial.started_utc),
                          trial.trial_id, str(trial.status), str(trial.info.side) or "n/a"])
            written += 1
        run = latest_run(reader.analysis_runs(trial.trial_id))
        events = [] if run is None else analysis_events(trial.info.test, run.record,
                                                        trial.t_start_s)
        _write_tsv(motion / f"{prefix}_run-{runs[task]}_events.tsv",
                   ["onset", "duration", "trial_type"],
                   [[f"{onset:.4f}", f"{duration:.4f}", kind]
                    for onset, duration, kind in events])
    stem = folder / f"sub-{sub}_ses-{ses}_scans"
    _write_tsv(Path(f"{stem}.tsv"),
               ["filename", "acq_time", "trial_id", "trial_status", "side"], scans)
    _write_json(Path(f"{stem}.json"), {
        "acq_time": {"Description": "start of the trial (UTC)"},
        "trial_id": {"Description": "trial ID in the physiocap session file"},
        "trial_status": {"Description": "operator's verdict: accepted, rejected, completed "
                                        "(no verdict) or interrupted"},
        "side": {"Description": "tested side (strength), n/a otherwise"}})
    return written


def _dataset_files(out: Path, study: Path, participants: list[list[str]],
                   age_band_years: int | None) -> None:
    _write_json(out / "dataset_description.json", {
        "Name": f"physiocap study {study.name}", "BIDSVersion": BIDS_VERSION,
        "DatasetType": "raw",
        "GeneratedBy": [{"Name": "physiocap", "Version": __version__,
                         "Description": "physiocap export bids"}]})
    (out / "README").write_text(
        "Clinical functional tests (Timed Up and Go, gait speed, sit-to-stand, grip and knee "
        "extension strength) recorded with physiocap and exported as Motion-BIDS.\n"
        "Each trial is one run; each device one tracking system. Events are what physiocap's "
        "most recent stored analysis found. Force channels (N) are of type MISC.\n",
        encoding="utf-8")
    header = ["participant_id", "group"] + (["age_band"] if age_band_years else [])
    _write_tsv(out / "participants.tsv", header, participants)
    sidecar: dict[str, Any] = {"group": {"Description": "study arm or cohort"}}
    if age_band_years:
        sidecar["age_band"] = {
            "Description": f"age at the participant's first exported visit in bands of "
                           f"{age_band_years} years, as visit year minus birth year (the "
                           "true age is that or one year less)", "Units": "year"}
    _write_json(out / "participants.json", sidecar)


def export_bids(study: Path, out: Path, *, age_band_years: int | None = None,
                accepted_only: bool = False, overwrite: bool = False) -> BidsSummary:
    """Write the study's session files as a Motion-BIDS dataset in ``out``."""
    if age_band_years is not None and not 1 <= age_band_years <= 50:
        raise ConfigurationError(f"age band of {age_band_years} years is outside 1-50")
    files = study_session_files(study)
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise ConfigurationError(f"{out}: exists and is not empty; choose a new folder "
                                     "(or --force to replace it)")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    subjects: dict[str, str] = {}
    people: dict[str, tuple[Participant, datetime]] = {}
    sessions: dict[str, set[str]] = {}
    skipped: list[str] = list(files.skipped)
    recordings = 0
    lookup = CalibrationLookup(study)
    for path in files.paths:
        try:
            with SessionReader(path) as reader:
                participant = reader.participant
                sub = subjects.setdefault(participant.participant_id, bids_label(
                    participant.participant_id))
                if list(subjects.values()).count(sub) > 1:
                    sub = subjects[participant.participant_id] = f"{sub}{len(subjects)}"
                ses = bids_label(reader.session.visit_label)
                taken = sessions.setdefault(sub, set())
                ses = next(f"{ses}{n}" if n else ses for n in range(len(taken) + 1)
                           if (f"{ses}{n}" if n else ses) not in taken)
                taken.add(ses)
                recordings += _session(reader, sub, ses, out, accepted_only, lookup)
                first = people.get(sub)
                if first is None or reader.session.started_utc < first[1]:
                    people[sub] = (participant, reader.session.started_utc)
        except PhysiocapError as error:
            skipped.append(str(error))
    rows = [[f"sub-{sub}", participant.group or "n/a"] + (
        [age_band(participant.birth_year, started.year, age_band_years)]
        if age_band_years else []) for sub, (participant, started) in sorted(people.items())]
    _dataset_files(out, study, rows, age_band_years)
    return BidsSummary(out, len(people), recordings, tuple(skipped))
