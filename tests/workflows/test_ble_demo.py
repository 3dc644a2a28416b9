"""``physiocap demo --ble-emulated``: the demo visit through the device registry, the
Movesense and Tindeq drivers and bleak's BlueZ backend against the emulated BlueZ, with the
emulated sensors measuring what the simulated participant performs."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from physiocap.cli.main import main
from physiocap.core.clock import VirtualClock
from physiocap.core.device_info import DeviceKind, Placement
from physiocap.core.errors import ConfigurationError
from physiocap.core.records import Side, TestKind, TrialInfo
from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2
from physiocap.devices.ble.emulator.environment import emulation_unavailable_reason
from physiocap.devices.sim.force import Effort, EffortSequence
from physiocap.devices.sim.kinematics.body import sensor_site
from physiocap.devices.sim.kinematics.imu import synthesize
from physiocap.devices.sim.kinematics.static import StaticPose
from physiocap.devices.sim.kinematics.tug import TugScenario
from physiocap.storage import SessionReader
from physiocap.workflows.demo import DEMO_PARTICIPANT, DemoReport, truth_headline
from physiocap.workflows.simulated_patient import SimulatedPatient

UNAVAILABLE = emulation_unavailable_reason()
needs_emulation = pytest.mark.skipif(UNAVAILABLE is not None,
                                     reason=f"emulated Bluetooth unavailable: {UNAVAILABLE}")
SITE = sensor_site(Placement.LOWER_BACK)


# the emulated sensors' measured signals ------------------------------------------------------
@needs_emulation
def test_an_emulated_imu_measures_the_scheduled_movement_and_rests_between() -> None:
    from physiocap.devices.ble.emulator.performed import PerformedMotion

    motion = PerformedMotion(SITE)
    tug = TugScenario(quiet_before_s=1.0)
    motion.perform(tug, 50.0)
    rate_hz = 104.0
    during = 50.0 + np.arange(0.0, tug.duration_s, 1 / rate_hz)
    expected = synthesize(tug, during - 50.0, SITE)
    np.testing.assert_allclose(motion.acc_m_per_s2(during), expected.specific_force, atol=1e-9)
    np.testing.assert_allclose(motion.gyro_rad_per_s(during), expected.angular_velocity,
                               atol=1e-9)
    # at rest, before and after: still (no rotation), and the accelerometer reads gravity
    for rest in (np.arange(40.0, 41.0, 1 / rate_hz), np.arange(70.0, 71.0, 1 / rate_hz)):
        np.testing.assert_allclose(np.linalg.norm(motion.acc_m_per_s2(rest), axis=1),
                                   STANDARD_GRAVITY_M_PER_S2, rtol=1e-9)
        np.testing.assert_allclose(motion.gyro_rad_per_s(rest), 0.0)
        np.testing.assert_allclose(np.linalg.norm(motion.magn_t(rest), axis=1), 48e-6,
                                   rtol=1e-9)
    with pytest.raises(ConfigurationError, match="overlaps"):
        motion.perform(StaticPose(hold_s=5.0), 55.0)
    with pytest.raises(ConfigurationError, match="movement scenarios"):
        motion.perform(EffortSequence((Effort(onset_s=1.0, peak_n=200.0),)), 80.0)


@needs_emulation
def test_an_emulated_dynamometer_measures_the_scheduled_effort_and_nothing_else() -> None:
    from physiocap.devices.ble.emulator.performed import PerformedForce

    force = PerformedForce()
    effort = Effort(onset_s=2.0, peak_n=250.0, time_to_peak_s=0.5, hold_s=3.0)
    sequence = EffortSequence((effort,), lead_out_s=2.0)
    force.perform(sequence, 10.0)
    assert force.force_n(np.array([10.0 + effort.peak_time_s]))[0] == pytest.approx(250.0)
    assert np.all(force.force_n(np.array([5.0, 9.99, 10.0 + sequence.duration_s + 0.1])) == 0)


@needs_emulation
def test_a_scenario_target_places_a_host_start_on_the_device_clock() -> None:
    from physiocap.devices.ble.emulator.firmware.base import DeviceClock
    from physiocap.devices.ble.emulator.performed import EmulatedScenarioTarget, PerformedForce

    async def scenario() -> tuple[float, float, float]:
        device_clock = DeviceClock(boot_s=100.0, time_scale=4.0)
        force = PerformedForce()
        target = EmulatedScenarioTarget(force, device_clock, VirtualClock(start_s=50.0))
        sequence = EffortSequence((Effort(onset_s=1.0, peak_n=100.0),))
        scheduled = target.perform(sequence, 53.0)
        return scheduled.start_s, force.schedule.items[0].start_s, device_clock.now_s()

    host_start_s, device_start_s, device_now_s = asyncio.run(scenario())
    assert host_start_s == 53.0
    assert device_start_s == pytest.approx(device_now_s + 3.0, abs=0.01)


class _Device:
    """A connected non-simulated device as the patient sees it (no perform of its own)."""

    def __init__(self, address: str, kind: DeviceKind) -> None:
        self.address = address
        self.kind = kind
        self.device_id = f"dev-{address}"


class _Recorder:
    def __init__(self) -> None:
        self.scenarios: list[tuple[object, float | None]] = []

    def perform(self, scenario: object, start_s: float | None = None) -> object:
        from physiocap.devices.sim.base import ScheduledScenario

        self.scenarios.append((scenario, start_s))
        return ScheduledScenario(float(start_s or 0.0), scenario)  # type: ignore[arg-type]


def test_the_patient_performs_on_attached_targets_and_ignores_unattached_devices() -> None:
    patient = SimulatedPatient(DEMO_PARTICIPANT, seed=1)
    imu, dyn = _Recorder(), _Recorder()
    patient.attach("A", imu)
    patient.attach("B", dyn)
    devices = [_Device("A", DeviceKind.IMU), _Device("B", DeviceKind.DYNAMOMETER),
               _Device("C", DeviceKind.IMU)]
    tug = patient.perform(TrialInfo("tug-01", TestKind.TUG), devices, 7.0)  # type: ignore[arg-type]
    assert set(tug.scenarios) == {"dev-A"}
    assert isinstance(imu.scenarios[0][0], TugScenario)
    assert imu.scenarios[0][1] == 7.0
    grip = patient.perform(TrialInfo("grip-01", TestKind.GRIP, {"side": "left"}, side=Side.LEFT),
                           devices, 30.0)  # type: ignore[arg-type]
    assert set(grip.scenarios) == {"dev-A", "dev-B"}  # the IMU holds a sitting pose meanwhile
    assert isinstance(dyn.scenarios[0][0], EffortSequence)


# the command line --------------------------------------------------------------------------
def test_without_emulation_the_command_says_why_and_exits_2(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    import physiocap.devices.ble.emulator.environment as environment  # read when run

    monkeypatch.setattr(environment, "emulation_unavailable_reason",
                        lambda: "the emulated Bluetooth needs Linux; this is darwin")
    assert main(["demo", "--ble-emulated", "--out", str(tmp_path)]) == 2
    assert "needs Linux" in capsys.readouterr().out
    assert not any(tmp_path.iterdir())


@needs_emulation
def test_virtual_time_is_refused_for_the_bluetooth_path(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["demo", "--ble-emulated", "--speed", "max", "--out", str(tmp_path)]) == 2
    assert "real time" in capsys.readouterr().out


@needs_emulation
def test_a_failing_visit_leaves_no_bus_daemon_nor_bus_address_behind(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import physiocap.workflows.ble_demo as ble_demo
    from physiocap.devices.ble.emulator.bus import ADDRESS_VARIABLE

    seen: dict[str, str] = {}

    def failing_visit(*args: object, **kwargs: object) -> DemoReport:
        seen["address"] = os.environ[ADDRESS_VARIABLE]
        raise RuntimeError("the visit failed")

    monkeypatch.setenv(ADDRESS_VARIABLE, "unix:path=/nonexistent/previous")
    monkeypatch.setattr(ble_demo, "run_demo", failing_visit)
    with pytest.raises(RuntimeError, match="the visit failed"):
        ble_demo.run_ble_demo(tmp_path)
    assert os.environ[ADDRESS_VARIABLE] == "unix:path=/nonexistent/previous"
    socket_path = Path(seen["address"].removeprefix("unix:path="))
    assert not socket_path.parent.exists()  # the daemon's directory is gone with it
    assert not [thread for thread in threading.enumerate() if thread.name == "emulated-bluez"]


# the whole visit over the emulated BlueZ ----------------------------------------------------
@pytest.fixture(scope="module")
def ble_demo(tmp_path_factory: pytest.TempPathFactory) -> DemoReport:
    if UNAVAILABLE is not None:
        pytest.skip(f"emulated Bluetooth unavailable: {UNAVAILABLE}")
    from physiocap.workflows.ble_demo import run_ble_demo

    return run_ble_demo(tmp_path_factory.mktemp("study"), speed=10.0, seed=2)


def _pairs(demo: DemoReport, test: TestKind, key: str) -> list[tuple[float, float]]:
    outcomes = {outcome.trial_id: outcome for outcome in demo.outcomes}
    pairs = []
    for recorded in demo.trials:
        if recorded.trial.test is test:
            assert recorded.performed is not None
            truth = truth_headline(recorded.performed, recorded.trial.protocol)
            measured = outcomes[recorded.trial.trial_id].headline.get(key)
            assert truth is not None
            assert measured is not None
            pairs.append((float(measured), truth))
    return pairs


@pytest.mark.ble
@pytest.mark.slow
def test_the_short_visit_is_recorded_from_the_bluetooth_devices_without_loss(
        ble_demo: DemoReport) -> None:
    with SessionReader(ble_demo.path) as reader:
        assert reader.completed
        assert not reader.interrupted
        assert [t.info.test for t in reader.trials] == [
            TestKind.TUG, TestKind.GAIT_SPEED, TestKind.GRIP, TestKind.GRIP]
        devices = reader.devices.values()
        assert {(info.driver, info.kind) for info in devices} == {
            ("movesense", DeviceKind.IMU), ("tindeq", DeviceKind.DYNAMOMETER)}
        # the drivers cannot tell an emulator from a device, so the demo says so: an
        # emulated recording must never pass for a patient measurement
        assert all(info.simulated for info in devices)
        assert {info.placement for info in devices if info.driver == "movesense"} == {
            Placement.LOWER_BACK}
        for trial in reader.trials:
            assert reader.gaps(trial.trial_id).size == 0
            for stream in trial.streams:
                expected = trial.duration_s * stream.spec.nominal_rate_hz
                assert stream.n_samples == pytest.approx(expected, rel=0.02, abs=10)


@pytest.mark.ble
@pytest.mark.slow
def test_bluetooth_outcomes_match_what_the_participant_performed(ble_demo: DemoReport) -> None:
    tug = _pairs(ble_demo, TestKind.TUG, "tug_total_time_s")
    grips = _pairs(ble_demo, TestKind.GRIP, "peak_force_n")
    assert len(tug) == 1
    assert len(grips) == 2
    for measured, truth in tug:
        assert measured == pytest.approx(truth, abs=0.1)
    for measured, truth in grips:
        assert measured == pytest.approx(truth, rel=0.01)
    for measured, truth in _pairs(ble_demo, TestKind.GAIT_SPEED, "gait_speed_m_per_s"):
        assert measured == pytest.approx(truth, abs=0.05)
