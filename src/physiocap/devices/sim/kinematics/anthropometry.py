"""Body dimensions of the simulated participant, scaled from standing height.

Segment lengths and joint heights as fractions of height H from Winter (2009),
*Biomechanics and Motor Control of Human Movement*, 4th ed., Fig. 4.1: greater trochanter
(hip) 0.530 H, knee 0.285 H, ankle 0.039 H, shoulder 0.818 H, elbow 0.630 H,
wrist 0.485 H, hip width 0.191 H, shoulder width 0.259 H.
"""

from __future__ import annotations

from dataclasses import dataclass

from physiocap.core.errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class Anthropometry:
    """A participant's size; every length derives from ``height_m`` (Winter 2009)."""

    height_m: float = 1.65

    def __post_init__(self) -> None:
        if not 1.2 <= self.height_m <= 2.2:
            raise ConfigurationError(f"body height must be 1.2-2.2 m, got {self.height_m} m")

    @property
    def ankle_height_m(self) -> float:
        return 0.039 * self.height_m

    @property
    def shank_length_m(self) -> float:
        """Knee to ankle joint."""
        return (0.285 - 0.039) * self.height_m

    @property
    def thigh_length_m(self) -> float:
        """Hip to knee joint."""
        return (0.530 - 0.285) * self.height_m

    @property
    def hip_height_m(self) -> float:
        """Hip joint height when standing upright."""
        return 0.530 * self.height_m

    @property
    def hip_half_width_m(self) -> float:
        """Lateral distance of each hip joint centre from the midline.

        Our approximation: 55 % of half the hip width, which puts the joint centres about
        0.17 m apart for H = 1.65 m, within the adult range of 0.15-0.20 m."""
        return 0.191 * self.height_m * 0.5 * 0.55

    @property
    def trunk_length_m(self) -> float:
        """Hip joints to shoulder joints."""
        return (0.818 - 0.530) * self.height_m

    @property
    def shoulder_half_width_m(self) -> float:
        """Lateral distance of each shoulder joint centre from the midline (our
        approximation: 80 % of half the shoulder width)."""
        return 0.259 * self.height_m * 0.5 * 0.8

    @property
    def upper_arm_length_m(self) -> float:
        return (0.818 - 0.630) * self.height_m

    @property
    def forearm_length_m(self) -> float:
        """Elbow to wrist joint."""
        return (0.630 - 0.485) * self.height_m
