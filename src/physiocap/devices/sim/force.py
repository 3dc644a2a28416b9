"""Force-curve scenarios for the simulated dynamometer: grip and knee-extension efforts.

Every scenario is a frozen dataclass whose parameters are the ground truth of what the
simulated patient did: when each effort started, how strong it was, how long it was held.
A scenario renders the *true* force on the dynamometer (``force_n``, newtons, pure numpy,
no randomness); the driver adds what the sensor adds (zero offset, drift, noise, tare).
``events()`` lists the ground-truth efforts and artefacts against which the strength
analysis is tested.

Shape of one effort (:class:`Effort`), in the scenario's own seconds:

* **rise** from the pre-effort level to ``peak_n`` over ``time_to_peak_s``, shaped as the
  cumulative Beta(2, n) distribution ``g(u) = 1 − (1 − u)^n (1 + n·u)``, ``u = t / T``.
  The curve leaves the baseline with zero slope, is steepest at ``u = 1/n`` (early in the
  rise, as in voluntary isometric contractions) and reaches the peak with zero slope, so
  onset, time to peak and every RFD window have closed forms. ``rise_shape`` is ``n``.
  For scale: sincere maximal grips of healthy adults rose at ≈2.2 kN/s on average to
  ≈500 N (Smith et al. 1983, Am J Phys Med 62:135-144); patients are slower and weaker,
  hence the defaults below (time to peak 0.4 s).
* **hold** for ``hold_s`` from the peak, declining linearly by ``hold_decay_pct_per_s``
  percent of the peak per second (fatigue during the hold).
* **release** to zero over ``release_s`` (half-cosine).
* optional **pre-tension**: the patient already squeezes at ``pretension_n`` for
  ``pretension_s`` before the rise (an artefact for RFD: the rise starts from that level).
* optional **break**: the tester overcomes the limb at the peak; force falls to
  ``break_drop_fraction`` of the peak within ``break_drop_s`` and is then released.
* **tremor**: a deterministic 10 Hz oscillation of ``tremor_fraction`` of the current
  force (physiological tremor lies at 8-12 Hz and grows with force). It is not part of the
  truth: ``peak_n`` and the RFD truths refer to the tremor-free curve, so tests must allow
  ``tremor_fraction`` of tolerance.

Protocol scenarios (:class:`AshtGrip`, :class:`SouthamptonGrip`, :class:`KneeExtension`,
:class:`RepeatedContractions`, :class:`SustainedGrip`) lay efforts out in time as the
published protocols ask ([C3, C4], [C18c], [C19b, C19c]); :class:`EffortSequence` takes
any list.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from physiocap.core.errors import ConfigurationError
from physiocap.core.records import Side

#: Frequency of the simulated physiological tremor, Hz (physiological tremor: 8-12 Hz).
TREMOR_HZ = 10.0

#: Duration of the smooth ramp into a pre-tension plateau, seconds.
PRETENSION_RAMP_S = 0.2

EventKind = Literal["effort", "bump"]
KneeMethod = Literal["make", "break"]


@runtime_checkable
class ForceScenario(Protocol):
    """What the simulated dynamometer can play: true force over the scenario's time."""

    @property
    def duration_s(self) -> float: ...

    def force_n(self, t_s: np.ndarray) -> np.ndarray: ...

    def events(self) -> tuple[ForceEvent, ...]: ...


@dataclass(frozen=True, slots=True)
class ForceEvent:
    """Ground truth of one effort or artefact, in the scenario's seconds.

    ``kind`` is ``"effort"`` for a real contraction the analysis must find and ``"bump"``
    for an artefact it must not count. ``repetition`` counts efforts per side from 1 (0 for
    artefacts). ``hold_end_s`` is when the release (or the break) begins.
    """

    kind: EventKind
    onset_s: float
    peak_time_s: float
    peak_n: float
    offset_s: float
    hold_end_s: float
    side: Side = Side.NONE
    repetition: int = 0


