"""Issue 16 item 6: a grip no human produces is flagged, not read out as a result.

The bound follows from the bundled norms [C1, C2] and the normal model (checked here with
``math.erfc``, independently of scipy); the recordings are simulated grips with known peaks,
once as recorded and once as a file holding newtons under a kgf header would read them."""

from __future__ import annotations

import math

import pytest

from physiocap.analysis.norms.strength import load_strength_norms
from physiocap.analysis.strength import ASHT_GRIP, KNEE_MAKE, StrengthAnalyzer
from physiocap.analysis.strength.flags import EffortFlag, ResultFlag
from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2
from physiocap.devices.sim.force import AshtGrip


def test_the_bound_is_the_strongest_groups_peak_plus_one_in_1e10_of_its_spread() -> None:
    bound = load_strength_norms().grip_beyond_human
    # EWGSOP2's men's cut-off (27 kgf) lies 2.5 SD below Dodds's peak (51 kgf) [C1, C2]
    assert bound.sd_kgf == pytest.approx((51.0 - 27.0) / 2.5)
    z = (bound.above_kgf - 51.0) / bound.sd_kgf
    assert 0.5 * math.erfc(z / math.sqrt(2.0)) == pytest.approx(1e-10, rel=1e-6)
    assert bound.above_n == pytest.approx(bound.above_kgf * STANDARD_GRAVITY_M_PER_S2)


def test_newtons_under_a_kgf_header_flag_every_effort_and_keep_the_numbers(sampled) -> None:
    scenario = AshtGrip(peaks_n=(240.0, 265.0, 250.0), rest_s=8.0)
    time, force = sampled(scenario, 80.0)
    honest = StrengthAnalyzer(ASHT_GRIP).analyze(time, force)
    misread = StrengthAnalyzer(ASHT_GRIP).analyze(time, force * STANDARD_GRAVITY_M_PER_S2)
    assert ResultFlag.BEYOND_HUMAN_GRIP not in honest.flags
    assert all(EffortFlag.BEYOND_HUMAN_GRIP not in e.flags for e in honest.efforts)
    assert ResultFlag.BEYOND_HUMAN_GRIP in misread.flags
    assert len(misread.efforts) == 3
    assert all(EffortFlag.BEYOND_HUMAN_GRIP in e.flags for e in misread.efforts)
    for kept, scaled in zip(honest.efforts, misread.efforts, strict=True):
        assert scaled.peak_force_n == pytest.approx(
            kept.peak_force_n * STANDARD_GRAVITY_M_PER_S2, rel=0.01)


@pytest.mark.parametrize("peak_kgf", [75.0, 100.0])
def test_the_strongest_people_measured_are_not_flagged(peak_kgf: float, sampled) -> None:
    """75 kgf is 2.5 SD above the strongest group's peak (about 1 man in 160); 100 kgf,
    5.1 SD, is rarer still but not beyond the bound."""
    peak_n = peak_kgf * STANDARD_GRAVITY_M_PER_S2
    time, force = sampled(AshtGrip(peaks_n=(peak_n, 0.97 * peak_n, 0.95 * peak_n),
                                   rest_s=8.0), 80.0)
    result = StrengthAnalyzer(ASHT_GRIP).analyze(time, force)
    assert len(result.efforts) == 3
    assert ResultFlag.BEYOND_HUMAN_GRIP not in result.flags


def test_other_muscles_are_not_judged_by_grip_norms(sampled) -> None:
    """A knee extension of 1.5 kN (a strong quadriceps on a fixed dynamometer) is not a
    grip; no grip bound applies to it."""
    time, force = sampled(AshtGrip(peaks_n=(1500.0, 1450.0, 1480.0), rest_s=8.0), 80.0)
    result = StrengthAnalyzer(KNEE_MAKE).analyze(time, force)
    assert result.efforts
    assert ResultFlag.BEYOND_HUMAN_GRIP not in result.flags
    assert all(EffortFlag.BEYOND_HUMAN_GRIP not in e.flags for e in result.efforts)
