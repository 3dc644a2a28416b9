"""The visit summary: each test's score over its trials, with cut-off verdicts and sources.

Scores follow each protocol's own rule and say which rule they used: TUG and gait speed
as the mean of the analysed trials (10 m walk test: mean of three [C14a]); grip per the
ASHT (mean of 3) or Southampton (maximum of 6) convention [C3, C4]; knee extension as the
best effort per leg, with torque, N·m/kg and the side-to-side deficit [B7]; a named
isometric test (finger flexors, hamstrings, shoulder rotation, ...) per muscle group and
test method, as the best effort per side with the side-to-side deficit, like knee
extension [C18c] but without norms (none in the sources read). Rejected trials never count.
Cut-offs are context, shown with their source and population.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from physiocap.analysis.norms import load_mobility_norms, load_strength_norms
from physiocap.analysis.strength import EffortMetrics, StrengthResult, asymmetry
from physiocap.analysis.strength.summary import Asymmetry, SideSummary, summarize_side
from physiocap.core.device_info import DeviceInfo
from physiocap.core.records import Participant, TestKind
from physiocap.workflows.analyze import TrialOutcome, knee_setup_for
from physiocap.workflows.qa.status import DEFAULT_INTERVAL_DAYS, device_warnings

#: Trial-to-trial CV above which a strength result is flagged as inconsistent, %: the
#: conventional sincerity-of-effort limit, which Shechtman 2000 (J Hand Ther 13:25-32)
#: found weak as a test of sincerity; the same limit the strength analysis uses.
CV_LIMIT_PCT = 15.0


@dataclass(frozen=True, slots=True)
class Verdict:
    criterion: str
    flagged: bool
    meaning: str
    threshold: str
    source: str


@dataclass(frozen=True, slots=True)
class TestSummary:
    """One test of the visit: its score, how it was obtained, and what it means."""

    __test__ = False  # not a pytest test class

    test: TestKind
    label: str
    measure: str
    value: float | None
    unit: str
    rule: str
    per_trial: tuple[float, ...] = ()
    sides: tuple[SideSummary, ...] = ()
    asymmetry: Asymmetry | None = None
    verdicts: tuple[Verdict, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    named_test: str = ""  # a named isometric test's muscle group (TestKind.ISOMETRIC)


def _cutoff(threshold: float, unit: str) -> str:
    """A cut-off with its unit as clinicians read it: ``20 s``, ``1.0 m/s``."""
    number = f"{threshold:.1f}" if unit == "m/s" and round(threshold, 1) == threshold \
        else f"{threshold:g}"
    return f"{number} {unit}"


def _mobility_summary(test: TestKind, label: str, measure: str, scored: list[TrialOutcome],
                      rule: str) -> TestSummary:
    """The mean of ``scored`` (trials whose headline holds ``measure``) with its verdicts,
    naming the trials among them that carry quality flags."""
    values = [float(o.headline[measure]) for o in scored]
    flagged = [o for o in scored if o.flags]
    norms = load_mobility_norms()
    value = float(np.mean(values)) if values else None
    unit = "m/s" if measure.endswith("_m_per_s") else "s"
    verdicts = () if value is None else tuple(
        Verdict(v.cutoff.criterion, v.flagged, v.cutoff.meaning,
                f"{v.cutoff.flag_when.replace('_', ' ')} {_cutoff(v.cutoff.threshold, unit)}",
                v.cutoff.source)
        for v in norms.classify(measure, value))
    notes = () if values else ("no trial could be analysed",)
    if flagged:
        listed = "; ".join(f"{o.trial_id} ({', '.join(f.replace('_', ' ') for f in o.flags)})"
                           for o in flagged)
        notes += (f"the mean includes trials with quality flags: {listed}; check them, or "
                  "reject them to leave them out",)
    return TestSummary(test, label, measure, value, unit, rule, tuple(values),
                       verdicts=verdicts, notes=notes)


def _efforts_by_side(results: list[StrengthResult]) -> dict[str, list[EffortMetrics]]:
    by_side: dict[str, list[EffortMetrics]] = defaultdict(list)
    for result in results:
        for effort in result.efforts:
            by_side[str(effort.side)].append(effort)
    return by_side


#: Why a named isometric test has no verdict or reference beside its force.
NO_ISOMETRIC_NORMS = ("no cut-off or reference values for this test in the sources read: "
                      "the force is reported without a norm verdict")


def muscle_group_label(name: str) -> str:
    """``"shoulder_external_rotation"`` → ``"Shoulder external rotation"``."""
    return name.replace("_", " ").capitalize()


def _isometric_summary(muscle_group: str, method: str,
                       results: list[StrengthResult]) -> TestSummary:
    """A named isometric test: best effort per side, side-to-side deficit, no norms."""
    sides = tuple(summarize_side(side, efforts, score_rule="max", cv_limit_pct=CV_LIMIT_PCT,
                                 knee=None)
                  for side, efforts in sorted(_efforts_by_side(results).items()))
    by_side = {summary.side: summary for summary in sides}
    pair = (asymmetry(by_side["left"].score_n, by_side["right"].score_n)
            if {"left", "right"} <= set(by_side) else None)
    return TestSummary(TestKind.ISOMETRIC, f"{muscle_group_label(muscle_group)} ({method})",
                       "peak_force_n", max((s.best_n for s in sides), default=None), "N",
                       "best effort per side (maximal isometric efforts [C18c])",
                       tuple(s.best_n for s in sides), sides, pair,
                       notes=(NO_ISOMETRIC_NORMS,), named_test=muscle_group)


def _strength_summary(test: TestKind, protocol_name: str, results: list[StrengthResult],
                      participant: Participant, protocol: dict) -> TestSummary:
    grip = test is TestKind.GRIP
    score_rule = "mean" if protocol_name == "asht" else "max"
    knee = None if grip else knee_setup_for(participant, protocol)
    sides = tuple(summarize_side(side, efforts, score_rule=score_rule,
                                 cv_limit_pct=CV_LIMIT_PCT, knee=knee)
                  for side, efforts in sorted(_efforts_by_side(results).items()))
    by_side = {summary.side: summary for summary in sides}
    pair = (asymmetry(by_side["left"].score_n, by_side["right"].score_n)
            if {"left", "right"} <= set(by_side) else None)
    notes = []
    if grip and protocol_name == "southampton":
        value = max((s.best_n for s in sides), default=None)
        rule = "Southampton: maximum of all efforts, both hands (Roberts et al. 2011 [C3])"
    elif grip:
        value = max((s.mean_of_trials_n for s in sides), default=None)
        rule = "ASHT: mean of the trials of the stronger tested hand (ASHT 2015 [C4])"
    else:
        value = max((s.best_n for s in sides), default=None)
        rule = "best effort per leg; torque = force × lever arm"
    verdicts: tuple[Verdict, ...] = ()
    norms = load_strength_norms()
    if grip and value is not None:
        verdicts = tuple(Verdict(v.cutoff.criterion, v.below, v.cutoff.meaning,
                                 f"below {v.cutoff.below_kgf:g} kgf", v.cutoff.source)
                         for v in norms.classify_grip(value, participant.sex))
    elif not grip:
        for summary in sides:
            if summary.torque_per_kg_nm_per_kg is None:
                continue
            for comparison in norms.knee_context(summary.torque_per_kg_nm_per_kg,
                                                 participant.sex):
                reference = comparison.reference
                notes.append(f"{summary.side} {summary.torque_per_kg_nm_per_kg:.2f} N·m/kg: "
                             f"{comparison.position} the {reference.group}-{reference.sex} "
                             f"reference {reference.low_nm_per_kg:.2f}-"
                             f"{reference.high_nm_per_kg:.2f} ({reference.source.split(',')[0]})")
    label = ("Grip " + protocol_name.upper() if protocol_name == "asht"
             else "Grip Southampton") if grip else f"Knee extension ({protocol_name})"
    return TestSummary(test, label, "peak_force_n", value, "N", rule,
                       tuple(s.best_n for s in sides), sides, pair, verdicts, tuple(notes))


def summarize_visit(outcomes: list[TrialOutcome], participant: Participant,
                    protocols: dict[str, dict]) -> list[TestSummary]:
    """Summaries per test (and per strength protocol) from analysed, non-rejected trials.

    ``protocols`` maps trial IDs to their protocol variables.
    """
    analysed = [o for o in outcomes if o.algorithm is not None and o.status != "rejected"]
    summaries = []
    mobility = ((TestKind.TUG, "Timed Up and Go", "tug_total_time_s",
                 "mean of the analysed trials"),
                (TestKind.GAIT_SPEED, "Gait speed", "gait_speed_m_per_s",
                 "mean of the analysed trials (speed = distance ÷ time)"),
                (TestKind.SIT_TO_STAND, "Five-times sit-to-stand", "sit_to_stand_time_s",
                 "mean of the analysed trials"))
    for test, label, measure, rule in mobility:
        trials = [o for o in outcomes if o.test is test]
        if not trials:
            continue
        scored = [o for o in analysed if o.test is test and o.headline.get(measure) is not None]
        summaries.append(_mobility_summary(test, label, measure, scored, rule))
    for test, key in ((TestKind.GRIP, "protocol"), (TestKind.KNEE_EXTENSION, "method")):
        groups: dict[str, list[TrialOutcome]] = defaultdict(list)
        for outcome in analysed:
            if outcome.test is test:
                groups[str(protocols[outcome.trial_id].get(key, ""))].append(outcome)
        for name, group in sorted(groups.items()):
            summaries.append(_strength_summary(test, name, [o.result for o in group],
                                               participant, protocols[group[0].trial_id]))
    named: dict[tuple[str, str], list[TrialOutcome]] = defaultdict(list)
    for outcome in analysed:
        if outcome.test is TestKind.ISOMETRIC:
            protocol = protocols[outcome.trial_id]
            named[(str(protocol.get("muscle_group", "")),
                   str(protocol.get("method", "make")))].append(outcome)
    for (muscle_group, method), group in sorted(named.items()):
        summaries.append(_isometric_summary(muscle_group, method,
                                            [o.result for o in group]))
    return summaries


def calibration_warnings(study_dir: Path, devices: list[DeviceInfo], *,
                         at_utc: datetime | None = None,
                         interval_days: float = DEFAULT_INTERVAL_DAYS) -> list[str]:
    """The visit's devices that were overdue or had failed their last calibration check
    when the visit was recorded (issue 13): shown with the summary, since every result of
    such a device is in doubt. Empty when the study keeps no calibration registry."""
    return device_warnings(study_dir, devices, at_utc=at_utc, interval_days=interval_days)
