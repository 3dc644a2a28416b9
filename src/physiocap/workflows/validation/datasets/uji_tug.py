"""uji-tug (Matey-Sanz et al., Data in Brief 2023; ODbL-1.0): TUG runs with a phone in the
front trouser pocket (``*_sp.csv``, thigh) and a watch on the left wrist (``*_sw.csv``),
labelled per sample from 60 fps video. Each run gives two recordings, one per placement."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from physiocap.workflows.validation.datasets._labels import tug_reference_from_labels
from physiocap.workflows.validation.datasets.recording import ReferenceRecording, SensorData

DATASET = "uji-tug"
#: What a folder of this dataset holds (said when none is found).
LAYOUT = "sNN/sNN_RR_sp.csv (phone) and sNN/sNN_RR_sw.csv (watch) with executions_info.csv"
_PLACEMENT_BY_SUFFIX = {"sp": "thigh", "sw": "wrist"}
_COLUMNS = ("x_acc", "y_acc", "z_acc", "x_gyro", "y_gyro", "z_gyro", "timestamp")


def _read_table(path: Path) -> dict[str, dict[str, str]]:
    if not path.is_file():
        return {}
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        return {}
    key = next(iter(rows[0]))
    return {row[key]: row for row in rows}


def read_run(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Timestamps (s, from the file's first sample), acc, gyro and labels of one CSV."""
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    if not rows:
        raise ValueError(f"{path.name} holds no samples")
    values = np.array([[float(row[name]) for name in _COLUMNS] for row in rows])
    time_s = (values[:, 6] - values[0, 6]) / 1000.0
    labels = [row.get("label", "") for row in rows]
    return time_s, values[:, 0:3], values[:, 3:6], labels


def iter_recordings(folder: Path) -> Iterator[ReferenceRecording]:
    executions = _read_table(folder / "executions_info.csv")
    subjects = _read_table(folder / "subjects_info.csv")
    for path in sorted(folder.glob("s*/s*_*_s[pw].csv")):
        stem = path.stem
        execution_id, suffix = stem.rsplit("_", 1)
        subject_id = execution_id.split("_")[0]
        placement = _PLACEMENT_BY_SUFFIX[suffix]
        execution = executions.get(execution_id, {})
        info: dict[str, object] = {
            "placement": placement,
            "subject": subject_id,
            "phone_orientation": execution.get("orientation", ""),
            "first_turn": execution.get("first_turn", ""),
            "second_turn": execution.get("second_turn", ""),
        }
        height = subjects.get(subject_id, {}).get("height")
        if height:
            info["height_m"] = float(height) / 100.0
        if placement == "wrist":
            info["side"] = "left"
        try:
            time_s, acc, gyro, labels = read_run(path)
        except (ValueError, KeyError) as error:
            yield ReferenceRecording(DATASET, stem, {}, info=info, problem=f"unreadable: {error}")
            continue
        reference = tug_reference_from_labels(time_s, labels)
        problem = "" if "tug_total_time_s" in reference else \
            "labels hold no STANDING_UP or no SITTING_DOWN phase"
        sensor = SensorData(placement, time_s, acc, gyro)
        yield ReferenceRecording(DATASET, stem, {placement: sensor}, reference=reference,
                                 info=info, problem=problem)
