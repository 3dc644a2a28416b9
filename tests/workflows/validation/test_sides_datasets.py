"""Left/right of lower-back contacts against the real datasets' sided references (ipol-gait
foot-sensor footsteps, mobgap-lab INDIP), skipped when ../shared/data is absent. Goal: side
accuracy ≥ 95 %. The step-time asymmetry has no goal here: from the trunk it does no
better than a constant on ipol-gait (docs/validation.md), so the product does not show it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from physiocap.analysis.gait.step_sides import StepSideClassifier
from physiocap.workflows.validation.datasets import load_dataset

pytestmark = [pytest.mark.dataset, pytest.mark.slow]
Report = Callable[[str], dict[str, Any]]  # the validation_report fixture (conftest.py)


@pytest.mark.parametrize(("dataset", "goal"), [("ipol-gait", 0.95), ("mobgap-lab", 0.95)])
def test_side_accuracy_of_detected_contacts(validation_report: Report, dataset: str,
                                            goal: float) -> None:
    report = validation_report(dataset)
    sides = report["side_accuracy"]["initial_contacts_lower_back"]
    assert sides["matched"] >= 0.5 * report["detection"]["initial_contacts"]["tp"]
    assert sides["accuracy"] >= goal


@pytest.mark.parametrize(("dataset", "contacts"), [("ipol-gait", "initial_contacts_lower_back"),
                                                  ("mobgap-lab", "initial_contacts")])
def test_sided_detections_lose_no_more_than_the_side_goal_allows(
        validation_report: Report, dataset: str, contacts: str) -> None:
    """A sided detection is a detected contact on the right side: with the 95 % side goal
    its F1 may lie at most 5 % below the unsided contacts' F1."""
    detection = validation_report(dataset)["detection"]
    for name in ("initial_contacts_left", "initial_contacts_right"):
        assert detection[name]["f1"] >= 0.95 * detection[contacts]["f1"], name


def test_sides_of_the_reference_contacts_themselves(shared_data: Path) -> None:
    """The classifier alone, given the reference contact times (no detector involved)."""
    correct = total = 0
    for dataset in ("ipol-gait", "mobgap-lab"):
        for recording in load_dataset(dataset, shared_data / dataset):
            if recording.problem:
                continue
            left = recording.reference_events["initial_contacts_left"]
            right = recording.reference_events["initial_contacts_right"]
            contacts = np.concatenate([left, right])
            truth = np.concatenate([np.ones(len(left), bool), np.zeros(len(right), bool)])
            order = np.argsort(contacts)
            sensor = recording.sensors["lower_back"]
            result = StepSideClassifier().classify(sensor.time_s, sensor.acc_m_per_s2,
                                                   sensor.gyro_rad_per_s, contacts[order])
            correct += int(np.sum(result.is_left == truth[order]))
            total += len(contacts)
    assert total > 2000
    assert correct / total >= 0.93

