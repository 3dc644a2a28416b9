"""Import an APDM Mobility Lab / Opal HDF5 recording (``physiocap import apdm-h5``).

Two published layouts [E4, E5]:

* **format version 5** (Mobility Lab 2, Moveo): ``/Sensors/<sensor id>/`` holds
  ``Accelerometer`` (N × 3, m/s²), ``Gyroscope`` (N × 3, rad/s), ``Magnetometer`` (N × 3,
  µT), ``Time`` (N, µs since 1970-01-01 UTC) and a ``Configuration`` group whose
  attribute ``Label 0`` names the placement ("Lumbar", "Left Foot", …);
* **format versions 3-4** (Mobility Lab 1): the root attributes ``CaseIdList`` and
  ``MonitorLabelList`` list the sensors and their labels; each sensor's group
  ``/<case id>/`` holds ``Time`` and ``Calibrated/{Accelerometers, Gyroscopes,
  Magnetometers}`` in the same units, and the attribute ``SampleRate``.

Both may carry ``/Annotations`` (a table of ``Time`` in µs, sensor ID and text), kept as
markers. Every sensor becomes a device with its placement and side from its label, the
magnetometer converted to T; the device clock (µs) is kept per sample. The session date is
the first sample's time in the file (never the file's modification time). The mobility
analyses use the first IMU, so a lumbar sensor is listed first (device IDs
``APDM-<rank>-<label>``; the serial is the APDM sensor ID).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from physiocap.core.device_info import DeviceInfo, DeviceKind, Placement
from physiocap.core.errors import CorruptFileError
from physiocap.core.records import Participant, SessionInfo, TestKind, TrialInfo
from physiocap.core.streams import DeviceTiming, StreamSpec
from physiocap.core.units import (
    UNIT_ACCELERATION,
    UNIT_ANGULAR_VELOCITY,
    UNIT_MAGNETIC_FIELD,
    microtesla_to_tesla,
)
from physiocap.workflows.importers.imported_session import (
    SourceDevice,
    SourceMarker,
    SourceStream,
    SourceTrial,
    SourceVisit,
    utc_from_unix_s,
    write_source_visit,
)
from physiocap.workflows.importers.plausibility import (
    implausible_imu,
    not_storable,
    time_jump,
)
from physiocap.workflows.importers.session_import import provenance
from physiocap.workflows.protocols import BATTERY

MICROSECONDS_PER_S = 1e6

#: Label words → placement (APDM's standard labels [E4]: Lumbar, Sternum, Left/Right Foot,
#: Left/Right Lower Leg, Left/Right Upper Leg, Left/Right Wrist, Head).
_PLACEMENT_WORDS: tuple[tuple[str, Placement], ...] = (
    ("lumbar", Placement.LOWER_BACK), ("lower back", Placement.LOWER_BACK),
    ("pelvis", Placement.LOWER_BACK), ("waist", Placement.LOWER_BACK),
    ("foot", Placement.FOOT), ("lower leg", Placement.SHANK), ("shank", Placement.SHANK),
    ("upper leg", Placement.THIGH), ("thigh", Placement.THIGH), ("wrist", Placement.WRIST))


class ApdmFileError(CorruptFileError):
    """Not a readable APDM recording; names the file, the dataset and the reason."""

    def __init__(self, path: Path, dataset: str | None, reason: str) -> None:
        where = f"{dataset}: " if dataset else ""
        super().__init__(f"not a readable APDM recording: {where}{reason}", path=path)


@dataclass(frozen=True, slots=True)
class ApdmSensor:
    sensor_id: str
    label: str
    rate_hz: float | None
    time_us: np.ndarray
    acc_m_per_s2: np.ndarray
    gyro_rad_per_s: np.ndarray
    mag_ut: np.ndarray | None


@dataclass(frozen=True, slots=True)
class ApdmRecording:
    format_version: int
    sensors: tuple[ApdmSensor, ...]
    annotations: tuple[tuple[int, str, str], ...]  # time µs, sensor ID, text


def placement_from_label(label: str) -> tuple[Placement, str]:
    """Placement and side named by an APDM sensor label ("Left Foot" → foot, left)."""
    words = label.strip().lower().replace("_", " ")
    side = "left" if re.search(r"\bleft\b|^l ", words) else (
        "right" if re.search(r"\bright\b|^r ", words) else "")
    for word, placement in _PLACEMENT_WORDS:
        if word in words:
            return placement, side
    return Placement.UNSPECIFIED, side


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").strip("\x00 ")
    if isinstance(value, np.ndarray) and value.size == 1:
        return _text(value.reshape(-1)[0])
    return str(value).strip("\x00 ")


def _array(path: Path, file: h5py.File, name: str, columns: int | None) -> np.ndarray:
    item = file.get(name)
    if not isinstance(item, h5py.Dataset):
        raise ApdmFileError(path, name, "dataset missing")
    try:
        values = np.asarray(item[()])
    except (OSError, RuntimeError) as error:
        raise ApdmFileError(path, name, f"cannot be read ({error})") from None
    if columns is None:
        if values.ndim != 1:
            raise ApdmFileError(path, name, f"expected one value per sample, shape "
                                            f"{values.shape}")
        return values
    if values.ndim == 2 and values.shape[1] != columns and values.shape[0] == columns:
        values = values.T  # written column-major (MATLAB)
    if values.ndim != 2 or values.shape[1] != columns:
        raise ApdmFileError(path, name, f"expected N × {columns} values, shape {values.shape}")
    if not np.issubdtype(values.dtype, np.number):
        raise ApdmFileError(path, name, f"holds {values.dtype}, not numbers")
    return values.astype(np.float64)


def _sensor(path: Path, file: h5py.File, sensor_id: str, label: str, rate: Any,
            names: dict[str, str]) -> ApdmSensor:
    time_us = _array(path, file, names["time"], None)
    if not np.issubdtype(time_us.dtype, np.integer):
        raise ApdmFileError(path, names["time"], f"expected integer microseconds, found "
                                                 f"{time_us.dtype}")
    time_us = time_us.astype(np.int64)
    step = np.diff(time_us)
    if len(time_us) < 2 or np.any(step <= 0):
        bad = int(np.argmax(step <= 0)) + 1 if len(step) else 0
        raise ApdmFileError(path, names["time"],
                            "needs at least two samples" if len(time_us) < 2 else
                            f"sample {bad} does not come after sample {bad - 1} "
                            f"({time_us[bad]} µs after {time_us[bad - 1]} µs)")
    jump = time_jump(time_us / MICROSECONDS_PER_S)
    if jump:
        raise ApdmFileError(path, names["time"], jump[1])
    measured_hz = MICROSECONDS_PER_S / float(np.median(step))
    arrays = {}
    for key in ("acc", "gyro", "mag"):
        if key == "mag" and names[key] not in file:
            arrays[key] = None
            continue
        values = _array(path, file, names[key], 3)
        if len(values) != len(time_us):
            raise ApdmFileError(path, names[key], f"{len(values)} samples but "
                                                  f"{len(time_us)} times")
        if not np.all(np.isfinite(values)):
            row = int(np.argmax(~np.all(np.isfinite(values), axis=1)))
            raise ApdmFileError(path, names[key], f"sample {row} is not a finite number")
        beyond = implausible_imu(key, values, measured_hz) if key != "mag" \
            else not_storable(values)
        if beyond:
            raise ApdmFileError(path, names[key], beyond[1])
        arrays[key] = values
    rate_hz = _declared_rate(path, names["rate"], rate)
    return ApdmSensor(sensor_id, label, rate_hz, time_us, arrays["acc"], arrays["gyro"],
                      arrays["mag"])


def _format_version(path: Path, value: Any) -> int:
    """The root attribute ``FileFormatVersion``, refused unless one whole number."""
    try:
        number = float(np.asarray(value, dtype=np.float64).reshape(-1)[0])
    except (TypeError, ValueError, IndexError):
        number = math.nan
    if not (math.isfinite(number) and number == int(number) and 0 <= number < 1000):
        raise ApdmFileError(path, "/ 'FileFormatVersion'", f"{_text(value)!r} is not a file "
                                                          "format version")
    return int(number)


def _declared_rate(path: Path, where: str, rate: Any) -> float | None:
    """The sensor's declared sampling rate (Hz), refused unless one positive number."""
    if rate is None:
        return None
    try:
        rate_hz = float(np.asarray(rate, dtype=np.float64).reshape(-1)[0])
    except (TypeError, ValueError, IndexError):
        rate_hz = math.nan
    if not (math.isfinite(rate_hz) and rate_hz > 0):
        raise ApdmFileError(path, where, f"sample rate {_text(rate)!r} is not a positive "
                                         "number of Hz")
    return rate_hz


