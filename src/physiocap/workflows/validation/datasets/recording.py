"""What every dataset loader produces: sensor arrays plus independent reference values."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from physiocap.core.errors import ConfigurationError, PhysiocapError

#: Dataset name -> loader module (each exposes ``iter_recordings(path)``).
_LOADERS: dict[str, str] = {
    "uji-tug": "physiocap.workflows.validation.datasets.uji_tug",
    "tug-watch": "physiocap.workflows.validation.datasets.tug_watch",
    "ipol-gait": "physiocap.workflows.validation.datasets.ipol_gait",
    "mobgap-lab": "physiocap.workflows.validation.datasets.mobgap_lab",
    "gaitmap-foot": "physiocap.workflows.validation.datasets.gaitmap_foot",
}
DATASET_NAMES: tuple[str, ...] = tuple(_LOADERS)


@dataclass(frozen=True)
class SensorData:
    """One IMU: timestamps (s, possibly irregular), acc (m/s², gravity in), gyro (rad/s)."""

    placement: str
    time_s: np.ndarray
    acc_m_per_s2: np.ndarray
    gyro_rad_per_s: np.ndarray


@dataclass(frozen=True)
class ReferenceRecording:
    """One recording with its reference.

    ``reference`` holds scalar reference values (s from the recording's time zero, m/s,
    counts), ``reference_events`` arrays of event times (s), ``reference_windows`` lists of
    ``(start_s, end_s)`` intervals (e.g. reference walking bouts) and ``info`` what the
    algorithms may use as input (body height, sensor height, test distance, turn direction).
    ``problem`` is set when the recording cannot be evaluated (then it is reported as
    skipped with that reason).
    """

    dataset: str
    recording_id: str
    sensors: dict[str, SensorData]
    reference: dict[str, float] = field(default_factory=dict)
    reference_events: dict[str, np.ndarray] = field(default_factory=dict)
    reference_windows: dict[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)
    info: dict[str, object] = field(default_factory=dict)
    problem: str = ""


def _file_being_read(error: BaseException, folder: Path) -> Path | None:
    """The dataset file a loader was reading when ``error`` was raised: the innermost
    frame's local path that names a file inside ``folder`` (loaders keep the path of the
    file they read in a local variable)."""
    frames = []
    trace = error.__traceback__
    while trace is not None:
        frames.append(trace.tb_frame)
        trace = trace.tb_next
    root = folder.resolve()
    for frame in reversed(frames):
        for value in frame.f_locals.values():
            if isinstance(value, Path) and value.is_file() and root in value.resolve().parents:
                return value
    return None


def load_dataset(name: str, path: Path) -> Iterator[ReferenceRecording]:
    """Yield the recordings of dataset ``name`` found under ``path``."""
    if name not in _LOADERS:
        raise ConfigurationError(
            f"unknown dataset {name!r}; choose one of {', '.join(DATASET_NAMES)}")
    folder = Path(path)
    if not folder.is_dir():
        raise ConfigurationError(f"dataset folder {folder} does not exist")
    module = importlib.import_module(_LOADERS[name])
    found = False
    try:
        for recording in module.iter_recordings(folder):
            found = True
            yield recording
    except PhysiocapError:
        raise
    except Exception as error:  # a malformed file: one line naming it, never a traceback
        where = _file_being_read(error, folder) or folder
        raise ConfigurationError(
            f"{where}: cannot be read as part of the {name} dataset "
            f"({type(error).__name__}: {str(error)[:200] or 'malformed'})") from None
    if not found:
        raise ConfigurationError(f"no {name} recordings in {folder}: expected {module.LAYOUT}")
