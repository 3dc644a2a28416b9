"""A session with known contents, written through the public writer API.

Every value the tests compare against is generated here from a formula (sample patterns,
a 200 Hz clock with 100 ppm drift), never read back from our own output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from physiocap.core.device_info import DeviceInfo, DeviceKind, Placement
from physiocap.core.records import (
    Participant,
    SessionInfo,
    Sex,
    Side,
    TestKind,
    TrialInfo,
    TrialStatus,
)
from physiocap.core.streams import DeviceTiming, StreamSpec
from physiocap.storage import GAP_DTYPE, MARKER_DTYPE, PACKET_DTYPE, SessionWriter, session_path

PARTICIPANT = Participant("P001", birth_year=1961, sex=Sex.FEMALE, height_m=1.64,
                          body_mass_kg=61.5, dominant_side=Side.RIGHT,
                          knee_lever_arm_left_m=0.38, knee_lever_arm_right_m=0.39, group="arm-A")
SESSION = SessionInfo("S01", "baseline", datetime(2026, 3, 2, 9, 30, tzinfo=UTC), site="Lyon",
                      operator_id="OP7")
IMU_DEVICE = DeviceInfo("imu1", "sim-imu", DeviceKind.IMU, "SIM-IMU", "SIM-IMU-0001",
                        firmware="2.3.1", placement=Placement.LOWER_BACK, simulated=True,
                        calibration={"gyro_bias_rad_per_s": [0.01, -0.02, 0.003]})
DYN_DEVICE = DeviceInfo("dyn1", "sim-dyn", DeviceKind.DYNAMOMETER, "SIM-DYN", "SIM-DYN-0001",
                        placement=Placement.GRIP_DYNAMOMETER, side="left", simulated=True)
#: ±8 g and ±2000 deg/s full scale over int16, as on common MEMS IMUs.
IMU_SCALE = (8 * 9.80665 / 32768,) * 3 + (2000 * np.pi / 180 / 32768,) * 3
IMU_SPEC = StreamSpec("imu", ("acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"),
                      ("m/s^2",) * 3 + ("rad/s",) * 3, 200.0, dtype="int16", scale=IMU_SCALE)
FORCE_SPEC = StreamSpec("force", ("force",), ("N",), 80.0, dtype="float32",
                        offset=(-1.5,), timing=DeviceTiming.PER_SAMPLE,
                        description="grip force")

IMU_PACKET = 8
IMU_DRIFT = 100e-6  # the device clock runs 100 ppm fast relative to the session timeline
IMU_LOST_PACKETS = (40, 41, 42)  # dropped in transit: a gap of 24 samples
FORCE_PACKET = 5


def imu_pattern(count: int) -> np.ndarray:
    index = np.arange(count, dtype=np.int64)[:, None]
    return ((index * 7919 + np.arange(6) * 104729) % 65536 - 32768).astype(np.int16)


def force_pattern(count: int) -> np.ndarray:
    index = np.arange(count, dtype=np.float64)[:, None]
    return (200.0 * np.sin(index / 13.0) + 3.0).astype(np.float32)


@dataclass
class KnownStream:
    device_id: str
    spec: StreamSpec
    samples: np.ndarray
    packets: np.ndarray
    true_times_s: np.ndarray  # the session time of each stored sample
    device_times_s: np.ndarray | None = None


@dataclass
class KnownSession:
    path: Path
    trials: dict[str, TrialInfo]
    statuses: dict[str, TrialStatus]
    notes: dict[str, str]
    t_start_s: dict[str, float]
    t_end_s: dict[str, float]
    streams: dict[tuple[str, str, str], KnownStream]
    gaps: dict[str, np.ndarray]
    markers: dict[str, np.ndarray]
    devices: tuple[DeviceInfo, ...] = (IMU_DEVICE, DYN_DEVICE)
    extra: dict[str, object] = field(default_factory=dict)


def imu_stream(t_start_s: float, n_packets: int) -> KnownStream:
    """An IMU stream whose packets 40-42 were lost: stored indices skip them, times do not."""
    period_s = (1.0 / IMU_SPEC.nominal_rate_hz) / (1 + IMU_DRIFT)
    kept = [k for k in range(n_packets) if k not in IMU_LOST_PACKETS]
    device_index = np.concatenate([np.arange(k * IMU_PACKET, (k + 1) * IMU_PACKET) for k in kept])
    true_times = t_start_s + device_index * period_s
    packets = np.zeros(len(kept), PACKET_DTYPE)
    packets["sample_index"] = np.arange(len(kept)) * IMU_PACKET
    packets["n_samples"] = IMU_PACKET
    packets["sequence"] = kept
    packets["device_time_raw"] = [k * IMU_PACKET * 5 for k in kept]  # ms ticks
    packets["device_time_s"] = packets["device_time_raw"] / 1000.0
    packets["t_s"] = true_times[::IMU_PACKET]
    packets["host_time_s"] = packets["t_s"] + 0.012 + 0.003 * (np.arange(len(kept)) % 4)
    return KnownStream("imu1", IMU_SPEC, imu_pattern(len(device_index)), packets, true_times)


def force_stream(t_start_s: float, n_packets: int) -> KnownStream:
    """A dynamometer stamping every sample, with a slightly irregular sampling clock."""
    count = n_packets * FORCE_PACKET
    rng = np.random.default_rng(7)
    device_times = 1000.0 + np.cumsum(np.full(count, 1 / 80.0) + rng.normal(0, 2e-4, count))
    true_times = t_start_s + (device_times - device_times[0])
    packets = np.zeros(n_packets, PACKET_DTYPE)
    packets["sample_index"] = np.arange(n_packets) * FORCE_PACKET
    packets["n_samples"] = FORCE_PACKET
    packets["sequence"] = np.arange(n_packets)
    packets["device_time_raw"] = np.round(device_times[::FORCE_PACKET] * 1e6).astype(np.int64)
    packets["device_time_s"] = device_times[::FORCE_PACKET]
    packets["t_s"] = true_times[::FORCE_PACKET]
    packets["host_time_s"] = packets["t_s"] + 0.02
    return KnownStream("dyn1", FORCE_SPEC, force_pattern(count), packets, true_times,
                       device_times)


def write_known_session(study: Path, *, close: bool = True) -> tuple[KnownSession, SessionWriter]:
    """Two trials: a TUG with the IMU, then a grip with both devices; gaps and markers."""
    path = session_path(study, PARTICIPANT.participant_id, SESSION.session_id)
    trials = {"T01": TrialInfo("T01", TestKind.TUG, {"distance_m": 3.0, "chair_height_m": 0.46},
                               repetition=1),
              "T02": TrialInfo("T02", TestKind.GRIP, {"handle_position": 2}, repetition=1,
                               side=Side.LEFT)}
    t_start = {"T01": 5.0, "T02": 40.0}
    streams = {("T01", "imu1", "imu"): imu_stream(t_start["T01"], 120),
               ("T02", "imu1", "imu"): imu_stream(t_start["T02"], 60),
               ("T02", "dyn1", "force"): force_stream(t_start["T02"], 50)}
    gaps = {"T01": np.array([(b"imu1", b"imu", t_start["T01"] + 40 * IMU_PACKET / 200.0,
                              3 * IMU_PACKET / 200.0, 3 * IMU_PACKET)], GAP_DTYPE),
            "T02": np.array([(b"imu1", b"imu", t_start["T02"] + 40 * IMU_PACKET / 200.0,
                              3 * IMU_PACKET / 200.0, 3 * IMU_PACKET)], GAP_DTYPE)}
    markers = {"T01": np.array([(5.5, b"start", b"go"), (9.25, b"operator", b"stumbled")],
                               MARKER_DTYPE),
               "T02": np.array([(40.1, b"start", b"")], MARKER_DTYPE)}
    t_end = {"T01": 10.0, "T02": 43.5}
    statuses = {"T01": TrialStatus.ACCEPTED, "T02": TrialStatus.REJECTED}
    notes = {"T01": "", "T02": "released the handle early"}
    writer = SessionWriter.create(path, PARTICIPANT, SESSION)
    writer.add_device(IMU_DEVICE)
    writer.add_device(DYN_DEVICE)
    for trial_id, trial in trials.items():
        keys = [key for key in streams if key[0] == trial_id]
        writer.begin_trial(trial, started_utc=SESSION.started_utc + timedelta(
            seconds=t_start[trial_id]), t_start_s=t_start[trial_id],
            streams=[(streams[key].device_id, streams[key].spec) for key in keys])
        for key in keys:
            known = streams[key]
            for row in range(len(known.packets)):
                first = int(known.packets["sample_index"][row])
                count = int(known.packets["n_samples"][row])
                times = (None if known.device_times_s is None
                         else known.device_times_s[first:first + count])
                writer.append(trial_id, known.device_id, known.spec.name,
                              known.samples[first:first + count], known.packets[row:row + 1],
                              device_time_s=times)
        writer.add_gaps(trial_id, gaps[trial_id])
        for marker in markers[trial_id]:
            writer.add_marker(trial_id, float(marker["t_s"]), marker["kind"].decode(),
                              marker["label"].decode())
        writer.end_trial(trial_id, status=TrialStatus.COMPLETED, t_end_s=t_end[trial_id],
                         ended_utc=SESSION.started_utc + timedelta(seconds=t_end[trial_id]))
    writer.update_trial("T01", status=statuses["T01"])
    writer.update_trial("T02", status=statuses["T02"], notes=notes["T02"])
    if close:
        writer.close()
    known_session = KnownSession(path, trials, statuses, notes, t_start, t_end, streams, gaps,
                                 markers)
    return known_session, writer
