"""What every movement scenario offers: duration, ground-truth events, contacts, poses.

Scenarios are frozen dataclasses of parameters: the parameters and the events derived from
them are the ground truth against which analyses are tested. Times are seconds from the
scenario's start.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from physiocap.core.errors import ConfigurationError
from physiocap.core.records import Side
from physiocap.devices.sim.kinematics.locomotion import InitialContact
from physiocap.devices.sim.kinematics.motion import BodyPose, Motion


@dataclass(frozen=True, slots=True, eq=False)
class ScenarioPlan:
    """What a scenario's parameters work out to: the movement, its events and length."""

    motion: Motion
    events: tuple[tuple[str, float], ...]
    duration_s: float


class MovementScenario(ABC):
    """Base of the movement scenarios (subclasses are frozen dataclasses that implement
    :meth:`_plan`; call :meth:`_validate` at the end of ``__post_init__``)."""

    @abstractmethod
    def _plan(self) -> ScenarioPlan:
        """Lay the movement out from the parameters."""

    @cached_property
    def plan(self) -> ScenarioPlan:
        return self._plan()

    def _validate(self) -> None:
        """Lay the movement out now, so that bad parameters fail at construction."""
        _ = self.plan

    @property
    def motion(self) -> Motion:
        return self.plan.motion

    @property
    def duration_s(self) -> float:
        """Length of the scenario, s."""
        return self.plan.duration_s

    def events(self) -> dict[str, float]:
        """Ground-truth events: name → time (s from the scenario start), in time order."""
        return dict(self.plan.events)

    def initial_contacts(self) -> tuple[InitialContact, ...]:
        """Ground-truth initial contacts (heel strikes) with their side, in time order."""
        return self.motion.contacts

    def pose(self, t_s: np.ndarray | float) -> BodyPose:
        """The body's pose at the given scenario times."""
        return self.motion.pose(t_s)

    def path_length_m(self, t_s: np.ndarray | float) -> np.ndarray:
        """Path length walked since the scenario start (0 for scenarios without walking)."""
        walk = self.motion.locomotion
        if walk is None:
            return np.zeros(np.shape(t_s))
        return walk.distance_m(t_s)

    def time_at_path_length_s(self, distance_m: float) -> float:
        """When the walked path first reaches ``distance_m`` (e.g. crossing a line)."""
        walk = self.motion.locomotion
        if walk is None:
            raise ConfigurationError(f"{type(self).__name__} does not walk")
        return walk.time_at_distance_s(distance_m)


def parse_side(value: str | Side, what: str) -> Side:
    """'left' or 'right' as a :class:`Side`, or a ConfigurationError naming ``what``."""
    try:
        side = Side(value)
    except ValueError:
        side = Side.NONE
    if side is Side.NONE:
        raise ConfigurationError(f"{what} must be 'left' or 'right', got {value!r}")
    return side


def turn_sign(direction: str | Side, what: str) -> float:
    """+1 for a left (counter-clockwise from above) turn, −1 for a right turn."""
    return 1.0 if parse_side(direction, what) is Side.LEFT else -1.0


def require_positive(**values: float) -> None:
    """Raise ConfigurationError for the first value that is not > 0."""
    for name, value in values.items():
        if not value > 0:
            raise ConfigurationError(f"{name} must be > 0, got {value}")


def require_non_negative(**values: float) -> None:
    for name, value in values.items():
        if not value >= 0:
            raise ConfigurationError(f"{name} must be ≥ 0, got {value}")
