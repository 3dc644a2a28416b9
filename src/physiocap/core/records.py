"""Participant, session and trial records: the study model stored with every recording.

Participants are pseudonymous: an ID, birth year (never a date of birth) and the body
measures the analyses need. No names are stored anywhere.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from physiocap.core.errors import ConfigurationError

_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def validate_identifier(value: str, what: str) -> str:
    """Check an ID is safe as a file or HDF5 group name (letters, digits, ``_ . -``)."""
    if not _ID_PATTERN.fullmatch(value):
        raise ConfigurationError(
            f"{what} {value!r} must be 1-64 characters of letters, digits, '_', '.' or '-', "
            "starting with a letter or digit")
    return value


class Sex(enum.StrEnum):
    FEMALE = "female"
    MALE = "male"
    UNKNOWN = "unknown"


class Side(enum.StrEnum):
    LEFT = "left"
    RIGHT = "right"
    NONE = ""


class TestKind(enum.StrEnum):
    __test__ = False  # not a pytest test class

    TUG = "tug"
    GAIT_SPEED = "gait_speed"
    SIT_TO_STAND = "sit_to_stand"
    GRIP = "grip"
    KNEE_EXTENSION = "knee_extension"
    ISOMETRIC = "isometric"  # a named isometric strength test (protocol's muscle_group)
    CALIBRATION = "calibration"


#: Muscle groups of the named isometric tests (``TestKind.ISOMETRIC``): maximal isometric
#: efforts recorded on the same dynamometers as grip and knee extension (issue 15).
ISOMETRIC_MUSCLE_GROUPS = (
    "finger_flexors", "hamstrings", "shoulder_internal_rotation", "shoulder_external_rotation",
    "shoulder_abduction", "elbow_flexors", "hip_abductors", "hip_adductors",
    "ankle_plantar_flexors", "ankle_dorsiflexors", "neck_flexors", "trunk_extensors")


class TrialStatus(enum.StrEnum):
    RECORDING = "recording"
    COMPLETED = "completed"  # stopped normally, awaiting the operator's verdict
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    INTERRUPTED = "interrupted"  # the process died or the disk filled mid-trial


@dataclass(frozen=True, slots=True)
class Participant:
    participant_id: str
    birth_year: int | None = None
    sex: Sex = Sex.UNKNOWN
    height_m: float | None = None
    body_mass_kg: float | None = None
    dominant_side: Side = Side.NONE
    knee_lever_arm_left_m: float | None = None
    knee_lever_arm_right_m: float | None = None
    group: str = ""

    def __post_init__(self) -> None:
        validate_identifier(self.participant_id, "participant ID")
        if self.height_m is not None and not 0.5 <= self.height_m <= 2.5:
            raise ConfigurationError(f"height {self.height_m} m is outside 0.5-2.5 m")
        if self.body_mass_kg is not None and not 20 <= self.body_mass_kg <= 350:
            raise ConfigurationError(f"body mass {self.body_mass_kg} kg is outside 20-350 kg")
        for lever in (self.knee_lever_arm_left_m, self.knee_lever_arm_right_m):
            if lever is not None and not 0.1 <= lever <= 0.7:
                raise ConfigurationError(f"knee lever arm {lever} m is outside 0.1-0.7 m")


@dataclass(frozen=True, slots=True)
class SessionInfo:
    session_id: str
    visit_label: str
    started_utc: datetime
    site: str = ""
    operator_id: str = ""

    def __post_init__(self) -> None:
        validate_identifier(self.session_id, "session ID")


@dataclass(frozen=True, slots=True)
class TrialInfo:
    """What was asked of the participant: the test and every protocol variable."""

    trial_id: str
    test: TestKind
    protocol: dict[str, Any] = field(default_factory=dict)
    repetition: int = 1
    side: Side = Side.NONE

    def __post_init__(self) -> None:
        validate_identifier(self.trial_id, "trial ID")
