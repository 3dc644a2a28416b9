"""Rotation matrices for arrays of angles, and the helpers to build and check them.

Frames are right-handed. The world frame is x forward (the initial walking direction), y
left, z up; every body segment has x anterior, y left, z proximal (towards the head).
A rotation matrix ``R`` maps segment coordinates to world coordinates: ``v_world = R v``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from physiocap.core.errors import ConfigurationError


def _stack(angle_rad: np.ndarray | float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    angle = np.asarray(angle_rad, dtype=np.float64)
    return np.cos(angle), np.sin(angle), np.zeros_like(angle), np.ones_like(angle)


def rot_x(angle_rad: np.ndarray | float) -> np.ndarray:
    """Rotation about x by ``angle`` (shape ``(..., 3, 3)``)."""
    c, s, o, i = _stack(angle_rad)
    return np.stack([np.stack([i, o, o], -1), np.stack([o, c, -s], -1),
                     np.stack([o, s, c], -1)], -2)


def rot_y(angle_rad: np.ndarray | float) -> np.ndarray:
    """Rotation about y by ``angle`` (shape ``(..., 3, 3)``)."""
    c, s, o, i = _stack(angle_rad)
    return np.stack([np.stack([c, o, s], -1), np.stack([o, i, o], -1),
                     np.stack([-s, o, c], -1)], -2)


def rot_z(angle_rad: np.ndarray | float) -> np.ndarray:
    """Rotation about z by ``angle`` (shape ``(..., 3, 3)``)."""
    c, s, o, i = _stack(angle_rad)
    return np.stack([np.stack([c, -s, o], -1), np.stack([s, c, o], -1),
                     np.stack([o, o, i], -1)], -2)


def euler_xyz_deg(angles_deg: Sequence[float]) -> np.ndarray:
    """Rotation from intrinsic x-y'-z'' Euler angles in degrees: ``Rx(a) @ Ry(b) @ Rz(c)``."""
    if len(angles_deg) != 3:
        raise ConfigurationError(f"Euler angles need 3 values (x, y, z in degrees), "
                                 f"got {len(angles_deg)}")
    a, b, c = (math.radians(float(value)) for value in angles_deg)
    return rot_x(a) @ rot_y(b) @ rot_z(c)


def check_rotation(matrix: np.ndarray, what: str = "rotation", tolerance: float = 1e-6
                   ) -> np.ndarray:
    """Return ``matrix`` as float64 if it is a proper rotation, else raise ConfigurationError."""
    rotation = np.asarray(matrix, dtype=np.float64)
    if rotation.shape != (3, 3):
        raise ConfigurationError(f"{what} must be a 3x3 matrix, got shape {rotation.shape}")
    if not np.allclose(rotation @ rotation.T, np.eye(3), atol=tolerance):
        raise ConfigurationError(f"{what} is not orthonormal (R Rᵀ ≠ I)")
    if not abs(np.linalg.det(rotation) - 1.0) < tolerance:
        raise ConfigurationError(f"{what} is a reflection, not a rotation (det = "
                                 f"{np.linalg.det(rotation):.3f})")
    return rotation


def body_angular_velocity(before: np.ndarray, after: np.ndarray, step_s: float) -> np.ndarray:
    """Angular velocity in the moving frame from orientations ``step_s`` apart (central).

    ``Rᵀ(t−h) R(t+h)`` is the rotation over ``2h`` expressed in the body frame; its axis-angle
    vector divided by ``2h`` is the body-frame angular velocity at ``t`` to O(h²), exactly
    what a gyroscope fixed to the body measures.
    """
    relative = np.swapaxes(before, -1, -2) @ after
    skew = np.stack([relative[..., 2, 1] - relative[..., 1, 2],
                     relative[..., 0, 2] - relative[..., 2, 0],
                     relative[..., 1, 0] - relative[..., 0, 1]], -1) / 2.0
    cos_angle = np.clip((np.trace(relative, axis1=-2, axis2=-1) - 1.0) / 2.0, -1.0, 1.0)
    angle = np.arccos(cos_angle)
    sin_angle = np.linalg.norm(skew, axis=-1)
    scale = np.where(sin_angle > 1e-12, angle / np.maximum(sin_angle, 1e-300), 1.0)
    return skew * scale[..., None] / step_s
