"""Issue 16 item 6 for the newer importers (APDM HDF5, Mobilise-D data.mat, mapped CSV): a
source holding what no human or sensor produces is refused with the file, the dataset or
line and the reason, the source unchanged and no output written; the genuine file imports.

Each bad file is built from a good one whose truth we construct (a simulated walk, a
simulated grip set), then one impossibility is planted: a 10-hour time jump (two recordings
joined), a gyroscope in °/s stored as rad/s or an accelerometer in mg stored as m/s² or g
(both beyond the 2000 °/s and 16 g that body-worn sensors measure), a negated force. A
grip in newtons mapped as kgf imports, flagged by the analysis (last test)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest
from scipy.io import savemat
from tests.analysis.simulated import render
from tests.workflows.importers.test_apdm_h5 import write_format5
from tests.workflows.test_tindeq_csv import app_recording

from physiocap.cli.main import main
from physiocap.devices.sim.kinematics.gait_speed import GaitSpeedWalk

G = 9.80665
TEN_HOURS_S = 36_000.0
WALK = GaitSpeedWalk(walking_speed_m_per_s=1.0, cadence_steps_per_min=105.0,
                     acceleration_distance_m=0.0, deceleration_distance_m=1.0,
                     variability_seed=3)
UNIX_START_S = 1_612_342_800.0  # 2021-02-03T10:00:00+01:00, the trials' StartDateTime


def _replace(path: Path, dataset: str, change: Callable[[np.ndarray], np.ndarray]) -> None:
    with h5py.File(path, "r+") as f:
        values = change(f[dataset][()])
        del f[dataset]
        f[dataset] = values


def _apdm(change: tuple[str, Callable[[np.ndarray], np.ndarray]] | None) -> Callable[[Path],
                                                                                        None]:
    def write(path: Path) -> None:
        write_format5(path)
        if change:
            _replace(path, *change)
    return write


def _jump_us(time: np.ndarray) -> np.ndarray:
    return np.where(np.arange(len(time)) < len(time) // 2, time,
                    time + np.uint64(TEN_HOURS_S * 1e6))


def _mobilised(acc_factor: float = 1.0, gyro_factor: float = 1.0, jump: bool = False,
               clock_factor: float = 1.0) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        t, acc, gyro = render(WALK, "lower_back", seed=5)
        clock = UNIX_START_S + t + np.where(np.arange(len(t)) < len(t) // 2, 0.0,
                                            TEN_HOURS_S if jump else 0.0)
        clock *= clock_factor
        trial = {"StartDateTime": "2021-02-03T10:00:00+01:00",
                 "SU": {"LowerBack": {"Timestamp": clock, "Acc": acc / G * acc_factor,
                                      "Gyr": np.degrees(gyro) * gyro_factor,
                                      "Fs": {"Acc": 100}}},
                 "Standards": {}}
        savemat(path, {"data": {"TimeMeasure1": {"Test5": {"Trial1": trial}}}})
    return write


def _walk_csv(acc_factor: float = 1.0, gyro_factor: float = 1.0,
              jump: bool = False) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        t, acc, gyro = render(WALK, "lower_back", seed=7)
        stamp_ms = (UNIX_START_S + t + np.where(np.arange(len(t)) < len(t) // 2, 0.0,
                                                TEN_HOURS_S if jump else 0.0)) * 1000.0
        lines = ["timestamp,ax,ay,az,gx,gy,gz"] + [
            ",".join([f"{stamp_ms[i]:.3f}", *(f"{v / G * acc_factor:.6f}" for v in acc[i]),
                      *(f"{math.degrees(v) * gyro_factor:.5f}" for v in gyro[i])])
            for i in range(len(t))]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return write


def _grip_csv(sign: float) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        time_s, kgf, _ = app_recording(seed=21)
        path.write_text("t,F\n" + "".join(f"{t:.3f},{sign * f * G:.2f}\n"
                                          for t, f in zip(time_s, kgf, strict=True)),
                        encoding="utf-8")
    return write


IMU_CSV = ["--test", "gait_speed", "--time", "timestamp:unix_ms", "--acc", "ax,ay,az:g",
           "--gyro", "gx,gy,gz:deg/s"]
GRIP_CSV = ["--test", "grip", "--time", "t:s", "--force-column", "F:n",
            "--start-utc", "2024-01-09T08:00:00+00:00"]

#: name → (file name, writer, import command options, expected words in the error)
CASES: dict[str, tuple[str, Callable[[Path], None], list[str], tuple[str, ...]]] = {
    "apdm 10-hour time jump": ("walk.h5", _apdm(("Sensors/1383/Time", _jump_us)),
                               ["apdm-h5", "--test", "gait_speed"],
                               ("Sensors/1383/Time", "not one recording")),
    "apdm gyroscope in deg/s": ("walk.h5", _apdm(("Sensors/1262/Gyroscope", np.degrees)),
                                ["apdm-h5", "--test", "gait_speed"],
                                ("Sensors/1262/Gyroscope", "°/s read as rad/s")),
    "apdm accelerometer in mg": ("walk.h5", _apdm(("Sensors/1383/Accelerometer",
                                                   lambda a: a / G * 1000.0)),
                                 ["apdm-h5", "--test", "gait_speed"],
                                 ("Sensors/1383/Accelerometer", "mg")),
    "mobilised 10-hour time jump": ("data.mat", _mobilised(jump=True), ["mobilised-mat"],
                                    ("SU.LowerBack.Timestamp", "not one recording")),
    "mobilised gyroscope in rad/s": ("data.mat", _mobilised(gyro_factor=180 / math.pi),
                                     ["mobilised-mat"], ("SU.LowerBack.Gyr", "°/s")),
    "mobilised accelerometer in m/s2": ("data.mat", _mobilised(acc_factor=G),
                                        ["mobilised-mat"], ("SU.LowerBack.Acc", "wrong unit")),
    "mobilised Timestamp in ms": ("data.mat", _mobilised(clock_factor=1000.0),
                                  ["mobilised-mat"], ("SU.LowerBack.Timestamp",
                                                      "from StartDateTime")),
    "csv 10-hour time jump": ("walk.csv", _walk_csv(jump=True), ["csv", *IMU_CSV],
                              ("line ", "not one recording")),
    "csv gyroscope in rad/s declared deg/s": ("walk.csv", _walk_csv(gyro_factor=180 / math.pi),
                                              ["csv", *IMU_CSV], ("gx, gy, gz", "°/s")),
    "csv accelerometer in mg declared g": ("walk.csv", _walk_csv(acc_factor=1000.0),
                                           ["csv", *IMU_CSV], ("ax, ay, az", "mg")),
    "csv negated force": ("grip.csv", _grip_csv(-1.0), ["csv", *GRIP_CSV],
                          ("column F", "negated")),
}


def _source(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / "HA" / "009"  # Mobilise-D layout: <cohort>/<participant>/data.mat
    folder.mkdir(parents=True)
    return folder / name


@pytest.mark.parametrize("case", list(CASES))
def test_impossible_source_is_refused(case: str, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    name, write, options, words = CASES[case]
    source = _source(tmp_path, name)
    write(source)
    before = source.read_bytes()
    out = tmp_path / "out"
    command, *rest = options
    assert main(["import", command, str(source), "-o", str(out / "o.h5"), *rest]) == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error
    assert str(source) in error
    for word in words:
        assert word in error, error
    assert not (out / "o.h5").exists()
    assert source.read_bytes() == before


GENUINE = {"apdm": ("walk.h5", _apdm(None), ["apdm-h5", "--test", "gait_speed"]),
           "mobilised": ("data.mat", _mobilised(), ["mobilised-mat"]),
           "csv walk": ("walk.csv", _walk_csv(), ["csv", *IMU_CSV]),
           "csv grip": ("grip.csv", _grip_csv(1.0), ["csv", *GRIP_CSV])}


@pytest.mark.parametrize("case", list(GENUINE))
def test_the_genuine_source_still_imports(case: str, tmp_path: Path) -> None:
    name, write, options = GENUINE[case]
    source = _source(tmp_path, name)
    write(source)
    command, *rest = options
    out = tmp_path / "out" / "o.h5"
    out.parent.mkdir()
    assert main(["import", command, str(source), "-o", str(out), *rest]) == 0


@pytest.mark.parametrize(("declared", "flagged"), [("n", False), ("kgf", True)])
def test_newtons_declared_kgf_import_but_every_grip_is_flagged(
        declared: str, flagged: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A grip set in newtons (240-265 N, simulated) mapped as kgf reads 2.4-2.6 kN: no hand
    grips that hard, but a strongman's record is not ours to refuse, so the import keeps the
    file and the analysis flags the trial and each effort (``beyond_human_grip``)."""
    source = _source(tmp_path, "grip.csv")
    _grip_csv(1.0)(source)
    options = [option.replace("F:n", f"F:{declared}") for option in GRIP_CSV]
    out = tmp_path / "o.h5"
    assert main(["import", "csv", str(source), "-o", str(out), *options]) == 0
    capsys.readouterr()
    assert main(["analyze", str(out), "--dry-run", "--json"]) == 0
    (trial,) = json.loads(capsys.readouterr().out)["trials"]
    efforts = trial["result"]["efforts"]
    assert len(efforts) == 3
    assert ("beyond_human_grip" in trial["flags"]) is flagged
    assert all(("beyond_human_grip" in effort["flags"]) is flagged for effort in efforts)
