"""Timed gait-speed tests against the ground truth of simulated walks: a static start over
4 m with the person walking on 0.2-2 m past the finish line before stopping, a dynamic
start (the 10 m walk's middle 6 m, from the lower back or a thigh), both at speeds
0.4-1.6 m/s, random mountings, sensor biases and noise. Goal (issue 3 follow-up): speed
within 0.05 m/s, half the MCID."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from tests.analysis.simulated import render

from physiocap.analysis.gait import GaitSpeedAnalyzer
from physiocap.analysis.gait.progression import StrapdownProgression
from physiocap.analysis.signal.resampling import UniformResampler
from physiocap.core.device_info import DeviceInfo, DeviceKind, Placement
from physiocap.core.errors import ConfigurationError
from physiocap.core.records import Participant, Sex, Side, TestKind, TrialInfo
from physiocap.devices.sim.kinematics.gait_speed import GaitSpeedWalk
from physiocap.workflows.analyze import TrialSignals, analyze_trial
from physiocap.workflows.trial_signals import ImuSignals

SPEED_TOLERANCE_M_PER_S = 0.05
STATIC_CASES = [("lower_back", *case) for case in itertools.product(
    (0.4, 0.8, 1.2, 1.6), (0.2, 2.0))] + [("thigh", 0.6, 0.5), ("thigh", 1.4, 1.0)]


def _cadence(speed_m_per_s: float) -> float:
    """Cadence rising with speed, as in healthy adults (≈ 90 steps/min at 0.4 m/s,
    ≈ 120 at 1.6 m/s)."""
    return 80.0 + 25.0 * speed_m_per_s


@pytest.mark.parametrize(("placement", "speed", "walk_on"), STATIC_CASES)
def test_static_start_speed_whatever_the_walk_on_past_the_line(
        placement: str, speed: float, walk_on: float) -> None:
    seed = STATIC_CASES.index((placement, speed, walk_on))
    walk = GaitSpeedWalk(walking_speed_m_per_s=speed, cadence_steps_per_min=_cadence(speed),
                         acceleration_distance_m=0.0, deceleration_distance_m=walk_on,
                         variability_seed=seed)
    side = "right" if placement == "thigh" else None
    result = GaitSpeedAnalyzer(4.0, placement=placement, sensor_side=side).analyze(
        *render(walk, placement, seed=seed, side=side))
    assert result is not None
    assert abs(result.speed_m_per_s - walk.timed_speed_m_per_s) <= SPEED_TOLERANCE_M_PER_S
    truth = walk.events()
    assert abs(result.trial_start_s - truth["trial_start"]) <= 0.05
    assert result.flags == ()


@pytest.mark.parametrize("speed", [0.8, 1.4])
def test_dynamic_start_times_the_middle_zone(speed: float) -> None:
    walk = GaitSpeedWalk(start="dynamic", distance_m=6.0, acceleration_distance_m=2.0,
                         deceleration_distance_m=2.0, walking_speed_m_per_s=speed,
                         cadence_steps_per_min=_cadence(speed), variability_seed=3)
    analyzer = GaitSpeedAnalyzer(10.0, start="dynamic", zone_start_m=2.0, zone_end_m=8.0)
    result = analyzer.analyze(*render(walk, "lower_back", seed=11))
    assert result is not None
    assert abs(result.speed_m_per_s - walk.timed_speed_m_per_s) <= SPEED_TOLERANCE_M_PER_S
    truth = walk.events()
    # the steps reported are the footfalls between the zone's lines (within one: a contact
    # can sit on a line), not the whole walk's with its run-up and walk-on
    contacts = np.array([contact.time_s for contact in walk.initial_contacts()])
    in_zone = int(np.sum((contacts >= truth["zone_entry"]) & (contacts <= truth["zone_exit"])))
    assert result.timed_step_count is not None
    assert abs(result.timed_step_count - in_zone) <= 1
    assert result.step_count >= in_zone + 4
    assert result.zone_entry_s is not None
    assert result.zone_exit_s is not None
    assert abs(result.zone_entry_s - truth["zone_entry"]) <= 0.15
    assert abs(result.zone_exit_s - truth["zone_exit"]) <= 0.15


def test_travel_between_rests_matches_the_walked_path() -> None:
    walk = GaitSpeedWalk(walking_speed_m_per_s=1.0, acceleration_distance_m=0.0,
                         deceleration_distance_m=1.0)
    imu = UniformResampler().resample(*render(walk, "lower_back", seed=5))
    truth = walk.events()
    travel = StrapdownProgression().track(imu, truth["walk_start"] + 0.6,
                                          truth["walk_end"] - 0.3)
    assert travel is not None
    assert travel.plausible
    assert travel.total_m == pytest.approx(walk.path_length_m(walk.duration_s), rel=0.03)
    assert travel.movement_start_s == pytest.approx(truth["walk_start"], abs=0.05)


def test_without_a_rest_after_the_walk_the_step_timing_is_used_and_flagged() -> None:
    walk = GaitSpeedWalk(walking_speed_m_per_s=1.0, acceleration_distance_m=0.0,
                         deceleration_distance_m=0.5, quiet_after_s=0.0)
    t, acc, gyro = render(walk, "lower_back", seed=2)
    end = np.searchsorted(t, walk.events()["walk_end"] - 0.5)
    result = GaitSpeedAnalyzer(4.0).analyze(t[:end], acc[:end], gyro[:end])
    assert result is not None
    assert "no_rest_before_or_after_walk" in result.flags


#: (speed, variability seed, render seed): thigh walks whose integration drifted before the
#: accelerometer offset was fitted (gait speed 1.6: up to 0.18 m/s off, by step counting).
THIGH_DYNAMIC_CASES = [(0.4, 0, 11), (0.8, 0, 14), (0.8, 1, 15), (1.2, 1, 18), (1.6, 1, 21)]


@pytest.mark.parametrize(("speed", "variability_seed", "seed"), THIGH_DYNAMIC_CASES)
def test_dynamic_start_from_a_thigh(speed: float, variability_seed: int, seed: int) -> None:
    walk = GaitSpeedWalk(start="dynamic", distance_m=6.0, acceleration_distance_m=2.0,
                         deceleration_distance_m=2.0, walking_speed_m_per_s=speed,
                         cadence_steps_per_min=_cadence(speed),
                         variability_seed=variability_seed)
    analyzer = GaitSpeedAnalyzer(10.0, start="dynamic", zone_start_m=2.0, zone_end_m=8.0,
                                 placement="thigh", sensor_side="left")
    result = analyzer.analyze(*render(walk, "thigh", seed=seed, side="left"))
    assert result is not None
    assert result.flags == ()  # timed by the travelled distance, not by step counting
    assert abs(result.speed_m_per_s - walk.timed_speed_m_per_s) <= SPEED_TOLERANCE_M_PER_S


def test_thigh_travel_stays_level_whatever_the_accelerometer_offset() -> None:
    """A thigh swings ±20° and more each stride, so an accelerometer offset no longer
    cancels against the tilt it causes at rest; fitted, the travel stays level."""
    walk = GaitSpeedWalk(start="dynamic", distance_m=6.0, acceleration_distance_m=2.0,
                         deceleration_distance_m=2.0, walking_speed_m_per_s=0.8,
                         cadence_steps_per_min=_cadence(0.8), variability_seed=1)
    imu = UniformResampler().resample(*render(walk, "thigh", seed=15))
    truth = walk.events()
    travel = StrapdownProgression().track(imu, truth["walk_start"] + 0.6,
                                          truth["walk_end"] - 0.3)
    assert travel is not None
    assert travel.plausible
    assert np.max(np.abs(travel.vertical_m)) < 0.15  # the thigh sensor bobs by ±5 cm
    assert travel.total_m == pytest.approx(walk.path_length_m(walk.duration_s), rel=0.03)


@pytest.mark.parametrize(("placement", "side", "speed"),
                         [("lower_back", None, 0.6), ("lower_back", None, 1.4),
                          ("thigh", "left", 1.0), ("thigh", "right", 1.0)])
def test_each_contact_gets_the_side_of_the_simulated_foot(placement: str, side: str | None,
                                                          speed: float) -> None:
    """Sides end to end (detected contacts, then their sides) against the simulated feet;
    the step-time asymmetry is kept but flagged as unvalidated (the analyzer's docstring)."""
    walk = GaitSpeedWalk(start="dynamic", distance_m=6.0, acceleration_distance_m=2.0,
                         deceleration_distance_m=2.0, walking_speed_m_per_s=speed,
                         cadence_steps_per_min=_cadence(speed), variability_seed=2)
    analyzer = GaitSpeedAnalyzer(10.0, start="dynamic", zone_start_m=2.0, zone_end_m=8.0,
                                 placement=placement, sensor_side=side)
    result = analyzer.analyze(*render(walk, placement, seed=7, side=side))
    assert result is not None
    assert result.contact_is_left is not None
    truth = walk.initial_contacts()
    true_times = np.array([c.time_s for c in truth])
    nearest = np.abs(result.contacts_s[:, None] - true_times[None, :]).argmin(axis=1)
    true_left = np.array([truth[i].side is Side.LEFT for i in nearest])
    assert np.mean(result.contact_is_left == true_left) >= 0.93
    assert result.step_asymmetry is not None
    assert "step_time_asymmetry_unvalidated" in result.step_asymmetry.flags


@pytest.mark.parametrize(("placement", "speed"), [("lower_back", 0.4), ("lower_back", 1.6),
                                             ("thigh", 0.8), ("thigh", 1.2)])
def test_steps_and_cadence_of_a_timed_walk(placement: str, speed: float) -> None:
    """Step count within one contact and cadence within 2 steps/min of the simulated
    walk's (the closing step after the line may or may not be felt)."""
    walk = GaitSpeedWalk(walking_speed_m_per_s=speed, cadence_steps_per_min=_cadence(speed),
                         deceleration_distance_m=1.0, variability_seed=2)
    side = "left" if placement == "thigh" else None
    result = GaitSpeedAnalyzer(4.0, placement=placement, sensor_side=side).analyze(
        *render(walk, placement, seed=2, side=side))
    assert result is not None
    truth = np.array([c.time_s for c in walk.initial_contacts()])
    assert abs(result.step_count - len(truth)) <= 1
    true_cadence = 60.0 * (len(truth) - 1) / (truth[-1] - truth[0])
    assert result.cadence_steps_per_min == pytest.approx(true_cadence, abs=2.0)


def test_a_thigh_of_unknown_side_gives_no_sides() -> None:
    walk = GaitSpeedWalk(walking_speed_m_per_s=1.0, acceleration_distance_m=0.0,
                         deceleration_distance_m=1.0)
    result = GaitSpeedAnalyzer(4.0, placement="thigh").analyze(*render(walk, "thigh", seed=3))
    assert result is not None
    assert result.contact_is_left is None
    assert result.step_asymmetry is None
    assert "step_sides_unknown" in result.flags


def test_gait_speed_from_a_wrist_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="lower-back or thigh"):
        GaitSpeedAnalyzer(4.0, placement="wrist")