def _annotations(file: h5py.File) -> tuple[tuple[int, str, str], ...]:
    table = file.get("Annotations")
    if not isinstance(table, h5py.Dataset) or table.dtype.names is None:
        return ()
    rows = np.asarray(table[()]).reshape(-1)
    names = table.dtype.names
    who = "SensorID" if "SensorID" in names else ("DeviceID" if "DeviceID" in names else None)
    if "Time" not in names or "Annotation" not in names:
        return ()
    return tuple((int(row["Time"]), _text(row[who]) if who else "", _text(row["Annotation"]))
                 for row in rows)


def read_apdm_h5(path: Path) -> ApdmRecording:
    """Every sensor and annotation of an APDM file, either layout."""
    try:
        file = h5py.File(path, "r")
    except FileNotFoundError:
        raise ApdmFileError(path, None, "the file does not exist") from None
    except OSError as error:
        raise ApdmFileError(path, None, f"not an HDF5 file ({error})") from None
    with file:
        version = _format_version(path, file.attrs.get("FileFormatVersion", 0))
        sensors: list[ApdmSensor] = []
        if "Sensors" in file:
            for sensor_id in file["Sensors"]:
                base = f"Sensors/{sensor_id}"
                config = file.get(f"{base}/Configuration")
                if config is None or "Label 0" not in config.attrs:
                    raise ApdmFileError(path, f"{base}/Configuration",
                                        "no 'Label 0' attribute naming the sensor's placement")
                sensors.append(_sensor(
                    path, file, sensor_id, _text(config.attrs["Label 0"]),
                    config.attrs.get("Sample Rate"),
                    {"time": f"{base}/Time", "acc": f"{base}/Accelerometer",
                     "gyro": f"{base}/Gyroscope", "mag": f"{base}/Magnetometer",
                     "rate": f"{base}/Configuration 'Sample Rate'"}))
        elif "CaseIdList" in file.attrs:
            case_ids = [_text(v) for v in np.atleast_1d(file.attrs["CaseIdList"])]
            labels = [_text(v) for v in np.atleast_1d(file.attrs.get("MonitorLabelList", []))]
            if len(labels) != len(case_ids):
                raise ApdmFileError(path, "/", f"MonitorLabelList has {len(labels)} labels "
                                               f"for {len(case_ids)} sensors in CaseIdList")
            for case_id, label in zip(case_ids, labels, strict=True):
                if case_id not in file:
                    raise ApdmFileError(path, f"/{case_id}", "listed in CaseIdList but absent")
                sensors.append(_sensor(
                    path, file, case_id, label, file[case_id].attrs.get("SampleRate"),
                    {"time": f"{case_id}/Time", "acc": f"{case_id}/Calibrated/Accelerometers",
                     "gyro": f"{case_id}/Calibrated/Gyroscopes",
                     "mag": f"{case_id}/Calibrated/Magnetometers",
                     "rate": f"/{case_id} 'SampleRate'"}))
        else:
            raise ApdmFileError(path, None, "neither a /Sensors group (format 5) nor the "
                                            "CaseIdList attribute (formats 3-4)")
        if not sensors:
            raise ApdmFileError(path, "Sensors", "holds no sensor")
        return ApdmRecording(version, tuple(sensors), _annotations(file))


