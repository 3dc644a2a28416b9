"""mobgap-lab (Mobilise-D example data shipped with mobgap, Apache-2.0): lower-back IMU in
the lab, straight walks (Test5) and simulated daily activities (Test11), with INDIP
reference walking bouts (``MicroWB``), per-bout walking speed and initial contacts, with
their sides (``InitialContact_LeftRight``).

Layout: ``<cohort>/<participant>/data.mat`` (+ ``infoForAlgo.mat`` with body and sensor
height). Acc is in g and gyro in deg/s in the file; converted to SI here. Reference times
are seconds from the trial's first sample.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from scipy.io import loadmat

from physiocap.core.units import deg_to_rad, g_to_m_per_s2
from physiocap.workflows.validation.datasets.recording import ReferenceRecording, SensorData

DATASET = "mobgap-lab"
#: What a folder of this dataset holds (said when none is found).
LAYOUT = "<cohort>/<participant>/data.mat (e.g. HA/001/data.mat) with infoForAlgo.mat"
REFERENCE_SYSTEM = "INDIP"


def _as_list(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list | tuple | np.ndarray):
        return [item for item in value if isinstance(item, dict)]
    return []


def _float_or_nan(value: Any) -> float:
    try:
        result = float(np.asarray(value, dtype=float).ravel()[0])
    except (TypeError, ValueError, IndexError):
        return float("nan")
    return result


def _participant_info(folder: Path) -> dict[str, object]:
    path = folder / "infoForAlgo.mat"
    if not path.is_file():
        return {}
    info = loadmat(path, simplify_cells=True).get("infoForAlgo", {})
    measure = next(iter(info.values()), {}) if isinstance(info, dict) else {}
    out: dict[str, object] = {}
    height = _float_or_nan(measure.get("Height"))
    sensor_height = _float_or_nan(measure.get("SensorHeight"))
    if np.isfinite(height) and height > 0:
        out["height_m"] = height / 100.0
    if np.isfinite(sensor_height) and sensor_height > 0:
        out["sensor_height_m"] = sensor_height / 100.0
    return out


def _trials(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for measure_name, measure in data.items():
        if not isinstance(measure, dict):
            continue
        for test_name, test in measure.items():
            if not isinstance(test, dict):
                continue
            for trial_name, trial in test.items():
                if trial_name.startswith("Trial") and isinstance(trial, dict):
                    yield f"{measure_name}.{test_name}.{trial_name}", trial


def _contact_sides(bout: dict[str, Any], n_contacts: int) -> np.ndarray:
    """``InitialContact_LeftRight`` of a bout as "left" / "right" per contact ("" when the
    label is missing or the lists differ in length)."""
    labels = np.atleast_1d(np.asarray(bout.get("InitialContact_LeftRight", []), dtype=object))
    if len(labels) != n_contacts:
        return np.full(n_contacts, "", dtype=object)
    return np.array([str(label).strip().lower() for label in labels], dtype=object)


def reference_bouts(trial: dict[str, Any], system_name: str = REFERENCE_SYSTEM
                    ) -> tuple[list[dict[str, Any]], str]:
    """The ``MicroWB`` walking bouts of one reference system in a trial struct, or an empty
    list and the reason."""
    standards = trial.get("Standards", {})
    system = standards.get(system_name) if isinstance(standards, dict) else None
    if not isinstance(system, dict):
        return [], f"no {system_name} reference"
    bouts = [b for b in _as_list(system.get("MicroWB")) if "Start" in b and "End" in b]
    if not bouts:
        return [], f"{system_name} reference holds no walking bout"
    return bouts, ""


def read_participant(data_path: Path) -> tuple[str, dict[str, object], dict[str, dict[str, Any]]]:
    """A participant's ID (``HA/001``), what the algorithms may use (body and sensor
    height) and the raw trial structs of ``data.mat`` by key (``TimeMeasure1.Test5.Trial1``)."""
    participant_folder = data_path.parent
    participant = f"{participant_folder.parent.name}/{participant_folder.name}"
    info = {"participant": participant, **_participant_info(participant_folder)}
    data = loadmat(data_path, simplify_cells=True).get("data", {})
    return participant, info, dict(_trials(data))


def load_trial(participant: str, info: dict[str, object], trial_key: str,
               trial: dict[str, Any]) -> ReferenceRecording:
    """One trial struct as a recording with its INDIP reference (times from its first
    sample)."""
    recording_id = f"{participant}/{trial_key}"
    info = dict(info)
    lower_back = trial.get("SU", {}).get("LowerBack")
    if not isinstance(lower_back, dict):
        return ReferenceRecording(DATASET, recording_id, {}, info=info,
                                  problem="no lower-back sensor")
    timestamps = np.asarray(lower_back["Timestamp"], dtype=float).ravel()
    acc = g_to_m_per_s2(np.asarray(lower_back["Acc"], dtype=float))
    gyro = deg_to_rad(np.asarray(lower_back["Gyr"], dtype=float))
    sensor = SensorData("lower_back", timestamps - timestamps[0], acc, gyro)
    bouts, problem = reference_bouts(trial)
    windows = tuple((float(b["Start"]), float(b["End"])) for b in bouts)
    speeds = np.array([_float_or_nan(b.get("WalkingSpeed")) for b in bouts])
    cadences = np.array([_float_or_nan(b.get("Cadence")) for b in bouts])
    contacts = [np.asarray(b.get("InitialContact_Event", []), dtype=float).ravel()
                for b in bouts]
    all_contacts = np.concatenate(contacts) if contacts else np.empty(0)
    sides = np.concatenate([_contact_sides(b, len(c)) for b, c in zip(bouts, contacts,
                                                                      strict=True)]
                           ) if contacts else np.empty(0, dtype=str)
    finite = np.isfinite(all_contacts)
    all_contacts, sides = all_contacts[finite], sides[finite]
    return ReferenceRecording(
        DATASET, recording_id, {"lower_back": sensor},
        reference_events={"initial_contacts": np.sort(all_contacts),
                          "initial_contacts_left": np.sort(all_contacts[sides == "left"]),
                          "initial_contacts_right": np.sort(all_contacts[sides == "right"]),
                          "walking_bout_speed_m_per_s": speeds,
                          "walking_bout_cadence_steps_per_min": cadences},
        reference_windows={"walking_bouts": windows},
        info=info, problem=problem)


def iter_recordings(folder: Path) -> Iterator[ReferenceRecording]:
    for data_path in sorted(folder.glob("*/*/data.mat")):
        participant, info, trials = read_participant(data_path)
        for trial_key, trial in trials.items():
            yield load_trial(participant, info, trial_key, trial)
