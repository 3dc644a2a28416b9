"""Packet continuity of one stream: lost samples, duplicates and device restarts.

Capture never reorders and never interpolates (our design, docs/devices.md). Each packet
is compared with the last one accepted:

* its first sample index behind the expected one by at most ``duplicate_horizon_s`` of
  samples → a duplicate (a repeated notification, the Activ5 restart bug): dropped;
* further behind, or its device time running backwards → the device restarted its
  counters (a reboot or a reconnection that reset them): a new continuity epoch starts;
* ahead of the expected index → ``first − expected`` samples were lost;
* for a stream with device time, a step between consecutive packet starts longer than
  ``gap_factor`` × the previous packet's duration (1.5, halfway between on time and one
  packet lost)
  also marks lost samples, found even when the driver's index counts only what arrived.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from physiocap.core.errors import ConfigurationError


class Verdict(enum.StrEnum):
    NEXT = "next"  # continues the stream (possibly after lost samples)
    DUPLICATE = "duplicate"  # already received: drop
    RESTART = "restart"  # counters or device clock went back: a new epoch


@dataclass(frozen=True, slots=True)
class Continuity:
    verdict: Verdict
    lost_samples: int = 0


_FIRST = Continuity(Verdict.NEXT)
_DUPLICATE = Continuity(Verdict.DUPLICATE)
_RESTART = Continuity(Verdict.RESTART)


class ContinuityChecker:
    """Classifies each packet of one stream against the last accepted one.

    ``nominal_rate_hz`` converts device-time steps to samples; ``timed`` says whether the
    device times are the device's own (True) or derived from the sample index (False).
    """

    def __init__(self, nominal_rate_hz: float, *, timed: bool, gap_factor: float = 1.5,
                 duplicate_horizon_s: float = 10.0) -> None:
        if not nominal_rate_hz > 0 or not gap_factor > 1 or not duplicate_horizon_s >= 0:
            raise ConfigurationError("continuity needs a rate > 0, gap_factor > 1 and "
                                     "duplicate_horizon_s ≥ 0")
        self.rate_hz = nominal_rate_hz
        self.timed = timed
        self.gap_factor = gap_factor
        self.duplicate_horizon_samples = round(duplicate_horizon_s * nominal_rate_hz)
        self._next_index: int | None = None
        self._last_n = 0
        self._last_first_s = math.nan
        self._last_end_s = math.nan

    def reset(self) -> None:
        """Forget the stream's history (after a reconnection that restarts counters)."""
        self._next_index = None

    def check(self, first_index: int, n_samples: int, first_device_s: float,
              last_device_s: float) -> Continuity:
        """Classify a packet; an accepted one (NEXT or RESTART) becomes the reference."""
        expected = self._next_index
        if expected is None:
            result = _FIRST
        else:
            behind = expected - first_index
            if 0 < behind <= self.duplicate_horizon_samples:
                return _DUPLICATE
            went_back = first_device_s < self._last_end_s - 0.5 / self.rate_hz
            if behind > 0 or (self.timed and went_back):
                result = _RESTART
            else:
                lost = -behind
                if self.timed:
                    step_s = first_device_s - self._last_first_s
                    if step_s > self.gap_factor * self._last_n / self.rate_hz:
                        lost = max(lost, round((first_device_s - self._last_end_s)
                                               * self.rate_hz) - 1)
                result = Continuity(Verdict.NEXT, lost) if lost else _FIRST
        self._next_index = first_index + n_samples
        self._last_n = n_samples
        self._last_first_s = first_device_s
        self._last_end_s = last_device_s
        return result
