"""Import any delimited text file through a column and unit mapping (``physiocap import csv``).

The mapping says where the time is (a column with its unit, or a fixed rate), which
columns make each stream and in which unit, and where the sensor sat. It comes from a small
JSON file, from command-line options, or both (options win)::

    {"time": {"column": "timestamp", "unit": "unix_ms"},
     "streams": {"acc": {"columns": ["ax", "ay", "az"], "unit": "g"},
                 "gyro": {"columns": ["gx", "gy", "gz"], "unit": "deg/s"}},
     "device": {"placement": "lower_back", "side": "", "model": "phone"},
     "delimiter": ","}

Streams: ``acc``, ``gyro`` and ``mag`` (three columns each; an IMU) or ``force`` (one
column; a dynamometer). Everything is converted to SI here. The session date comes from
the file's own times (``unix_s``/``unix_ms``/``unix_us`` or ISO 8601 text) or, for
relative times or a fixed rate, from ``start_utc`` in the mapping; never from the file's
modification time. A file that does not match its mapping is refused with the file, the
line and the reason.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from physiocap.core.device_info import DeviceInfo, DeviceKind, Placement
from physiocap.core.errors import ConfigurationError, CorruptFileError
from physiocap.core.records import Participant, SessionInfo, Side, TestKind, TrialInfo
from physiocap.core.streams import DeviceTiming, StreamSpec
from physiocap.core.units import (
    STANDARD_GRAVITY_M_PER_S2,
    UNIT_ACCELERATION,
    UNIT_ANGULAR_VELOCITY,
    UNIT_FORCE,
    UNIT_MAGNETIC_FIELD,
)
from physiocap.workflows.importers.imported_session import (
    SourceDevice,
    SourceStream,
    SourceTrial,
    SourceVisit,
    write_source_visit,
)
from physiocap.workflows.importers.plausibility import (
    IMU_LIMITS,
    implausible_imu,
    negated_force,
    not_storable,
    time_jump,
)
from physiocap.workflows.importers.session_import import provenance
from physiocap.workflows.protocols import BATTERY

#: Factor to SI of each accepted unit, per stream (``gauss`` is 1e-4 T by definition;
#: 1 lbf = 0.45359237 kgf exactly).
UNIT_FACTORS: dict[str, dict[str, float]] = {
    "acc": {"m/s^2": 1.0, "m/s2": 1.0, "m/s²": 1.0, "g": STANDARD_GRAVITY_M_PER_S2,
            "mg": STANDARD_GRAVITY_M_PER_S2 / 1000.0},
    "gyro": {"rad/s": 1.0, "deg/s": math.pi / 180.0, "dps": math.pi / 180.0},
    "mag": {"t": 1.0, "mt": 1e-3, "ut": 1e-6, "µt": 1e-6, "nt": 1e-9, "gauss": 1e-4},
    "force": {"n": 1.0, "kgf": STANDARD_GRAVITY_M_PER_S2, "kg": STANDARD_GRAVITY_M_PER_S2,
              "lbf": 0.45359237 * STANDARD_GRAVITY_M_PER_S2},
}
SI_UNITS = {"acc": UNIT_ACCELERATION, "gyro": UNIT_ANGULAR_VELOCITY,
            "mag": UNIT_MAGNETIC_FIELD, "force": UNIT_FORCE}
STREAM_CHANNELS = {"acc": ("x", "y", "z"), "gyro": ("x", "y", "z"), "mag": ("x", "y", "z"),
                   "force": ("force",)}
#: Time units: seconds per unit, and whether the times are absolute (Unix epoch).
TIME_UNITS: dict[str, tuple[float, bool]] = {
    "s": (1.0, False), "ms": (1e-3, False), "us": (1e-6, False), "ns": (1e-9, False),
    "unix_s": (1.0, True), "unix_ms": (1e-3, True), "unix_us": (1e-6, True),
    "unix_ns": (1e-9, True), "iso": (1.0, True)}


class MappedCsvError(CorruptFileError):
    """The file does not match its mapping; names the file, the line and the reason."""

    def __init__(self, path: Path, line: int | None, reason: str) -> None:
        where = f"line {line}: " if line is not None else ""
        super().__init__(f"{where}{reason}", path=path)


@dataclass(frozen=True, slots=True)
class StreamMapping:
    columns: tuple[str, ...]
    unit: str


@dataclass(frozen=True, slots=True)
class CsvMapping:
    """Where each value is in the file and in which unit (module docstring)."""

    streams: dict[str, StreamMapping]
    time_column: str | None = None
    time_unit: str = "s"
    rate_hz: float | None = None
    start_utc: datetime | None = None
    delimiter: str = ","
    placement: Placement = Placement.UNSPECIFIED
    side: str = ""
    model: str = "imported CSV"
    protocol: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.streams:
            raise ConfigurationError("the mapping names no stream (acc, gyro, mag or force)")
        for name, stream in self.streams.items():
            if name not in STREAM_CHANNELS:
                raise ConfigurationError(f"unknown stream {name!r} (acc, gyro, mag, force)")
            if len(stream.columns) != len(STREAM_CHANNELS[name]):
                raise ConfigurationError(f"stream {name} needs {len(STREAM_CHANNELS[name])} "
                                         f"column(s), the mapping gives {len(stream.columns)}")
            if stream.unit.lower() not in UNIT_FACTORS[name]:
                raise ConfigurationError(f"stream {name}: unit {stream.unit!r} is not one of "
                                         f"{', '.join(UNIT_FACTORS[name])}")
        imu = {"acc", "gyro", "mag"} & set(self.streams)
        if imu and "force" in self.streams:
            raise ConfigurationError("one file is one device: map IMU streams or force, "
                                     "not both")
        if (self.time_column is None) == (self.rate_hz is None):
            raise ConfigurationError("give either a time column or a fixed rate (rate_hz)")
        if self.rate_hz is not None and not 0 < self.rate_hz <= 10_000:
            raise ConfigurationError(f"rate {self.rate_hz} Hz is outside 0-10000 Hz")
        if self.time_unit not in TIME_UNITS:
            raise ConfigurationError(f"time unit {self.time_unit!r} is not one of "
                                     f"{', '.join(TIME_UNITS)}")
        absolute = self.time_column is not None and TIME_UNITS[self.time_unit][1]
        if not absolute and self.start_utc is None:
            raise ConfigurationError(
                "the file's times are relative, so the session date must be given: "
                "start_utc in the mapping or --start-utc (the file's modification time is "
                "never used)")
        if self.start_utc is not None and self.start_utc.tzinfo is None:
            raise ConfigurationError("start_utc needs a UTC offset, e.g. "
                                     "2024-05-01T09:30:00+00:00")

    @property
    def kind(self) -> DeviceKind:
        return DeviceKind.DYNAMOMETER if "force" in self.streams else DeviceKind.IMU


def parse_stream_option(text: str) -> StreamMapping:
    """``"ax,ay,az:g"`` → columns and unit (the unit after the last colon)."""
    columns, _, unit = text.rpartition(":")
    if not columns or not unit:
        raise ConfigurationError(f"{text!r}: expected COLUMNS:UNIT, e.g. ax,ay,az:g")
    return StreamMapping(tuple(c.strip() for c in columns.split(",")), unit.strip())


def mapping_from(file_values: dict[str, Any], overrides: dict[str, Any]) -> CsvMapping:
    """A mapping from a mapping file's JSON (may be empty) and command-line overrides
    (``None`` values ignored)."""
    values = dict(file_values)
    time = dict(values.get("time") or {})
    streams = {name: StreamMapping(tuple(item["columns"]), str(item["unit"]))
               for name, item in (values.get("streams") or {}).items()}
    device = dict(values.get("device") or {})
    for name in STREAM_CHANNELS:
        if overrides.get(name):
            streams[name] = parse_stream_option(overrides[name])
    if overrides.get("time"):
        column, _, unit = str(overrides["time"]).rpartition(":")
        time = {"column": column or unit, "unit": unit if column else "s"}
    rate = overrides.get("rate_hz") or values.get("rate_hz")
    start = overrides.get("start_utc") or values.get("start_utc")
    try:
        start_utc = datetime.fromisoformat(str(start).replace("Z", "+00:00")) if start else None
    except ValueError:
        raise ConfigurationError(f"start_utc {start!r} is not an ISO 8601 time") from None
    return CsvMapping(
        streams=streams, time_column=None if rate else time.get("column"),
        time_unit=str(time.get("unit", "s")), rate_hz=float(rate) if rate else None,
        start_utc=start_utc, delimiter=str(overrides.get("delimiter")
                                           or values.get("delimiter") or ","),
        placement=Placement(overrides.get("placement") or device.get("placement")
                            or "unspecified"),
        side=str(overrides.get("side") or device.get("side") or ""),
        model=str(device.get("model") or "imported CSV"),
        protocol=dict(values.get("protocol") or {}))


def load_mapping_file(path: Path) -> dict[str, Any]:
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"{path}: mapping file does not exist") from None
    except json.JSONDecodeError as error:
        raise ConfigurationError(f"{path}: line {error.lineno}: mapping is not valid JSON "
                                 f"({error.msg})") from None
    if not isinstance(values, dict):
        raise ConfigurationError(f"{path}: the mapping must be a JSON object")
    return values


def _time_value(cell: str, unit: str) -> float:
    if unit == "iso":
        moment = datetime.fromisoformat(cell.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise ValueError("no UTC offset")
        return moment.timestamp()
    return float(cell) * TIME_UNITS[unit][0]


def read_mapped_csv(path: Path, mapping: CsvMapping) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Source clock (s; Unix when absolute) and each stream in SI, checked line by line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise MappedCsvError(path, None, "the file does not exist") from None
    except UnicodeDecodeError as error:
        raise MappedCsvError(path, None, f"not UTF-8 text ({error.reason})") from None
    rows = csv.reader(io.StringIO(text), delimiter=mapping.delimiter)
    header: list[str] | None = None
    header_line = 0
    for cells in rows:
        if any(cell.strip() for cell in cells):
            header, header_line = [cell.strip() for cell in cells], rows.line_num
            break
    if header is None:
        raise MappedCsvError(path, None, "the file is empty")
    wanted = ([mapping.time_column] if mapping.time_column else []) + [
        column for stream in mapping.streams.values() for column in stream.columns]
    missing = [column for column in wanted if column not in header]
    if missing:
        raise MappedCsvError(path, header_line,
                             f"no column {', '.join(map(repr, missing))} in the header "
                             f"(it has {', '.join(header)}; delimiter {mapping.delimiter!r})")
    index = {column: header.index(column) for column in wanted}
    times: list[float] = []
    lines: list[int] = []
    values: dict[str, list[list[float]]] = {name: [] for name in mapping.streams}
    for cells in rows:
        line = rows.line_num
        if not any(cell.strip() for cell in cells):
            continue
        lines.append(line)
        if len(cells) < len(header):
            raise MappedCsvError(path, line, f"{len(cells)} values for {len(header)} columns")
        if mapping.time_column:
            cell = cells[index[mapping.time_column]].strip()
            try:
                time = _time_value(cell, mapping.time_unit)
            except ValueError:
                raise MappedCsvError(path, line, f"time {cell!r} is not a "
                                                 f"{mapping.time_unit} time") from None
            if times and not time > times[-1]:
                raise MappedCsvError(path, line, f"time {cell!r} does not increase")
            times.append(time)
        for name, stream in mapping.streams.items():
            row = []
            for column in stream.columns:
                cell = cells[index[column]].strip()
                try:
                    number = float(cell)
                except ValueError:
                    raise MappedCsvError(path, line, f"{column} {cell!r} is not a "
                                                     "number") from None
                if not math.isfinite(number):
                    raise MappedCsvError(path, line, f"{column} {cell!r} is not finite")
                row.append(number)
            values[name].append(row)
    count = len(next(iter(values.values())))
    if count < 2:
        raise MappedCsvError(path, None, f"needs at least 2 samples, found {count}")
    clock = (np.asarray(times) if mapping.time_column
             else np.arange(count) / float(mapping.rate_hz or 1.0))
    streams = {name: np.asarray(rows) * UNIT_FACTORS[name][mapping.streams[name].unit.lower()]
               for name, rows in values.items()}
    _check_plausible(path, mapping, clock, streams, lines)
    return clock, streams


def _check_plausible(path: Path, mapping: CsvMapping, clock: np.ndarray,
                     streams: dict[str, np.ndarray], lines: list[int]) -> None:
    """Refuse what no human or sensor produces (``plausibility``): a time jump longer than
    the recording around it, an IMU beyond body-worn sensors' range in the declared unit,
    a negated force (dynamometers here measure a pull or a squeeze, never a negative)."""
    jump = time_jump(clock)
    if jump:
        raise MappedCsvError(path, lines[jump[0]], jump[1])
    rate_hz = 1.0 / float(np.median(np.diff(clock)))
    for name, samples in streams.items():
        if name in IMU_LIMITS:
            found = implausible_imu(name, samples, rate_hz)
            detail = (f"columns {', '.join(mapping.streams[name].columns)} in "
                      f"{mapping.streams[name].unit}")
        elif name == "force":
            found = not_storable(samples) or negated_force(samples, "N",
                                                           STANDARD_GRAVITY_M_PER_S2,
                                                           "a dynamometer")
            detail = f"column {mapping.streams[name].columns[0]}"
        else:
            found = not_storable(samples)
        if found:
            raise MappedCsvError(path, lines[found[0]], f"{detail}: {found[1]}")


def import_mapped_csv(source: Path, out: Path, mapping: CsvMapping, participant: Participant,
                      test: TestKind, *, visit_label: str = "import",
                      overwrite: bool = False) -> Path:
    """Convert a delimited file into ``out``: one trial of ``test`` from one device."""
    clock, streams = read_mapped_csv(source, mapping)
    absolute = mapping.time_column is not None and TIME_UNITS[mapping.time_unit][1]
    if absolute:
        origin = float(clock[0])
        started = datetime.fromtimestamp(origin, UTC)
    else:
        assert mapping.start_utc is not None  # checked by CsvMapping
        started = mapping.start_utc.astimezone(UTC)
        origin = started.timestamp()
        clock = clock - clock[0] + origin
    rate = mapping.rate_hz or float(1.0 / np.median(np.diff(clock)))
    specs = tuple(SourceStream(
        StreamSpec(name, STREAM_CHANNELS[name], (SI_UNITS[name],) * len(STREAM_CHANNELS[name]),
                   rate, timing=DeviceTiming.PER_SAMPLE,
                   description=f"columns {', '.join(mapping.streams[name].columns)} in "
                               f"{mapping.streams[name].unit}, converted to SI"),
        clock, samples) for name, samples in streams.items())
    device = DeviceInfo(device_id="CSV-IMPORT", driver="mapped-csv", kind=mapping.kind,
                        model=mapping.model, serial="unknown", placement=mapping.placement,
                        side=mapping.side)
    protocol_values = dict(mapping.protocol)
    side = Side(mapping.side) if test in (TestKind.GRIP, TestKind.KNEE_EXTENSION) else Side.NONE
    if side is not Side.NONE and "side" in BATTERY[test].defaults():
        protocol_values.setdefault("side", side.value)
    protocol = BATTERY[test].resolve(protocol_values)
    protocol |= provenance(source, csv_mapping={
        "time": ({"column": mapping.time_column, "unit": mapping.time_unit}
                 if mapping.time_column else {"rate_hz": mapping.rate_hz}),
        "streams": {name: {"columns": list(s.columns), "unit": s.unit}
                    for name, s in mapping.streams.items()}})
    trial = SourceTrial(TrialInfo(f"{test}-01", test, protocol, side=side),
                        (SourceDevice(device, specs),),
                        notes=f"Imported from {source.name} through a column mapping")
    session = SessionInfo(f"{started:%Y-%m-%d}_csv-import", visit_label, started)
    return write_source_visit(out, SourceVisit(participant, session, origin, (trial,)),
                              overwrite=overwrite)
