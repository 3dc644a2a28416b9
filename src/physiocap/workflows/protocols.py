"""The test battery: each test's protocol variables, their defaults, and patient instructions.

A change of protocol moves results by about one MCID (dynamic vs
static start +0.06 m/s, Lindholm et al. [C15a]; chair height and turn direction change TUG
time [C13c]), so every variable is stored with each trial and trends never mix protocols.
The GUI builds its protocol forms from these definitions; the demo uses the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from physiocap.core.errors import ConfigurationError
from physiocap.core.records import ISOMETRIC_MUSCLE_GROUPS, Side, TestKind


@dataclass(frozen=True, slots=True)
class ProtocolVariable:
    """One protocol variable: a number with unit and range, or a choice among options."""

    name: str
    label: str
    default: Any
    unit: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    def validate(self, value: Any) -> Any:
        if self.choices:
            if value not in self.choices:
                raise ConfigurationError(f"{self.label}: {value!r} is not one of {self.choices}")
            return value
        if value is None and self.default is None:
            return None  # an optional measurement that was not taken
        if isinstance(self.default, bool):
            if not isinstance(value, bool):
                raise ConfigurationError(f"{self.label}: expected yes/no, got {value!r}")
            return value
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConfigurationError(f"{self.label}: {value!r} is not a number") from None
        if (self.minimum is not None and number < self.minimum) or (
                self.maximum is not None and number > self.maximum):
            raise ConfigurationError(f"{self.label}: {number} {self.unit} is outside "
                                     f"{self.minimum}-{self.maximum} {self.unit}")
        return number


@dataclass(frozen=True, slots=True)
class TestProtocol:
    """A test of the battery: its variables, instructions and their source."""

    __test__ = False  # not a pytest test class

    test: TestKind
    title: str
    variables: tuple[ProtocolVariable, ...]
    instructions: str
    source: str
    default_repetitions: int = 1

    def defaults(self) -> dict[str, Any]:
        return {variable.name: variable.default for variable in self.variables}

    def resolve(self, values: dict[str, Any] | None = None) -> dict[str, Any]:
        """Defaults overlaid with ``values``, each validated; unknown names are an error."""
        values = values or {}
        known = {variable.name: variable for variable in self.variables}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigurationError(f"{self.title}: unknown protocol variable(s) {unknown}")
        return {name: variable.validate(values.get(name, variable.default))
                for name, variable in known.items()}


_CHAIR_HEIGHT = ProtocolVariable("chair_height_m", "Chair seat height", 0.43, "m", minimum=0.30,
                                 maximum=0.60)
_WALKING_AID = ProtocolVariable("walking_aid", "Walking aid", "none",
                                choices=("none", "cane", "crutches", "walker", "other"))
_PACE = ProtocolVariable("pace", "Pace instruction", "comfortable",
                         choices=("comfortable", "fast"))
_FIXATION = ProtocolVariable("device_fixation", "IMU fixation", "belt",
                             choices=("belt", "clip", "pocket", "strap", "tape"))
_SIDE = ProtocolVariable("side", "Side", "right", choices=("left", "right"))

TUG = TestProtocol(
    TestKind.TUG, "Timed Up and Go",
    (_CHAIR_HEIGHT,
     ProtocolVariable("armrests", "Chair has armrests", True),
     ProtocolVariable("walk_distance_m", "Distance to the line", 3.0, "m", minimum=2.0,
                      maximum=10.0),
     _WALKING_AID, _PACE,
     ProtocolVariable("turn_direction", "Turn direction", "self-selected",
                      choices=("self-selected", "left", "right")),
     _FIXATION),
    instructions=("Sit with your back against the chair. On the word GO, stand up, walk at "
                  "your regular pace to the line on the floor, turn around, walk back and sit "
                  "down again. You may use your usual walking aid."),
    source="Podsiadlo & Richardson 1991, J Am Geriatr Soc 39:142-148 [C12]; "
           "instructions as in [C13a]",
    default_repetitions=3,
)

GAIT_SPEED = TestProtocol(
    TestKind.GAIT_SPEED, "Gait speed",
    (ProtocolVariable("distance_m", "Timed distance", 4.0, "m", minimum=2.0, maximum=30.0),
     ProtocolVariable("start_type", "Start", "static", choices=("static", "dynamic")),
     ProtocolVariable("acceleration_distance_m", "Untimed lead-in (dynamic start)", 0.0, "m",
                      minimum=0.0, maximum=5.0),
     ProtocolVariable("deceleration_distance_m", "Untimed lead-out", 0.0, "m", minimum=0.0,
                      maximum=5.0),
     ProtocolVariable("course", "Course", "straight", choices=("straight", "out_and_back")),
     ProtocolVariable("sensor_height_m", "Measured sensor height (optional)", None,
                      "m", minimum=0.4, maximum=1.5),
     _WALKING_AID, _PACE, _FIXATION),
    instructions=("Walk at your usual, comfortable pace until you pass the end line. "
                  "Do not slow down before the line."),
    source="SPPB 4 m usual-pace walk [C16]; 10 m walk test timing the middle 6 m [C14a]; "
           "NINDS CDE on start type [C14c]",
    default_repetitions=2,
)

SIT_TO_STAND = TestProtocol(
    TestKind.SIT_TO_STAND, "Five-times sit-to-stand",
    (_CHAIR_HEIGHT,
     ProtocolVariable("rises", "Rises", 5.0, minimum=1, maximum=10),
     ProtocolVariable("arms_folded", "Arms folded across the chest", True),
     _FIXATION),
    instructions=("Fold your arms across your chest. Stand up straight and sit down again "
                  "five times, as quickly as you can, without using your arms."),
    source="EWGSOP2 chair-stand test (Cruz-Jentoft et al. 2019) [C1], [C17]",
)

GRIP = TestProtocol(
    TestKind.GRIP, "Grip strength",
    (ProtocolVariable("protocol", "Protocol", "southampton", choices=("asht", "southampton")),
     _SIDE,
     ProtocolVariable("handle_position", "Handle position", 2.0, minimum=1, maximum=5),
     ProtocolVariable("posture", "Posture", "seated_armrests",
                      choices=("seated_armrests", "seated_no_armrests", "standing")),
     ProtocolVariable("hold_s", "Requested hold", 3.0, "s", minimum=1.0, maximum=60.0)),
    instructions=("Rest your forearm on the arm of the chair with your wrist just over the "
                  "end, thumb up. I want you to squeeze as long and as hard as you can until I "
                  "say stop. Squeeze, squeeze, squeeze... stop."),
    source="Southampton protocol (Roberts et al. 2011, Age Ageing 40:423-429) [C3]; "
           "ASHT 2015 via Sousa-Santos & Amaral 2017 [C4]",
    default_repetitions=6,
)

KNEE_EXTENSION = TestProtocol(
    TestKind.KNEE_EXTENSION, "Knee extension strength",
    (_SIDE,
     ProtocolVariable("method", "Test", "make", choices=("make", "break")),
     ProtocolVariable("fixation", "Dynamometer fixation", "belt",
                      choices=("belt", "frame", "hand_held")),
     ProtocolVariable("knee_angle_deg", "Knee flexion angle", 90.0, "deg", minimum=0.0,
                      maximum=120.0),
     ProtocolVariable("posture", "Posture", "seated", choices=("seated", "supine"))),
    instructions=("Sit with your knee bent at a right angle. When I say go, push your leg "
                  "straight against the pad as hard as you can and hold until I say stop."),
    source="Seated HHD at 90° knee flexion, 3 maximal trials per leg (Hartog et al. 2021) "
           "[C18c]; belt fixation per [C18a, C18b]",
    default_repetitions=3,
)

#: Another maximal isometric test on the same dynamometers, named by its muscle group
#: (issue 15: researchers record finger flexors, hamstrings, shoulder rotation with a
#: Tindeq Progressor); not part of the clinic battery, reached by ``physiocap import``.
ISOMETRIC = TestProtocol(
    TestKind.ISOMETRIC, "Isometric strength",
    (ProtocolVariable("muscle_group", "Muscle group", "finger_flexors",
                      choices=ISOMETRIC_MUSCLE_GROUPS),
     _SIDE,
     ProtocolVariable("posture", "Posture", "seated",
                      choices=("seated", "supine", "prone", "standing", "side_lying")),
     ProtocolVariable("method", "Test", "make", choices=("make", "break"))),
    instructions="As the research protocol of the named test says.",
    source="Maximal isometric efforts scored by the best, as for knee extension [C18c]",
    default_repetitions=3,
)

BATTERY: dict[TestKind, TestProtocol] = {
    protocol.test: protocol for protocol in (TUG, GAIT_SPEED, SIT_TO_STAND, GRIP, KNEE_EXTENSION)
}



def protocol_for(test: TestKind) -> TestProtocol:
    """The protocol of any recordable test: the battery's, or the named isometric one."""
    if test is TestKind.ISOMETRIC:
        return ISOMETRIC
    if test not in BATTERY:
        raise ConfigurationError(f"{test} is not a test a visit records")
    return BATTERY[test]


#: Tests measured with the dynamometer, each on one side.
STRENGTH_TESTS = (TestKind.GRIP, TestKind.KNEE_EXTENSION, TestKind.ISOMETRIC)


def trial_side(test: TestKind, protocol: dict[str, Any], repetition: int) -> Side:
    """The side of a test's ``repetition`` (from 1): the Southampton grip alternates hands
    starting with the right (Roberts et al. 2011 [C3]); other strength tests use the
    protocol's side; mobility tests have none."""
    if test is TestKind.GRIP and protocol.get("protocol") == "southampton":
        return Side.RIGHT if repetition % 2 else Side.LEFT
    if test in STRENGTH_TESTS:
        return Side(str(protocol.get("side", "right")))
    return Side.NONE
