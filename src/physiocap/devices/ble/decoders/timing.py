"""Device-clock reconstruction shared by the decoders (our design, docs/devices.md "Time",
on the timestamp conventions of the vendors' protocols [D7, D9, D11, D14]).

* :class:`CounterUnwrapper` — undo the wrap of an n-bit device counter.
* :class:`BackdatedFrameTimer` — Polar: samples spread backwards from the frame
  timestamp, which stamps the *last* sample [D7]; the rate is checked against the first
  frames.
* :func:`forward_step_s` — Movesense: the first sample carries the packet timestamp [D9]
  and the step comes from the next packet.
* :class:`SampleIndexer` — device-side sample numbering that jumps over samples inferred
  lost, so capture records a gap rather than joining the two sides.

Each check that can reject a packet runs before any state changes, so a dropped packet
leaves the timeline exactly as it was.
"""

from __future__ import annotations

import numpy as np

from physiocap.core.errors import PacketError

#: A packet is late (samples were lost) when it starts more than this many expected packet
#: durations after the previous one: halfway between a packet on time (1) and one packet
#: lost (2); our design, docs/devices.md "Time".
GAP_FACTOR = 1.5


class CounterUnwrapper:
    """Unwraps an n-bit counter: add 2^n each time a value drops by more than half the range."""

    def __init__(self, bits: int) -> None:
        self._range = 1 << bits
        self._offset = 0
        self._last: int | None = None

    def peek(self, raw: int) -> int:
        """The unwrapped value of ``raw`` without changing state."""
        if self._last is not None and raw < self._last - self._range // 2:
            return raw + self._offset + self._range
        return raw + self._offset

    def commit(self, raw: int) -> int:
        """Accept ``raw`` as the newest counter value and return it unwrapped."""
        value = self.peek(raw)
        self._offset = value - raw
        self._last = raw
        return value


def forward_step_s(this_start_s: float, next_start_s: float, n_samples: int,
                   nominal_rate_hz: float) -> float:
    """Movesense per-sample step: (next packet time − this packet time) / N.

    Measured steps beat the nominal period because the real output data rate differs
    slightly from nominal (the Polar SDK measures its step the same way [D7]). When the
    next packet starts more than :data:`GAP_FACTOR` packet durations later, packets were
    lost in between and the span says nothing about this packet's spacing: the nominal
    period is used instead.
    """
    nominal_s = 1.0 / nominal_rate_hz
    span_s = next_start_s - this_start_s
    if span_s <= 0 or span_s > GAP_FACTOR * n_samples * nominal_s:
        return nominal_s
    return span_s / n_samples


#: Frame-to-frame spans the Polar timer measures before it trusts its sample period.
RATE_CHECK_SPANS = 3
#: A measured sample period further than this fraction from the nominal one is a different
#: rate, not clock error: Polar's rates are powers of two apart (26/52/104/208/416 Hz,
#: [D7]), so a wrong nominal rate is off by a factor of 2 or more, while a
#: real output data rate differs from nominal by a few percent.
RATE_TOLERANCE = 0.5


