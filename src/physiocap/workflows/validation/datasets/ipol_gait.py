"""ipol-gait (Voisard et al., IPOL 2023; AGPL-3.0 repository): walk 10 m, U-turn, walk
10 m back, with IMUs on the lower back (``N-M_lb.txt``) and both feet (``_lf``, ``_rf``).

The reference (``N-M.json``) indexes rows at 100 Hz. About 3 % of rows follow a
PacketCounter jump (dropped packets), differently in each sensor, so a row index means a
different instant in each file. We put every sample at ``PacketCounter / 100 Hz``, the
time base the three sensors share, and convert each reference row index through the file
it was annotated on: left-foot events through the left-foot counter, right-foot events
through the right-foot counter, trial boundaries through the footstep they coincide with,
U-turn boundaries through the lower-back counter. The reference speed is then
20 m / (true trial time), not 20 m / (rows / 100 Hz).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from physiocap.workflows.validation.datasets.recording import ReferenceRecording, SensorData

DATASET = "ipol-gait"
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


def _row_to_time(row: int, time_s: np.ndarray) -> float:
    """Time of a reference row index; rows past the file's end continue at 100 Hz."""
    if row < len(time_s):
        return float(time_s[row])
    return float(time_s[-1] + (row - len(time_s) + 1) / RATE_HZ)


def _boundary_time(row: int, events: dict[str, list[list[int]]],
                   times: dict[str, np.ndarray]) -> float:
    for name, key in (("LeftFootEvents", "lf"), ("RightFootEvents", "rf")):
        if any(row in step for step in events.get(name, [])):
            return _row_to_time(row, times[key])
    return _row_to_time(row, times["lb"])


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
        times: dict[str, np.ndarray] = {}
        for key, placement in _PLACEMENTS.items():
            time_s, acc, gyro = read_sensor(files[key])
            times[key] = time_s
            sensors[placement] = SensorData(placement, time_s, acc, gyro)
        trial = meta["TrialBoundaries"]
        uturn = meta["UTurnBoundaries"]
        reference = {
            "trial_start_s": _boundary_time(int(trial[0]), meta, times),
            "trial_end_s": _boundary_time(int(trial[1]), meta, times),
            "uturn_start_s": _row_to_time(int(uturn[0]), times["lb"]),
            "uturn_end_s": _row_to_time(int(uturn[1]), times["lb"]),
        }
        trial_time = reference["trial_end_s"] - reference["trial_start_s"]
        uturn_time = reference["uturn_end_s"] - reference["uturn_start_s"]
        reference["gait_speed_m_per_s"] = WALK_DISTANCE_M / trial_time
        reference["stride_speed_m_per_s"] = WALK_DISTANCE_M / (trial_time - uturn_time)
        contacts = [_row_to_time(int(step[1]), times["lf"]) for step in meta["LeftFootEvents"]]
        contacts += [_row_to_time(int(step[1]), times["rf"]) for step in meta["RightFootEvents"]]
        yield ReferenceRecording(
            DATASET, recording_id, sensors, reference=reference,
            reference_events={"initial_contacts": np.sort(np.asarray(contacts))},
            reference_windows={"trial": ((reference["trial_start_s"],
                                          reference["trial_end_s"]),)},
            info=info)
