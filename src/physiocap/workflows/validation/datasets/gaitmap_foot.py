"""gaitmap-foot (gaitmap example data, MIT): one healthy adult, two 20 m walks, IMUs on
both feet at 204.8 Hz (acc m/s², gyro deg/s, foot frame). Reference initial contacts come
from motion capture (``stride_events_sample.csv``: each stride's ``pre_ic`` and ``ic``)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from physiocap.core.units import deg_to_rad
from physiocap.workflows.validation.datasets.recording import ReferenceRecording, SensorData

DATASET = "gaitmap-foot"
#: What a folder of this dataset holds (said when none is found).
LAYOUT = "imu_sample.csv with stride_events_sample.csv"
RATE_HZ = 204.8
_CHANNELS = ("acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z")


def read_imu(path: Path) -> dict[str, np.ndarray]:
    """Per side (``left``/``right``) an N×6 array: acc (m/s²) then gyro (deg/s)."""
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        sensors = next(reader)
        axes = next(reader)
        rows = np.array([[float(x) for x in row] for row in reader if row])
    out: dict[str, np.ndarray] = {}
    for side in ("left", "right"):
        columns = [next(i for i, (s, a) in enumerate(zip(sensors, axes, strict=True))
                        if s == f"{side}_sensor" and a == channel) for channel in _CHANNELS]
        out[side] = rows[:, columns]
    return out


def read_contacts(path: Path) -> dict[str, np.ndarray]:
    """Reference initial-contact sample indices per side (union of ``pre_ic`` and ``ic``)."""
    contacts: dict[str, set[float]] = {"left": set(), "right": set()}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            for column in ("pre_ic", "ic"):
                value = row.get(column, "")
                if value not in ("", "nan"):
                    contacts[row["foot"]].add(float(value))
    return {side: np.array(sorted(values)) for side, values in contacts.items()}


def iter_recordings(folder: Path) -> Iterator[ReferenceRecording]:
    imu_path = folder / "imu_sample.csv"
    events_path = folder / "stride_events_sample.csv"
    if not imu_path.is_file() or not events_path.is_file():
        return
    imu = read_imu(imu_path)
    contacts = read_contacts(events_path)
    sensors = {}
    for side, table in imu.items():
        time_s = np.arange(len(table)) / RATE_HZ
        sensors[f"{side}_foot"] = SensorData(f"{side}_foot", time_s, table[:, 0:3],
                                             deg_to_rad(table[:, 3:6]))
    events = {f"initial_contacts_{side}": idx / RATE_HZ for side, idx in contacts.items()}
    events["initial_contacts"] = np.sort(np.concatenate(list(events.values())))
    yield ReferenceRecording(DATASET, "imu_sample", sensors, reference_events=events)