@pytest.mark.parametrize("placement", ["lower_back", "thigh"])
def test_a_gap_inside_the_timed_walk_is_flagged(placement: str) -> None:
    walk = GaitSpeedWalk(walking_speed_m_per_s=1.0, cadence_steps_per_min=_cadence(1.0),
                         acceleration_distance_m=0.0, deceleration_distance_m=1.0)
    truth = walk.events()
    side = "right" if placement == "thigh" else None
    t, acc, gyro = render(walk, placement, seed=3, side=side)
    keep = np.abs(t - 0.5 * (truth["trial_start"] + truth["trial_end"])) > 0.1
    analyzer = GaitSpeedAnalyzer(4.0, placement=placement, sensor_side=side)
    result = analyzer.analyze(t[keep], acc[keep], gyro[keep])
    assert result is not None
    assert "data_gap_in_timed_walk" in result.flags


def test_unknown_sides_are_kept_as_a_note_not_shown_as_a_problem() -> None:
    """A thigh sensor whose side the protocol does not give: the speed is unaffected, so
    the trial's outcome carries no quality flag, while the record keeps the note."""
    walk = GaitSpeedWalk(walking_speed_m_per_s=1.0, cadence_steps_per_min=_cadence(1.0),
                         acceleration_distance_m=0.0, deceleration_distance_m=1.0)
    t, acc, gyro = render(walk, "thigh", seed=3, side="right")
    device = DeviceInfo("imu1", "sim-imu", DeviceKind.IMU, "SIM-IMU", "SIM-IMU-0001",
                        placement=Placement.THIGH, simulated=True)
    participant = Participant("P001", birth_year=1961, sex=Sex.FEMALE, height_m=1.64,
                              body_mass_kg=61.5)
    outcome = analyze_trial(TrialSignals(imu=ImuSignals(device, t, acc, gyro)),
                            TrialInfo("T01", TestKind.GAIT_SPEED, {"distance_m": 4.0}),
                            participant)
    assert abs(outcome.headline["gait_speed_m_per_s"] - walk.timed_speed_m_per_s) <= 0.05
    assert "step_sides_unknown" in outcome.record["flags"]
    assert outcome.flags == ()


