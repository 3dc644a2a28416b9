"""Walking bouts from a sequence of initial contacts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WalkingBout:
    start_s: float  # first contact
    end_s: float  # last contact
    contacts_s: np.ndarray

    @property
    def steps(self) -> int:
        return max(len(self.contacts_s) - 1, 0)


class WalkingBoutDetector:
    """Group contacts into bouts: a pause longer than ``max_step_gap_s`` ends a bout, and a
    bout needs ``min_steps`` steps. Mobilise-D's micro walking bout is 2 strides (4 steps)
    with breaks ≤ 3 s (Kluge et al. 2021, JMIR Form Res 5:e28390); we split at shorter
    pauses because a gait-speed test is one continuous walk."""

    def __init__(self, max_step_gap_s: float = 1.5, min_steps: int = 4) -> None:
        self.max_step_gap_s = max_step_gap_s
        self.min_steps = min_steps

    def detect(self, contacts_s: np.ndarray) -> tuple[WalkingBout, ...]:
        contacts = np.sort(np.asarray(contacts_s, dtype=float))
        if len(contacts) == 0:
            return ()
        breaks = np.flatnonzero(np.diff(contacts) > self.max_step_gap_s) + 1
        bouts = []
        for group in np.split(contacts, breaks):
            if len(group) - 1 >= self.min_steps:
                bouts.append(WalkingBout(float(group[0]), float(group[-1]), group))
        return tuple(bouts)