def _device_id(rank: int, sensor: ApdmSensor) -> str:
    """``APDM-<rank>-<label>``: the session lists devices by ID and the mobility analyses
    take the first IMU, so the rank puts the lumbar sensor first."""
    label = re.sub(r"[^A-Za-z0-9_.-]+", "-", sensor.label or sensor.sensor_id).strip("-")
    return f"APDM-{rank}-{label[:50] or 'sensor'}"


def _source_device(rank: int, sensor: ApdmSensor, format_version: int) -> SourceDevice:
    placement, side = placement_from_label(sensor.label)
    measured_hz = MICROSECONDS_PER_S / float(np.median(np.diff(sensor.time_us)))
    rate = sensor.rate_hz or measured_hz
    clock_s = sensor.time_us / MICROSECONDS_PER_S

    def spec(name: str, unit: str, what: str) -> StreamSpec:
        return StreamSpec(name, ("x", "y", "z"), (unit,) * 3, rate,
                          timing=DeviceTiming.PER_SAMPLE,
                          description=f"{what}, sensor frame (APDM '{sensor.label}')")

    streams = [SourceStream(spec("acc", UNIT_ACCELERATION, "acceleration incl. gravity"),
                            clock_s, sensor.acc_m_per_s2, sensor.time_us),
               SourceStream(spec("gyro", UNIT_ANGULAR_VELOCITY, "angular velocity"),
                            clock_s, sensor.gyro_rad_per_s, sensor.time_us)]
    if sensor.mag_ut is not None:
        streams.append(SourceStream(spec("mag", UNIT_MAGNETIC_FIELD, "magnetic field"),
                                    clock_s, microtesla_to_tesla(sensor.mag_ut),
                                    sensor.time_us))
    device = DeviceInfo(device_id=_device_id(rank, sensor), driver="apdm-h5",
                        kind=DeviceKind.IMU,
                        model=f"APDM Opal (file format {format_version})",
                        serial=sensor.sensor_id, manufacturer="APDM", placement=placement,
                        side=side)
    return SourceDevice(device, tuple(streams))


