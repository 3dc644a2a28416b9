"""A simulated participant who performs each test of the battery on the simulated devices.

Real devices do not know what the patient does; simulated ones do. When a trial starts,
:class:`SimulatedPatient` picks the movement or force scenario that fits the trial's test
and protocol variables, varies it from trial to trial around the participant's capacity
(seeded), and schedules it on every simulated driver. The scenario parameters and events
are the ground truth the demo prints and the tests compare the analyses against.

Anything with ``perform(scenario, start_s)`` is a :class:`ScenarioTarget`: a simulated
driver is one itself; a device whose measured signals come from elsewhere (an emulated
Bluetooth sensor) is given one with :meth:`SimulatedPatient.attach`, so the same choice of
scenario drives simulated and emulated devices alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from scipy.optimize import brentq

from physiocap.core.device_info import DeviceKind
from physiocap.core.errors import ConfigurationError
from physiocap.core.records import Participant, Sex, Side, TestKind, TrialInfo
from physiocap.devices.base import Driver
from physiocap.devices.sim.base import Scenario, ScheduledScenario, SimulatedDriver
from physiocap.devices.sim.force import Effort, EffortSequence
from physiocap.devices.sim.kinematics.anthropometry import Anthropometry
from physiocap.devices.sim.kinematics.gait_speed import GaitSpeedWalk
from physiocap.devices.sim.kinematics.locomotion import walkable_speeds_m_per_s
from physiocap.devices.sim.kinematics.sit_to_stand import SitToStandScenario
from physiocap.devices.sim.kinematics.static import StaticPose
from physiocap.devices.sim.kinematics.tug import TugScenario

#: Typical capacities of a woman in her fifties to sixties, used when the participant record
#: does not say otherwise. Grip ≈ 26 kgf: Dodds et al. 2014 (PLoS One 9:e113637) female
#: median at 55-65 y is about 25-27 kg. Knee extension ≈ 2.0 N·m/kg × 65 kg / 0.37 m ≈ 350 N
#: (older-women range 1.40-1.64 and adult-women 2.08-2.74 N·m/kg,
#: [C18e]). Usual walking speed 1.2 m/s and cadence 108 steps/min (Bohannon & Andrews 2011,
#: Physiotherapy 97:182-189, women 50-69 y: 1.24-1.31 m/s).
DEFAULT_GRIP_PEAK_N = 255.0
DEFAULT_KNEE_PEAK_N = 350.0
DEFAULT_WALKING_SPEED_M_PER_S = 1.2
DEFAULT_CADENCE_STEPS_PER_MIN = 108.0
_MALE_STRENGTH_RATIO = 1.55  # Dodds et al. 2014: male/female peak median grip 51/31 kg ≈ 1.6

#: Nobody stops dead on the line: a "stop at the line" instruction still takes this much, m.
MIN_STOPPING_DISTANCE_M = 0.2

#: Quiet time before a movement begins once the trial is started, s (the operator says "go").
REACTION_S = 1.0

#: 1 kilogram-force in newtons (standard gravity).
KGF_N = 9.80665

#: Typical phase durations of the simulated movements, s: the TUG's rise, turn, turn in
#: front of the chair and sit-down (the walking in between follows the walking speed), and
#: one rise and one sit of the sit-to-stand.
TUG_RISE_S, TUG_TURN_S, TUG_SIT_TURN_S, TUG_SIT_DOWN_S = 1.5, 2.0, 1.8, 1.8
STS_RISE_S, STS_SIT_S = 1.0, 1.2

#: The gait-speed protocol of the standard visit (4 m from a standing start): the one
#: whose timed speed a follow-up's asked change is checked against at construction.
STANDARD_GAIT_PROTOCOL: dict[str, Any] = {"distance_m": 4.0, "start_type": "static"}

#: Outcomes whose true capacity a follow-up visit can change, with the unit of the change.
CHANGEABLE_OUTCOMES: dict[str, str] = {
    "gait_speed_m_per_s": "m/s (usual walking speed in the gait-speed test)",
    "tug_total_time_s": "s (TUG time, through the rise, turns and sit-down)",
    "sit_to_stand_time_s": "s (five-times sit-to-stand time, through each rise and sit)",
    "grip_kgf": "kgf (peak grip force of each effort)",
    "knee_extension_peak_force_n": "N (peak knee-extension force of each effort)",
    "knee_extension_left_peak_force_n": "N (the left leg's knee-extension force only)",
    "knee_extension_right_peak_force_n": "N (the right leg's knee-extension force only)",
}


def parse_changes(text: str) -> dict[str, float]:
    """``"gait_speed_m_per_s=+0.15,tug_total_time_s=-2,grip_kgf=+6"`` as a mapping; the
    names are those of :data:`CHANGEABLE_OUTCOMES`."""
    changes: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, number = item.partition("=")
        name = name.strip()
        if not sep or name not in CHANGEABLE_OUTCOMES:
            raise ConfigurationError(
                f"change {item!r}: expected NAME=VALUE with NAME one of "
                f"{', '.join(CHANGEABLE_OUTCOMES)}")
        try:
            changes[name] = float(number)
        except ValueError:
            raise ConfigurationError(f"change {item!r}: {number.strip()!r} is not a number") \
                from None
    return changes


class ScenarioTarget(Protocol):
    """Something a scenario can be performed on from host time ``start_s`` (default now);
    returns the scenario placed on the host timeline (the ground truth)."""

    def perform(self, scenario: Scenario, start_s: float | None = None) -> ScheduledScenario:
        ...


@dataclass(frozen=True, slots=True)
class PerformedTrial:
    """What the simulated patient did in one trial: scheduled scenarios per device."""

    trial_id: str
    test: TestKind
    start_s: float  # host timeline
    duration_s: float
    scenarios: dict[str, ScheduledScenario] = field(default_factory=dict)

    def truth(self) -> dict[str, Any]:
        """Ground truth per device: scenario parameters and event times (s from trial start)."""
        result: dict[str, Any] = {}
        for device_id, scheduled in self.scenarios.items():
            scenario = scheduled.scenario
            offset = scheduled.start_s - self.start_s
            if isinstance(scenario, EffortSequence):
                result[device_id] = {"efforts": [
                    {"onset_s": effort.onset_s + offset, "peak_n": effort.peak_n,
                     "peak_time_s": effort.peak_time_s + offset, "side": str(effort.side)}
                    for effort in scenario.efforts()]}
            else:
                result[device_id] = {"scenario": type(scenario).__name__,
                                     "events_s": {name: t + offset
                                                  for name, t in scenario.events().items()}}
        return result


class SimulatedPatient:
    """Performs trials on simulated drivers; capacities vary per trial by ``variability``.

    ``changes`` (names of :data:`CHANGEABLE_OUTCOMES`) shift the true capacity from the
    baseline one, as a follow-up visit after training or decline would: each is applied to
    its own test only (a faster gait-speed walk leaves the TUG as it was), so every
    simulated change can be checked against its own truth.

    Each change is one of the outcome as the test measures it, not of a model parameter
    underneath. The gait-speed change is that of the *timed* speed (distance ÷ time from
    the first movement to the line): a static start's timed walk includes the
    acceleration from standing (``GaitSpeedWalk.acceleration_duration_s``, the same at
    every speed), so its timed speed is ``d / (t_acc / 2 + d / v)`` for a steady speed
    ``v`` and moves less than ``v`` does (over 4 m a steady speed 0.30 m/s slower was
    0.224 m/s slower timed, read as −0.21 by the analysis). The steady speed is therefore
    solved per protocol so that the timed speed is the baseline one plus the change
    (:meth:`gait_cruise_speed_m_per_s`). The cadence stays as it was, so the step length
    carries the change; the analysis times the walk by the travelled distance, so how a
    change splits between cadence and step length does not enter what it reads.
    """

    def __init__(self, participant: Participant, *, seed: int = 0,
                 walking_speed_m_per_s: float = DEFAULT_WALKING_SPEED_M_PER_S,
                 cadence_steps_per_min: float = DEFAULT_CADENCE_STEPS_PER_MIN,
                 grip_peak_n: float | None = None, knee_peak_n: float | None = None,
                 variability: float = 0.04,
                 changes: Mapping[str, float] | None = None,
                 isometric_peaks_n: Mapping[str, float] | None = None) -> None:
        strength = _MALE_STRENGTH_RATIO if participant.sex is Sex.MALE else 1.0
        changes = dict(changes or {})
        unknown = sorted(set(changes) - set(CHANGEABLE_OUTCOMES))
        if unknown:
            raise ConfigurationError(f"cannot simulate a change of {', '.join(unknown)} "
                                     f"(possible: {', '.join(CHANGEABLE_OUTCOMES)})")
        self.participant = participant
        self.changes = changes
        self.walking_speed_m_per_s = walking_speed_m_per_s
        self.cadence_steps_per_min = cadence_steps_per_min
        self.body = Anthropometry(participant.height_m or 1.65)
        self._cruise_speeds: dict[str, float] = {}
        #: The true timed speed of the standard 4 m walk at this visit (baseline + change).
        self.gait_speed_m_per_s = (
            self._gait_walk(STANDARD_GAIT_PROTOCOL, walking_speed_m_per_s).timed_speed_m_per_s
            + changes.get("gait_speed_m_per_s", 0.0))
        self.grip_peak_n = ((grip_peak_n or DEFAULT_GRIP_PEAK_N * strength)
                            + KGF_N * changes.get("grip_kgf", 0.0))
        self.knee_peak_n = ((knee_peak_n or DEFAULT_KNEE_PEAK_N * strength)
                            + changes.get("knee_extension_peak_force_n", 0.0))
        tug_phases_s = TUG_RISE_S + TUG_TURN_S + TUG_SIT_TURN_S + TUG_SIT_DOWN_S
        self.tug_phase_scale = 1.0 + changes.get("tug_total_time_s", 0.0) / tug_phases_s
        sts_cycle_s = 5 * STS_RISE_S + 4 * STS_SIT_S  # five rises, four sits between them
        self.sts_phase_scale = 1.0 + changes.get("sit_to_stand_time_s", 0.0) / sts_cycle_s
        for name, scale in (("tug_total_time_s", self.tug_phase_scale),
                            ("sit_to_stand_time_s", self.sts_phase_scale)):
            if scale < 0.3:
                raise ConfigurationError(f"a change of {changes[name]:+g} s in {name} leaves "
                                         "too little time for the movement")
        if self.grip_peak_n < 20 or min(self.knee_leg_peak_n(side)
                                        for side in ("left", "right")) < 20:
            raise ConfigurationError("the simulated change leaves a force too small to "
                                     "perform the test (< 20 N)")
        self.gait_cruise_speed_m_per_s(STANDARD_GAIT_PROTOCOL)  # refuses an unwalkable change
        self.variability = variability
        #: True peak force per named isometric test (muscle group), N: no default, since
        #: the sources read give no typical value for most of them.
        self.isometric_peaks_n = dict(isometric_peaks_n or {})
        self._rng = np.random.default_rng(seed)
        self._targets: dict[str, ScenarioTarget] = {}

    def attach(self, address: str, target: ScenarioTarget) -> None:
        """Perform on ``target`` what the driver of the device at ``address`` measures (for
        devices that are not simulated drivers, e.g. emulated Bluetooth sensors)."""
        self._targets[address] = target

    def _target(self, driver: Driver) -> ScenarioTarget | None:
        if isinstance(driver, SimulatedDriver):
            return driver
        return self._targets.get(driver.address)

    def perform(self, trial: TrialInfo, drivers: list[Driver], start_s: float) -> PerformedTrial:
        """Schedule the trial's scenario on every simulated driver (and every attached
        target) from ``start_s`` (host)."""
        movement = self._movement(trial)
        force = self._force(trial)
        scenarios: dict[str, ScheduledScenario] = {}
        for driver in drivers:
            target = self._target(driver)
            scenario = movement if driver.kind is DeviceKind.IMU else force
            if target is not None and scenario is not None:
                scenarios[driver.device_id] = target.perform(scenario, start_s)
        durations = [s.scenario.duration_s for s in scenarios.values()]
        if not durations:
            raise ConfigurationError(f"no simulated device can perform a {trial.test} trial")
        return PerformedTrial(trial.trial_id, trial.test, start_s, max(durations), scenarios)

    def get_ready(self, test: TestKind, drivers: list[Driver], start_s: float,
                  hold_s: float) -> None:
        """Take the test's starting posture from ``start_s`` for ``hold_s`` (before "go"):
        standing for gait speed, seated for everything else."""
        posture = "standing" if test is TestKind.GAIT_SPEED else "sitting"
        for driver in drivers:
            target = self._target(driver)
            if target is not None and driver.kind is DeviceKind.IMU:
                target.perform(StaticPose(posture=posture, hold_s=hold_s, body=self.body),
                               start_s)

    # scenario choice ---------------------------------------------------------------------
    def _vary(self, value: float) -> float:
        return float(value * (1.0 + self.variability * self._rng.standard_normal()))

    def _side(self, choice: str) -> str:
        return choice if choice in ("left", "right") else str(self._rng.choice(["left", "right"]))

    def _movement(self, trial: TrialInfo) -> Any:
        protocol = trial.protocol
        speed = self._vary(self.gait_cruise_speed_m_per_s(protocol)
                           if trial.test is TestKind.GAIT_SPEED else self.walking_speed_m_per_s)
        cadence = self._vary(self.cadence_steps_per_min)
        if trial.test is TestKind.TUG:
            tug = self.tug_phase_scale
            return TugScenario(walking_speed_m_per_s=speed, cadence_steps_per_min=cadence,
                               sit_to_stand_duration_s=TUG_RISE_S * tug,
                               turn_duration_s=TUG_TURN_S * tug,
                               sit_turn_duration_s=TUG_SIT_TURN_S * tug,
                               stand_to_sit_duration_s=TUG_SIT_DOWN_S * tug,
                               walk_distance_m=float(protocol.get("walk_distance_m", 3.0)),
                               chair_height_m=float(protocol.get("chair_height_m", 0.45)),
                               turn_direction=self._side(str(protocol.get("turn_direction", ""))),
                               quiet_before_s=REACTION_S, body=self.body)
        if trial.test is TestKind.GAIT_SPEED:
            return self._gait_walk(protocol, speed, cadence)
        if trial.test is TestKind.SIT_TO_STAND:
            return SitToStandScenario(repetitions=int(protocol.get("rises", 5)),
                                      rise_duration_s=self._vary(STS_RISE_S
                                                                 * self.sts_phase_scale),
                                      sit_duration_s=self._vary(STS_SIT_S
                                                                * self.sts_phase_scale),
                                      chair_height_m=float(protocol.get("chair_height_m", 0.43)),
                                      quiet_before_s=REACTION_S, body=self.body)
        return StaticPose(posture="sitting", hold_s=8.0, body=self.body)

    def _gait_walk(self, protocol: Mapping[str, Any], speed_m_per_s: float,
                   cadence_steps_per_min: float | None = None) -> GaitSpeedWalk:
        """The gait-speed walk a protocol asks for, at a steady ``speed_m_per_s``."""
        return GaitSpeedWalk(distance_m=float(protocol.get("distance_m", 4.0)),
                             walking_speed_m_per_s=speed_m_per_s,
                             cadence_steps_per_min=(cadence_steps_per_min
                                                    or self.cadence_steps_per_min),
                             start=str(protocol.get("start_type", "static")),
                             acceleration_distance_m=float(
                                 protocol.get("acceleration_distance_m", 0.0)),
                             deceleration_distance_m=max(MIN_STOPPING_DISTANCE_M, float(
                                 protocol.get("deceleration_distance_m", 0.0))),
                             out_and_back=protocol.get("course") == "out_and_back",
                             quiet_before_s=REACTION_S, body=self.body)

    def knee_leg_peak_n(self, side: str) -> float:
        """True knee-extension peak of one leg: both legs' capacity plus that leg's change."""
        return self.knee_peak_n + self.changes.get(f"knee_extension_{side}_peak_force_n", 0.0)

    def gait_cruise_speed_m_per_s(self, protocol: Mapping[str, Any]) -> float:
        """The steady walking speed at which ``protocol``'s timed speed is the baseline's
        (at :attr:`walking_speed_m_per_s`) plus the asked change (see the class
        docstring); without a change, the baseline speed itself."""
        change = self.changes.get("gait_speed_m_per_s", 0.0)
        if change == 0.0:
            return self.walking_speed_m_per_s
        key = json.dumps(dict(protocol), sort_keys=True, default=str)
        if key not in self._cruise_speeds:
            target = (self._gait_walk(protocol, self.walking_speed_m_per_s).timed_speed_m_per_s
                      + change)
            low, high = walkable_speeds_m_per_s(self.cadence_steps_per_min)
            if protocol.get("start_type") == "dynamic":  # the run-up must cover the ramp
                high = min(high, 2.0 * float(protocol.get("acceleration_distance_m", 0.0))
                           / GaitSpeedWalk.acceleration_duration_s)

            def excess(speed: float) -> float:
                return self._gait_walk(protocol, speed).timed_speed_m_per_s - target

            if not excess(low) < 0.0 < excess(high):
                raise ConfigurationError(
                    f"a gait-speed change of {change:+g} m/s asks for a timed speed of "
                    f"{target:.2f} m/s, which this protocol cannot be walked at "
                    f"(steady speeds {low:.2f}-{high:.2f} m/s at "
                    f"{self.cadence_steps_per_min:g} steps/min)")
            self._cruise_speeds[key] = float(brentq(excess, low, high, xtol=1e-6))
        return self._cruise_speeds[key]

    def _force(self, trial: TrialInfo) -> EffortSequence | None:
        side = Side(self._side(str(trial.side or trial.protocol.get("side", ""))))
        if trial.test is TestKind.GRIP:
            hold_s = float(trial.protocol.get("hold_s", 3.0))
            effort = Effort(onset_s=REACTION_S + 1.0, peak_n=self._vary(self.grip_peak_n),
                            time_to_peak_s=self._vary(0.45), hold_s=hold_s, side=side,
                            repetition=trial.repetition)
        elif trial.test is TestKind.ISOMETRIC:
            muscle_group = str(trial.protocol.get("muscle_group", ""))
            if muscle_group not in self.isometric_peaks_n:
                raise ConfigurationError(
                    f"the simulated patient has no capacity for the isometric test "
                    f"{muscle_group!r}: give it in isometric_peaks_n")
            effort = Effort(onset_s=REACTION_S + 1.0,
                            peak_n=self._vary(self.isometric_peaks_n[muscle_group]),
                            time_to_peak_s=self._vary(0.6), hold_s=3.0, side=side,
                            repetition=trial.repetition)
        elif trial.test is TestKind.KNEE_EXTENSION:
            is_break = trial.protocol.get("method") == "break"
            effort = Effort(onset_s=REACTION_S + 1.0,
                            peak_n=self._vary(self.knee_leg_peak_n(str(side))),
                            time_to_peak_s=self._vary(1.0 if is_break else 0.6), hold_s=3.0,
                            rise_shape=2.0 if is_break else 4.0,
                            break_drop_fraction=0.6 if is_break else None, side=side,
                            repetition=trial.repetition)
        else:
            return None
        return EffortSequence((effort,), lead_out_s=2.0)
