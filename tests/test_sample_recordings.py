"""The sample recordings open, are complete, and show exactly the faults injected into them."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from physiocap.core.records import TestKind, TrialStatus
from physiocap.storage import SessionReader

SAMPLES = Path(__file__).resolve().parents[1] / "sample_recordings"
sys.path.insert(0, str(SAMPLES))
from make_samples import FAULTS, FAULTY_PLAN  # noqa: E402

STUDY = SAMPLES / "study" / "DEMO-0001"


def test_the_demo_visit_sample_is_complete_and_analysed() -> None:
    with SessionReader(STUDY / "2026-03-02_baseline.h5") as reader:
        assert reader.completed
        assert len(reader.trials) == 18
        battery = set(TestKind) - {TestKind.CALIBRATION, TestKind.ISOMETRIC}
        assert {t.info.test for t in reader.trials} == battery
        assert all(t.status is TrialStatus.ACCEPTED for t in reader.trials)
        assert all(reader.analysis_runs(t.trial_id) for t in reader.trials)
        assert all(info.simulated for info in reader.devices.values())


def test_the_faulty_sample_records_every_lost_packet_as_a_gap() -> None:
    with SessionReader(STUDY / "2026-03-02_link-faults.h5") as reader:
        assert len(reader.trials) == len(FAULTY_PLAN)
        stored = lost = 0
        outage = []
        for trial in reader.trials:
            gaps = reader.gaps(trial.trial_id)
            imu = gaps[np.char.startswith(gaps["device_id"].astype(str), "SIM-IMU")]
            outage += [gap for gap in imu if gap["duration_s"] > 1.0]
            short = imu[imu["duration_s"] <= 1.0]
            lost += int(short["lost_samples"].sum())
            for stream in trial.streams:
                if stream.device_id.startswith("SIM-IMU"):
                    stored += stream.n_samples
                    index = reader.packets(trial.trial_id, stream.device_id,
                                           stream.spec.name)["sample_index"]
                    assert np.all(np.diff(index.astype(np.int64)) > 0)  # no duplicate stored
        # packet loss outside the outage: binomial around the configured probability
        assert lost / (lost + stored) == pytest.approx(FAULTS.drop_probability, abs=0.012)
        # the 2 s link loss: one gap per IMU stream, as long as the outage (± one packet)
        assert len(outage) == 2
        for gap in outage:
            assert gap["duration_s"] == pytest.approx(FAULTS.reconnect_after_s, abs=0.1)
        markers = np.concatenate([reader.markers(t.trial_id) for t in reader.trials])
        kinds = [kind.decode() for kind in markers["kind"]]
        assert kinds == ["device_disconnected", "device_reconnected"]
        assert np.diff(markers["t_s"])[0] == pytest.approx(FAULTS.reconnect_after_s, abs=0.1)
