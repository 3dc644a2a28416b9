"""Strength protocols: how many efforts, which side each belongs to, how they are scored.

Presets follow the published protocols (sources in docs/references.md):

* :data:`ASHT_GRIP` — 3 trials of one hand, ≥ 3 s hold; score = mean of 3 [C4].
* :data:`SOUTHAMPTON_GRIP` — 3 per hand alternating, starting with the right; squeeze until
  the needle stops rising; score = maximum of all 6 [C3, C4].
* :data:`KNEE_MAKE` / :data:`KNEE_BREAK` — 3 maximal isometric trials per leg [C18c]
  (after an optional familiarisation trial); we report best and mean and score the best.
  Make and break tests are never mixed in trends [B8].
* :data:`REPEATED_GRIP` — 12 × 3 s maximal contractions with 5 s rest; fatigue index
  = (first peak − 12th peak) ÷ first peak × 100 [C19b].
* :data:`SUSTAINED_GRIP` — one sustained maximal grip; fatigue resistance = time for the
  force to fall to 50 % of its maximum [C19c], measured here from the time of the maximum.
* :data:`BRIEF_EFFORTS` — any number of short efforts of one side (pinches, app reps).
* :data:`ISOMETRIC_TESTS` — other maximal isometric tests recorded on the same devices
  (finger flexors on a Tindeq Progressor, hamstrings or shoulder rotators with a hand-held
  dynamometer, ...): any number of maximal efforts of one side, each held ≥ 1 s as for
  the knee make test, scored by the best. Each is its own protocol (its own name in the
  record), so a trend never mixes muscle groups.

``min_hold_s`` is the protocol's hold measured as time above half the peak (see
:mod:`.detection`): efforts held for less are rejected as artefacts. For the ASHT it is
the protocol's own 3 s; a genuine 3 s hold measures longer, since half the rise and half
the release count too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from physiocap.core.errors import ConfigurationError
from physiocap.core.records import ISOMETRIC_MUSCLE_GROUPS, Side

ScoreRule = Literal["mean", "max"]
ProtocolKind = Literal["maximal", "repeated", "sustained"]


@dataclass(frozen=True)
class StrengthProtocol:
    """What the protocol asks for (see the module docstring for the presets).

    ``side_pattern`` cycles over the efforts in order (Southampton: right, left, ...);
    ``None`` gives every effort the trial's side. ``expected_efforts`` is ``None`` when any
    number is fine. ``report_rfd`` is false where the rise is paced by the tester (break
    test): RFD characterises explosive voluntary contractions only (Maffiuletti et al. 2016).
    """

    name: str
    test: str
    kind: ProtocolKind
    score_rule: ScoreRule
    min_hold_s: float
    expected_efforts: int | None
    side_pattern: tuple[Side, ...] | None = None
    flag_submaximal: bool = True
    report_rfd: bool = True

    def __post_init__(self) -> None:
        if self.min_hold_s < 0:
            raise ConfigurationError(f"protocol {self.name}: min_hold_s must be ≥ 0 s")
        if self.side_pattern is not None and not self.side_pattern:
            raise ConfigurationError(f"protocol {self.name}: side_pattern must not be empty")

    def sides_for(self, count: int, trial_side: Side) -> tuple[Side, ...]:
        """Side of each of ``count`` efforts in order."""
        if self.side_pattern is None:
            return (trial_side,) * count
        pattern = self.side_pattern
        return tuple(pattern[index % len(pattern)] for index in range(count))


ASHT_GRIP = StrengthProtocol("grip_asht", "grip", "maximal", "mean", min_hold_s=3.0,
                             expected_efforts=3)
SOUTHAMPTON_GRIP = StrengthProtocol("grip_southampton", "grip", "maximal", "max",
                                    min_hold_s=0.5, expected_efforts=6,
                                    side_pattern=(Side.RIGHT, Side.LEFT))
KNEE_MAKE = StrengthProtocol("knee_extension_make", "knee_extension", "maximal", "max",
                             min_hold_s=1.0, expected_efforts=3)
KNEE_BREAK = StrengthProtocol("knee_extension_break", "knee_extension", "maximal", "max",
                              min_hold_s=0.5, expected_efforts=3, report_rfd=False)
REPEATED_GRIP = StrengthProtocol("grip_repeated_12x3s", "grip", "repeated", "max",
                                 min_hold_s=1.5, expected_efforts=12, flag_submaximal=False)
SUSTAINED_GRIP = StrengthProtocol("grip_sustained", "grip", "sustained", "max",
                                  min_hold_s=5.0, expected_efforts=1, flag_submaximal=False)
BRIEF_EFFORTS = StrengthProtocol("brief_efforts", "grip", "maximal", "max", min_hold_s=0.02,
                                 expected_efforts=None, flag_submaximal=False)

#: Named maximal isometric tests beyond grip and knee extension (module docstring).
ISOMETRIC_TESTS: dict[str, StrengthProtocol] = {
    name: StrengthProtocol(f"isometric_{name}", name, "maximal", "max", min_hold_s=1.0,
                           expected_efforts=None)
    for name in ISOMETRIC_MUSCLE_GROUPS}

PROTOCOLS: dict[str, StrengthProtocol] = {
    protocol.name: protocol for protocol in (ASHT_GRIP, SOUTHAMPTON_GRIP, KNEE_MAKE,
                                             KNEE_BREAK, REPEATED_GRIP, SUSTAINED_GRIP,
                                             BRIEF_EFFORTS, *ISOMETRIC_TESTS.values())}


def protocol_named(name: str) -> StrengthProtocol:
    """The preset called ``name``; a clear error listing the known ones otherwise."""
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise ConfigurationError(f"unknown strength protocol {name!r}; known: "
                                 f"{', '.join(sorted(PROTOCOLS))}") from None
