"""Every TUG phase boundary the analysis reports, pinned to the simulation's truth (issue 15:
moving the turn-edge or the seated-posture fraction by 30 % passed every non-dataset test).

Turn edges are defined on the body's turning rate: where it falls to half of the turn's
peak (turn starts, the walk back's start, the sit-down turn's end), and to 40 % for the
reported end of the first turn (TUG 1.8), after the analysis's turn low-pass. The truth is
that definition applied to the simulated body's own heading (noise-free, in the world
frame), while the analysis sees a randomly mounted, biased, noisy sensor and must estimate
the vertical itself. A person fidgeting once seated (the limb turning about the vertical,
its posture seated) must not lengthen the trial by more than the seated margin."""

from __future__ import annotations

import numpy as np
import pytest
from tests.analysis.simulated import render
from tests.analysis.test_tug_simulated import CASES, _cadence

from physiocap.analysis.signal.filters import butter_lowpass
from physiocap.analysis.tug import TugAnalyzer
from physiocap.devices.sim.kinematics.tug import TugScenario

#: The definitions (module docstring): share of the turn's peak rate at each edge.
HALF_PEAK = 0.5
TURN1_REPORTED_END = 0.4
#: The turning signal's low-pass (the analysis's, below the stride frequency).
TURN_LOWPASS_HZ = 0.6
#: Per case, how far an estimated edge may lie from the truth (s); a 30 % change of the
#: edge fraction moves the edges by 0.08-0.15 s. A wrist's own swing blurs its turns more.
EDGE_TOLERANCE_S = {"lower_back": 0.075, "thigh": 0.075, "wrist": 0.12}
#: Over the cases of one placement the mean error must be this small (s).
MEAN_TOLERANCE_S = 0.03
#: Movement once seated may extend the trial by at most the analysis's seated margin (s).
SEATED_MARGIN_S = 0.6


def _edge_indices(rate: np.ndarray, peak: int, fraction: float) -> tuple[int, int]:
    level = fraction * rate[peak]
    low, high = peak, peak
    while low > 0 and rate[low - 1] > level:
        low -= 1
    while high < len(rate) - 1 and rate[high + 1] > level:
        high += 1
    return low, high


def true_turn_edges(scenario: TugScenario, t: np.ndarray) -> dict[str, float]:
    """The turn boundaries by the definition, from the simulated body's heading."""
    heading = np.unwrap(scenario.pose(t).heading)
    rate = np.abs(butter_lowpass(np.gradient(heading, t), TURN_LOWPASS_HZ, 1.0 / (t[1] - t[0])))
    events = scenario.events()
    edges: dict[str, float] = {}
    for turn in ("turn1", "turn2"):
        inside = np.flatnonzero((t >= events[f"{turn}_start"]) & (t <= events[f"{turn}_end"]))
        peak = int(inside[np.argmax(rate[inside])])
        start, end = _edge_indices(rate, peak, HALF_PEAK)
        edges[f"{turn}_start_s"] = float(t[start])
        edges[f"{turn}_end_s"] = float(t[end])
        edges[f"{turn}_reported_end_s"] = float(t[_edge_indices(rate, peak,
                                                                TURN1_REPORTED_END)[1]])
    return {"turn1_start_s": edges["turn1_start_s"],
            "turn1_end_s": edges["turn1_reported_end_s"],
            "turn2_start_s": edges["turn2_start_s"], "turn2_end_s": edges["turn2_end_s"]}


def _errors(placement: str) -> dict[str, list[float]]:
    errors: dict[str, list[float]] = {}
    for case in [c for c in CASES if c[0] == placement]:
        _, speed, direction = case
        scenario = TugScenario(walking_speed_m_per_s=speed,
                               cadence_steps_per_min=_cadence(speed), turn_direction=direction)
        t, acc, gyro = render(scenario, placement, seed=CASES.index(case))
        trial = TugAnalyzer(placement).analyze(t, acc, gyro).primary
        assert trial is not None
        for name, truth in true_turn_edges(scenario, t).items():
            # a wrist's sit-down starts where the body's descent accelerates, not at the
            # turn's edge (TUG 1.5): that boundary is checked on the specific force's
            # truth elsewhere, not here
            if placement == "wrist" and name == "turn2_end_s":
                continue
            errors.setdefault(name, []).append(trial.events[name] - truth)
    return errors


@pytest.mark.slow
@pytest.mark.parametrize("placement", ["lower_back", "thigh", "wrist"])
def test_turn_boundaries_follow_the_definition_on_the_true_heading(placement: str) -> None:
    for name, errors in _errors(placement).items():
        assert max(abs(e) for e in errors) <= EDGE_TOLERANCE_S[placement], (name, errors)
        assert abs(float(np.mean(errors))) <= MEAN_TOLERANCE_S, (name, errors)


@pytest.mark.parametrize("placement", ["lower_back", "thigh", "wrist"])
@pytest.mark.parametrize("speed", [0.6, 1.2])
def test_fidgeting_once_seated_does_not_lengthen_the_trial(placement: str,
                                                           speed: float) -> None:
    scenario = TugScenario(walking_speed_m_per_s=speed, cadence_steps_per_min=_cadence(speed),
                           quiet_after_s=5.0)
    t, acc, gyro = render(scenario, placement, seed=3)
    seated = scenario.events()["sit_end"]
    vertical = acc[t > seated + 3.5].mean(axis=0)
    vertical /= np.linalg.norm(vertical)
    # 1.5 s of swaying about the vertical (±0.6 rad/s): the posture stays seated and the
    # specific force unchanged, only the gyroscope sees it
    burst = (t >= seated + 0.1) & (t <= seated + 1.6)
    gyro = gyro.copy()
    gyro[burst] += np.outer(0.6 * np.sin(2 * np.pi * 1.5 * (t[burst] - seated - 0.1)), vertical)
    trial = TugAnalyzer(placement).analyze(t, acc, gyro).primary
    assert trial is not None
    assert seated - 0.15 <= trial.events["sit_end_s"] <= seated + SEATED_MARGIN_S
