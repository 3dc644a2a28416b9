"""Import one run of the tug-watch dataset (matey97/TugTestAnalytics, MIT) as a session file.

Each run is a TUG with a Wear OS smartwatch on one wrist (accelerometer and gyroscope at
100 Hz, JSON batches); the reference phase times come from video. The session holds one
TUG trial whose samples keep the watch's own timestamps (s from the first accelerometer
sample inside the span both sensors cover, the time base of the reference), and whose
protocol holds the source, its licence and citation, and the reference phase times, so a
result of ``physiocap analyze`` can be compared with the video at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from physiocap.core.device_info import DeviceInfo, DeviceKind, Placement
from physiocap.core.errors import ConfigurationError
from physiocap.core.records import Participant, SessionInfo, TestKind, TrialInfo
from physiocap.workflows.importers.imu_import import (
    ImportedImu,
    strictly_increasing,
    write_imported_imu_session,
)
from physiocap.workflows.importers.session_import import provenance
from physiocap.workflows.protocols import BATTERY
from physiocap.workflows.validation.datasets import tug_watch

#: Where the data come from and how to credit them (the MIT licence asks that its notice
#: travel with every copy: ``LICENSE_NOTICE``).
SOURCE: dict[str, str] = {
    "dataset": "tug-watch",
    "repository": "https://github.com/matey97/TugTestAnalytics",
    "licence": "MIT",
    "copyright": "Copyright (c) 2022 Miguel Matey Sanz",
    "citation": "Matey-Sanz M, Casteleyn S, Granell C. Instrumented Timed Up and Go test "
                "using inertial sensors from consumer wearable devices. Artificial "
                "Intelligence in Medicine (AIME 2022), LNCS 13263, Springer.",
    "reference": "phase start and end times marked on video by the dataset's authors",
}
NOMINAL_RATE_HZ = 100.0
_TURN = {"l": "left", "r": "right"}


def find_run(folder: Path, run: str) -> Path:
    """The run file of key ``run`` (e.g. ``ll_01``) in a tug-watch folder."""
    for path in sorted(folder.glob(f"{run}_*.json")):
        if tug_watch.run_key(path) == run:
            return path
    raise ConfigurationError(f"no tug-watch run {run!r} in {folder}")


def _clipped(times: np.ndarray, values: np.ndarray, lo: float, hi: float
             ) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(times, kind="stable")
    times, values = times[order], values[order]
    keep = (times >= lo) & (times <= hi)
    return times[keep], values[keep]


def import_tug_watch_run(folder: Path, run: str, out: Path, *,
                         participant_id: str = "TUGWATCH-01",
                         overwrite: bool = False) -> Path:
    """Convert run ``run`` (``ll_01`` … ``rr_08``) of the tug-watch folder into ``out``."""
    path = find_run(folder, run)
    recording = tug_watch.load_run(path, tug_watch.read_references(folder))
    if recording.problem:
        raise ConfigurationError(f"tug-watch run {run}: {recording.problem}")
    streams, first = tug_watch.read_run(path)
    acc_t, acc = streams["ACCELEROMETER"]
    gyro_t, gyro = streams["GYROSCOPE"]
    lo, hi = max(acc_t.min(), gyro_t.min()), min(acc_t.max(), gyro_t.max())
    acc_t, acc = _clipped(acc_t, acc, lo, hi)
    gyro_t, gyro = _clipped(gyro_t, gyro, lo, hi)
    origin = float(acc_t[0])  # the validation loader's time zero (reference time base)
    side = str(recording.info["side"])
    first_turn = _TURN[str(recording.info["first_turn"])]
    protocol: dict[str, Any] = BATTERY[TestKind.TUG].defaults()
    protocol |= provenance(path, dataset_source=dict(SOURCE), run=run,
                           first_turn_direction=first_turn,
                           time_base="s from the first accelerometer sample in the span both "
                                     "sensors cover",
                           reference_s={name: round(value, 3)
                                        for name, value in sorted(recording.reference.items())})
    device = DeviceInfo(device_id="TUGWATCH-WATCH", driver="tug-watch-json",
                        kind=DeviceKind.IMU, model="Wear OS smartwatch (TugTestSmartwatch app)",
                        serial="unknown", placement=Placement.WRIST, side=side)
    trial = TrialInfo(f"tug-{run}", TestKind.TUG, protocol)
    notes = (f"Real recording from the tug-watch dataset ({SOURCE['repository']}, "
             f"{SOURCE['licence']}, {SOURCE['copyright']}); reference phase times from video "
             "in the protocol under reference_s.")
    imported = ImportedImu(device, NOMINAL_RATE_HZ,
                           strictly_increasing(acc_t - origin), acc,
                           strictly_increasing(gyro_t - origin), gyro, trial, notes)
    session = SessionInfo(f"{first:%Y-%m-%d}_tug-watch-{run.replace('_', '-')}", "import",
                          datetime.fromtimestamp(origin, UTC))
    return write_imported_imu_session(out, Participant(participant_id), session, imported,
                                      overwrite=overwrite)
