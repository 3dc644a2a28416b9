"""The steps of each calibration check, with what the operator is told to do.

A procedure is data: a list of :class:`QaStep` (instruction, how long to hold, the load
or the pose) stored as the calibration trial's protocol, so a recorded check can be
evaluated again from its file alone. The GUI shows ``step.instruction`` and a countdown
of ``step.hold_s``; the CLI prints them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from physiocap.core.errors import ConfigurationError
from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2

CheckKind = Literal["dynamometer", "imu"]

#: Masses hung in the default dynamometer check, kg: spread over the clinical range of
#: grip and knee forces (a 5 kg step is the grip MCID, 30 kg ≈ 294 N).
DEFAULT_MASSES_KG = (5.0, 10.0, 20.0, 30.0)

#: The six faces of the standard multi-position IMU check [Q3].
SIX_FACES = ("z up", "z down", "x up", "x down", "y up", "y down")

_FACE_WORDS = {
    "z up": "flat on the table, top face up",
    "z down": "flat on the table, top face down",
    "x up": "on its side with the x axis pointing up",
    "x down": "on its side with the x axis pointing down",
    "y up": "on its side with the y axis pointing up",
    "y down": "on its side with the y axis pointing down",
}


@dataclass(frozen=True, slots=True)
class QaStep:
    """One step: ``kind`` zero/load/unload/creep (dynamometer) or pose (IMU)."""

    key: str
    kind: str
    instruction: str
    hold_s: float
    applied_n: float | None = None
    mass_kg: float | None = None
    face: str | None = None


@dataclass(frozen=True, slots=True)
class QaProcedure:
    kind: CheckKind
    steps: tuple[QaStep, ...]
    gravity_m_per_s2: float = STANDARD_GRAVITY_M_PER_S2

    @property
    def duration_s(self) -> float:
        return sum(step.hold_s for step in self.steps)

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.kind, "gravity_m_per_s2": self.gravity_m_per_s2,
                "steps": [asdict(step) for step in self.steps]}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> QaProcedure:
        try:
            steps = tuple(QaStep(**step) for step in values["steps"])
            return cls(values["check"], steps, float(values["gravity_m_per_s2"]))
        except (KeyError, TypeError, ValueError) as error:
            raise ConfigurationError(f"not a calibration procedure ({error})") from None


def dynamometer_procedure(masses_kg: tuple[float, ...] = DEFAULT_MASSES_KG, *,
                          gravity_m_per_s2: float = STANDARD_GRAVITY_M_PER_S2,
                          cycles: int = 2, zero_hold_s: float = 60.0, hold_s: float = 10.0,
                          creep_hold_s: float = 30.0) -> QaProcedure:
    """Unloaded hold, then ``cycles`` × (masses up, masses down, unloaded), the largest
    mass held ``creep_hold_s`` in the last cycle (Fess 1987 [Q1], ISO 7500-1 [Q5])."""
    masses = sorted(float(m) for m in masses_kg)
    if len(set(masses)) < 3 or masses[0] <= 0:
        raise ConfigurationError("the dynamometer check needs at least three different "
                                 "positive masses")
    if cycles < 1:
        raise ConfigurationError("the dynamometer check needs at least one cycle")
    if not 9.7 < gravity_m_per_s2 < 9.9:
        raise ConfigurationError(f"local gravity {gravity_m_per_s2} m/s² is not on Earth's "
                                 "surface (9.78-9.83)")
    steps = [QaStep("zero", "zero", f"Hang nothing from the device and keep it still for "
                    f"{zero_hold_s:.0f} s (zero offset and drift)", zero_hold_s, 0.0, 0.0)]
    for cycle in range(1, cycles + 1):
        for mass in masses:
            steps.append(QaStep(f"c{cycle}-load-{mass:g}kg", "load",
                                f"Hang {mass:g} kg (total) gently, let it stop swinging, do "
                                "not touch it", hold_s, mass * gravity_m_per_s2, mass))
        if cycle == cycles:
            top = masses[-1]
            steps.append(QaStep(f"c{cycle}-creep-{top:g}kg", "creep",
                                f"Leave the {top:g} kg hanging untouched for "
                                f"{creep_hold_s:.0f} s (creep)", creep_hold_s,
                                top * gravity_m_per_s2, top))
        for mass in reversed(masses[:-1]):
            steps.append(QaStep(f"c{cycle}-unload-{mass:g}kg", "unload",
                                f"Take masses off down to {mass:g} kg, let it stop "
                                "swinging", hold_s, mass * gravity_m_per_s2, mass))
        steps.append(QaStep(f"c{cycle}-zero", "zero", "Take every mass off; keep the "
                            "device still", hold_s, 0.0, 0.0))
    return QaProcedure("dynamometer", tuple(steps), gravity_m_per_s2)


def imu_procedure(faces: tuple[str, ...] = SIX_FACES, *, hold_s: float = 15.0,
                  rest_s: float = 600.0,
                  gravity_m_per_s2: float = STANDARD_GRAVITY_M_PER_S2) -> QaProcedure:
    """One still pose per face (six by default), each held ``hold_s``, then a long rest
    lying flat (gyroscope at rest; the clock drift needs about 10 minutes, see
    :mod:`physiocap.analysis.calibration.clock`)."""
    unknown = [face for face in faces if face not in _FACE_WORDS]
    if unknown:
        raise ConfigurationError(f"unknown pose(s) {unknown}; use {list(_FACE_WORDS)}")
    steps = [QaStep(f"pose-{face.replace(' ', '-')}", "pose",
                    f"Lay the device {_FACE_WORDS[face]}, let go and keep still for "
                    f"{hold_s:.0f} s", hold_s, face=face) for face in faces]
    steps.append(QaStep("rest", "pose", f"Lay the device {_FACE_WORDS['z up']} and leave it "
                        f"untouched for {rest_s / 60:.0f} min (gyroscope at rest, clock "
                        "drift)", rest_s, face="z up"))
    return QaProcedure("imu", tuple(steps), gravity_m_per_s2)
