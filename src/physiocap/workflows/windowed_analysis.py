"""Windows of a trial far longer than any test (a recording left running for hours), so
that its analysis holds a few minutes of signal at a time, whatever its length (issue 16).

The analyses take a whole recording and find the tests in it one by one (every TUG in an
IMU recording, every effort in a force recording), so a long trial is cut into windows
that overlap by more than the longest test plus the signal the analysis reads around it;
each window is read from the file on its own and analysed as a recording, and each test is
taken from the one window whose *core* holds its start. The cores tile the trial: the
first starts at minus infinity, the last ends at infinity, and consecutive ones meet in
the middle of their windows' overlap, half an overlap from either window's edge. A test
of at most ``longest_test_s`` that starts in a core, with ``context_s`` of signal on
either side, then lies wholly inside that core's window, because half the overlap is
``longest_test_s + context_s``; one found twice, in the overlap of two windows, counts
once. A window is three overlaps long, so that its core is twice the overlap and each
sample is analysed 1.5 times.

The windows follow from the protocols, never from data:

* TUG: a candidate TUG longer than the analyzer's ``max_total_s`` (120 s) is refused as
  implausible, and around its turns the analyzer reads up to ``max_leg_s`` (30 s, the
  longest walk between the turns) plus ``max_transition_s`` (4 s, the longest rise or
  sit) for the rise before and the sitting down after; taken from the analyzer used, so
  a re-analysis with other limits gets windows to match.
* strength: the longest protocol is the repeated grip, 12 maximal contractions of 3 s
  with 5 s rest, 96 s in all [C19b] (efforts are found one by one, so this covers a whole
  set, a sustained grip as long as it and any single effort); an effort is told from rest
  by the rest around it, and the shortest rest a protocol gives between efforts is that
  set's 5 s [C19b].

A trial shorter than one window is analysed whole, as before; gait-speed and
sit-to-stand trials always are (their analyses take the one longest walk, or time the
rises from the seated posture at the recording's start, which windows would change).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from physiocap.analysis.tug.analyzer import TugAnalyzer
from physiocap.analysis.tug.result import TugResult

#: Sets of repeated grip [C19b]: 12 contractions of 3 s, each followed by 5 s of rest.
REPEATED_GRIP_SET_S = 12 * (3.0 + 5.0)
#: The shortest rest between two efforts that a strength protocol gives [C19b].
SHORTEST_REST_BETWEEN_EFFORTS_S = 5.0


@dataclass(frozen=True, slots=True)
class Window:
    """Samples read (``span_s``, end excluded) and the tests this window answers for:
    those starting in ``core_s``."""

    span_s: tuple[float, float]
    core_s: tuple[float, float]


@dataclass(frozen=True, slots=True)
class WindowPlan:
    """How a long trial is cut (module docstring): ``longest_test_s`` is the longest test
    the analysis accepts, ``context_s`` the signal it reads on either side of one."""

    longest_test_s: float
    context_s: float

    @property
    def overlap_s(self) -> float:
        return 2.0 * (self.longest_test_s + self.context_s)

    @property
    def window_s(self) -> float:
        return 3.0 * self.overlap_s

    def windows(self, start_s: float, stop_s: float) -> list[Window]:
        """The windows of a trial recorded from ``start_s`` to ``stop_s``; none when it
        fits in one (it is then analysed whole)."""
        if stop_s - start_s <= self.window_s:
            return []
        step = self.window_s - self.overlap_s
        count = math.ceil((stop_s - start_s - self.window_s) / step) + 1
        half = 0.5 * self.overlap_s
        windows = []
        for index in range(count):
            begin = start_s + index * step
            end = begin + self.window_s
            last = index == count - 1
            windows.append(Window((begin, stop_s + 1.0 if last else end),
                                  (-math.inf if index == 0 else begin + half,
                                   math.inf if last else end - half)))
        return windows

    def as_params(self) -> dict[str, Any]:
        """What a stored run says of its windows (so a reader knows the trial was cut)."""
        return {"window_s": self.window_s, "overlap_s": self.overlap_s,
                "longest_test_s": self.longest_test_s, "context_s": self.context_s}


def tug_plan(analyzer: TugAnalyzer) -> WindowPlan:
    """Windows for a TUG analyzer's own limits (module docstring)."""
    return WindowPlan(analyzer.max_total_s, analyzer.max_leg_s + analyzer.max_transition_s)


#: Windows of a force recording (module docstring).
STRENGTH_PLAN = WindowPlan(REPEATED_GRIP_SET_S, SHORTEST_REST_BETWEEN_EFFORTS_S)


def merge_tug(parts: Sequence[tuple[TugResult, tuple[float, float]]]) -> TugResult:
    """One recording's TUG result from its windows' (each with its core): the trials that
    start in their window's core, in time order; with none, ``no_tug_found`` and why
    candidates were refused, as the analyzer reports for one recording."""
    trials = sorted((trial for result, (start_s, stop_s) in parts for trial in result.trials
                     if start_s <= trial.events["sit_to_stand_start_s"] < stop_s),
                    key=lambda trial: trial.events["sit_to_stand_start_s"])
    flags: tuple[str, ...] = ()
    if not trials:
        flags = ("no_tug_found", *dict.fromkeys(
            flag for result, _ in parts for flag in result.flags if flag != "no_tug_found"))
    first = parts[0][0]
    return TugResult(first.algorithm, first.placement, tuple(trials), flags)