class BackdatedFrameTimer:
    """Polar PMD per-sample times (Polar SDK ``PmdTimeStampUtils`` [D7]).

    The frame timestamp stamps the last sample. The first frame is spread backwards with the
    sample period; later frames divide the time since the previous frame evenly, sample
    ``i`` at ``previous + step × (i + 1)``, as the SDK does.

    The sample period starts as the nominal one and is checked against the first
    :data:`RATE_CHECK_SPANS` frame-to-frame spans: when their median step differs from it by
    more than :data:`RATE_TOLERANCE`, the device streams at another rate than it was asked
    for (:attr:`measured_rate_hz` says which) and the measured period is used from then on.
    Only once the rate is checked (:attr:`rate_checked`) is a frame starting after a gap
    (span over :data:`GAP_FACTOR` × its duration) spread backwards, as after a restart, so
    the lost stretch stays a gap: with an unchecked rate every frame would look late.

    A frame whose first sample would fall before the device clock's origin (time 0) is
    refused, as the SDK refuses it (``NegativeTimeStampError`` in its tests [R3]).
    """

    def __init__(self, nominal_rate_hz: float) -> None:
        if not nominal_rate_hz > 0:
            raise ValueError(f"nominal rate must be > 0 Hz, got {nominal_rate_hz}")
        self.nominal_period_s = 1.0 / nominal_rate_hz
        self.period_s = self.nominal_period_s
        self.measured_rate_hz: float | None = None
        self._early_steps_s: list[float] = []
        self._previous_s: float | None = None

    @property
    def rate_checked(self) -> bool:
        return len(self._early_steps_s) >= RATE_CHECK_SPANS

    def times(self, frame_time_s: float, n_samples: int, what: str, *,
              restart: bool = False) -> np.ndarray:
        """Per-sample times of a frame (no state change; see :meth:`commit`).

        ``restart`` spreads the frame as a first frame (the SDK keeps its previous
        timestamp per frame type, so a change of frame type starts afresh).
        """
        index = np.arange(n_samples, dtype=np.float64)
        previous = None if restart else self._previous_s
        if previous is not None:
            span_s = frame_time_s - previous
            if span_s <= 0:
                raise PacketError(f"{what}: frame timestamp {frame_time_s:.9f} s does not "
                                  f"advance past the previous frame's {previous:.9f} s")
            if not self.rate_checked or span_s <= GAP_FACTOR * n_samples * self.period_s:
                return previous + (span_s / n_samples) * (index + 1)
        times = frame_time_s - self.period_s * (n_samples - 1 - index)
        if times[0] < 0:
            raise PacketError(f"{what}: frame timestamp {frame_time_s:.9f} s is too early for "
                              f"its {n_samples} samples at {1 / self.period_s:.4g} Hz: the "
                              "first would fall before the device clock's origin")
        return times

    def commit(self, frame_time_s: float, n_samples: int, *, restart: bool = False) -> None:
        """Accept a frame: it becomes the previous frame; while the rate is unchecked its
        span adds to the rate check."""
        previous = None if restart else self._previous_s
        if previous is not None and not self.rate_checked:
            self._early_steps_s.append((frame_time_s - previous) / n_samples)
            if self.rate_checked:
                measured_s = float(np.median(self._early_steps_s))
                if abs(measured_s - self.nominal_period_s) > RATE_TOLERANCE * \
                        self.nominal_period_s:
                    self.period_s = measured_s
                    self.measured_rate_hz = 1.0 / measured_s
        self._previous_s = frame_time_s


class SampleIndexer:
    """Numbers samples as the device produced them, counting the ones that never arrived.

    Without device time (``times`` is ``None``) samples are numbered as received. With device
    time, the first sample of a packet is expected one period after the previous packet's
    last sample; when it comes ``k ≥ 1`` periods later (rounded), ``k`` samples were lost
    and the index jumps by ``k``. A packet that does not start after the previous one's
    last sample is a duplicate or out of order and raises :class:`PacketError`.
    """

    def __init__(self) -> None:
        self.next_index = 0
        self._last_time_s: float | None = None

    def check(self, times: np.ndarray | None, period_s: float, what: str) -> int:
        """Samples lost before this packet (no state change; see :meth:`commit`)."""
        if times is None or self._last_time_s is None or len(times) == 0:
            return 0
        lateness_s = float(times[0]) - (self._last_time_s + period_s)
        if float(times[0]) <= self._last_time_s:
            raise PacketError(f"{what}: first sample at {float(times[0]):.6f} s is not after "
                              f"the previous packet's last sample at {self._last_time_s:.6f} s "
                              "(duplicate or out-of-order packet)")
        return max(0, round(lateness_s / period_s))

    def commit(self, times: np.ndarray | None, n_samples: int, lost: int) -> int:
        """Accept the packet; returns the device-side index of its first sample."""
        first = self.next_index + lost
        self.next_index = first + n_samples
        if times is not None and len(times):
            self._last_time_s = float(times[-1])
        return first
