"""Ideal IMU signals of the movement scenarios obey physics and match their ground truth."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from physiocap.core.errors import ConfigurationError
from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2 as G
from physiocap.devices.sim.kinematics import (
    GaitSpeedWalk,
    SitToStandScenario,
    StaticPose,
    TugScenario,
    ideal_imu,
    sensor_site,
    synthesize,
)
from physiocap.devices.sim.kinematics.rotations import euler_xyz_deg

RATE_HZ = 200.0


def rest_force(posture: str, placement: str, **site: object) -> np.ndarray:
    pose = StaticPose(posture=posture, hold_s=1.0)
    return synthesize(pose, np.array([0.5]), sensor_site(placement, **site)).specific_force[0]


@pytest.mark.parametrize("posture", ["standing", "sitting", "lying"])
@pytest.mark.parametrize("placement", ["lower_back", "thigh", "shank", "foot", "wrist"])
def test_at_rest_the_accelerometer_reads_one_g_and_the_gyro_zero(posture: str,
                                                                 placement: str) -> None:
    pose = StaticPose(posture=posture, hold_s=2.0)
    signals = synthesize(pose, np.linspace(0.1, 1.9, 7), sensor_site(placement))
    assert np.linalg.norm(signals.specific_force, axis=1) == pytest.approx(G, abs=1e-6)
    assert np.abs(signals.angular_velocity).max() < 1e-9


@pytest.mark.parametrize(("posture", "placement", "axis", "sign"), [
    ("standing", "lower_back", 0, +1),  # x up (ipol-gait / Mobilise-D convention)
    ("lying", "lower_back", 2, -1),  # supine: the back, and the sensor's z, face the floor
    ("standing", "thigh", 1, +1),  # phone top up in the pocket
    ("sitting", "thigh", 2, +1),  # thigh horizontal: the screen (front of thigh) faces up
    ("standing", "shank", 0, +1),
    ("sitting", "foot", 2, +1),  # feet flat on the floor
    ("sitting", "wrist", 2, +1),  # hands on the thighs, palms down: the dial faces up
])
def test_gravity_points_along_the_axis_that_is_up(posture: str, placement: str, axis: int,
                                                  sign: int) -> None:
    force = rest_force(posture, placement)
    assert sign * force[axis] > 0.95 * G  # within ~18° of the expected axis


def test_mounting_rotation_turns_gravity_into_the_sensor_frame() -> None:
    default = rest_force("standing", "lower_back")
    extra = euler_xyz_deg((20.0, -35.0, 70.0))
    rotated = rest_force("standing", "lower_back", mounting=extra)
    # the sensor frame is rotated by `extra` relative to the default: f' = extraᵀ f
    assert rotated == pytest.approx(extra.T @ default, abs=1e-9)


def test_upside_down_flips_the_vertical_axis() -> None:
    upright = rest_force("standing", "lower_back")
    inverted = rest_force("standing", "lower_back", mounting=euler_xyz_deg((0.0, 0.0, 180.0)))
    assert upright[0] == pytest.approx(G, abs=1e-9)
    assert inverted[0] == pytest.approx(-G, abs=1e-9)


def vertical_yaw_deg(scenario: TugScenario, start_s: float, end_s: float) -> float:
    """Integral of the lower-back gyro about the world vertical, in degrees."""
    t = np.arange(0.0, scenario.duration_s, 1.0 / RATE_HZ)
    signals = synthesize(scenario, t, sensor_site("lower_back"))
    up_in_sensor = signals.orientation[:, 2, :]  # world z expressed in the sensor frame
    rate = np.einsum("ni,ni->n", signals.angular_velocity, up_in_sensor)
    window = (t >= start_s) & (t < end_s)
    return float(np.degrees(rate[window].sum() / RATE_HZ))


@pytest.mark.parametrize(("first", "second", "angle_deg", "expected_deg"), [
    ("left", "left", 180.0, 360.0),
    ("right", "right", 180.0, -360.0),
    ("left", "right", 90.0, -90.0),
])
def test_integrated_gyro_over_a_tug_equals_its_turns(first: str, second: str, angle_deg: float,
                                                     expected_deg: float) -> None:
    tug = TugScenario(turn_direction=first, sit_turn_direction=second,
                      turn_angle_deg=angle_deg)
    assert vertical_yaw_deg(tug, 0.0, tug.duration_s) == pytest.approx(expected_deg, abs=1.0)


@pytest.mark.parametrize(("direction", "sign"), [("left", 1.0), ("right", -1.0)])
def test_a_turn_integrates_to_its_angle_with_the_turn_direction_sign(direction: str,
                                                                     sign: float) -> None:
    tug = TugScenario(turn_direction=direction)
    events = tug.events()
    # the pelvis also rotates ±4-5° with each stride, so the window's ends carry that sway
    turned = vertical_yaw_deg(tug, events["turn1_start"], events["turn1_end"])
    assert sign * turned == pytest.approx(180.0, abs=12.0)


def test_turn_peak_yaw_rate_is_clinically_plausible() -> None:
    tug = TugScenario(turn_duration_s=2.0)
    recording = ideal_imu(tug, "lower_back", rate_hz=RATE_HZ)
    events = tug.events()
    window = (recording.t_s > events["turn1_start"]) & (recording.t_s < events["turn1_end"])
    peak_deg_per_s = np.degrees(np.abs(recording.gyro_rad_per_s[window, 0]).max())
    assert 100.0 < peak_deg_per_s < 220.0  # turns in TUG peak at 100-200 °/s


@pytest.mark.parametrize("cadence", [90.0, 110.0, 125.0])
def test_vertical_acceleration_spectrum_peaks_at_the_cadence(cadence: float) -> None:
    walk = GaitSpeedWalk(distance_m=12.0, walking_speed_m_per_s=1.2,
                         cadence_steps_per_min=cadence)
    recording = ideal_imu(walk, "lower_back", rate_hz=RATE_HZ)
    events = walk.events()
    t = recording.t_s
    window = (t > events["trial_start"] + 2.0) & (t < events["walk_end"] - 2.0)
    vertical = recording.acc_m_per_s2[window, 0]
    vertical = (vertical - vertical.mean()) * np.hanning(len(vertical))
    spectrum = np.abs(np.fft.rfft(vertical, 16 * len(vertical)))
    frequency = np.fft.rfftfreq(16 * len(vertical), 1.0 / RATE_HZ)
    band = (frequency > 0.5) & (frequency < 4.0)
    peak_hz = frequency[band][np.argmax(spectrum[band])]
    assert peak_hz == pytest.approx(cadence / 60.0, abs=0.05)


def test_each_walking_contact_shows_one_impact_at_the_shank() -> None:
    walk = GaitSpeedWalk(distance_m=6.0, walking_speed_m_per_s=1.1, cadence_steps_per_min=105)
    *contacts, closing = walk.initial_contacts()
    assert closing.closing  # the trailing foot set down at the stop: a soft step
    assert not any(c.closing for c in contacts)
    for side in ("left", "right"):
        recording = ideal_imu(walk, "shank", side=side, rate_hz=RATE_HZ)
        axial = recording.acc_m_per_s2[:, 0]  # along the shank
        above = axial > 25.0
        onsets = recording.t_s[1:][above[1:] & ~above[:-1]]
        mine = np.array([c.time_s for c in contacts if c.side.value == side])
        assert len(onsets) == len(mine)
        assert np.abs(onsets - mine).max() < 0.03


def test_initial_contacts_alternate_at_the_step_period() -> None:
    tug = TugScenario(cadence_steps_per_min=100.0, leading_side="left", step_time_cv=0.0)
    contacts = tug.initial_contacts()
    assert contacts[0].side.value == "left"
    assert all(a.side is not b.side for a, b in itertools.pairwise(contacts))
    assert np.diff([c.time_s for c in contacts]) == pytest.approx(0.6, abs=1e-9)
    events = tug.events()
    assert events["walk_out_start"] < contacts[0].time_s
    assert contacts[-1].time_s <= events["turn2_end"]
    assert contacts[-1].closing
    assert events["turn2_end"] - contacts[-1].time_s < 0.6


def test_walk_distances_match_the_protocol() -> None:
    tug = TugScenario(walk_distance_m=3.0)
    events = tug.events()
    walked = tug.path_length_m(events["turn1_start"]) - tug.path_length_m(events["walk_out_start"])
    assert walked == pytest.approx(3.0, abs=1e-6)
    back = tug.path_length_m(events["turn2_start"]) - tug.path_length_m(events["walk_back_start"])
    assert back == pytest.approx(3.0, abs=1e-6)


def test_dynamic_start_times_the_zone_at_the_steady_speed() -> None:
    walk = GaitSpeedWalk(distance_m=6.0, start="dynamic", walking_speed_m_per_s=1.3,
                         acceleration_distance_m=2.0, deceleration_distance_m=2.0)
    events = walk.events()
    assert walk.path_length_m(events["zone_entry"]) == pytest.approx(2.0, abs=1e-6)
    assert walk.path_length_m(events["zone_exit"]) == pytest.approx(8.0, abs=1e-6)
    assert events["zone_exit"] - events["zone_entry"] == pytest.approx(6.0 / 1.3, abs=1e-6)
    assert walk.timed_speed_m_per_s == pytest.approx(1.3, abs=1e-6)


def test_static_start_includes_the_acceleration() -> None:
    walk = GaitSpeedWalk(distance_m=4.0, walking_speed_m_per_s=1.2, acceleration_duration_s=1.2)
    events = walk.events()
    # minimum-jerk acceleration over T from rest loses T/2 of travel at full speed
    assert events["trial_end"] - events["trial_start"] == pytest.approx(4.0 / 1.2 + 0.6, abs=1e-6)
    assert walk.timed_speed_m_per_s < 1.2


def test_out_and_back_walk_has_a_uturn_of_half_a_revolution() -> None:
    walk = GaitSpeedWalk(distance_m=10.0, out_and_back=True, uturn_direction="right")
    events = walk.events()
    assert events["trial_start"] < events["uturn_start"] < events["uturn_end"] < events["trial_end"]
    t = np.arange(0.0, walk.duration_s, 1.0 / RATE_HZ)
    signals = synthesize(walk, t, sensor_site("lower_back"))
    rate = np.einsum("ni,ni->n", signals.angular_velocity, signals.orientation[:, 2, :])
    assert np.degrees(rate.sum() / RATE_HZ) == pytest.approx(-180.0, abs=1.0)
    assert walk.initial_contacts()[-1].time_s == events["trial_end"]


def test_sit_to_stand_lifts_the_pelvis_and_turns_the_thigh_upright() -> None:
    sts = SitToStandScenario(repetitions=1, end_seated=False, chair_height_m=0.45)
    events = sts.events()
    seated = sts.pose(events["rise_1_start"])
    standing = sts.pose(events["rise_1_end"])
    lift = standing.pelvis[0, 2] - seated.pelvis[0, 2]
    assert 0.3 < lift < 0.5
    thigh_seated = rest_like(sts, events["rise_1_start"] - 0.1, "thigh")
    thigh_standing = rest_like(sts, events["rise_1_end"] + 0.5, "thigh")
    assert thigh_seated[2] > 0.95 * G  # front of the thigh up
    assert thigh_standing[1] > 0.99 * G  # long axis up


def rest_like(scenario: SitToStandScenario, t_s: float, placement: str) -> np.ndarray:
    return synthesize(scenario, np.array([t_s]), sensor_site(placement)).specific_force[0]


def test_gyro_integrates_to_the_trunk_flexion_of_the_rise() -> None:
    sts = SitToStandScenario(repetitions=1, end_seated=False, trunk_flexion_peak_deg=45.0,
                             rise_duration_s=1.5)
    events = sts.events()
    recording = ideal_imu(sts, "lower_back", rate_hz=1000.0)
    pitch_rate = recording.gyro_rad_per_s[:, 1]  # trunk flexion turns about y (left)
    pitch = np.degrees(np.cumsum(pitch_rate) / 1000.0)
    rise = (recording.t_s >= events["rise_1_start"]) & (recording.t_s <= events["rise_1_end"])
    seated_pitch = -10.0  # reclined against the backrest
    assert pitch[rise].max() - pitch[rise][0] == pytest.approx(45.0 - seated_pitch, abs=0.5)
    assert pitch[rise][-1] - pitch[rise][0] == pytest.approx(0.0 - seated_pitch, abs=0.5)


def test_five_times_sit_to_stand_events_come_in_order() -> None:
    sts = SitToStandScenario(repetitions=5, rise_duration_s=1.1, sit_duration_s=1.3,
                             standing_pause_s=0.2, seated_pause_s=0.1)
    events = sts.events()
    times = list(events.values())
    assert times == sorted(times)
    assert sts.total_time_s == pytest.approx(5 * 1.1 + 4 * (0.2 + 1.3 + 0.1), abs=1e-9)
    assert "test_end_seated" in events


@pytest.mark.parametrize("bad", [
    {"turn_direction": "up"}, {"chair_height_m": 0.1}, {"walking_speed_m_per_s": 5.0},
    {"walking_speed_m_per_s": 1.5, "cadence_steps_per_min": 60.0}, {"turn_duration_s": 0.0},
])
def test_implausible_tug_parameters_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        TugScenario(**bad)  # type: ignore[arg-type]


def test_scenarios_are_frozen_values() -> None:
    tug = TugScenario()
    assert tug == TugScenario()
    with pytest.raises(AttributeError):
        tug.walk_distance_m = 4.0  # type: ignore[misc]


def test_path_length_is_the_integral_of_the_body_speed() -> None:
    walk = GaitSpeedWalk(distance_m=10.0, out_and_back=True, walking_speed_m_per_s=1.3)
    speed = walk.motion.locomotion.speed  # type: ignore[union-attr]
    t = np.linspace(0.0, walk.duration_s, 40_001)
    numeric = np.concatenate([[0.0], np.cumsum(np.diff(t) * 0.5 * (speed.value(t[1:])
                                                                  + speed.value(t[:-1])))])
    assert np.abs(walk.path_length_m(t) - numeric).max() < 2e-5
    crossing = walk.time_at_path_length_s(7.5)
    assert float(np.interp(7.5, numeric, t)) == pytest.approx(crossing, abs=1e-4)


@pytest.mark.parametrize("cv", [0.02, 0.06])
def test_step_times_vary_with_the_requested_coefficient_of_variation(cv: float) -> None:
    ratios = []
    for seed in range(6):
        walk = GaitSpeedWalk(distance_m=25.0, out_and_back=True, step_time_cv=cv,
                             variability_seed=seed)
        times = np.array([c.time_s for c in walk.initial_contacts() if not c.closing])
        steps = np.diff(times)
        assert steps.mean() == pytest.approx(60.0 / walk.cadence_steps_per_min, rel=0.02)
        ratios.append(steps.std(ddof=1) / steps.mean() / cv)
    assert np.mean(ratios) == pytest.approx(1.0, abs=0.15)
    # the legs follow the varying rhythm: every contact is still a heel strike at the shank
    walk = GaitSpeedWalk(distance_m=6.0, step_time_cv=cv, variability_seed=1)
    recording = ideal_imu(walk, "shank", side=walk.initial_contacts()[0].side, rate_hz=RATE_HZ)
    lead = [c.time_s for c in walk.initial_contacts()[::2] if not c.closing]
    peaks = [recording.t_s[np.argmax(np.where(np.abs(recording.t_s - t) < 0.05,
                                              recording.acc_m_per_s2[:, 0], -np.inf))]
             for t in lead]
    assert np.abs(np.array(peaks) - lead).max() < 0.02


def test_the_foot_is_flat_in_mid_stance_and_swings_fast() -> None:
    walk = GaitSpeedWalk(distance_m=8.0, walking_speed_m_per_s=1.3, cadence_steps_per_min=112,
                         step_time_cv=0.0)
    recording = ideal_imu(walk, "foot", side="right", rate_hz=RATE_HZ)
    pitch_rate = recording.gyro_rad_per_s[:, 1]
    right = [c.time_s for c in walk.initial_contacts() if c.side.value == "right"]
    stride = 120.0 / 112.0
    for contact in right[1:-2]:
        stance = np.abs(recording.t_s - (contact + 0.25 * stride)) < 0.05 * stride
        swing = (recording.t_s > contact + 0.6 * stride) & (recording.t_s < contact + stride)
        assert np.abs(pitch_rate[stance]).max() < 0.3  # foot flat
        assert np.abs(pitch_rate[swing]).max() > 5.0  # 300-500 °/s in swing
        flat = recording.acc_m_per_s2[stance]
        assert np.linalg.norm(flat, axis=1).mean() == pytest.approx(G, abs=1.5)
