"""`physiocap analyze` prints what clinicians read: labels, units and rounding instead of
field names, grip force in kg beside N, every cut-off with its unit (issue 15)."""

from __future__ import annotations

from physiocap.cli.analyze_command import headline_text, summary_text
from physiocap.core.records import TestKind
from physiocap.workflows.visit_summary import TestSummary, Verdict

KGF_N = 9.80665


def test_headline_uses_labels_units_and_rounding() -> None:
    text = headline_text({"gait_speed_m_per_s": 0.93321, "time_s": 4.2871, "steps": 7,
                          "cadence_steps_per_min": 106.7})
    assert text == "gait speed 0.93 m/s, timed walk 4.29 s, steps 7, cadence 107 steps/min"
    assert "_m_per_s" not in text


def test_force_shows_kg_beside_newtons() -> None:
    text = headline_text({"peak_force_n": 30.0 * KGF_N, "side": "right", "torque_nm": None})
    assert text == "peak force 294 N (30.0 kg), side right"


def test_cut_offs_carry_their_unit() -> None:
    summary = TestSummary(TestKind.TUG, "Timed Up and Go", "tug_total_time_s", 21.04, "s",
                          "mean of the analysed trials", (21.04,),
                          verdicts=(Verdict("EWGSOP2", True, "low physical performance",
                                            "at or above 20 s", "[C1]"),))
    assert summary_text(summary) == ("Timed Up and Go: 21.04 s (mean of the analysed "
                                     "trials); EWGSOP2 cut-off at or above 20 s: crossed")


def test_visit_summary_cut_offs_have_units() -> None:
    from physiocap.analysis.result import AlgorithmInfo
    from physiocap.core.records import Participant, TrialStatus
    from physiocap.workflows.analyze import TrialOutcome
    from physiocap.workflows.visit_summary import summarize_visit

    algorithm = AlgorithmInfo("test", "1", {})
    outcomes = [TrialOutcome("gait_speed-01", TestKind.GAIT_SPEED, TrialStatus.COMPLETED,
                             algorithm, {}, {"gait_speed_m_per_s": 0.95}, ()),
                TrialOutcome("tug-01", TestKind.TUG, TrialStatus.COMPLETED, algorithm, {},
                             {"tug_total_time_s": 12.0}, ())]
    summaries = summarize_visit(outcomes, Participant("P-1"), {})
    thresholds = {v.threshold for s in summaries for v in s.verdicts}
    assert "below 1.0 m/s" in thresholds
    assert "at or above 20 s" in thresholds
