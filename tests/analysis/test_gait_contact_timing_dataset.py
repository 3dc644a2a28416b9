"""ContactTimingRefiner against ipol-gait's foot-sensor heel strikes (the ends of its
annotated footsteps), on each subject's first trial."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from physiocap.analysis.gait.contact_timing import ContactTimingRefiner
from physiocap.analysis.gait.contacts import LowerBackContactDetector
from physiocap.analysis.signal import UniformResampler
from physiocap.workflows.validation.datasets import load_dataset
from physiocap.workflows.validation.statistics import matched_pairs

pytestmark = pytest.mark.dataset


def _errors_s(path: Path) -> dict[str, tuple[list[float], list[float]]]:
    """Per side, (detected − reference, refined − reference) of matched contacts."""
    errors: dict[str, tuple[list[float], list[float]]] = {"left": ([], []), "right": ([], [])}
    for recording in load_dataset("ipol-gait", path):
        if recording.problem or not recording.recording_id.endswith("-1"):
            continue
        sensor = recording.sensors["lower_back"]
        imu = UniformResampler().resample(sensor.time_s, sensor.acc_m_per_s2,
                                          sensor.gyro_rad_per_s)
        detected = LowerBackContactDetector().detect_signal(imu).times_s
        refined = ContactTimingRefiner().refine(imu, detected).times_s
        start, end = recording.reference_windows["trial"][0]
        for side, (before, after) in errors.items():
            reference = recording.reference_events[f"initial_contacts_{side}"]
            reference = reference[(reference >= start) & (reference <= end)]
            for i, j in matched_pairs(detected, reference, 0.1):
                before.append(detected[j] - reference[i])
                after.append(refined[j] - reference[i])
    return errors


def test_refined_contacts_meet_the_foot_sensor_heel_strikes(shared_data: Path) -> None:
    errors = _errors_s(shared_data / "ipol-gait")
    medians = {}
    for side, (_, refined) in errors.items():
        error = np.asarray(refined)
        assert len(error) > 100, side
        medians[side] = float(np.median(error))
        # unbiased to within 2 samples, and as tight as the footsteps' own annotation
        # (the foot's impact follows the annotated heel strike by 10-40 ms)
        assert abs(medians[side]) <= 0.02, side
        assert np.median(np.abs(error - medians[side])) <= 0.03, side
    # no side-dependent offset, which would fake or hide a step-time asymmetry
    assert abs(medians["left"] - medians["right"]) <= 0.015
