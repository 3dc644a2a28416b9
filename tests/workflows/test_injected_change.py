"""An injected change is the change the simulated patient truly shows, and progress reads it.

``demo --change gait_speed_m_per_s=-0.30`` once gave a walk whose steady speed was 0.30 m/s
slower but whose *timed* 4 m speed (the outcome: the acceleration from standing is inside
the timed distance) was only 0.224 m/s slower; progress read −0.21 and called it noise.
The fast tests check the simulated truth itself (the scenario's own path integral, not
our analysis); the slow one records a baseline and four follow-ups through the demo's
capture path with every outcome changed and checks progress's change from baseline
against the injected one, within twice the analysis' accuracy on simulated trials (the
error of a difference of two values each within that accuracy):

* gait speed 0.04 m/s: the lower-back analysis' worst error over 28 simulated walks is
  0.019 m/s (docs/validation.md; tests/analysis/test_gait_speed_simulated.py, whose goal
  is 0.05 m/s);
* TUG 0.2 s: total within 0.1 s on simulated TUGs (tests/analysis/test_tug_simulated.py);
* five-times sit-to-stand 0.14 s: total within 0.07 s on simulated ones
  (tests/analysis/test_sit_to_stand_simulated.py);
* grip and knee extension: each peak within 0.5 % of the true peak
  (tests/analysis/strength/test_strength_detection.py), so 0.5 % of both visits' values.

The patient's trial-to-trial variability is off (``variability=0``), so the truth of every
trial is exactly the baseline capacity plus the change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from physiocap.cli.main import main
from physiocap.core.clock import VirtualClock
from physiocap.core.errors import ConfigurationError
from physiocap.core.records import Side, TestKind, TrialInfo
from physiocap.workflows.demo import DEMO_PARTICIPANT, run_demo
from physiocap.workflows.progress import participant_progress, progress_to_json
from physiocap.workflows.simulated_patient import (
    KGF_N,
    STANDARD_GAIT_PROTOCOL,
    SimulatedPatient,
)

GAIT_CHANGES_M_PER_S = (-0.3, -0.1, 0.1, 0.3)
OTHER_PROTOCOLS = ({"distance_m": 10.0, "start_type": "static"},
                   {"distance_m": 6.0, "start_type": "dynamic", "acceleration_distance_m": 2.0,
                    "deceleration_distance_m": 2.0})


def _timed_speed(patient: SimulatedPatient, protocol: dict) -> float:
    trial = TrialInfo("gait_speed-01", TestKind.GAIT_SPEED, protocol)
    return patient._movement(trial).timed_speed_m_per_s


@pytest.mark.parametrize("change", GAIT_CHANGES_M_PER_S)
@pytest.mark.parametrize("protocol", [STANDARD_GAIT_PROTOCOL, *OTHER_PROTOCOLS])
def test_the_simulated_walk_is_timed_at_baseline_plus_change(change: float,
                                                             protocol: dict) -> None:
    baseline = SimulatedPatient(DEMO_PARTICIPANT, variability=0.0)
    changed = SimulatedPatient(DEMO_PARTICIPANT, variability=0.0,
                               changes={"gait_speed_m_per_s": change})
    truth = _timed_speed(changed, protocol) - _timed_speed(baseline, protocol)
    assert truth == pytest.approx(change, abs=1e-4)


def test_a_gait_change_the_protocol_cannot_be_walked_at_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="cannot be walked"):
        SimulatedPatient(DEMO_PARTICIPANT, changes={"gait_speed_m_per_s": 1.5})


#: A short visit with every outcome: 2 gait-speed walks, a TUG, a sit-to-stand, a grip and
#: a knee extension per side.
PLAN = (*((TestKind.GAIT_SPEED, STANDARD_GAIT_PROTOCOL, Side.NONE),) * 2,
        (TestKind.TUG, {}, Side.NONE), (TestKind.SIT_TO_STAND, {}, Side.NONE),
        *((TestKind.GRIP, {"protocol": "southampton", "side": s}, Side(s))
          for s in ("right", "left")),
        *((TestKind.KNEE_EXTENSION, {"method": "make", "fixation": "belt", "side": s}, Side(s))
          for s in ("right", "left")))

#: Follow-ups: (label, gait m/s, TUG s, sit-to-stand s, grip kgf, knee N)
FOLLOW_UPS = (("month-3", -0.3, +2.0, +1.5, -6.0, -40.0),
              ("month-6", -0.1, -1.0, -1.0, +3.0, +25.0),
              ("month-9", +0.1, +0.5, +0.8, +6.0, -20.0),
              ("month-12", +0.3, -2.0, -2.0, -3.0, +60.0))


@pytest.mark.slow
def test_progress_reads_each_injected_change_within_the_analysis_accuracy(
        tmp_path: Path) -> None:
    visits = [("baseline", {})] + [
        (label, {"gait_speed_m_per_s": gait, "tug_total_time_s": tug,
                 "sit_to_stand_time_s": sts, "grip_kgf": grip,
                 "knee_extension_peak_force_n": knee})
        for label, gait, tug, sts, grip, knee in FOLLOW_UPS]
    for month, (label, changes) in enumerate(visits):
        clock = VirtualClock(start_utc=datetime(2026, 1 + 2 * month, 5, 9, tzinfo=UTC))
        patient = SimulatedPatient(DEMO_PARTICIPANT, variability=0.0, changes=changes)
        run_demo(tmp_path, clock=clock, plan=PLAN, visit_label=label, patient=patient)
    progress = participant_progress(tmp_path, DEMO_PARTICIPANT.participant_id)
    values = {o.measure: o.visits[0].value for o in progress.outcomes}
    bounds = {"gait_speed_m_per_s": (lambda _: 0.04), "tug_total_time_s": (lambda _: 0.2),
              "sit_to_stand_time_s": (lambda _: 0.14),
              "grip_peak_force_n": (lambda later: 0.005 * (values["grip_peak_force_n"]
                                                           + later)),
              **{measure: (lambda later, measure=measure: 0.005 * (values[measure] + later))
                 for measure in ("knee_extension_left_peak_force_n",
                                 "knee_extension_right_peak_force_n")}}
    injected_of = {"gait_speed_m_per_s": "gait_speed_m_per_s",
                   "tug_total_time_s": "tug_total_time_s",
                   "sit_to_stand_time_s": "sit_to_stand_time_s",
                   "grip_peak_force_n": "grip_kgf",
                   "knee_extension_left_peak_force_n": "knee_extension_peak_force_n",
                   "knee_extension_right_peak_force_n": "knee_extension_peak_force_n"}
    assert set(bounds) == {outcome.measure for outcome in progress.outcomes}
    for outcome in progress.outcomes:
        name = injected_of[outcome.measure]
        scale = KGF_N if name == "grip_kgf" else 1.0
        assert [p.visit_label for p in outcome.visits] == [label for label, _ in visits]
        for point, (_, changes) in zip(outcome.visits[1:], visits[1:], strict=True):
            injected = changes[name] * scale
            assert point.value is not None
            assert point.change_from_baseline is not None
            assert abs(point.change_from_baseline - injected) <= bounds[outcome.measure](
                point.value), (outcome.measure, point.visit_label, injected,
                               point.change_from_baseline)


#: Knee extension, each leg twice.
KNEE_PLAN = tuple((TestKind.KNEE_EXTENSION, {"method": "make", "fixation": "belt", "side": s},
                   Side(s)) for s in ("right", "left") * 2)


@pytest.mark.slow
def test_each_leg_is_its_own_outcome_and_a_one_leg_decline_shows_in_that_leg_only(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A -60 N decline of the left leg alone: the left leg's outcome shows it, the right
    leg's does not, where the best of both legs (the old single outcome) would have stayed
    at the unchanged right leg's value."""
    for month, (label, changes) in enumerate(
            (("baseline", {}), ("month-3", {"knee_extension_left_peak_force_n": -60.0}))):
        clock = VirtualClock(start_utc=datetime(2026, 1 + 3 * month, 5, 9, tzinfo=UTC))
        patient = SimulatedPatient(DEMO_PARTICIPANT, variability=0.0, changes=changes)
        run_demo(tmp_path, clock=clock, plan=KNEE_PLAN, visit_label=label, patient=patient)
    progress = participant_progress(tmp_path, DEMO_PARTICIPANT.participant_id)
    assert [o.measure for o in progress.outcomes] == ["knee_extension_left_peak_force_n",
                                                      "knee_extension_right_peak_force_n"]
    for outcome, injected in zip(progress.outcomes, (-60.0, 0.0), strict=True):
        baseline, later = outcome.visits
        assert baseline.n == 2  # the leg's own efforts
        assert later.value is not None
        assert baseline.value is not None
        assert later.change_from_baseline == pytest.approx(
            injected, abs=0.005 * (baseline.value + later.value))
    # the MDC of knee extension (29.5 N [C18d]) is exceeded by the left leg only
    assert progress.outcomes[0].visits[1].verdict == "detectable change"
    assert progress.outcomes[1].visits[1].verdict == "within noise"
    data = progress_to_json(progress)
    assert [(o["side"], o["label"]) for o in data["outcomes"]] == [
        ("left", "Knee extension, left leg"), ("right", "Knee extension, right leg")]
    capsys.readouterr()
    assert main(["progress", DEMO_PARTICIPANT.participant_id, "--study", str(tmp_path)]) == 0
    table = capsys.readouterr().out
    assert "Knee extension, left leg" in table
    assert "Knee extension, right leg" in table
