"""ContactTimingRefiner against simulated truth: heel strikes of a walk with a known
left/right step-time ratio (the simulator puts each heel strike's trunk transient at the
true contact), and physical limits (order kept, nothing moved without an impact)."""

from __future__ import annotations

import numpy as np
import pytest
from tests.analysis.simulated import render

from physiocap.analysis.gait.asymmetry import StepAsymmetryAnalyzer
from physiocap.analysis.gait.contact_timing import ContactTimingRefiner
from physiocap.analysis.gait.contacts import LowerBackContactDetector
from physiocap.analysis.gait.step_sides import StepSideClassifier
from physiocap.analysis.signal import UniformResampler
from physiocap.analysis.signal.resampling import ImuSignal
from physiocap.core.errors import InputValidationError
from physiocap.devices.sim.kinematics.gait_speed import GaitSpeedWalk
from physiocap.devices.sim.kinematics.scenario import MovementScenario


def _limp(ratio: float, variability_seed: int) -> GaitSpeedWalk:
    return GaitSpeedWalk(start="dynamic", distance_m=6.0, acceleration_distance_m=2.0,
                         deceleration_distance_m=2.0, walking_speed_m_per_s=1.0,
                         cadence_steps_per_min=105, variability_seed=variability_seed,
                         step_time_ratio_left_right=ratio)


def _truth(walk: MovementScenario) -> tuple[np.ndarray, np.ndarray]:
    contacts = walk.initial_contacts()
    return (np.array([c.time_s for c in contacts]),
            np.array([c.side.value == "left" for c in contacts]))


def _imu(walk: MovementScenario, placement: str, seed: int) -> ImuSignal:
    return UniformResampler().resample(*render(walk, placement, seed=seed))


@pytest.mark.parametrize(("ratio", "variability_seed", "seed"),
                         [(1.15, 4, 7), (0.87, 2, 5), (1.2, 3, 9), (1.0, 5, 11)])
def test_refined_contacts_recover_a_simulated_step_time_asymmetry(
        ratio: float, variability_seed: int, seed: int) -> None:
    walk = _limp(ratio, variability_seed)
    imu = _imu(walk, "lower_back", seed)
    detected = LowerBackContactDetector().detect_signal(imu).times_s
    refined = ContactTimingRefiner().refine(imu, detected).times_s
    sides = StepSideClassifier().classify_signal(imu, refined)
    estimate = StepAsymmetryAnalyzer().analyze(sides.contacts_s, sides.is_left)
    truth = StepAsymmetryAnalyzer().analyze(*_truth(walk))
    assert estimate.step_time_asymmetry_pct is not None
    assert truth.step_time_asymmetry_pct is not None
    assert abs(estimate.step_time_asymmetry_pct - truth.step_time_asymmetry_pct) < 3.0
    assert estimate.step_time_left_right_ratio is not None
    assert truth.step_time_left_right_ratio is not None
    # the slower side is the right one
    assert ((estimate.step_time_left_right_ratio > 1) == (truth.step_time_left_right_ratio > 1)
            or truth.step_time_asymmetry_pct < 3.0)


def test_each_refined_contact_carries_its_own_heel_strike_time() -> None:
    walk = _limp(1.15, 4)
    imu = _imu(walk, "lower_back", 7)
    detected = LowerBackContactDetector().detect_signal(imu).times_s
    refiner = ContactTimingRefiner()
    timing = refiner.refine(imu, detected)
    truth, _ = _truth(walk)
    nearest = truth[np.argmin(np.abs(detected[:, None] - truth[None, :]), axis=1)]
    # the simulator puts the trunk's impact at the heel strike itself: add the delay back
    error = timing.times_s[timing.refined] + refiner.impact_delay_s - nearest[timing.refined]
    assert timing.refined_count >= 0.8 * len(detected)
    assert np.percentile(np.abs(error), 90) < 0.015
    # the 2 Hz peak is off by more, and differently for each side (issue 3)
    assert np.percentile(np.abs(detected - nearest), 90) > 0.03


def test_contacts_keep_their_order_and_move_less_than_a_fraction_of_a_step() -> None:
    walk = _limp(1.2, 3)
    imu = _imu(walk, "lower_back", 9)
    truth, _ = _truth(walk)
    # detected contacts 0.12 s late and one spurious contact 0.15 s after a true one
    detected = np.sort(np.r_[truth + 0.12, truth[5] + 0.15])
    refiner = ContactTimingRefiner()
    moved = refiner.refine(imu, detected).times_s
    gaps = np.diff(detected)
    assert np.all(np.diff(moved) > 0)
    shift = moved - detected
    assert np.all(shift[1:] >= -refiner.max_shift_fraction * gaps - 1e-9)
    assert np.all(shift[:-1] <= refiner.max_shift_fraction * gaps + 1e-9)


def test_contacts_without_a_heel_strike_impact_keep_their_time() -> None:
    rng = np.random.default_rng(3)
    time = np.arange(0.0, 10.0, 0.01)
    acc = np.tile([0.0, 0.0, 9.81], (len(time), 1)) + rng.normal(0.0, 0.02, (len(time), 3))
    imu = ImuSignal(time, acc, rng.normal(0.0, 0.005, (len(time), 3)), 100.0)
    contacts = np.array([2.0, 2.55, 3.1, 3.65])
    timing = ContactTimingRefiner().refine(imu, contacts)
    assert timing.refined_count == 0
    assert timing.kept_count == len(contacts)
    np.testing.assert_array_equal(timing.times_s, contacts)


def test_bad_contacts_are_refused() -> None:
    imu = _imu(_limp(1.0, 5), "lower_back", 1)
    with pytest.raises(InputValidationError, match="increasing"):
        ContactTimingRefiner().refine(imu, np.array([3.0, 2.0]))
    with pytest.raises(InputValidationError, match="finite"):
        ContactTimingRefiner().refine(imu, np.array([1.0, np.nan]))
    with pytest.raises(InputValidationError, match="max_shift_fraction"):
        ContactTimingRefiner(max_shift_fraction=0.6)