def _rise_fraction(u: np.ndarray, shape: float) -> np.ndarray:
    """Cumulative Beta(2, shape) at ``u`` in [0, 1]: 0 → 1 with zero slope at both ends."""
    u = np.clip(u, 0.0, 1.0)
    return 1.0 - (1.0 - u) ** shape * (1.0 + shape * u)


def _check_positive(name: str, value: float, *, allow_zero: bool = False) -> None:
    ok = value >= 0.0 if allow_zero else value > 0.0
    if not (math.isfinite(value) and ok):
        bound = "≥ 0" if allow_zero else "> 0"
        raise ConfigurationError(f"{name} must be {bound}, got {value}")


@dataclass(frozen=True, slots=True)
class Effort:
    """One isometric effort: rise, hold with fatigue, release (see the module docstring)."""

    onset_s: float
    peak_n: float
    time_to_peak_s: float = 0.4
    hold_s: float = 3.0
    release_s: float = 0.4
    hold_decay_pct_per_s: float = 2.0
    rise_shape: float = 4.0
    pretension_n: float = 0.0
    pretension_s: float = 0.0
    break_drop_fraction: float | None = None
    break_drop_s: float = 0.15
    tremor_fraction: float = 0.002
    side: Side = Side.NONE
    repetition: int = 1

    def __post_init__(self) -> None:
        _check_positive("effort peak_n", self.peak_n)
        _check_positive("effort time_to_peak_s", self.time_to_peak_s)
        _check_positive("effort release_s", self.release_s)
        _check_positive("effort break_drop_s", self.break_drop_s)
        for name in ("onset_s", "hold_s", "hold_decay_pct_per_s", "pretension_n",
                     "pretension_s", "tremor_fraction"):
            _check_positive(f"effort {name}", getattr(self, name), allow_zero=True)
        if self.rise_shape < 1.5:
            raise ConfigurationError(f"effort rise_shape must be ≥ 1.5, got {self.rise_shape}")
        if self.pretension_n >= self.peak_n:
            raise ConfigurationError("effort pretension_n must be below peak_n")
        if self.pretension_n > 0 and self.pretension_s < PRETENSION_RAMP_S:
            raise ConfigurationError(
                f"effort pretension_s must be ≥ {PRETENSION_RAMP_S} s when pretension_n > 0")
        if self.hold_decay_pct_per_s * self.hold_s >= 100.0:
            raise ConfigurationError("effort hold decays to zero before its end")
        if self.break_drop_fraction is not None and not 0.0 < self.break_drop_fraction < 1.0:
            raise ConfigurationError("effort break_drop_fraction must be in (0, 1)")

    # truth ------------------------------------------------------------------------------------
    @property
    def peak_time_s(self) -> float:
        return self.onset_s + self.time_to_peak_s

    @property
    def start_s(self) -> float:
        """When force first leaves zero (the pre-tension start, or the onset)."""
        return self.onset_s - (self.pretension_s if self.pretension_n > 0 else 0.0)

    @property
    def hold_end_s(self) -> float:
        return self.peak_time_s + self.hold_s

    @property
    def release_start_n(self) -> float:
        """Force when the release (after the hold, or after the break) begins."""
        if self.break_drop_fraction is not None:
            return self.peak_n * self.break_drop_fraction
        return self.peak_n * (1.0 - self.hold_decay_pct_per_s / 100.0 * self.hold_s)

    @property
    def release_begin_s(self) -> float:
        extra = self.break_drop_s if self.break_drop_fraction is not None else 0.0
        return self.hold_end_s + extra

    @property
    def offset_s(self) -> float:
        """When force is back at zero."""
        return self.release_begin_s + self.release_s

    def rise_force_n(self, t_s: np.ndarray | float) -> np.ndarray:
        """Tremor-free force of the rise phase at scenario times (level before/after)."""
        u = (np.asarray(t_s, dtype=np.float64) - self.onset_s) / self.time_to_peak_s
        return self.pretension_n + (self.peak_n - self.pretension_n) * _rise_fraction(
            u, self.rise_shape)

    def rfd_n_per_s(self, window_s: float) -> float:
        """True mean rate of force development from onset over ``window_s`` (N/s)."""
        _check_positive("RFD window", window_s)
        gained = self.rise_force_n(self.onset_s + window_s) - self.pretension_n
        return float(gained) / window_s

    @property
    def peak_rfd_n_per_s(self) -> float:
        """True maximum slope of the rise (at u = 1/n of the Beta(2, n) shape), N/s."""
        n = self.rise_shape
        slope_per_u = n * (n + 1.0) * (1.0 / n) * (1.0 - 1.0 / n) ** (n - 1.0)
        return (self.peak_n - self.pretension_n) * slope_per_u / self.time_to_peak_s

    @property
    def time_to_half_s(self) -> float | None:
        """Time from the peak until the hold has declined to 50 % of the peak, if it does."""
        if self.hold_decay_pct_per_s <= 0.0:
            return None
        t_half = 50.0 / self.hold_decay_pct_per_s
        return t_half if t_half <= self.hold_s else None

    def event(self) -> ForceEvent:
        return ForceEvent("effort", self.onset_s, self.peak_time_s, self.peak_n, self.offset_s,
                          self.hold_end_s, self.side, self.repetition)

    # rendering --------------------------------------------------------------------------------
    def force_n(self, t_s: np.ndarray) -> np.ndarray:
        """True force at scenario times (zero outside the effort)."""
        t = np.asarray(t_s, dtype=np.float64)
        force = np.zeros_like(t)
        if self.pretension_n > 0:
            ramp_u = np.clip((t - self.start_s) / PRETENSION_RAMP_S, 0.0, 1.0)
            pre = (t >= self.start_s) & (t < self.onset_s)
            force[pre] = self.pretension_n * 0.5 * (1.0 - np.cos(math.pi * ramp_u[pre]))
        rise = (t >= self.onset_s) & (t < self.peak_time_s)
        force[rise] = self.rise_force_n(t[rise])
        hold = (t >= self.peak_time_s) & (t < self.hold_end_s)
        decline = self.hold_decay_pct_per_s / 100.0 * (t[hold] - self.peak_time_s)
        force[hold] = self.peak_n * (1.0 - decline)
        hold_end_n = self.peak_n * (1.0 - self.hold_decay_pct_per_s / 100.0 * self.hold_s)
        if self.break_drop_fraction is not None:
            drop = (t >= self.hold_end_s) & (t < self.release_begin_s)
            v = (t[drop] - self.hold_end_s) / self.break_drop_s
            low = self.release_start_n
            force[drop] = low + (hold_end_n - low) * 0.5 * (1.0 + np.cos(math.pi * v))
        release = (t >= self.release_begin_s) & (t < self.offset_s)
        w = (t[release] - self.release_begin_s) / self.release_s
        force[release] = self.release_start_n * 0.5 * (1.0 + np.cos(math.pi * w))
        tremor = self.tremor_fraction * np.sin(2.0 * math.pi * TREMOR_HZ * (t - self.onset_s))
        return force * (1.0 + tremor)


