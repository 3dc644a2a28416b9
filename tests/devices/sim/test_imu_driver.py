"""sim-imu streams a Movesense-like IMU whose signals carry the scenario's ground truth."""

from __future__ import annotations

import time

import numpy as np
import pytest
from tests.devices.sim.sim_imu_harness import run_imu

from physiocap.core.clock import VirtualClock
from physiocap.core.device_info import Placement
from physiocap.core.errors import ConfigurationError
from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2 as G
from physiocap.devices import registry
from physiocap.devices.sim.faults import FaultConfig
from physiocap.devices.sim.imu_driver import SimImuDriver
from physiocap.devices.sim.kinematics import GaitSpeedWalk, StaticPose, TugScenario


def test_registry_name_loads_this_driver() -> None:
    assert registry.load("sim-imu") is SimImuDriver


def test_streams_are_int16_counts_with_lsm6dsl_scales() -> None:
    driver = SimImuDriver("SIM-IMU-0001", clock=VirtualClock(), mag=True, rate_hz=104.0)
    specs = {spec.name: spec for spec in driver.available_streams()}
    assert set(specs) == {"acc", "gyro", "mag"}
    assert specs["acc"].dtype == "int16"
    assert specs["acc"].units == ("m/s^2",) * 3
    assert specs["acc"].scale == pytest.approx((0.488e-3 * G,) * 3)
    assert specs["gyro"].scale == pytest.approx((np.radians(0.070),) * 3)
    assert specs["gyro"].units == ("rad/s",) * 3
    assert specs["mag"].units == ("T",) * 3
    assert all(spec.nominal_rate_hz == 104.0 for spec in specs.values())


@pytest.mark.parametrize("options", [{"rate_hz": 49.0}, {"rate_hz": 401.0},
                                     {"placement": "grip_dynamometer"}, {"placement": "elbow"},
                                     {"mounting": "sideways"}, {"mounting": np.diag([1, 1, -1])},
                                     {"speed": 3}])
