"""Live feedback during a check step: is the device still, does it read what it should.

Computed from the last ``window_s`` of the live ring buffers, so a screen can show it
several times a second ("x axis up, still", "reads 98.2 N for 98.1 N hung, steady").
The thresholds are the checks' own: GGIR's 13 mg still criterion for poses [Q2] and, for
loads, a scatter under 0.5 N + 0.2 % of the load (an untouched hung mass; the check
itself compares with the measured unloaded noise).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from physiocap.analysis.calibration import ProcedureRefusedError
from physiocap.analysis.calibration.imu import STILL_SD_LIMIT_M_PER_S2
from physiocap.workflows.qa.procedures import QaStep

AXES = ("x", "y", "z")


@dataclass(frozen=True, slots=True)
class StepFeedback:
    """What a screen shows during a step: ``ok`` (still and in the expected state) and a
    sentence, plus the values behind it."""

    ok: bool
    message: str
    values: dict[str, float] = field(default_factory=dict)


def pose_feedback(step: QaStep, acc_m_per_s2: np.ndarray) -> StepFeedback:
    if len(acc_m_per_s2) < 2:
        return StepFeedback(False, "waiting for data")
    mean = acc_m_per_s2.mean(axis=0)
    sd = float(acc_m_per_s2.std(axis=0).max())
    axis = int(np.argmax(np.abs(mean)))
    seen = f"{AXES[axis]} {'up' if mean[axis] > 0 else 'down'}"
    still = sd < STILL_SD_LIMIT_M_PER_S2
    right = step.face is None or step.face == seen
    parts = [f"{seen} detected" + ("" if right else f" (expected {step.face})"),
             "still" if still else f"moving ({sd / 9.80665 * 1e3:.0f} mg): keep still",
             f"|a| = {float(np.linalg.norm(mean)):.3f} m/s²"]
    return StepFeedback(still and right, ", ".join(parts),
                        {"acc_norm_m_per_s2": float(np.linalg.norm(mean)),
                         "acc_sd_m_per_s2": sd})


def load_feedback(step: QaStep, force_n: np.ndarray) -> StepFeedback:
    if len(force_n) < 2:
        return StepFeedback(False, "waiting for data")
    values = np.asarray(force_n, dtype=np.float64).reshape(-1)
    mean, sd = float(values.mean()), float(values.std())
    applied = float(step.applied_n or 0.0)
    steady = sd < 0.5 + 0.002 * applied
    message = (f"reads {mean:.1f} N for {applied:.1f} N applied, "
               + ("steady" if steady else f"unsteady (±{sd:.1f} N): let the mass hang still"))
    return StepFeedback(steady, message, {"reading_n": mean, "scatter_n": sd,
                                          "applied_n": applied})


#: What the operator does about a step whose hold was not still or not as asked.
_REMEDIES = {"pose": "lay it on a firm surface in the asked position, let go and keep "
                     "still, then repeat the step",
             "load": "let the mass hang freely without touching it or the device, wait "
                     "until it stops swinging, then repeat the step"}


def held_step_refusal(step: QaStep, samples: np.ndarray) -> ProcedureRefusedError | None:
    """The step just held, judged on its samples (after the settling the evaluation skips)
    by the live feedback's own criteria: ``None`` when still and as asked, else the
    refusal with its reason and remedy, so the step can be repeated at once instead of the
    whole check being refused at the end."""
    if step.kind == "pose":
        feedback = pose_feedback(step, samples)
        remedy = _REMEDIES["pose"]
    else:
        values = samples[:, 0] if samples.ndim == 2 else samples
        feedback = load_feedback(step, values)
        remedy = _REMEDIES["load"]
    return None if feedback.ok else ProcedureRefusedError(feedback.message, remedy, step.key)
