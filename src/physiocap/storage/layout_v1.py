"""Schema v1: how each record maps onto HDF5 attributes, in both directions.

The writer only ever writes the current schema; readers of every version keep their own
``layout_vN`` module so older files stay readable.
"""

from __future__ import annotations

import math
from typing import Any

import h5py
import numpy as np

from physiocap.core.device_info import DeviceInfo, DeviceKind, Placement
from physiocap.core.records import Participant, SessionInfo, Sex, Side, TestKind, TrialInfo
from physiocap.core.streams import DeviceTiming, StreamSpec
from physiocap.storage.attributes import (
    json_text,
    parse_utc,
    read_float,
    read_int,
    read_json,
    read_text,
    read_texts,
    utc_text,
)


def participant_attributes(participant: Participant) -> dict[str, Any]:
    return {
        "participant_id": participant.participant_id,
        "birth_year": participant.birth_year,
        "sex": str(participant.sex),
        "height_m": participant.height_m,
        "body_mass_kg": participant.body_mass_kg,
        "dominant_side": str(participant.dominant_side),
        "knee_lever_arm_left_m": participant.knee_lever_arm_left_m,
        "knee_lever_arm_right_m": participant.knee_lever_arm_right_m,
        "group": participant.group,
    }


def participant_from(node: h5py.Group) -> Participant:
    return Participant(
        participant_id=read_text(node, "participant_id"),
        birth_year=read_int(node, "birth_year"),
        sex=Sex(read_text(node, "sex", "unknown")),
        height_m=read_float(node, "height_m"),
        body_mass_kg=read_float(node, "body_mass_kg"),
        dominant_side=Side(read_text(node, "dominant_side")),
        knee_lever_arm_left_m=read_float(node, "knee_lever_arm_left_m"),
        knee_lever_arm_right_m=read_float(node, "knee_lever_arm_right_m"),
        group=read_text(node, "group"))


def session_attributes(session: SessionInfo) -> dict[str, Any]:
    return {
        "session_id": session.session_id,
        "visit_label": session.visit_label,
        "started_utc": utc_text(session.started_utc, "session start"),
        "site": session.site,
        "operator_id": session.operator_id,
    }


def session_from(node: h5py.Group) -> SessionInfo:
    started = parse_utc(read_text(node, "started_utc"))
    if started is None:
        raise ValueError("session has no started_utc")
    return SessionInfo(session_id=read_text(node, "session_id"),
                       visit_label=read_text(node, "visit_label"), started_utc=started,
                       site=read_text(node, "site"), operator_id=read_text(node, "operator_id"))


def device_attributes(info: DeviceInfo) -> dict[str, Any]:
    return {
        "device_id": info.device_id,
        "driver": info.driver,
        "kind": str(info.kind),
        "model": info.model,
        "serial": info.serial,
        "firmware": info.firmware,
        "hardware": info.hardware,
        "manufacturer": info.manufacturer,
        "placement": str(info.placement),
        "side": info.side,
        "simulated": bool(info.simulated),
        "calibration": json_text(info.calibration, f"calibration of {info.device_id}"),
    }


def device_from(node: h5py.Group) -> DeviceInfo:
    return DeviceInfo(
        device_id=read_text(node, "device_id"), driver=read_text(node, "driver"),
        kind=DeviceKind(read_text(node, "kind")), model=read_text(node, "model"),
        serial=read_text(node, "serial"), firmware=read_text(node, "firmware"),
        hardware=read_text(node, "hardware"), manufacturer=read_text(node, "manufacturer"),
        placement=Placement(read_text(node, "placement", "unspecified")),
        side=read_text(node, "side"), simulated=bool(node.attrs.get("simulated", 0)),
        calibration=read_json(node, "calibration"))


def trial_attributes(trial: TrialInfo) -> dict[str, Any]:
    return {
        "trial_id": trial.trial_id,
        "test": str(trial.test),
        "protocol": json_text(trial.protocol, f"protocol of trial {trial.trial_id}"),
        "repetition": int(trial.repetition),
        "side": str(trial.side),
    }


def trial_info_from(node: h5py.Group) -> TrialInfo:
    return TrialInfo(trial_id=read_text(node, "trial_id"), test=TestKind(read_text(node, "test")),
                     protocol=read_json(node, "protocol"),
                     repetition=int(read_int(node, "repetition") or 1),
                     side=Side(read_text(node, "side")))


def stream_attributes(device_id: str, spec: StreamSpec) -> dict[str, Any]:
    """Attributes of a stream's ``data`` dataset. ``scale``/``offset`` are always written
    (identity when the spec has none) so that SI = raw × scale + offset holds for every
    stream without special cases."""
    return {
        "stream": spec.name,
        "device_id": device_id,
        "channels": list(spec.channels),
        "units": list(spec.units),
        "nominal_rate_hz": float(spec.nominal_rate_hz),
        "scale": list(spec.scale) if spec.scale is not None else [1.0] * spec.n_channels,
        "offset": list(spec.offset) if spec.offset is not None else [0.0] * spec.n_channels,
        "timing": str(spec.timing),
        "description": spec.description,
    }


def _optional_tuple(values: np.ndarray, identity: float) -> tuple[float, ...] | None:
    floats = tuple(float(value) for value in np.atleast_1d(values))
    return None if all(math.isclose(value, identity) for value in floats) else floats


def stream_spec_from(data: h5py.Dataset) -> StreamSpec:
    return StreamSpec(
        name=read_text(data, "stream"), channels=read_texts(data, "channels"),
        units=read_texts(data, "units"), nominal_rate_hz=float(data.attrs["nominal_rate_hz"]),
        dtype=data.dtype.name, scale=_optional_tuple(data.attrs["scale"], 1.0),
        offset=_optional_tuple(data.attrs["offset"], 0.0),
        timing=DeviceTiming(read_text(data, "timing", "per_packet")),
        description=read_text(data, "description"))
