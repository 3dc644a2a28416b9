"""``physiocap import apdm-h5`` on APDM files built from the published layouts (no public
example file could be redistributed here): format 5 (``/Sensors/<id>/{Accelerometer,
Gyroscope, Magnetometer, Time}`` with ``Label 0`` in ``Configuration``, as read by
scikit-digital-health's ``skdh.io.ReadApdmH5`` [E5] and APDM's documentation [E4]) and the
older formats 3-4 (root ``CaseIdList``/``MonitorLabelList``, ``/<case id>/Calibrated/
{Accelerometers, Gyroscopes, Magnetometers}`` and ``/<case id>/Time``). The signals are a
simulated 4 m walk at a known speed (lower back and right foot at APDM's 128 Hz), so the
analysis of the imported file is checked against the walk's ground truth."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import h5py
import numpy as np
import pytest
from tests.analysis.simulated import render

from physiocap.cli.main import main
from physiocap.core.device_info import Placement
from physiocap.core.records import Participant, TestKind
from physiocap.devices.sim.kinematics.gait_speed import GaitSpeedWalk
from physiocap.storage import SessionReader
from physiocap.workflows.analyze import analyze_session
from physiocap.workflows.importers.apdm_h5 import ApdmFileError, import_apdm_h5

RATE_HZ = 128.0
START = datetime(2023, 3, 14, 9, 26, 53, tzinfo=UTC)
WALK = GaitSpeedWalk(walking_speed_m_per_s=1.0, cadence_steps_per_min=105.0,
                     acceleration_distance_m=0.0, deceleration_distance_m=1.0,
                     variability_seed=2)
EARTH_FIELD_UT = np.array([20.0, -5.0, 43.0])  # a plausible field, µT


def _signals() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    return {"Lumbar": render(WALK, "lower_back", seed=4, rate_hz=RATE_HZ),
            "Right Foot": render(WALK, "foot", side="right", seed=5, rate_hz=RATE_HZ)}


def _time_us(t_s: np.ndarray) -> np.ndarray:
    return (int(START.timestamp() * 1e6) + np.round(t_s * 1e6)).astype(np.uint64)


def write_format5(path: Path, *, label: bool = True) -> None:
    with h5py.File(path, "w") as f:
        f.attrs["FileFormatVersion"] = np.int32(5)
        # the foot's ID sorts first, so the importer must pick the lumbar sensor itself
        for sensor_id, name in (("1262", "Right Foot"), ("1383", "Lumbar")):
            t, acc, gyro = _signals()[name]
            group = f.create_group(f"Sensors/{sensor_id}")
            group["Accelerometer"] = acc
            group["Gyroscope"] = gyro
            group["Magnetometer"] = np.tile(EARTH_FIELD_UT, (len(t), 1))
            group["Time"] = _time_us(t)
            config = group.create_group("Configuration")
            if label:
                config.attrs["Label 0"] = name.encode()
            config.attrs["Sample Rate"] = np.uint16(RATE_HZ)
        annotations = np.array([(int(START.timestamp() * 1e6) + 1_000_000, b"1383",
                                 b"start walk")],
                               dtype=[("Time", "<u8"), ("SensorID", "S8"), ("Annotation", "S64")])
        f["Annotations"] = annotations


def write_format4(path: Path) -> None:
    with h5py.File(path, "w") as f:
        f.attrs["FileFormatVersion"] = np.int32(4)
        f.attrs["CaseIdList"] = [b"SI-000646", b"SI-000701"]
        f.attrs["MonitorLabelList"] = [b"Right Foot", b"Lumbar"]
        for case_id, name in (("SI-000646", "Right Foot"), ("SI-000701", "Lumbar")):
            t, acc, gyro = _signals()[name]
            group = f.create_group(case_id)
            group.attrs["SampleRate"] = np.uint16(RATE_HZ)
            group["Time"] = _time_us(t)
            group["Calibrated/Accelerometers"] = acc
            group["Calibrated/Gyroscopes"] = gyro
            group["Calibrated/Magnetometers"] = np.tile(EARTH_FIELD_UT, (len(t), 1))


@pytest.mark.slow
@pytest.mark.parametrize("writer", [write_format5, write_format4])
def test_every_sensor_imported_in_si_with_device_times_and_analysed(tmp_path: Path,
                                                                    writer) -> None:
    source = tmp_path / "walk.h5"
    writer(source)
    os.utime(source, (0, 0))  # a misleading modification time (1970) must not be used
    out = tmp_path / "imported.h5"
    assert main(["import", "apdm-h5", str(source), "-o", str(out), "--test", "gait_speed",
                 "--participant", "P-APDM"]) == 0
    with SessionReader(out) as reader:
        assert reader.session.started_utc == START
        devices = reader.devices
        placements = {(d.placement, d.side) for d in devices.values()}
        assert placements == {(Placement.LOWER_BACK, ""), (Placement.FOOT, "right")}
        (trial,) = reader.trials
        lumbar = next(d for d in devices.values() if d.placement is Placement.LOWER_BACK)
        t, acc, _ = _signals()["Lumbar"]
        stored_acc = reader.samples_si(trial.trial_id, lumbar.device_id, "acc")
        np.testing.assert_allclose(stored_acc, acc, atol=1e-4)  # float32 storage
        mag = reader.samples_si(trial.trial_id, lumbar.device_id, "mag")
        np.testing.assert_allclose(mag[0], EARTH_FIELD_UT * 1e-6, rtol=1e-6)  # µT → T
        device_t = reader.device_times_s(trial.trial_id, lumbar.device_id, "acc")
        np.testing.assert_allclose(device_t, START.timestamp() + t, atol=2e-6)
        session_t = reader.sample_times_s(trial.trial_id, lumbar.device_id, "acc")
        np.testing.assert_allclose(session_t, t, atol=2e-6)
        packets = reader.packets(trial.trial_id, lumbar.device_id, "acc")
        assert packets["device_time_raw"][0] == int(START.timestamp() * 1e6)
        if writer is write_format5:
            markers = reader.markers(trial.trial_id)
            assert [m.decode() for m in markers["label"]] == ["start walk (1383)"]
            assert markers["t_s"][0] == pytest.approx(1.0)
    (outcome,) = analyze_session(out)
    assert outcome.error == ""
    assert outcome.headline["gait_speed_m_per_s"] == pytest.approx(WALK.timed_speed_m_per_s,
                                                                   abs=0.05)


def test_missing_label_names_the_dataset(tmp_path: Path) -> None:
    source = tmp_path / "nolabel.h5"
    write_format5(source, label=False)
    with pytest.raises(ApdmFileError, match=r"Sensors/1262/Configuration: no 'Label 0'"):
        import_apdm_h5(source, tmp_path / "o.h5", Participant("P1"), TestKind.TUG)


def test_malformed_datasets_refused_with_dataset_and_reason(tmp_path: Path) -> None:
    source = tmp_path / "bad.h5"
    write_format5(source)
    with h5py.File(source, "r+") as f:
        time = f["Sensors/1383/Time"][()]
        time[10] = time[9]
        del f["Sensors/1383/Time"]
        f["Sensors/1383/Time"] = time
    with pytest.raises(ApdmFileError, match=r"Sensors/1383/Time: sample 10 does not come after"):
        import_apdm_h5(source, tmp_path / "o.h5", Participant("P1"), TestKind.TUG)
    write_format5(source)
    with h5py.File(source, "r+") as f:
        del f["Sensors/1262/Gyroscope"]
        f["Sensors/1262/Gyroscope"] = np.zeros((5, 3))
    with pytest.raises(ApdmFileError, match=r"Sensors/1262/Gyroscope: 5 samples but"):
        import_apdm_h5(source, tmp_path / "o.h5", Participant("P1"), TestKind.TUG)
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(ApdmFileError, match="not an HDF5 file"):
        import_apdm_h5(tmp_path / "text.h5", tmp_path / "o.h5", Participant("P1"), TestKind.TUG)
    assert not (tmp_path / "o.h5").exists()


def test_cli_asks_for_the_test_and_reports_errors_without_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "walk.h5"
    write_format5(source)
    assert main(["import", "apdm-h5", str(source), "-o", str(tmp_path / "o.h5")]) == 2
    assert "--test" in capsys.readouterr().err
    assert main(["import", "apdm-h5", str(tmp_path / "none.h5"), "-o", str(tmp_path / "o.h5"),
                 "--test", "tug"]) == 2
    assert "does not exist" in capsys.readouterr().err
