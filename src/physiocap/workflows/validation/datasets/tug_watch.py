"""tug-watch (matey97/TugTestAnalytics, MIT): one adult, TUG runs with a smartwatch on the
wrist. File prefix = watch hand (l/r) then turn direction (l/r); reference phase times from
video in ``reference_phases_utc.json`` as UTC times of day on the recording's date."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from physiocap.workflows.validation.datasets.recording import ReferenceRecording, SensorData

DATASET = "tug-watch"
#: What a folder of this dataset holds (said when none is found).
LAYOUT = ("<watch hand><turn>_<run>_<device>_<ms>.json runs (e.g. ll_01_...json) with "
          "reference_phases_utc.json")
_RUN_FILE = re.compile(r"^(?P<hand>[lr])(?P<turn>[lr])_(?P<run>\d+)_.*\.json$")
_REFERENCE_NAMES = {
    "stand_start": "sit_to_stand_start_s",
    "stand_end": "sit_to_stand_end_s",
    "turn1_start": "turn1_start_s",
    "turn1_end": "turn1_end_s",
    "turn2_start": "turn2_start_s",
    "turn2_end": "turn2_end_s",
    "sit_end": "sit_end_s",
}


def _parse_utc(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def read_run(path: Path) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], datetime]:
    """Per sensor type, Unix times (s) and N×3 values; plus the first sample's UTC date."""
    batches = json.loads(path.read_text())
    streams: dict[str, tuple[list[float], list[list[float]]]] = {}
    for batch in batches:
        times, values = streams.setdefault(batch["type"], ([], []))
        for record in batch["records"]:
            times.append(_parse_utc(record["timestamp"]))
            values.append([record["x"], record["y"], record["z"]])
    out = {kind: (np.asarray(t), np.asarray(v, dtype=float)) for kind, (t, v) in streams.items()}
    first = min(t[0] for t, _ in out.values() if len(t))
    return out, datetime.fromtimestamp(first, UTC)


def _common_time_base(acc: tuple[np.ndarray, np.ndarray], gyro: tuple[np.ndarray, np.ndarray]
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both streams on the accelerometer timestamps inside the span both cover (the watch
    starts the two sensors at different moments; one run has 3 min of acc before gyro)."""
    acc_t, acc_v = acc
    gyro_t, gyro_v = gyro
    order = np.argsort(gyro_t, kind="stable")
    gyro_t, gyro_v = gyro_t[order], gyro_v[order]
    keep = (acc_t >= gyro_t[0]) & (acc_t <= gyro_t[-1])
    times = acc_t[keep]
    gyro_on_acc = np.column_stack([np.interp(times, gyro_t, gyro_v[:, k]) for k in range(3)])
    return times, acc_v[keep], gyro_on_acc


def run_key(path: Path) -> str | None:
    """``ll_01`` for ``ll_01_<device>_<ms>.json`` (watch hand, first turn, run); ``None`` for
    files that are not runs."""
    match = _RUN_FILE.match(path.name)
    return None if match is None else f"{match['hand']}{match['turn']}_{match['run']}"


def read_references(folder: Path) -> dict[str, dict[str, str]]:
    """The video reference marks per run key (empty when the file is absent)."""
    reference_path = folder / "reference_phases_utc.json"
    return json.loads(reference_path.read_text()) if reference_path.is_file() else {}


def reference_times(marks: dict[str, str], date: str, origin_unix_s: float) -> dict[str, float]:
    """Reference phase times (s after ``origin_unix_s``) from one run's UTC marks on
    ``date`` (ISO), with the TUG total time when both its ends are marked."""
    reference: dict[str, float] = {}
    for name, ours in _REFERENCE_NAMES.items():
        if name in marks:
            reference[ours] = float(_parse_utc(f"{date}T{marks[name]}+00:00") - origin_unix_s)
    if "sit_end_s" in reference and "sit_to_stand_start_s" in reference:
        reference["tug_total_time_s"] = reference["sit_end_s"] - reference["sit_to_stand_start_s"]
    return reference


def load_run(path: Path, references: dict[str, dict[str, str]]) -> ReferenceRecording:
    """One run file as a recording on the time base of its first accelerometer sample
    inside the span both sensors cover (the reference is on that time base too)."""
    match = _RUN_FILE.match(path.name)
    if match is None:
        raise ValueError(f"{path.name} is not a tug-watch run file")
    key = f"{match['hand']}{match['turn']}_{match['run']}"
    info: dict[str, object] = {
        "placement": "wrist",
        "side": "left" if match["hand"] == "l" else "right",
        "first_turn": match["turn"],
    }
    streams, first = read_run(path)
    if "ACCELEROMETER" not in streams or "GYROSCOPE" not in streams:
        return ReferenceRecording(DATASET, key, {}, info=info,
                                  problem="accelerometer or gyroscope stream missing")
    times, acc, gyro = _common_time_base(streams["ACCELEROMETER"], streams["GYROSCOPE"])
    if len(times) < 2:
        return ReferenceRecording(DATASET, key, {}, info=info,
                                  problem="accelerometer and gyroscope do not overlap")
    origin = float(times[0])
    marks = references.get(key)
    reference = reference_times(marks, first.date().isoformat(), origin) if marks else {}
    sensor = SensorData("wrist", times - origin, acc, gyro)
    problem = "" if "tug_total_time_s" in reference else f"no reference phases for {key}"
    return ReferenceRecording(DATASET, key, {"wrist": sensor}, reference=reference,
                              info=info, problem=problem)


def iter_recordings(folder: Path) -> Iterator[ReferenceRecording]:
    references = read_references(folder)
    for path in sorted(folder.glob("*.json")):
        if run_key(path) is not None:
            yield load_run(path, references)
