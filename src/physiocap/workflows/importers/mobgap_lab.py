"""Import one trial of mobgap's lab example data (Mobilise-D, Apache-2.0) as a session file.

A trial is a lower-back IMU recording at 100 Hz (``SU.LowerBack``: acc in g, gyro in deg/s,
converted to SI) with reference walking bouts from the INDIP multi-sensor system and from
optical motion capture (``Standards.INDIP`` / ``Standards.Stereophoto``). The session holds
one gait-speed trial (times in s from the trial's first sample, the reference's time base)
whose protocol holds the source, its licence and citation, and the reference bouts (start,
end, speed, cadence, length, initial contacts with their side), so a result of
``physiocap analyze`` can be compared with the reference at once.

The data do not say how long the walked course was. ``distance_m`` is set to the INDIP
length of the first reference bout (first to last initial contact) and the protocol says
so: the IMU-timed walk also holds the first step from standing and the closing steps, so
distance ÷ time reads low; the stride-model speed (``stride_speed_m_per_s``) is the
estimate to compare with the reference bout speed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from physiocap.core.device_info import DeviceInfo, DeviceKind, Placement
from physiocap.core.errors import ConfigurationError
from physiocap.core.records import Participant, SessionInfo, TestKind, TrialInfo
from physiocap.workflows.importers.imu_import import ImportedImu, write_imported_imu_session
from physiocap.workflows.importers.session_import import provenance
from physiocap.workflows.protocols import BATTERY
from physiocap.workflows.validation.datasets import mobgap_lab

#: Where the data come from and how to credit them (Apache-2.0 §4: a copy of the licence
#: goes with every redistribution, and changed files say that they were changed).
SOURCE: dict[str, str] = {
    "dataset": "mobgap-lab",
    "repository": "https://github.com/mobilise-d/mobgap (example_data/data/lab)",
    "licence": "Apache-2.0",
    "copyright": "the Mobilise-D consortium and the mobgap authors",
    "citation": "Mobilise-D example data: Micó-Amigo ME et al., Assessing real-world gait "
                "with digital technology? Validation, insights and recommendations from the "
                "Mobilise-D consortium, J NeuroEng Rehabil 2023;20:78; data "
                "doi:10.5281/zenodo.7547125. Protocol: Mazzà C et al., BMJ Open "
                "2021;11:e050785.",
    "reference": "INDIP multi-sensor system and stereophotogrammetry (MicroWB walking bouts)",
    "changes": "converted from data.mat to a physiocap session file: acc g -> m/s², gyro "
               "deg/s -> rad/s, times from the trial's first sample; magnetometer and "
               "barometer not copied",
}
NOMINAL_RATE_HZ = 100.0
_BOUT_FIELDS = {"Start": "start_s", "End": "end_s", "WalkingSpeed": "walking_speed_m_per_s",
                "Cadence": "cadence_steps_per_min", "Length": "length_m",
                "NumberStrides": "strides"}


def _number(value: Any) -> float | None:
    try:
        number = float(np.asarray(value, dtype=float).ravel()[0])
    except (TypeError, ValueError, IndexError):
        return None
    return round(number, 4) if np.isfinite(number) else None


def _bouts(trial: dict[str, Any], system: str) -> list[dict[str, Any]]:
    bouts, _ = mobgap_lab.reference_bouts(trial, system)
    out = []
    for bout in bouts:
        row: dict[str, Any] = {ours: _number(bout.get(theirs))
                               for theirs, ours in _BOUT_FIELDS.items()}
        contacts = np.asarray(bout.get("InitialContact_Event", []), dtype=float).ravel()
        if len(contacts):
            row["initial_contacts_s"] = [round(float(c), 3) for c in contacts]
            row["initial_contact_sides"] = [str(side).lower() for side in np.atleast_1d(
                bout.get("InitialContact_LeftRight", []))]
        out.append(row)
    return out


def import_mobgap_lab_trial(folder: Path, participant: str, trial_key: str, out: Path, *,
                            overwrite: bool = False) -> Path:
    """Convert ``trial_key`` (e.g. ``TimeMeasure1.Test5.Trial1``) of ``participant``
    (e.g. ``HA/001``) in a mobgap-lab folder into ``out``."""
    data_path = folder / participant / "data.mat"
    if not data_path.is_file():
        raise ConfigurationError(f"no mobgap-lab participant {participant!r} in {folder}")
    name, info, trials = mobgap_lab.read_participant(data_path)
    if trial_key not in trials:
        raise ConfigurationError(f"{participant} has no trial {trial_key!r} "
                                 f"(it has {', '.join(trials)})")
    trial = trials[trial_key]
    recording = mobgap_lab.load_trial(name, info, trial_key, trial)
    if recording.problem:
        raise ConfigurationError(f"{recording.recording_id}: {recording.problem}")
    sensor = recording.sensors["lower_back"]
    indip = _bouts(trial, "INDIP")
    protocol: dict[str, Any] = BATTERY[TestKind.GAIT_SPEED].resolve(
        {"distance_m": round(float(indip[0]["length_m"]), 2)})
    protocol |= provenance(
        data_path, dataset_source=dict(SOURCE), participant=name, trial=trial_key,
        distance_source="INDIP length of the first reference walking bout (first to last "
                        "initial contact); the course length is not in the data, and the "
                        "IMU-timed walk also holds the first and the closing steps",
        sensor_height_m=info.get("sensor_height_m"),
        time_base="s from the trial's first sample",
        reference_walking_bouts={"INDIP": indip, "Stereophoto": _bouts(trial, "Stereophoto")})
    device = DeviceInfo(device_id="MOBILISED-SU", driver="mobgap-lab-mat", kind=DeviceKind.IMU,
                        model="Mobilise-D lower-back sensor unit (SU)", serial="unknown",
                        placement=Placement.LOWER_BACK)
    test_id = trial_key.split(".")[1].lower()
    trial_info = TrialInfo(f"gait-{test_id}-{trial_key.rsplit('.', 1)[1].lower()}",
                           TestKind.GAIT_SPEED, protocol)
    notes = (f"Real recording from mobgap's lab example data ({SOURCE['repository']}, "
             f"{SOURCE['licence']}); reference walking bouts (INDIP, stereophotogrammetry) in "
             "the protocol under reference_walking_bouts.")
    imported = ImportedImu(device, NOMINAL_RATE_HZ, sensor.time_s, sensor.acc_m_per_s2,
                           sensor.time_s, sensor.gyro_rad_per_s, trial_info, notes)
    started = datetime.fromisoformat(str(trial.get("StartDateTime")))
    session = SessionInfo(f"{started:%Y-%m-%d}_mobgap-{name.replace('/', '-')}-{test_id}",
                          "import", started)
    height = info.get("height_m")
    person = Participant(f"MOBGAP-{name.replace('/', '')}",
                         height_m=float(height) if isinstance(height, float) else None)
    return write_imported_imu_session(out, person, session, imported, overwrite=overwrite)