@dataclass(frozen=True, slots=True)
class Bump:
    """An artefact: the device knocked or squeezed briefly (half-sine of ``peak_n``).

    Short bumps (tens of ms) imitate knocks; long low ones imitate adjusting the grip.
    """

    start_s: float
    peak_n: float
    duration_s: float = 0.06

    def __post_init__(self) -> None:
        _check_positive("bump peak_n", self.peak_n)
        _check_positive("bump duration_s", self.duration_s)
        _check_positive("bump start_s", self.start_s, allow_zero=True)

    @property
    def offset_s(self) -> float:
        return self.start_s + self.duration_s

    def force_n(self, t_s: np.ndarray) -> np.ndarray:
        t = np.asarray(t_s, dtype=np.float64)
        inside = (t >= self.start_s) & (t < self.offset_s)
        force = np.zeros_like(t)
        force[inside] = self.peak_n * np.sin(math.pi * (t[inside] - self.start_s)
                                             / self.duration_s)
        return force

    def event(self) -> ForceEvent:
        peak_time = self.start_s + self.duration_s / 2.0
        return ForceEvent("bump", self.start_s, peak_time, self.peak_n, self.offset_s,
                          peak_time)


class _EffortLayout:
    """Shared rendering of scenarios built from efforts and artefacts.

    Subclasses are frozen dataclasses with ``artefacts`` and ``lead_out_s`` fields and an
    :meth:`efforts` method.
    """

    __slots__ = ()
    artefacts: tuple[Bump, ...]
    lead_out_s: float

    def efforts(self) -> tuple[Effort, ...]:
        raise NotImplementedError

    @property
    def duration_s(self) -> float:
        ends = [effort.offset_s for effort in self.efforts()]
        ends += [bump.offset_s for bump in self.artefacts]
        return max(ends, default=0.0) + self.lead_out_s

    def force_n(self, t_s: np.ndarray) -> np.ndarray:
        """True force at scenario times: the sum of every effort and artefact."""
        t = np.asarray(t_s, dtype=np.float64)
        force = np.zeros_like(t)
        for part in (*self.efforts(), *self.artefacts):
            force += part.force_n(t)
        return force

    def events(self) -> tuple[ForceEvent, ...]:
        """Ground truth of every effort and artefact, in time order."""
        parts = [effort.event() for effort in self.efforts()]
        parts += [bump.event() for bump in self.artefacts]
        return tuple(sorted(parts, key=lambda event: event.onset_s))

    def effort_events(self) -> tuple[ForceEvent, ...]:
        return tuple(event for event in self.events() if event.kind == "effort")

    def _check_layout(self) -> None:
        efforts = sorted(self.efforts(), key=lambda effort: effort.start_s)
        for first, second in itertools.pairwise(efforts):
            if second.start_s < first.offset_s:
                raise ConfigurationError(
                    f"efforts overlap: one ends at {first.offset_s:.2f} s, the next starts "
                    f"at {second.start_s:.2f} s")
        _check_positive("lead_out_s", self.lead_out_s, allow_zero=True)