@pytest.mark.parametrize(("speed", "direction"), [(0.6, "left"), (1.0, "right"), (1.4, "left")])
def test_out_and_back_walk_times_the_trial_and_the_uturn(speed: float, direction: str) -> None:
    """10 m out, a U-turn, 10 m back (the ipol-gait protocol) against the simulated walk's
    events, with issue 3's goals: speed (20 m ÷ trial time, the IPOL convention) within
    0.03 m/s and U-turn edges within 0.3 s. The trial end (the last contact) is held to
    within one step, not to the 0.15 s met on ipol-gait: at 0.6-1.0 m/s the simulated
    closing step lands too softly to be found and the walk ends 0.17-0.22 s early (at 20 m
    that moves the speed by < 0.005 m/s)."""
    walk = GaitSpeedWalk(distance_m=10.0, out_and_back=True, uturn_direction=direction,
                         walking_speed_m_per_s=speed, cadence_steps_per_min=_cadence(speed),
                         acceleration_distance_m=0.0, deceleration_distance_m=0.5,
                         variability_seed=2)
    truth = walk.events()
    result = GaitSpeedAnalyzer(20.0, layout="out_and_back").analyze(
        *render(walk, "lower_back", seed=6))
    assert result is not None
    assert result.uturn_start_s is not None
    assert result.uturn_end_s is not None
    true_speed = 20.0 / (truth["trial_end"] - truth["trial_start"])
    assert abs(result.speed_m_per_s - true_speed) <= 0.03
    assert abs(result.trial_end_s - truth["trial_end"]) <= 60.0 / _cadence(speed)
    assert abs(result.uturn_start_s - truth["uturn_start"]) <= 0.3
    assert abs(result.uturn_end_s - truth["uturn_end"]) <= 0.3
    assert result.quality_flags == ()


@pytest.mark.parametrize("speed", [0.6, 1.0, 1.4])
def test_no_step_before_the_walk_starts_on_the_leading_leg_thigh(speed: float) -> None:
    """A thigh on the leg that steps first jolts as its swing starts; that is not a
    contact: the first contact reported is the walk's first heel strike."""
    walk = GaitSpeedWalk(walking_speed_m_per_s=speed, cadence_steps_per_min=_cadence(speed),
                         acceleration_distance_m=0.0, deceleration_distance_m=1.0,
                         leading_side="right", variability_seed=1)
    result = GaitSpeedAnalyzer(4.0, placement="thigh", sensor_side="right").analyze(
        *render(walk, "thigh", seed=1, side="right"))
    assert result is not None
    assert result.contacts_s[0] >= walk.events()["walk_start"]
    assert abs(result.contacts_s[0] - walk.initial_contacts()[0].time_s) <= 0.1
