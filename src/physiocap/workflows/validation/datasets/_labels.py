"""Helpers shared by the TUG loaders: per-sample labels to phase boundary times."""

from __future__ import annotations

import numpy as np


def label_runs(labels: list[str], min_samples: int) -> list[tuple[str, int, int]]:
    """Runs ``(label, first, last)`` of equal labels, absorbing runs shorter than
    ``min_samples`` into the preceding run (single-sample label flickers at edges)."""
    runs: list[list[object]] = []
    for index, label in enumerate(labels):
        if runs and runs[-1][0] == label:
            runs[-1][2] = index
        else:
            runs.append([label, index, index])
    merged: list[list[object]] = []
    for label, first, last in runs:
        too_short = int(last) - int(first) + 1 < min_samples
        if merged and (too_short or merged[-1][0] == label):
            merged[-1][2] = last
        else:
            merged.append([label, first, last])
    return [(str(label), int(first), int(last)) for label, first, last in merged]


def tug_reference_from_labels(time_s: np.ndarray, labels: list[str]) -> dict[str, float]:
    """Phase boundaries from per-sample uji-tug labels (SEATED, STANDING_UP, WALKING,
    TURNING, SITTING_DOWN). A boundary is the first sample of the later phase; the TUG time
    runs from the first STANDING_UP sample to the last SITTING_DOWN sample (data README)."""
    runs = label_runs(labels, min_samples=3)
    reference: dict[str, float] = {}
    stand = [run for run in runs if run[0] == "STANDING_UP"]
    turns = [run for run in runs if run[0] == "TURNING"]
    sits = [run for run in runs if run[0] == "SITTING_DOWN"]
    n = len(time_s)

    def after(run: tuple[str, int, int]) -> float:
        return float(time_s[min(run[2] + 1, n - 1)])

    if stand:
        reference["sit_to_stand_start_s"] = float(time_s[stand[0][1]])
        reference["sit_to_stand_end_s"] = after(stand[0])
    if len(turns) >= 1:
        reference["turn1_start_s"] = float(time_s[turns[0][1]])
        reference["turn1_end_s"] = after(turns[0])
    if len(turns) >= 2:
        reference["turn2_start_s"] = float(time_s[turns[1][1]])
        reference["turn2_end_s"] = after(turns[1])
    if sits:
        reference["sit_end_s"] = float(time_s[sits[-1][2]])
    if stand and sits:
        reference["tug_total_time_s"] = reference["sit_end_s"] - reference["sit_to_stand_start_s"]
    return reference
