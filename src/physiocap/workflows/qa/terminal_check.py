"""A calibration check of any registered device, walked through in a terminal.

``physiocap qa dyn|imu --device DRIVER`` uses it for real devices (and for simulated ones
with ``--guided``): the same :class:`~physiocap.workflows.qa.session.QaCheckSession` as
the GUI's QA screen, with the terminal as the screen. The device is found through the
driver's discovery (as ``physiocap devices scan`` finds it) unless an address is given,
connected and streaming; then for each step the instruction is printed ("Lay the device
flat on the table, top face up, …"), the operator presses Enter when ready, and the hold
counts down with live feedback on one line (✓/✗, what the device reads). A step that was
not held still or not as asked is refused at once with the reason and what to do, and
the operator repeats it (the evaluation uses a step's last recording) or aborts. At the
end the recording is evaluated and registered.

With a simulated device a simulated operator puts the device in each pose or hangs each
mass when Enter is pressed, so the walk-through can be tried, and tested, without
hardware.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from physiocap.capture.engine import CaptureEngine, CaptureSettings
from physiocap.core.clock import Clock, RealClock
from physiocap.core.device_info import DeviceKind
from physiocap.core.errors import ConfigurationError, DeviceNotFoundError
from physiocap.devices import registry
from physiocap.devices.base import Driver
from physiocap.devices.sim.faults import FaultConfig
from physiocap.workflows.qa.procedures import QaProcedure, QaStep
from physiocap.workflows.qa.session import QaCheckSession, QaOutcome
from physiocap.workflows.qa.simulated import SimulatedOperator, make_simulated_device

#: Live feedback refresh during a hold, s of the engine's clock.
TICK_S = 0.5
#: Without a terminal (output to a file or pipe) the feedback line is printed this often, s.
LOG_EVERY_S = 10.0
#: Discovery when no address is given, s (as ``physiocap devices scan``).
SCAN_TIMEOUT_S = 5.0
#: Streaming before the first step, s (the clock mapping and ring buffers fill).
WARM_UP_S = 3.0
#: A simulated operator holds each pose or mass this much longer than the step, s.
SIM_HOLD_MARGIN_S = 3.0

#: The simulated drivers, whose steps a simulated operator does.
SIMULATED_DRIVERS = ("sim-dyn", "sim-imu")

_KIND_OF_CHECK = {"dynamometer": DeviceKind.DYNAMOMETER, "imu": DeviceKind.IMU}


class CheckAbandoned(Exception):  # noqa: N818 — an outcome, not a fault
    """The operator aborted the check (or the input ended); the recording is kept."""

    def __init__(self, path: Path | None) -> None:
        super().__init__(f"check abandoned; its recording {path} is kept but not registered")
        self.path = path


@dataclass(frozen=True, slots=True)
class TerminalCheck:
    """Walks one operator through one check (see the module docstring)."""

    stdin: TextIO
    out: TextIO
    operator_sim: SimulatedOperator | None = None

    async def run_async(self, session: QaCheckSession) -> Path:
        """Every step of ``session``'s procedure, then the closed recording (on the loop)."""
        clock = session.engine.clock
        await session.open_async()
        steps = session.procedure.steps
        index = 0
        sim_busy_until = -math.inf
        while index < len(steps):
            step = steps[index]
            self._say(f"\nStep {index + 1} of {len(steps)} ({step.key}): {step.instruction}.")
            if self.operator_sim is not None:
                self._say("  (simulated device: a simulated operator does this when you "
                          "press Enter)")
            await self._ask(session, "  Press Enter when ready (a + Enter aborts): ")
            if self.operator_sim is not None:  # after the previous hold and its margin
                held = replace(step, hold_s=step.hold_s + SIM_HOLD_MARGIN_S)
                ready = self.operator_sim.prepare(held, max(clock.now(), sim_busy_until))
                # + a microsecond: the sum may round below the scenario's own end
                sim_busy_until = ready + held.hold_s + 1e-6
                await clock.sleep_until(ready)
            await session.begin_step_async(step)
            await self._hold(session, step, clock)
            await session.end_step_async(step)
            refusal = session.step_refusal(step)
            if refusal is None:
                self._say(f"  ✓ step {step.key} recorded")
                index += 1
                continue
            self._say(f"  ✗ step {step.key} refused: {refusal.reason}")
            self._say(f"    what to do: {refusal.remedy}")
            await self._ask(session, "  Press Enter to repeat the step (a + Enter aborts): ")
        return await session.close_async()

    async def _ask(self, session: QaCheckSession, prompt: str) -> None:
        self.out.write(prompt)
        self.out.flush()
        answer = await _read_line(self.stdin)
        if not self.out.isatty():
            self.out.write("\n")
        if not answer or answer.strip().lower() in ("a", "abort", "q"):
            await session.close_async()
            raise CheckAbandoned(session.path)

    async def _hold(self, session: QaCheckSession, step: QaStep, clock: Clock) -> None:
        start = clock.now()
        end = start + step.hold_s
        live = self.out.isatty()
        logged_at = -math.inf
        while True:
            now = clock.now()
            feedback = session.feedback(step)
            line = (f"  {'✓' if feedback.ok else '✗'} {feedback.message} — "
                    f"{max(0.0, math.ceil(end - now)):.0f} s left")
            if live:
                self.out.write(f"\r{line:<100.100}")
                self.out.flush()
            elif now - logged_at >= LOG_EVERY_S or now >= end:
                self._say(line)
                logged_at = now
            if now >= end:
                break
            await clock.sleep_until(min(now + TICK_S, end))
        if live:
            self.out.write("\n")

    def _say(self, text: str) -> None:
        print(text, file=self.out, flush=True)


