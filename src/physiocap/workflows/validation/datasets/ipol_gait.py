"""ipol-gait (Voisard et al., IPOL 2023; AGPL-3.0 repository): walk 10 m, U-turn, walk
10 m back, with IMUs on the lower back (``N-M_lb.txt``) and both feet (``_lf``, ``_rf``).

The reference (``N-M.json``) gives row indices at 100 Hz. About 3 % of rows follow a
PacketCounter jump (dropped packets, up to 12 % in one file), differently in each sensor.
The indices count 100 Hz ticks of the shared PacketCounter from its zero (the timeline
with the dropped packets put back), not rows of the files as stored: read that way, the
hand-checked heel strikes fall on the foot sensors' impacts in every recording, while read
as file rows they drift by up to a second in the recordings with many drops. So every
sample is put at ``PacketCounter / 100 Hz`` and every reference index at ``index / 100 Hz``.
A footstep's end in ``LeftFootEvents`` / ``RightFootEvents`` is that foot's initial contact.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from physiocap.workflows.validation.datasets.recording import ReferenceRecording, SensorData

DATASET = "ipol-gait"
#: What a folder of this dataset holds (said when none is found).
LAYOUT = "N-M.json references with N-M_lb.txt, N-M_lf.txt and N-M_rf.txt"
RATE_HZ = 100.0
WALK_DISTANCE_M = 20.0
_COUNTER_MODULUS = 65536
_TRIAL_FILE = re.compile(r"^(?P<subject>\d+)-(?P<trial>\d+)\.json$")
_PLACEMENTS = {"lb": "lower_back", "lf": "left_foot", "rf": "right_foot"}


def read_sensor(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times (PacketCounter / 100 Hz, unwrapped), acc (m/s²) and gyro (rad/s)."""
    table = np.loadtxt(path, skiprows=2, usecols=range(7), ndmin=2)
    counter = table[:, 0].astype(np.int64)
    steps = np.diff(counter)
    steps[steps < 0] += _COUNTER_MODULUS
    unwrapped = np.concatenate([[0], np.cumsum(steps)]) + counter[0]
    return unwrapped / RATE_HZ, table[:, 1:4], table[:, 4:7]


def _index_to_time(index: int) -> float:
    """Time (s, PacketCounter time base) of a reference index (module docstring)."""
    return float(index) / RATE_HZ


def iter_recordings(folder: Path) -> Iterator[ReferenceRecording]:
    paths = sorted(folder.glob("*.json"),
                   key=lambda p: tuple(int(x) for x in p.stem.split("-")) if
                   _TRIAL_FILE.match(p.name) else (0, 0))
    for path in paths:
        if _TRIAL_FILE.match(path.name) is None:
            continue
        meta = json.loads(path.read_text())
        recording_id = path.stem
        info: dict[str, object] = {"distance_m": WALK_DISTANCE_M, "start": "static",
                                   "layout": "out_and_back"}
        height_cm = meta.get("Height")
        if isinstance(height_cm, int | float) and np.isfinite(height_cm) and height_cm > 0:
            info["height_m"] = float(height_cm) / 100.0
        files = {key: folder / f"{recording_id}_{key}.txt" for key in _PLACEMENTS}
        missing = [p.name for p in files.values() if not p.is_file()]
        if missing:
            yield ReferenceRecording(DATASET, recording_id, {}, info=info,
                                     problem=f"missing files: {', '.join(missing)}")
            continue
        sensors: dict[str, SensorData] = {}
        for key, placement in _PLACEMENTS.items():
            time_s, acc, gyro = read_sensor(files[key])
            sensors[placement] = SensorData(placement, time_s, acc, gyro)
        trial = meta["TrialBoundaries"]
        uturn = meta["UTurnBoundaries"]
        reference = {
            "trial_start_s": _index_to_time(trial[0]),
            "trial_end_s": _index_to_time(trial[1]),
            "uturn_start_s": _index_to_time(uturn[0]),
            "uturn_end_s": _index_to_time(uturn[1]),
        }
        trial_time = reference["trial_end_s"] - reference["trial_start_s"]
        uturn_time = reference["uturn_end_s"] - reference["uturn_start_s"]
        reference["gait_speed_m_per_s"] = WALK_DISTANCE_M / trial_time
        reference["stride_speed_m_per_s"] = WALK_DISTANCE_M / (trial_time - uturn_time)
        left = np.sort([_index_to_time(step[1]) for step in meta["LeftFootEvents"]])
        right = np.sort([_index_to_time(step[1]) for step in meta["RightFootEvents"]])
        yield ReferenceRecording(
            DATASET, recording_id, sensors, reference=reference,
            reference_events={"initial_contacts": np.sort(np.concatenate([left, right])),
                              "initial_contacts_left": left,
                              "initial_contacts_right": right},
            reference_windows={"trial": ((reference["trial_start_s"],
                                          reference["trial_end_s"]),)},
            info=info)