@dataclass(frozen=True, slots=True)
class EffortSequence(_EffortLayout):
    """Any efforts and artefacts, as given."""

    effort_list: tuple[Effort, ...]
    artefacts: tuple[Bump, ...] = ()
    lead_out_s: float = 2.0

    def __post_init__(self) -> None:
        self._check_layout()

    def efforts(self) -> tuple[Effort, ...]:
        return self.effort_list


@dataclass(frozen=True, slots=True)
class EffortStyle:
    """How each effort of a protocol looks (everything but its peak and timing)."""

    time_to_peak_s: float = 0.4
    hold_s: float = 3.0
    release_s: float = 0.4
    hold_decay_pct_per_s: float = 2.0
    rise_shape: float = 4.0
    tremor_fraction: float = 0.002

    def make(self, onset_s: float, peak_n: float, side: Side, repetition: int, *,
             pretension_n: float = 0.0, pretension_s: float = 0.0,
             break_drop_fraction: float | None = None) -> Effort:
        return Effort(onset_s=onset_s, peak_n=peak_n, time_to_peak_s=self.time_to_peak_s,
                      hold_s=self.hold_s, release_s=self.release_s,
                      hold_decay_pct_per_s=self.hold_decay_pct_per_s,
                      rise_shape=self.rise_shape, pretension_n=pretension_n,
                      pretension_s=pretension_s, break_drop_fraction=break_drop_fraction,
                      tremor_fraction=self.tremor_fraction, side=side, repetition=repetition)

    def cycle_s(self) -> float:
        """Onset to zero force of one effort of this style (no break)."""
        return self.time_to_peak_s + self.hold_s + self.release_s