def import_apdm_h5(source: Path, out: Path, participant: Participant, test: TestKind, *,
                   protocol: dict[str, object] | None = None, visit_label: str = "import",
                   overwrite: bool = False) -> Path:
    """Convert an APDM file into ``out``: one trial of ``test`` with every sensor."""
    recording = read_apdm_h5(source)
    order = {Placement.LOWER_BACK: 0}
    sensors = sorted(recording.sensors,
                     key=lambda s: (order.get(placement_from_label(s.label)[0], 1), s.label))
    devices = tuple(_source_device(rank, sensor, recording.format_version)
                    for rank, sensor in enumerate(sensors, start=1))
    origin_s = min(float(s.time_us[0]) for s in sensors) / MICROSECONDS_PER_S
    started = utc_from_unix_s(origin_s)
    values = BATTERY[test].resolve(dict(protocol or {}))
    values |= provenance(source, apdm_file_format=recording.format_version,
                         apdm_sensor_ids={d.device.device_id: d.device.serial for d in devices},
                         time_base="APDM device time, µs since 1970-01-01 UTC")
    markers = tuple(SourceMarker(time_us / MICROSECONDS_PER_S, "annotation",
                                 f"{text} ({sensor})" if sensor else text)
                    for time_us, sensor, text in recording.annotations)
    trial = SourceTrial(TrialInfo(f"{test}-01", test, values), devices, markers,
                        notes=f"Imported from APDM file {source.name}")
    session = SessionInfo(f"{started:%Y-%m-%d}_apdm-import", visit_label, started)
    return write_source_visit(out, SourceVisit(participant, session, origin_s, (trial,)),
                              overwrite=overwrite)
