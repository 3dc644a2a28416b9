"""Strength analysis of one dynamometer recording under one protocol.

``StrengthAnalyzer(protocol).analyze(time_s, force_n, side=..., knee=...)`` conditions the
signal (:mod:`.conditioning`), finds and screens the efforts (:mod:`.detection`,
:mod:`.onset`), measures each (:mod:`.metrics`), assigns sides and repetitions per the
protocol (:mod:`.protocols`) and summarises per side (:mod:`.summary`). Inputs are plain
arrays: times in seconds (strictly increasing) and force in newtons.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from physiocap.analysis.norms.strength import load_strength_norms
from physiocap.analysis.result import AlgorithmInfo, parameter_snapshot, to_jsonable
from physiocap.analysis.strength.conditioning import BaselineTracker, ForceSignal, condition
from physiocap.analysis.strength.detection import (
    DetectedEffort,
    EffortDetector,
    RejectedCandidate,
)
from physiocap.analysis.strength.flags import EffortFlag, ResultFlag
from physiocap.analysis.strength.metrics import EffortMeasurer, EffortMetrics
from physiocap.analysis.strength.protocols import ASHT_GRIP, StrengthProtocol, protocol_named
from physiocap.analysis.strength.summary import (
    Asymmetry,
    KneeSetup,
    SideSummary,
    asymmetry,
    knee_torque,
    summarize_side,
)
from physiocap.core.errors import ConfigurationError
from physiocap.core.records import Side
from physiocap.core.units import n_to_kgf

#: Order in which sides are listed.
_SIDE_ORDER = (Side.RIGHT, Side.LEFT, Side.NONE)


@dataclass(frozen=True)
class StrengthResult:
    """Everything the strength analysis found in one recording.

    ``score_n`` is the protocol's summary (ASHT: mean of the trials; Southampton: maximum
    of all six; knee: best), ``None`` when it is undefined (e.g. a mean over two hands).
    ``fatigue_index_pct`` is set for repeated contractions, ``time_to_half_s`` for a
    sustained grip.
    """

    algorithm: AlgorithmInfo
    protocol: str
    efforts: tuple[EffortMetrics, ...]
    rejected: tuple[RejectedCandidate, ...]
    sides: tuple[SideSummary, ...]
    score_n: float | None
    asymmetry: Asymmetry | None
    fatigue_index_pct: float | None
    time_to_half_s: float | None
    sampling_rate_hz: float
    noise_sd_n: float
    knee: KneeSetup | None
    flags: tuple[str, ...] = ()

    def side(self, side: str) -> SideSummary | None:
        return next((summary for summary in self.sides if summary.side == side), None)

    def to_record(self) -> dict[str, Any]:
        """JSON-able record: trial-level values, ``sides`` keyed by side, every effort.

        Trial-level ``mean_of_trials_n``, ``cv_pct``, ``rfd_0_100_n_per_s`` and
        ``time_to_peak_s`` are those of the single side measured, ``None`` for a two-sided
        trial (see ``sides``); ``peak_force_n`` and ``best_n`` are the largest effort.
        """
        single = self.sides[0] if len(self.sides) == 1 else None
        best = max((e.peak_force_n for e in self.efforts), default=None)
        symmetry = self.asymmetry.symmetry_index_pct if self.asymmetry else None
        record: dict[str, Any] = {
            "algorithm": to_jsonable(self.algorithm),
            "protocol": self.protocol,
            "score_n": self.score_n,
            "score_kgf": None if self.score_n is None else float(n_to_kgf(self.score_n)),
            "peak_force_n": best,
            "best_n": best,
            "mean_of_trials_n": single.mean_of_trials_n if single else None,
            "cv_pct": single.cv_pct if single else None,
            "rfd_0_100_n_per_s": single.rfd_0_100_n_per_s if single else None,
            "time_to_peak_s": single.time_to_peak_s if single else None,
            "asymmetry_si_pct": symmetry,
            "asymmetry": self.asymmetry.to_record() if self.asymmetry else None,
            "torque_nm": single.torque_nm if single else None,
            "torque_per_kg_nm_per_kg": single.torque_per_kg_nm_per_kg if single else None,
            "fatigue_index_pct": self.fatigue_index_pct,
            "time_to_half_s": self.time_to_half_s,
            "sampling_rate_hz": self.sampling_rate_hz,
            "noise_sd_n": self.noise_sd_n,
            "knee": to_jsonable(self.knee),
            "efforts": [effort.to_record() for effort in self.efforts],
            "rejected": to_jsonable(self.rejected),
            "sides": {summary.side or "unspecified": self._side_record(summary, symmetry)
                      for summary in self.sides},
            "flags": list(self.flags),
        }
        return record

    def _side_record(self, summary: SideSummary, symmetry: float | None) -> dict[str, Any]:
        record = to_jsonable(summary)
        record["peak_force_n"] = summary.best_n
        record["score_kgf"] = float(n_to_kgf(summary.score_n))
        record["asymmetry_si_pct"] = symmetry
        record["efforts"] = [
            {"number": e.number, "repetition": e.repetition, "onset_s": e.onset_s,
             "peak_time_s": e.peak_time_s, "offset_s": e.offset_s,
             "peak_force_n": e.peak_force_n}
            for e in self.efforts if e.number in summary.efforts]
        return record


#: Effort flags set when sides are assigned, set again when windows are combined.
_ASSIGNED_FLAGS = (EffortFlag.POSSIBLY_SUBMAXIMAL, EffortFlag.BEYOND_HUMAN_GRIP)


class StrengthAnalyzer:
    """Efforts, metrics, per-side summary and asymmetry of one recording (module docstring).

    ``min_hold_s`` defaults to the protocol's. ``familiarisation_efforts`` leading efforts
    are set aside (listed as rejected) before side assignment. ``submaximal_fraction``:
    an effort whose peak is below this fraction of its side's best is flagged possibly
    submaximal (our rule, for protocols of maximal efforts only).

    ``device_zero_n`` is the device's zero when it was tared before the set (0 N), ``None``
    when unknown (see :mod:`.conditioning`).

    Version 1.1 (issue 15, real Tindeq Progressor exports): with a known device zero, a
    recording with no rest (it starts under load) is measured from that zero instead of
    from its lowest loaded sample (which gave a third of the displayed peak), and a loaded
    stretch is never taken for rest; a peak that is one isolated sample is flagged
    ``peak_single_sample_spike``, not filtered away.

    Version 1.2 (issue 16, item 6): a grip effort whose peak exceeds ``beyond_human_grip_n``
    (default: the bundled norms' bound, about 1100 N = 112 kgf [C1, C2]) is flagged
    ``beyond_human_grip``: no person grips that hard, so the force is almost surely in the
    wrong unit (newtons under a kgf header read 9.8 times too high). Flagged, not dropped:
    the numbers stay as recorded for whoever checks the file.
    """

    name = "strength_efforts"
    version = "1.2"

    def __init__(self, protocol: StrengthProtocol | str = ASHT_GRIP, *,
                 lowpass_hz: float = 20.0, threshold_sd: float = 5.0,
                 min_hold_s: float | None = None, min_peak_fraction: float = 0.15,
                 min_peak_n: float = 0.0, min_rfd_rate_hz: float = 500.0,
                 plateau_window_s: float = 1.0, cv_limit_pct: float = 15.0,
                 submaximal_fraction: float = 0.8, familiarisation_efforts: int = 0,
                 device_zero_n: float | None = None,
                 beyond_human_grip_n: float | None = None) -> None:
        self.protocol = protocol_named(protocol) if isinstance(protocol, str) else protocol
        self.lowpass_hz = lowpass_hz
        self.threshold_sd = threshold_sd
        self.min_hold_s = self.protocol.min_hold_s if min_hold_s is None else min_hold_s
        self.min_peak_fraction = min_peak_fraction
        self.min_peak_n = min_peak_n
        self.min_rfd_rate_hz = min_rfd_rate_hz
        self.plateau_window_s = plateau_window_s
        self.cv_limit_pct = cv_limit_pct
        self.submaximal_fraction = submaximal_fraction
        self.familiarisation_efforts = familiarisation_efforts
        self.device_zero_n = device_zero_n
        self.beyond_human_grip_n = (load_strength_norms().grip_beyond_human.above_n
                                    if beyond_human_grip_n is None else beyond_human_grip_n)
        if lowpass_hz <= 0 or threshold_sd <= 0 or familiarisation_efforts < 0:
            raise ConfigurationError("lowpass_hz and threshold_sd must be > 0 and "
                                     "familiarisation_efforts ≥ 0")

    def analyze(self, time_s: np.ndarray, force_n: np.ndarray, *, side: Side | str = Side.NONE,
                knee: KneeSetup | None = None) -> StrengthResult:
        """Analyse one recording; ``side`` is the trial's side (unless the protocol
        alternates), ``knee`` the lever arms, body mass and fixation of a knee trial."""
        try:
            trial_side = Side(side)
        except ValueError:
            raise ConfigurationError(f"side must be 'left', 'right' or '', got {side!r}") \
                from None
        signal = condition(time_s, force_n, lowpass_hz=self.lowpass_hz,
                           baseline=BaselineTracker(threshold_sd=self.threshold_sd,
                                                    device_zero_n=self.device_zero_n))
        detector = EffortDetector(threshold_sd=self.threshold_sd, min_hold_s=self.min_hold_s,
                                  min_peak_fraction=self.min_peak_fraction,
                                  min_peak_n=self.min_peak_n)
        detected, rejected = detector.detect(signal)
        detected, rejected = self._set_aside_familiarisation(signal, detected, rejected)
        measurer = EffortMeasurer(min_rfd_rate_hz=self.min_rfd_rate_hz,
                                  plateau_window_s=self.plateau_window_s,
                                  report_rfd=self.protocol.report_rfd)
        efforts = [measurer.measure(signal, effort, number)
                   for number, effort in enumerate(detected, start=1)]
        return self._result(efforts, rejected, trial_side, knee, rate_hz=signal.rate_hz,
                            noise_sd_n=signal.noise_sd_n, has_rest=signal.has_rest,
                            time_to_half_s=self._time_to_half(signal, detected))

    def combine(self, parts: Sequence[tuple[StrengthResult, tuple[float, float]]], *,
                side: Side | str = Side.NONE, knee: KneeSetup | None = None) -> StrengthResult:
        """One recording's result from the results of overlapping windows of it, each
        analysed by :meth:`for_windows` and given with the span of time it answers for
        (spans tile the recording; an effort, or a rejected candidate, is taken from the
        window whose span holds its onset, so one found in two windows counts once).

        What :meth:`analyze` decides over the whole recording is decided again over the
        efforts kept: the ``min_peak_fraction`` floor of the largest effort, the
        familiarisation efforts set aside, numbers, sides, repetitions, the flags set with
        them (:data:`_ASSIGNED_FLAGS`) and the protocol's summary. The sampling rate and
        noise are the windows' medians; rest is found if any window found it; a sustained
        grip's time to half is the window's that holds the first effort as its own first."""
        trial_side = Side(side)
        efforts: list[EffortMetrics] = []
        rejected: list[RejectedCandidate] = []
        half_by_onset: dict[float, float | None] = {}
        for part, (start_s, stop_s) in parts:
            own = [e for e in part.efforts if start_s <= e.onset_s < stop_s]
            if own and part.efforts[0] is own[0]:
                half_by_onset[own[0].onset_s] = part.time_to_half_s
            efforts += [dataclasses.replace(e, flags=tuple(
                flag for flag in e.flags if flag not in _ASSIGNED_FLAGS)) for e in own]
            rejected += [r for r in part.rejected if start_s <= r.start_s < stop_s]
        floor_n = max(self.min_peak_fraction * max((e.peak_force_n for e in efforts),
                                                   default=0.0), self.min_peak_n)
        rejected += [RejectedCandidate(e.onset_s, e.offset_s, e.peak_force_n,
                                       e.hold_duration_s,
                                       f"peak {e.peak_force_n:.1f} N above baseline is below "
                                       f"{floor_n:.1f} N ({self.min_peak_fraction:.0%} of the "
                                       "largest effort)")
                     for e in efforts if e.peak_force_n < floor_n]
        efforts = [e for e in efforts if e.peak_force_n >= floor_n]
        count = min(self.familiarisation_efforts, len(efforts))
        rejected += [RejectedCandidate(e.onset_s, e.offset_s, e.peak_force_n,
                                       e.hold_duration_s, "familiarisation trial")
                     for e in efforts[:count]]
        efforts = [dataclasses.replace(e, number=number)
                   for number, e in enumerate(efforts[count:], start=1)]
        time_to_half = half_by_onset.get(efforts[0].onset_s) if efforts else None
        results = [part for part, _ in parts]
        return self._result(
            efforts, tuple(sorted(rejected, key=lambda item: item.start_s)), trial_side,
            knee, rate_hz=float(np.median([r.sampling_rate_hz for r in results])),
            noise_sd_n=float(np.median([r.noise_sd_n for r in results])),
            has_rest=any(ResultFlag.NO_REST_BASELINE not in r.flags for r in results),
            time_to_half_s=time_to_half)

    def for_windows(self) -> StrengthAnalyzer:
        """This analyzer for the windows given to :meth:`combine`: without familiarisation
        efforts, which are the recording's first and are set aside there."""
        window = copy.copy(self)
        window.familiarisation_efforts = 0
        return window

    def _result(self, efforts: list[EffortMetrics], rejected: tuple[RejectedCandidate, ...],
                trial_side: Side, knee: KneeSetup | None, *, rate_hz: float,
                noise_sd_n: float, has_rest: bool,
                time_to_half_s: float | None) -> StrengthResult:
        """Sides, repetitions, per-side summaries, score and flags of measured efforts."""
        efforts = self._assign(efforts, trial_side, knee)
        summaries = tuple(
            summarize_side(str(s), [e for e in efforts if e.side == s],
                           score_rule=self.protocol.score_rule,
                           cv_limit_pct=self.cv_limit_pct, knee=knee)
            for s in _SIDE_ORDER if any(e.side == s for e in efforts))
        by_side = {summary.side: summary for summary in summaries}
        both = (by_side.get(Side.LEFT), by_side.get(Side.RIGHT))
        asym = (asymmetry(both[0].score_n, both[1].score_n)
                if both[0] is not None and both[1] is not None else None)
        return StrengthResult(
            algorithm=AlgorithmInfo(self.name, self.version, parameter_snapshot(self)),
            protocol=self.protocol.name, efforts=tuple(efforts), rejected=rejected,
            sides=summaries, score_n=self._score(efforts, summaries), asymmetry=asym,
            fatigue_index_pct=self._fatigue_index(efforts),
            time_to_half_s=time_to_half_s, sampling_rate_hz=rate_hz,
            noise_sd_n=noise_sd_n, knee=knee,
            flags=self._flags(has_rest, count=len(efforts), knee=knee,
                              time_to_half_s=time_to_half_s,
                              beyond_human=any(EffortFlag.BEYOND_HUMAN_GRIP in e.flags
                                               for e in efforts)))

    # steps ------------------------------------------------------------------------------
    def _set_aside_familiarisation(
            self, signal: ForceSignal, detected: tuple[DetectedEffort, ...],
            rejected: tuple[RejectedCandidate, ...],
    ) -> tuple[tuple[DetectedEffort, ...], tuple[RejectedCandidate, ...]]:
        count = min(self.familiarisation_efforts, len(detected))
        if count == 0:
            return detected, rejected
        set_aside = tuple(
            RejectedCandidate(effort.onset.time_s, effort.offset_s, effort.amplitude_n,
                              effort.hold_duration_s, "familiarisation trial")
            for effort in detected[:count])
        merged = tuple(sorted(rejected + set_aside, key=lambda item: item.start_s))
        return detected[count:], merged

    def _assign(self, efforts: list[EffortMetrics], trial_side: Side,
                knee: KneeSetup | None) -> list[EffortMetrics]:
        sides = self.protocol.sides_for(len(efforts), trial_side)
        counts: dict[str, int] = {}
        assigned = []
        for effort, effort_side in zip(efforts, sides, strict=True):
            counts[effort_side] = counts.get(effort_side, 0) + 1
            torque, per_kg = knee_torque(effort.peak_force_n, effort_side, knee, [])
            assigned.append(dataclasses.replace(
                effort, side=str(effort_side), repetition=counts[effort_side],
                torque_nm=torque, torque_per_kg_nm_per_kg=per_kg))
        if self.protocol.test == "grip":
            assigned = [dataclasses.replace(e, flags=(*e.flags, EffortFlag.BEYOND_HUMAN_GRIP))
                        if e.peak_force_n > self.beyond_human_grip_n else e for e in assigned]
        if not self.protocol.flag_submaximal:
            return assigned
        best = {s: max(e.peak_force_n for e in assigned if e.side == s) for s in counts}
        return [dataclasses.replace(e, flags=(*e.flags, EffortFlag.POSSIBLY_SUBMAXIMAL))
                if e.peak_force_n < self.submaximal_fraction * best[e.side] else e
                for e in assigned]

    def _score(self, efforts: list[EffortMetrics],
               summaries: tuple[SideSummary, ...]) -> float | None:
        if not efforts:
            return None
        if len(summaries) == 1:
            return summaries[0].score_n
        if self.protocol.score_rule == "max":
            return max(e.peak_force_n for e in efforts)
        return None

    def _fatigue_index(self, efforts: list[EffortMetrics]) -> float | None:
        """(first peak − last peak) ÷ first peak × 100 [C19b] for repeated contractions."""
        if self.protocol.kind != "repeated" or len(efforts) < 2:
            return None
        first, last = efforts[0].peak_force_n, efforts[-1].peak_force_n
        return (first - last) / first * 100.0

    def _time_to_half(self, signal: ForceSignal,
                      detected: tuple[DetectedEffort, ...]) -> float | None:
        """Time from the maximum until the force first falls to half of it [C19c]."""
        if self.protocol.kind != "sustained" or not detected:
            return None
        effort = detected[0]
        above = signal.smooth_n - signal.baseline_n
        peak = effort.smooth_peak_index
        half = 0.5 * above[peak]
        below = np.flatnonzero(above[peak:] <= half)
        if not len(below):
            return None
        index = peak + int(below[0])
        crossing = float(np.interp(half, [above[index], above[index - 1]],
                                   [signal.time_s[index], signal.time_s[index - 1]]))
        return crossing - float(signal.time_s[peak])

    def _flags(self, has_rest: bool, *, count: int, knee: KneeSetup | None,
               time_to_half_s: float | None, beyond_human: bool) -> tuple[str, ...]:
        flags: list[str] = [ResultFlag.BEYOND_HUMAN_GRIP] if beyond_human else []
        if count == 0:
            flags.append(ResultFlag.NO_EFFORT_FOUND)
        expected = self.protocol.expected_efforts
        if expected is not None and count not in (0, expected):
            flags.append(ResultFlag.EFFORT_COUNT_MISMATCH)
        if not has_rest:
            flags.append(ResultFlag.NO_REST_BASELINE)
        if self.protocol.test == "knee_extension":
            if knee is None or knee.fixation == "hand_held":
                flags.append(ResultFlag.HAND_HELD)
            if self.protocol.name == "knee_extension_break":
                flags.append(ResultFlag.BREAK_TEST)
        if self.protocol.kind == "sustained" and count and time_to_half_s is None:
            flags.append(ResultFlag.NO_FALL_TO_HALF)
        return tuple(flags)