def _sequential(peaks_n: tuple[float, ...], sides: tuple[Side, ...], style: EffortStyle,
                lead_in_s: float, rest_s: float,
                pretensions: tuple[tuple[int, float, float], ...]) -> tuple[Effort, ...]:
    """Efforts one after another with ``rest_s`` of zero force between them.

    ``pretensions`` holds (effort index, level N, duration s) of pre-tension; the
    pre-tension is taken out of the preceding rest.
    """
    pretension_of = {index: (level, duration) for index, level, duration in pretensions}
    efforts = []
    counts: dict[Side, int] = {}
    onset = lead_in_s
    for index, (peak, side) in enumerate(zip(peaks_n, sides, strict=True)):
        counts[side] = counts.get(side, 0) + 1
        level, duration = pretension_of.get(index, (0.0, 0.0))
        efforts.append(style.make(onset, peak, side, counts[side], pretension_n=level,
                                  pretension_s=duration))
        onset += style.cycle_s() + rest_s
    return tuple(efforts)


@dataclass(frozen=True, slots=True)
class AshtGrip(_EffortLayout):
    """ASHT grip: 3 trials of one hand, ≥ 3 s hold, ≥ 15 s rest; score = mean of 3 [C4].

    ``pretension`` holds (trial index from 0, level N, duration s) of pre-tension.
    """

    peaks_n: tuple[float, ...] = (300.0, 310.0, 295.0)
    side: Side = Side.RIGHT
    rest_s: float = 15.0
    lead_in_s: float = 2.0
    style: EffortStyle = EffortStyle()
    pretension: tuple[tuple[int, float, float], ...] = ()
    artefacts: tuple[Bump, ...] = ()
    lead_out_s: float = 2.0

    def __post_init__(self) -> None:
        if len(self.peaks_n) != 3:
            raise ConfigurationError(f"ASHT has 3 trials, got {len(self.peaks_n)} peaks")
        self._check_layout()

    def efforts(self) -> tuple[Effort, ...]:
        return _sequential(self.peaks_n, (self.side,) * 3, self.style, self.lead_in_s,
                           self.rest_s, self.pretension)


@dataclass(frozen=True, slots=True)
class SouthamptonGrip(_EffortLayout):
    """Southampton grip: 3 per hand alternating, starting right; score = max of 6 [C3, C4]."""

    right_peaks_n: tuple[float, float, float] = (300.0, 305.0, 298.0)
    left_peaks_n: tuple[float, float, float] = (280.0, 284.0, 279.0)
    rest_s: float = 10.0
    lead_in_s: float = 2.0
    style: EffortStyle = EffortStyle(hold_s=2.0)
    artefacts: tuple[Bump, ...] = ()
    lead_out_s: float = 2.0

    def __post_init__(self) -> None:
        if len(self.right_peaks_n) != 3 or len(self.left_peaks_n) != 3:
            raise ConfigurationError("Southampton has 3 trials per hand")
        self._check_layout()

    def efforts(self) -> tuple[Effort, ...]:
        peaks = tuple(p for pair in zip(self.right_peaks_n, self.left_peaks_n, strict=True)
                      for p in pair)
        sides = (Side.RIGHT, Side.LEFT) * 3
        return _sequential(peaks, sides, self.style, self.lead_in_s, self.rest_s, ())


@dataclass(frozen=True, slots=True)
class KneeExtension(_EffortLayout):
    """Isometric knee extension against a dynamometer, per leg [C18c].

    ``method="make"``: the patient pushes against the held or fixed device and holds.
    ``method="break"``: the tester pushes until the limb gives way; force rises more slowly
    (tester-controlled, ``rise_shape`` 2), peaks at the break and falls to
    ``break_drop_fraction`` of the peak. ``peaks_n`` are the true forces at the pad.
    """

    peaks_n: tuple[float, ...] = (250.0, 260.0, 255.0)
    side: Side = Side.RIGHT
    method: KneeMethod = "make"
    rest_s: float = 30.0
    lead_in_s: float = 2.0
    break_drop_fraction: float = 0.6
    style: EffortStyle | None = None
    artefacts: tuple[Bump, ...] = ()
    lead_out_s: float = 2.0

    def __post_init__(self) -> None:
        if self.method not in ("make", "break"):
            raise ConfigurationError(f"knee method must be 'make' or 'break', got {self.method!r}")
        if not self.peaks_n:
            raise ConfigurationError("knee extension needs at least one effort")
        self._check_layout()

    @property
    def effective_style(self) -> EffortStyle:
        if self.style is not None:
            return self.style
        if self.method == "break":
            return EffortStyle(time_to_peak_s=2.0, hold_s=0.0, release_s=0.3, rise_shape=2.0)
        return EffortStyle(time_to_peak_s=0.8, hold_s=4.0, release_s=0.5)

    def efforts(self) -> tuple[Effort, ...]:
        style = self.effective_style
        efforts = []
        onset = self.lead_in_s
        for repetition, peak in enumerate(self.peaks_n, start=1):
            drop = self.break_drop_fraction if self.method == "break" else None
            effort = style.make(onset, peak, self.side, repetition, break_drop_fraction=drop)
            efforts.append(effort)
            onset = effort.offset_s + self.rest_s
        return tuple(efforts)