async def _read_line(stream: TextIO) -> str:
    """One line of ``stream`` without blocking the engine's loop (Bluetooth keeps being
    served); read on a daemon thread, so Ctrl+C while waiting does not wait for Enter."""
    loop = asyncio.get_running_loop()
    line: asyncio.Future[str] = loop.create_future()

    def read() -> None:
        try:
            text = stream.readline()
        except (OSError, ValueError):  # closed or unreadable input: as if it ended
            text = ""
        loop.call_soon_threadsafe(lambda: line.done() or line.set_result(text))

    threading.Thread(target=read, name="qa-operator-input", daemon=True).start()
    return await line


def _driver_class(driver_name: str, check_kind: str) -> type[Driver]:
    cls = registry.load(driver_name)
    wanted = _KIND_OF_CHECK[check_kind]
    if cls.kind is not wanted:
        raise ConfigurationError(f"{driver_name} drives a device of kind {cls.kind.value}; "
                                 f"the {check_kind} check needs one of kind {wanted.value}")
    return cls


async def connect_driver_async(engine: CaptureEngine, driver_name: str, address: str,
                               check_kind: str, *,
                               scan_timeout_s: float = SCAN_TIMEOUT_S) -> Driver:
    """Find (by discovery, unless ``address`` is given), connect and start streaming one
    device of ``driver_name``; raises a clear error when the driver cannot do this kind
    of check or no such device is in range."""
    cls = _driver_class(driver_name, check_kind)
    if not address:
        found = await cls.discover(timeout_s=scan_timeout_s, clock=engine.clock)
        if not found:
            raise DeviceNotFoundError(
                f"no {driver_name} device found in {scan_timeout_s:g} s: switch it on, bring "
                "it within a few metres (see 'physiocap devices scan'), or give --address")
        address = found[0].address
    return await start_driver_async(engine, cls(address, clock=engine.clock))


async def start_driver_async(engine: CaptureEngine, driver: Driver) -> Driver:
    """Connect ``driver`` on ``engine``, stream its default streams, let them warm up."""
    device_id = await engine.add_device_async(driver)
    await engine.start_streaming_async(device_id)
    await engine.clock.sleep_until(engine.clock.now() + WARM_UP_S)
    return driver


def run_terminal_check(study_dir: Path | str, procedure: QaProcedure, driver_name: str, *,
                       stdin: TextIO, out: TextIO, address: str = "",
                       clock: Clock | None = None, operator: str = "", seed: int = 0,
                       sim_options: Mapping[str, Any] | None = None,
                       faults: FaultConfig | None = None) -> QaOutcome:
    """A whole guided check of a ``driver_name`` device: connect, walk the operator
    through, evaluate, register. A simulated driver (``sim-dyn``, ``sim-imu``) is built
    with the calibration errors of ``sim_options`` and ``faults``, and a simulated
    operator does each step when Enter is pressed."""
    simulated = driver_name in SIMULATED_DRIVERS
    _driver_class(driver_name, procedure.kind)
    longest_s = max(step.hold_s for step in procedure.steps) + SIM_HOLD_MARGIN_S + 5.0
    settings = CaptureSettings(ring_seconds=max(CaptureSettings().ring_seconds, longest_s))
    with CaptureEngine(clock or RealClock(), settings=settings) as engine:
        operator_sim = None
        if simulated:
            sim = make_simulated_device(procedure.kind, engine.clock, address=address,
                                        seed=seed, options=sim_options, faults=faults)
            operator_sim = SimulatedOperator(sim, seed=seed)
            driver: Driver = engine.run(start_driver_async(engine, sim))
        else:
            driver = engine.run(connect_driver_async(engine, driver_name, address,
                                                     procedure.kind))
        info = driver.info
        print(f"Connected {info.model or info.driver} {info.serial or info.device_id} "
              f"({driver.address}).", file=out, flush=True)
        session = QaCheckSession(engine, driver, study_dir, procedure, operator=operator)
        # on an error or Ctrl+C the engine's shutdown closes the recording (kept, not
        # registered) and disconnects the device
        engine.run(TerminalCheck(stdin, out, operator_sim).run_async(session))
    print("All steps recorded; evaluating the check…", file=out, flush=True)
    return session.register()
