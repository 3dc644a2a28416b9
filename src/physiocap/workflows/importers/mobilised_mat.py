"""Import Mobilise-D ``data.mat`` files (``physiocap import mobilised-mat``).

The Mobilise-D data standard [E6] stores one participant per ``data.mat`` (folder
``<cohort>/<participant>/``, body measures in ``infoForAlgo.mat`` beside it):
``data.<TimeMeasure>.<Test>.<Trial>`` holds ``StartDateTime`` (ISO 8601 with offset),
``SU.LowerBack`` (``Acc`` in g, ``Gyr`` in deg/s, ``Mag`` in µT, ``Timestamp`` in Unix s)
and ``Standards.<system>.MicroWB`` (reference walking bouts, times in s from the trial's
first sample). Each time measure becomes one session (one visit) and every test and trial
in it one gait-speed trial with the lower-back IMU in SI units; the reference walking bouts
of every system are kept as markers (start and end, labelled with speed and length) and in
the trial's protocol (``reference_walking_bouts``, with initial contacts and sides). The
session date is the first trial's ``StartDateTime``.

Every trial is stored as a gait-speed trial. One whose reference holds several walking
bouts (Test11, simulated daily-life activities: 3-6 bouts) is not one timed walk, so it is
imported with status ``rejected`` and a note saying why: its signals and reference bouts are
kept, while ``analyze`` and the visit scores leave it out (a gait speed timed on its first
walk, 0.2 m/s, would otherwise enter the visit's mean).

The data do not say how long a walked course was: ``distance_m`` is the INDIP length of the
trial's first reference bout (first to last initial contact), and the protocol says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy.io import loadmat
from scipy.io.matlab import MatReadError

from physiocap.core.device_info import DeviceInfo, DeviceKind, Placement
from physiocap.core.errors import ConfigurationError, CorruptFileError
from physiocap.core.records import (
    Participant,
    SessionInfo,
    Side,
    TestKind,
    TrialInfo,
    TrialStatus,
)
from physiocap.core.streams import DeviceTiming, StreamSpec
from physiocap.core.units import (
    UNIT_ACCELERATION,
    UNIT_ANGULAR_VELOCITY,
    UNIT_MAGNETIC_FIELD,
    deg_to_rad,
    g_to_m_per_s2,
    microtesla_to_tesla,
)
from physiocap.workflows.importers.imported_session import (
    SourceDevice,
    SourceMarker,
    SourceStream,
    SourceTrial,
    SourceVisit,
    write_source_visit,
)
from physiocap.workflows.importers.plausibility import (
    implausible_imu,
    not_storable,
    time_jump,
)
from physiocap.workflows.importers.session_import import provenance
from physiocap.workflows.protocols import BATTERY
from physiocap.workflows.study import StudyFolder

#: The data standard's first Timestamp is the trial's StartDateTime (0 s apart in every
#: mobgap-lab trial); UTC offsets span -12 h to +14 h, so a larger difference is no
#: time-zone mix-up but another clock or unit.
_MAX_UTC_OFFSET_S = 14 * 3600.0
_BOUT_FIELDS = {"Start": "start_s", "End": "end_s", "WalkingSpeed": "walking_speed_m_per_s",
                "Cadence": "cadence_steps_per_min", "Length": "length_m"}


class MobilisedMatError(CorruptFileError):
    """Not a readable Mobilise-D file; names the file, the struct field and the reason."""

    def __init__(self, path: Path, field: str | None, reason: str) -> None:
        where = f"{field}: " if field else ""
        super().__init__(f"not a readable Mobilise-D data.mat: {where}{reason}", path=path)


@dataclass(frozen=True, slots=True)
class ImportedVisit:
    """One written session file and what it holds."""

    path: Path
    participant_id: str
    session_id: str
    trial_ids: tuple[str, ...]


def _number(value: Any) -> float | None:
    try:
        number = float(np.asarray(value, dtype=float).ravel()[0])
    except (TypeError, ValueError, IndexError):
        return None
    return number if np.isfinite(number) else None


def _as_list(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list | tuple | np.ndarray):
        return [item for item in value if isinstance(item, dict)]
    return []


def _load(path: Path, name: str) -> dict[str, Any]:
    try:
        content = loadmat(path, simplify_cells=True)
    except FileNotFoundError:
        raise MobilisedMatError(path, None, "the file does not exist") from None
    except (MatReadError, ValueError, TypeError, OSError, NotImplementedError) as error:
        raise MobilisedMatError(path, None, f"not a MATLAB v5-v7.2 file ({error})") from None
    value = content.get(name)
    if not isinstance(value, dict):
        raise MobilisedMatError(path, name, "struct missing")
    return value


def _participant(data_path: Path, participant_id: str | None) -> Participant:
    cohort, number = data_path.parent.parent.name, data_path.parent.name
    info_path = data_path.parent / "infoForAlgo.mat"
    measure: dict[str, Any] = {}
    if info_path.is_file():
        info = _load(info_path, "infoForAlgo")
        measure = next((v for v in info.values() if isinstance(v, dict)), {})
    height_cm, mass_kg = _number(measure.get("Height")), _number(measure.get("Weight"))
    hand = str(measure.get("Handedness", "")).upper()
    return Participant(
        participant_id or f"{cohort}-{number}",
        height_m=height_cm / 100.0 if height_cm and 50 <= height_cm <= 250 else None,
        body_mass_kg=mass_kg if mass_kg and 20 <= mass_kg <= 350 else None,
        dominant_side=Side.RIGHT if hand == "R" else Side.LEFT if hand == "L" else Side.NONE,
        group=cohort if cohort.replace("-", "").isalnum() else "")


def _sensor_height_m(data_path: Path) -> float | None:
    info_path = data_path.parent / "infoForAlgo.mat"
    if not info_path.is_file():
        return None
    info = _load(info_path, "infoForAlgo")
    measure = next((v for v in info.values() if isinstance(v, dict)), {})
    height_cm = _number(measure.get("SensorHeight"))
    return round(height_cm / 100.0, 4) if height_cm and height_cm > 0 else None


def _bouts(path: Path, trial: dict[str, Any], field: str
           ) -> dict[str, list[dict[str, Any]]]:
    standards = trial.get("Standards", {})
    found: dict[str, list[dict[str, Any]]] = {}
    for system, content in (standards.items() if isinstance(standards, dict) else ()):
        if not isinstance(content, dict):
            continue
        rows = []
        for index, bout in enumerate(_as_list(content.get("MicroWB"))):
            row: dict[str, Any] = {ours: _number(bout.get(theirs))
                                   for theirs, ours in _BOUT_FIELDS.items()}
            if row["start_s"] is None or row["end_s"] is None:
                raise MobilisedMatError(path, f"{field}.Standards.{system}.MicroWB({index + 1})",
                                        "a walking bout needs numeric Start and End")
            contacts = np.asarray(bout.get("InitialContact_Event", []), dtype=float).ravel()
            if len(contacts):
                row["initial_contacts_s"] = [round(float(c), 3) if np.isfinite(c) else None
                                             for c in contacts]
                row["initial_contact_sides"] = [str(side).lower() for side in np.atleast_1d(
                    bout.get("InitialContact_LeftRight", []))]
            rows.append(row)
        if rows:
            found[system] = rows
    return found


def _imu(path: Path, trial: dict[str, Any], field: str
         ) -> tuple[np.ndarray, dict[str, np.ndarray], float]:
    lower_back = trial.get("SU", {}).get("LowerBack") if isinstance(trial.get("SU"), dict) \
        else None
    if not isinstance(lower_back, dict):
        raise MobilisedMatError(path, f"{field}.SU.LowerBack", "no lower-back sensor unit")
    try:
        clock = np.asarray(lower_back["Timestamp"], dtype=float).ravel()
    except (KeyError, TypeError, ValueError):
        raise MobilisedMatError(path, f"{field}.SU.LowerBack.Timestamp",
                                "missing or not numbers") from None
    if len(clock) < 2 or not np.all(np.diff(clock) > 0):
        raise MobilisedMatError(path, f"{field}.SU.LowerBack.Timestamp",
                                "needs at least two increasing times")
    jump = time_jump(clock)
    if jump:
        raise MobilisedMatError(path, f"{field}.SU.LowerBack.Timestamp", jump[1])
    measured_hz = float(1.0 / np.median(np.diff(clock)))
    arrays = {}
    for name in ("Acc", "Gyr", "Mag"):
        if name == "Mag" and name not in lower_back:
            continue
        try:
            values = np.asarray(lower_back[name], dtype=float)
        except KeyError:
            raise MobilisedMatError(path, f"{field}.SU.LowerBack.{name}", "missing") from None
        except (TypeError, ValueError):
            raise MobilisedMatError(path, f"{field}.SU.LowerBack.{name}",
                                    "not numbers") from None
        if values.shape != (len(clock), 3):
            raise MobilisedMatError(path, f"{field}.SU.LowerBack.{name}",
                                    f"expected {len(clock)} × 3 values (one row per "
                                    f"Timestamp), found {values.shape}")
        if not np.all(np.isfinite(values)):
            row = int(np.argmax(~np.all(np.isfinite(values), axis=1)))
            raise MobilisedMatError(path, f"{field}.SU.LowerBack.{name}",
                                    f"row {row + 1} is not finite")
        stream = {"Acc": "acc", "Gyr": "gyro"}.get(name)
        beyond = implausible_imu(stream, _CONVERT[name](values), measured_hz) \
            if stream else not_storable(_CONVERT[name](values))
        if beyond:
            raise MobilisedMatError(path, f"{field}.SU.LowerBack.{name}", beyond[1])
        arrays[name] = values
    rate = _number(lower_back.get("Fs", {}).get("Acc") if isinstance(lower_back.get("Fs"),
                                                                     dict) else None)
    if rate is not None and rate <= 0:
        raise MobilisedMatError(path, f"{field}.SU.LowerBack.Fs.Acc",
                                f"sampling rate {rate:g} Hz is not positive")
    return clock, arrays, rate or measured_hz


def _start(path: Path, trial: dict[str, Any], field: str) -> datetime:
    text = str(trial.get("StartDateTime", ""))
    try:
        started = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise MobilisedMatError(path, f"{field}.StartDateTime",
                                f"{text!r} is not an ISO 8601 date and time") from None
    if started.tzinfo is None:
        raise MobilisedMatError(path, f"{field}.StartDateTime",
                                f"{text!r} has no UTC offset")
    return started


def _device(rate: float) -> tuple[DeviceInfo, dict[str, StreamSpec]]:
    device = DeviceInfo(device_id="MOBILISED-SU", driver="mobilised-mat", kind=DeviceKind.IMU,
                        model="Mobilise-D lower-back sensor unit (SU)", serial="unknown",
                        placement=Placement.LOWER_BACK)

    def spec(name: str, unit: str, what: str) -> StreamSpec:
        return StreamSpec(name, ("x", "y", "z"), (unit,) * 3, rate,
                          timing=DeviceTiming.PER_SAMPLE, description=f"{what}, sensor frame")

    return device, {"Acc": spec("acc", UNIT_ACCELERATION, "acceleration incl. gravity"),
                    "Gyr": spec("gyro", UNIT_ANGULAR_VELOCITY, "angular velocity"),
                    "Mag": spec("mag", UNIT_MAGNETIC_FIELD, "magnetic field")}


_CONVERT = {"Acc": g_to_m_per_s2, "Gyr": deg_to_rad, "Mag": microtesla_to_tesla}


def _trial(path: Path, key: tuple[str, str, str], trial: dict[str, Any],
           sensor_height_m: float | None) -> SourceTrial:
    field = "data." + ".".join(key)
    clock, arrays, rate = _imu(path, trial, field)
    offset_s = float(clock[0]) - _start(path, trial, field).timestamp()
    if not abs(offset_s) <= _MAX_UTC_OFFSET_S:
        raise MobilisedMatError(path, f"{field}.SU.LowerBack.Timestamp",
                                f"the first sample is {offset_s:.6g} s from StartDateTime, "
                                "more than any time-zone mix-up (14 h): not Unix seconds "
                                "of this trial")
    device, specs = _device(rate)
    streams = tuple(SourceStream(specs[name], clock, _CONVERT[name](values))
                    for name, values in arrays.items())
    bouts = _bouts(path, trial, field)
    indip = bouts.get("INDIP", [])
    length = indip[0].get("length_m") if indip else None
    distance = {"distance_m": round(float(length), 2)} if length else {}
    try:
        protocol: dict[str, Any] = BATTERY[TestKind.GAIT_SPEED].resolve(distance)
    except ConfigurationError:  # a bout shorter or longer than any timed-walk course
        distance = {}
        protocol = BATTERY[TestKind.GAIT_SPEED].resolve(distance)
    protocol |= provenance(
        path, mobilised_key=".".join(key), sensor_height_m=sensor_height_m,
        distance_source=("INDIP length of the first reference walking bout (first to last "
                         "initial contact); the course length is not in the data"
                         if distance else
                         "not in the data: the battery's default"),
        time_base="reference bout times in s from the trial's first sample",
        reference_walking_bouts=bouts)
    markers = []
    for system, rows in sorted(bouts.items()):
        for number, bout in enumerate(rows, start=1):
            speed = bout.get("walking_speed_m_per_s")
            detail = "" if speed is None else f" {speed:.2f} m/s"
            if bout.get("length_m") is not None:
                detail += f" {bout['length_m']:.2f} m"
            markers += [SourceMarker(clock[0] + bout["start_s"], "reference_wb_start",
                                     f"{system} WB {number}{detail}"),
                        SourceMarker(clock[0] + bout["end_s"], "reference_wb_end",
                                     f"{system} WB {number}")]
    trial_id = f"{key[1]}-{key[2]}".lower()
    notes = f"Imported from Mobilise-D {path.name}, {'.'.join(key)}"
    walks = max((len(rows) for rows in bouts.values()), default=0)
    status = TrialStatus.COMPLETED
    if walks > 1:
        status = TrialStatus.REJECTED
        notes += (f"; the reference holds {walks} walking bouts, so this is not one timed "
                  "walk: kept for its signals and reference bouts, left out of analysis")
    return SourceTrial(TrialInfo(trial_id, TestKind.GAIT_SPEED, protocol,
                                 repetition=int("".join(c for c in key[2] if c.isdigit()) or 1)),
                       (SourceDevice(device, streams),), tuple(markers), notes=notes,
                       status=status)


def read_mobilised_visits(data_path: Path, participant_id: str | None = None
                          ) -> list[SourceVisit]:
    """One visit per time measure of a ``data.mat``, trials in the order of their start."""
    data = _load(data_path, "data")
    participant = _participant(data_path, participant_id)
    sensor_height = _sensor_height_m(data_path)
    visits = []
    for measure, tests in data.items():
        if not isinstance(tests, dict):
            raise MobilisedMatError(data_path, f"data.{measure}", "not a struct of tests")
        found = []
        for test, trials in tests.items():
            if not isinstance(trials, dict):
                raise MobilisedMatError(data_path, f"data.{measure}.{test}",
                                        "not a struct of trials")
            for name, trial in trials.items():
                if isinstance(trial, dict) and name.startswith("Trial"):
                    key = (measure, test, name)
                    found.append((_start(data_path, trial, "data." + ".".join(key)), key,
                                  trial))
        if not found:
            raise MobilisedMatError(data_path, f"data.{measure}", "holds no Trial")
        found.sort(key=lambda item: item[0])
        started = found[0][0]
        origin = started.timestamp()
        session = SessionInfo(f"{started:%Y-%m-%d}_{measure}", measure, started)
        visits.append(SourceVisit(participant, session, origin, tuple(
            _trial(data_path, key, trial, sensor_height) for _, key, trial in found)))
    if not visits:
        raise MobilisedMatError(data_path, "data", "holds no time measure")
    return visits


def data_files(source: Path) -> list[Path]:
    """The ``data.mat`` files of ``source``: the file itself, or every one below a folder."""
    if source.is_file():
        return [source]
    if source.is_dir():
        found = sorted(source.rglob("data.mat"))
        if found:
            return found
        raise ConfigurationError(f"{source}: no data.mat below this folder (Mobilise-D "
                                 "layout <cohort>/<participant>/data.mat)")
    raise ConfigurationError(f"{source}: does not exist")


def import_mobilised(source: Path, out: Path, *, participant_id: str | None = None,
                     overwrite: bool = False) -> list[ImportedVisit]:
    """Import every visit below ``source``. ``out`` is a session file (``.h5``) when the
    source holds one visit, else a study folder (``<participant>/<session>.h5``)."""
    visits = [visit for path in data_files(source)
              for visit in read_mobilised_visits(path, participant_id)]
    single_file = out.suffix == ".h5"
    if single_file and len(visits) > 1:
        raise ConfigurationError(f"{source} holds {len(visits)} visits; give a folder as the "
                                 "output (-o DIR) to write one session file per visit")
    written = []
    for visit in visits:
        if single_file:
            target = out
        else:
            study = StudyFolder(out)
            study.save_participant(visit.participant)
            target = study.session_path(visit.participant.participant_id,
                                        visit.session.session_id)
        write_source_visit(target, visit, overwrite=overwrite)
        written.append(ImportedVisit(target, visit.participant.participant_id,
                                     visit.session.session_id,
                                     tuple(t.info.trial_id for t in visit.trials)))
    return written
