"""The Device QA screen walks a check of a simulated dynamometer step by step, evaluates
it, registers it and writes its certificate; the Devices screen then warns about a device
of the study that was never checked.

Truth: the procedure asked for (its steps, in order), the simulated device (no injected
calibration error, so the check passes), and the study's calibration registry on disk.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from physiocap.capture.events import DeviceState
from physiocap.core.device_info import Placement
from physiocap.gui.app import PhysiocapWindow
from physiocap.storage import SessionReader
from physiocap.storage.calibration_registry import CalibrationRegistry
from physiocap.workflows.qa.procedures import dynamometer_procedure

pytestmark = [pytest.mark.gui, pytest.mark.slow]

MASSES_KG = (5.0, 10.0, 20.0)


def _connect(window: PhysiocapWindow, qtbot: object, prefix: str, role: Placement) -> None:
    screen = window.devices_screen
    count = len(window.devices.devices)
    screen.connect_row(screen.find_row(prefix), role)
    qtbot.waitUntil(lambda: len(window.devices.devices) == count + 1,  # type: ignore[attr-defined]
                    timeout=5000)


def test_qa_screen_guides_evaluates_and_registers_a_dynamometer_check(
        fast_window: PhysiocapWindow, qtbot: object, tmp_path: Path) -> None:
    window = fast_window
    window.devices_screen.scan()
    qtbot.waitUntil(lambda: window.devices_screen.find_row("SIM-IMU") >= 0,  # type: ignore[attr-defined]
                    timeout=5000)
    _connect(window, qtbot, "SIM-DYN", Placement.GRIP_DYNAMOMETER)
    _connect(window, qtbot, "SIM-IMU", Placement.LOWER_BACK)
    dynamometer = window.devices.dynamometers()[0]
    screen = window.qa_screen
    window.show_screen(screen)
    screen.choose_device(dynamometer.device_id)
    form = screen.form
    form.masses.setText(", ".join(f"{m:g}" for m in MASSES_KG))
    form.cycles.setValue(1)
    form.load_hold.setValue(5)
    form.creep_hold.setValue(10)
    screen.operator.setText("QA-07")
    steps = dynamometer_procedure(MASSES_KG, cycles=1, hold_s=5, creep_hold_s=10).steps
    expected = [step.key for step in steps]

    screen.begin()
    qtbot.waitUntil(lambda: screen.session is not None, timeout=10000)  # type: ignore[attr-defined]
    assert [screen.steps.item(row).toolTip().split(":")[0] for row in
            range(screen.steps.count())] == [f"step {key}" for key in expected]
    assert [screen.steps.item(row).text()[3:] for row in range(4)] == \
        ["no load", "hang 5 kg (cycle 1)", "hang 10 kg (cycle 1)", "hang 20 kg (cycle 1)"]
    assert "Hang nothing" in screen.instruction.text()  # the first step says what to do
    seen_feedback: set[str] = set()

    def finished() -> bool:
        seen_feedback.add(screen.feedback.text())
        return screen.outcome is not None

    qtbot.waitUntil(finished, timeout=120000)  # type: ignore[attr-defined]
    assert any("reads" in text for text in seen_feedback)  # live feedback was shown
    outcome = screen.outcome
    assert outcome.verdict == "pass", outcome.entry.failures
    assert screen.verdict.text() == "PASS"
    registry = CalibrationRegistry(window.state.study.root)
    (entry,) = registry.checks(outcome.entry.serial)
    assert (entry.check_id, entry.operator) == (outcome.entry.check_id, "QA-07")
    assert [s["key"] for s in entry.procedure["steps"]] == expected
    # the IMU kept streaming into the check's file; the dynamometer the check names was
    # evaluated
    assert outcome.evaluation.device.device_id == dynamometer.device_id
    with SessionReader(outcome.path) as reader:
        recorded = {stream.device_id for trial in reader.trials for stream in trial.streams}
    assert recorded == set(window.devices.devices)
    qtbot.waitUntil(lambda: all(d.state is DeviceState.STREAMING  # type: ignore[attr-defined]
                                for d in window.devices.devices.values()), timeout=5000)

    target = tmp_path / "certificate.pdf"
    with qtbot.waitSignal(screen.certificate_written, timeout=30000):  # type: ignore[attr-defined]
        screen.write_certificate_to(target)
    assert target.read_bytes().startswith(b"%PDF")

    window.show_screen(window.devices_screen)
    warning = window.devices_screen.calibration.text()
    imu_serial = window.devices.imus()[0].info.serial or window.devices.imus()[0].device_id
    assert f"{imu_serial}: no calibration check on record" in warning
    assert outcome.entry.serial not in warning


def _begin(window: PhysiocapWindow, qtbot: object, prefix: str, role: Placement) -> None:
    window.devices_screen.scan()
    qtbot.waitUntil(lambda: window.devices_screen.find_row(prefix) >= 0,  # type: ignore[attr-defined]
                    timeout=5000)
    _connect(window, qtbot, prefix, role)
    screen = window.qa_screen
    window.show_screen(screen)
    screen.choose_device(next(iter(window.devices.devices)))


def test_imu_steps_say_how_to_lay_the_device_and_feedback_sees_the_pose(
        fast_window: PhysiocapWindow, qtbot: object) -> None:
    window = fast_window
    _begin(window, qtbot, "SIM-IMU", Placement.LOWER_BACK)
    screen = window.qa_screen
    screen.form.pose_hold.setValue(5)
    screen.begin()
    qtbot.waitUntil(lambda: screen.session is not None, timeout=10000)  # type: ignore[attr-defined]
    assert "flat on the table, top face up" in screen.instruction.text()
    assert "keep still" in screen.instruction.text()
    # the simulated operator lays it face up (the step's truth): the feedback sees it
    qtbot.waitUntil(lambda: "z up detected, still" in screen.feedback.text(),  # type: ignore[attr-defined]
                    timeout=20000)
    qtbot.waitUntil(lambda: screen.step_index == 1, timeout=30000)  # type: ignore[attr-defined]
    assert "top face down" in screen.instruction.text()
    qtbot.waitUntil(lambda: "z down detected, still" in screen.feedback.text(),  # type: ignore[attr-defined]
                    timeout=20000)
    qtbot.waitUntil(lambda: not screen.busy, timeout=5000)  # type: ignore[attr-defined]
    screen.abandon()
    qtbot.waitUntil(lambda: screen.session is None, timeout=10000)  # type: ignore[attr-defined]
    assert not CalibrationRegistry(window.state.study.root).exists() or \
        not CalibrationRegistry(window.state.study.root).serials()  # abandoned: not registered


def test_a_swinging_mass_is_refused_with_the_reason(fast_window: PhysiocapWindow,
                                                   qtbot: object) -> None:
    window = fast_window
    _begin(window, qtbot, "SIM-DYN", Placement.GRIP_DYNAMOMETER)
    screen = window.qa_screen
    form = screen.form
    form.masses.setText(", ".join(f"{m:g}" for m in MASSES_KG))
    form.cycles.setValue(1)
    form.load_hold.setValue(5)
    form.creep_hold.setValue(10)
    screen.begin()
    qtbot.waitUntil(lambda: screen.operator_sim is not None, timeout=10000)  # type: ignore[attr-defined]
    screen.operator_sim.mistakes = {"c1-load-10kg": "swing"}  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: screen.outcome is not None, timeout=120000)  # type: ignore[attr-defined]
    assert screen.outcome.verdict == "refused"
    assert screen.verdict.text().startswith("REFUSED")
    assert "hang 10 kg (cycle 1)" in screen.summary.text()  # names the step done wrongly
