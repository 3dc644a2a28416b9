"""The printed validation report shows every block of the JSON report it is made from."""

from __future__ import annotations

from physiocap.cli.validate_command import format_report


def _report() -> dict[str, object]:
    return {
        "dataset": "ipol-gait", "n_recordings": 2, "runtime_s": 0.5,
        "metrics": {"gait_speed_m_per_s": {"n": 2, "mae": 0.02, "bias": -0.01,
                                           "loa_low": -0.05, "loa_high": 0.03, "icc": 0.9}},
        "detection": {"initial_contacts_left": {"precision": 0.9, "recall": 0.8, "f1": 0.847,
                                                "tolerance_s": 0.1}},
        "side_accuracy": {"initial_contacts_lower_back": {"matched": 40, "correct": 38,
                                                          "accuracy": 0.95,
                                                          "tolerance_s": 0.1}},
        "failures": [{"recording": "1-1", "reason": "no walk found"}],
        "skipped": [],
    }


def test_report_prints_metrics_detection_sides_and_failures() -> None:
    lines = format_report(_report()).splitlines()
    assert lines[0] == "dataset ipol-gait: 2 recordings, 1 failures, 0 skipped, 0.5 s"
    assert any(line.startswith("gait_speed_m_per_s") and "0.020" in line for line in lines)
    assert any(line.startswith("initial_contacts_left") and "0.847" in line for line in lines)
    sides = next(line for line in lines if line.startswith("initial_contacts_lower_back"))
    assert sides.split()[1:4] == ["40", "38", "0.950"]
    assert lines[-1] == "failure 1-1: no walk found"


def test_report_without_sides_has_no_side_table() -> None:
    report = _report()
    del report["side_accuracy"]
    assert "left/right" not in format_report(report)


def test_long_metric_names_keep_the_columns_aligned() -> None:
    report = _report()
    report["metrics"]["initial_contact_time_lower_back_s"] = {
        "n": 1814, "mae": 0.023, "bias": 0.01, "loa_low": -0.045, "loa_high": 0.065,
        "icc": 1.0}
    lines = format_report(report).splitlines()
    header = next(line for line in lines if line.startswith("metric"))
    rows = [line for line in lines if line.startswith(("gait_speed", "initial_contact_time"))]
    assert len(rows) == 2
    assert {len(row) for row in rows} == {len(header)}
    assert all(row.split()[1] in {"2", "1814"} for row in rows)


def test_each_metric_line_says_its_goal_and_whether_it_is_met() -> None:
    report = _report()
    report["verdicts"] = {"gait_speed_m_per_s": {"goal": "MAE ≤ 0.03 m/s", "met": True},
                          "initial_contacts_left": {"goal": "f1 ≥ 0.95", "met": False}}
    lines = format_report(report).splitlines()
    assert "goals: 1 of 2 met; not met: initial_contacts_left" in lines
    speed = next(line for line in lines if line.startswith("gait_speed_m_per_s"))
    assert speed.endswith("goal MAE ≤ 0.03 m/s: met")
    contacts = next(line for line in lines if line.startswith("initial_contacts_left"))
    assert contacts.endswith("goal f1 ≥ 0.95: NOT MET")


def test_bad_references_and_missing_estimates_are_listed() -> None:
    report = _report()
    report["bad_references"] = [{"recording": "rl_03", "reason": "bad reference: turn2_end_s "
                                 "(5.00 s) is before turn2_start_s (6.00 s)"}]
    report["missing"] = [{"recording": "1-2", "metric": "trial_end_s"}]
    text = format_report(report)
    assert text.splitlines()[0].startswith(
        "dataset ipol-gait: 2 recordings, 1 failures, 0 skipped, 1 bad references, "
        "1 missing estimates")
    assert "bad reference rl_03: bad reference: turn2_end_s" in text
    assert "missing 1-2 (trial_end_s)" in text