@dataclass(frozen=True, slots=True)
class RepeatedContractions(_EffortLayout):
    """Repeated maximal contractions, e.g. 12 × 3 s with 5 s rest [C19b].

    Peaks decline linearly from ``first_peak_n`` to ``last_peak_n``; the true fatigue index
    is ``(first − last) / first × 100``.
    """

    first_peak_n: float = 300.0
    last_peak_n: float = 210.0
    count: int = 12
    contraction_s: float = 3.0
    rest_s: float = 5.0
    side: Side = Side.RIGHT
    lead_in_s: float = 2.0
    time_to_peak_s: float = 0.3
    release_s: float = 0.3
    artefacts: tuple[Bump, ...] = ()
    lead_out_s: float = 2.0

    def __post_init__(self) -> None:
        if self.count < 2:
            raise ConfigurationError("repeated contractions need at least 2 efforts")
        hold = self.contraction_s - self.time_to_peak_s - self.release_s
        if hold <= 0:
            raise ConfigurationError("contraction_s must exceed time_to_peak_s + release_s")
        self._check_layout()

    @property
    def fatigue_index_pct(self) -> float:
        return (self.first_peak_n - self.last_peak_n) / self.first_peak_n * 100.0

    def efforts(self) -> tuple[Effort, ...]:
        peaks = np.linspace(self.first_peak_n, self.last_peak_n, self.count)
        style = EffortStyle(time_to_peak_s=self.time_to_peak_s,
                             hold_s=self.contraction_s - self.time_to_peak_s - self.release_s,
                             release_s=self.release_s, hold_decay_pct_per_s=3.0)
        return _sequential(tuple(float(p) for p in peaks), (self.side,) * self.count, style,
                           self.lead_in_s, self.rest_s, ())


@dataclass(frozen=True, slots=True)
class SustainedGrip(_EffortLayout):
    """Sustained maximal grip until force falls below half its maximum ([C19c]).

    Force declines linearly from the peak so that it reaches 50 % of the peak
    ``time_to_half_s`` after the peak (the truth); the patient lets go ``hold_after_half_s``
    later.
    """

    peak_n: float = 280.0
    time_to_half_s: float = 40.0
    hold_after_half_s: float = 3.0
    side: Side = Side.RIGHT
    lead_in_s: float = 2.0
    time_to_peak_s: float = 0.5
    artefacts: tuple[Bump, ...] = ()
    lead_out_s: float = 2.0

    def __post_init__(self) -> None:
        _check_positive("time_to_half_s", self.time_to_half_s)
        _check_positive("hold_after_half_s", self.hold_after_half_s)
        if self.hold_after_half_s >= self.time_to_half_s:
            raise ConfigurationError("hold_after_half_s must be shorter than time_to_half_s")
        self._check_layout()

    def efforts(self) -> tuple[Effort, ...]:
        decay_pct_per_s = 50.0 / self.time_to_half_s
        return (Effort(onset_s=self.lead_in_s, peak_n=self.peak_n,
                       time_to_peak_s=self.time_to_peak_s,
                       hold_s=self.time_to_half_s + self.hold_after_half_s, release_s=0.5,
                       hold_decay_pct_per_s=decay_pct_per_s, side=self.side),)
