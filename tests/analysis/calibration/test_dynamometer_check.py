"""Known-load check against a synthetic force sensor with injected errors (numpy model
of what the sensor adds: gain, bow non-linearity, offset, drift, white noise)."""

from __future__ import annotations

import numpy as np
import pytest

from physiocap.analysis.calibration import KnownLoadCheck, LoadStep, ProcedureRefusedError

G = 9.80665
RATE_HZ = 80.0


def _record(gain_pct: float, offset_n: float, drift_n_per_min: float, bow_pct: float = 0.0,
            masses: tuple[float, ...] = (5, 10, 20, 30), swing_step: str = "",
            zero_hold_s: float = 60.0, seed: int = 0, full_scale_n: float = 1500.0):
    rng = np.random.default_rng(seed)
    plan = [("zero", "zero", 0.0, zero_hold_s)]
    for cycle in (1, 2):
        plan += [(f"c{cycle}-load-{m}", "load", m * G, 10.0) for m in masses]
        if cycle == 2:
            plan.append(("creep", "creep", masses[-1] * G, 30.0))
        plan += [(f"c{cycle}-unload-{m}", "unload", m * G, 10.0) for m in masses[-2::-1]]
        plan.append((f"c{cycle}-zero", "zero", 0.0, 10.0))
    steps, times, forces = [], [], []
    t0 = 0.0
    for label, kind, load, hold in plan:
        t = t0 + np.arange(0.0, hold, 1.0 / RATE_HZ)
        f = np.full_like(t, load)
        if label == swing_step:
            f = f + 3.0 * np.sin(2 * np.pi * 1.5 * t)
        steps.append(LoadStep(label, kind, load, t0, t0 + hold))
        times.append(t)
        forces.append(f)
        t0 += hold
    t = np.concatenate(times)
    true = np.concatenate(forces)
    bow = 4.0 * bow_pct / 100.0 / full_scale_n
    reading = (offset_n + drift_n_per_min * t / 60.0 + (1 + gain_pct / 100) * true
               + bow * true * (true - full_scale_n) + rng.normal(0.0, 0.2, len(t)))
    return t, reading, steps


def _close(estimate: float, truth: float, resolution: float) -> bool:
    return abs(estimate - truth) <= max(0.1 * abs(truth), resolution)


@pytest.mark.parametrize(("gain", "offset", "drift"), [(0.0, 0.0, 0.0), (1.2, 3.0, 0.2),
                                                       (-4.0, -2.5, -0.4), (6.0, 0.5, 0.0)])
def test_gain_offset_drift_recovered_within_a_tenth_or_the_resolution(gain, offset, drift):
    t, reading, steps = _record(gain, offset, drift)
    check = KnownLoadCheck().evaluate(t, reading, steps)
    est, res = check.estimates, check.resolutions
    assert _close(est["gain_error_pct"], gain, res["gain_error_pct"])
    assert _close(est["offset_n"], offset, res["offset_n"])
    assert _close(est["zero_drift_n_per_min"], drift, res["zero_drift_n_per_min"])
    for absent in ("linearity_pct", "hysteresis_pct", "creep_pct", "zero_return_pct"):
        assert abs(est[absent]) <= res[absent] * 1.5, absent
    assert check.verdict == ("fail" if abs(gain) > 2.0 else "pass")


def test_linearity_is_the_bow_seen_at_the_loads():
    t, reading, steps = _record(0.0, 0.0, 0.0, bow_pct=1.0)
    check = KnownLoadCheck().evaluate(t, reading, steps)
    loads = np.array([0.0] + [s.applied_n for s in steps if s.kind == "load"])
    bow = 4.0 * 1.0 / 100.0 / 1500.0
    curve = loads + bow * loads * (loads - 1500.0)
    line = np.polyval(np.polyfit(loads, curve, 1), loads)
    truth = np.max(np.abs(curve - line)) / loads.max() * 100.0
    assert _close(check.estimates["linearity_pct"], truth, check.resolutions["linearity_pct"])


def test_swinging_mass_is_refused_naming_the_step():
    t, reading, steps = _record(0.0, 0.0, 0.0, swing_step="c1-load-20")
    with pytest.raises(ProcedureRefusedError) as refused:
        KnownLoadCheck().evaluate(t, reading, steps)
    assert refused.value.step == "c1-load-20"
    assert "not held still" in refused.value.reason


def test_short_zero_hold_and_too_few_loads_are_refused():
    t, reading, steps = _record(0.0, 0.0, 0.0, zero_hold_s=20.0)
    with pytest.raises(ProcedureRefusedError, match="unloaded hold lasted 20 s"):
        KnownLoadCheck().evaluate(t, reading, steps)
    t, reading, steps = _record(0.0, 0.0, 0.0, masses=(10, 20))
    with pytest.raises(ProcedureRefusedError, match="only 2 different load"):
        KnownLoadCheck().evaluate(t, reading, steps)


def test_a_zero_hold_of_exactly_the_minimum_is_not_refused_for_float_rounding():
    """On the session clock a 60 s hold starting at 5.1 s ends at 65.1 s, whose difference
    is 59.99999999999999 s: the hold was as long as asked."""
    t, reading, steps = _record(0.0, 0.0, 0.0)
    start_s = 5.1
    shifted = [LoadStep(s.label, s.kind, s.applied_n, s.t_start_s + start_s,
                        s.t_end_s + start_s) for s in steps]
    assert shifted[0].t_end_s - shifted[0].t_start_s < 60.0
    check = KnownLoadCheck().evaluate(t + start_s, reading, shifted)
    assert check.verdict == "pass"