def test_bad_options_are_configuration_errors(options: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        SimImuDriver("SIM-IMU-0001", clock=VirtualClock(), **options)


def test_only_movement_scenarios_can_be_performed() -> None:
    driver = SimImuDriver("SIM-IMU-0001", clock=VirtualClock())
    with pytest.raises(ConfigurationError, match="movement"):
        driver.perform(object())  # type: ignore[arg-type]


def test_at_rest_acc_reads_gravity_plus_this_units_bias() -> None:
    result = run_imu((StaticPose("standing", hold_s=5.0),), placement="lower_back")
    _, acc = result.si("acc")
    _, gyro = result.si("gyro")
    bias = result.driver.acc_bias_m_per_s2
    mean = acc.mean(axis=0)
    assert mean == pytest.approx(np.array([G, 0.0, 0.0]) + bias, abs=0.005)
    assert abs(np.linalg.norm(mean) - G) <= np.linalg.norm(bias) + 0.005
    assert gyro.mean(axis=0) == pytest.approx(result.driver.gyro_bias_rad_per_s, abs=0.002)
    assert acc.std(axis=0).max() < 0.02  # white noise of a MEMS IMU at rest: a few mg


def test_upside_down_mounting_flips_gravity() -> None:
    upright = run_imu((StaticPose(hold_s=1.0),), placement="thigh").si("acc")[1].mean(axis=0)
    inverted = run_imu((StaticPose(hold_s=1.0),), placement="thigh",
                       mounting="upside_down").si("acc")[1].mean(axis=0)
    assert upright[1] > 9.0
    assert inverted[1] < -9.0


def test_magnetometer_reads_the_earth_field_and_turns_with_the_body() -> None:
    facing_north = run_imu((StaticPose(hold_s=1.0),), mag=True).si("mag")[1].mean(axis=0)
    facing_east = run_imu((StaticPose(hold_s=1.0, heading_deg=-90.0),),
                          mag=True).si("mag")[1].mean(axis=0)
    field = np.linalg.norm(facing_north - 0)  # includes the unit's hard-iron offset
    assert 30e-6 < field < 70e-6
    assert not np.allclose(facing_north, facing_east, atol=5e-6)


def test_a_thirty_second_tug_streams_in_well_under_a_second() -> None:
    tug = TugScenario(walking_speed_m_per_s=0.45, cadence_steps_per_min=75.0,
                      turn_duration_s=3.0, sit_turn_duration_s=3.0, stand_to_sit_duration_s=2.5,
                      quiet_before_s=3.0, quiet_after_s=3.0)
    assert 28.0 < tug.duration_s < 32.0
    wall = time.perf_counter()
    result = run_imu((tug,), placement="thigh", mag=True)
    assert time.perf_counter() - wall < 1.0
    expected = (tug.duration_s + 2.0) * 100.0
    assert len(result.si("acc")[1]) == pytest.approx(expected, rel=0.02)


def test_same_seed_same_samples_other_seed_other_unit() -> None:
    scenario = (GaitSpeedWalk(distance_m=2.0),)
    first, again = run_imu(scenario, seed=3), run_imu(scenario, seed=3)
    other = run_imu(scenario, seed=4)
    assert np.array_equal(first.si("acc")[1], again.si("acc")[1])
    assert [b.host_time_s for b in first.blocks] == [b.host_time_s for b in again.blocks]
    assert not np.allclose(first.driver.acc_bias_m_per_s2, other.driver.acc_bias_m_per_s2)


def test_packets_carry_eight_samples_and_wrapping_millisecond_stamps() -> None:
    result = run_imu((StaticPose(hold_s=3.0),), device_clock_start_s=2**32 / 1000.0 - 1.0)
    acc_blocks = result.stream_blocks("acc")
    assert {b.n_samples for b in acc_blocks} == {8}
    raw = np.array([b.device_time_raw for b in acc_blocks], dtype=np.int64)
    assert np.count_nonzero(np.diff(raw) < 0) == 1  # wrapped once, mid-recording
    assert np.all(np.diff([b.sequence for b in acc_blocks]) == 1)


def test_tug_turns_integrate_to_half_turns_on_the_noisy_device() -> None:
    tug = TugScenario(turn_direction="right", sit_turn_direction="right")
    result = run_imu((tug,), placement="lower_back", lead_s=2.0)
    times = result.host_sample_times("gyro")
    _, gyro = result.si("gyro")
    start = result.scheduled[0].start_s
    at_rest = times < start
    vertical = gyro[:, 0] - gyro[at_rest, 0].mean()  # standing: sensor x is up
    events = tug.events()
    walking = (times >= start + events["sit_to_stand_end"]) & (times < start + events["turn2_end"])
    turned = np.degrees(np.sum(vertical[walking]) / 100.0)
    assert turned == pytest.approx(-360.0, abs=6.0)


def test_walking_cadence_is_the_dominant_vertical_frequency_on_the_device() -> None:
    walk = GaitSpeedWalk(distance_m=15.0, walking_speed_m_per_s=1.25,
                         cadence_steps_per_min=115.0, deceleration_distance_m=1.0)
    result = run_imu((walk,), placement="lower_back", rate_hz=100.0,
                     faults=FaultConfig(clock_drift_ppm=40.0))
    times = result.host_sample_times("acc")
    _, acc = result.si("acc")
    events = walk.events()
    start = result.scheduled[0].start_s
    steady = (times > start + events["trial_start"] + 2.0) & (times < start + events["trial_end"])
    vertical = acc[steady, 0] - acc[steady, 0].mean()
    spectrum = np.abs(np.fft.rfft(vertical * np.hanning(len(vertical)), 8 * len(vertical)))
    frequency = np.fft.rfftfreq(8 * len(vertical), 0.01)
    band = (frequency > 0.5) & (frequency < 4.0)
    assert frequency[band][np.argmax(spectrum[band])] == pytest.approx(115.0 / 60.0, abs=0.05)


def test_rest_between_scenarios_holds_the_last_pose() -> None:
    sitting, standing = StaticPose("sitting", hold_s=1.0), StaticPose("standing", hold_s=1.0)
    result = run_imu((sitting, standing), placement="thigh", gap_s=2.0)
    times = result.host_sample_times("acc")
    _, acc = result.si("acc")
    first, second = result.scheduled
    gap = (times > first.end_s + 0.2) & (times < second.start_s - 0.2)
    assert acc[gap, 2].mean() > 9.0  # still seated: the front of the thigh faces up
    assert np.all(acc[times > second.start_s + 0.1, 1] > 9.0)  # standing: long axis up


def test_an_unspecified_role_is_rendered_at_the_lower_back_and_reported_as_given() -> None:
    driver = SimImuDriver("SIM-IMU-0003", clock=VirtualClock())
    assert driver.site.placement is Placement.LOWER_BACK
    assert driver._make_info().placement is Placement.UNSPECIFIED


@pytest.mark.parametrize("placement", [Placement.WRIST, "shank"])
def test_limb_placements_report_side_and_placement(placement: Placement | str) -> None:
    driver = SimImuDriver("SIM-IMU-0002", clock=VirtualClock(), placement=placement,
                          side="right")
    assert driver.site.side.value == "right"
    assert driver._make_info().placement == Placement(placement)
    assert driver._make_info().side == "right"
