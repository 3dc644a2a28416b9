"""sim-dyn streams the scenario's force like a Tindeq: peaks, onsets, tare, µs wrap, seed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import numpy as np
import pytest

from physiocap.analysis.strength import ASHT_GRIP, StrengthAnalyzer
from physiocap.core.clock import VirtualClock
from physiocap.core.errors import CaptureError, ConfigurationError
from physiocap.core.streams import DeviceTiming, SampleBlock
from physiocap.devices import registry
from physiocap.devices.sim.dyn_driver import MICROSECOND_COUNTER_MODULUS, SimDynDriver
from physiocap.devices.sim.force import AshtGrip, Bump, Effort, EffortSequence


@dataclass
class Recording:
    device_time_s: np.ndarray
    force_n: np.ndarray
    raw_timestamps: list[int]
    scenario_start_s: float
    driver: SimDynDriver


async def advance_to(clock: VirtualClock, deadline_s: float, step_s: float = 0.02) -> None:
    """Advance virtual time in small steps.

    A stream catching up on a burst of late packets yields with ``sleep(0)`` more often than
    the clock's idle passes, and a single far deadline would let the clock jump past it.
    """
    while clock.now() < deadline_s:
        await clock.sleep_until(min(deadline_s, clock.now() + step_s))


def record(scenario: object, *, seed: int = 0, tare_first: bool = True, rest_before_s: float = 1.0,
           **options: object) -> Recording:
    """Connect, optionally tare at rest, play the scenario once and collect every sample."""
    clock = VirtualClock()
    driver = SimDynDriver("SIM-DYN-0001", clock=clock, seed=seed, **options)
    blocks: list[SampleBlock] = []

    async def main() -> float:
        await driver.connect()
        await driver.start(blocks.append)
        if tare_first:
            await advance_to(clock, clock.now() + 0.5)
            await driver.tare()
        start = clock.now() + rest_before_s
        driver.perform(scenario, start)  # type: ignore[arg-type]
        await advance_to(clock, start + scenario.duration_s + 0.2)  # type: ignore[attr-defined]
        await driver.disconnect()
        return start

    start = asyncio.run(main())
    return Recording(np.concatenate([b.device_time_s for b in blocks]),
                     np.concatenate([b.samples[:, 0] for b in blocks]).astype(np.float64),
                     [int(b.device_time_raw) for b in blocks], start, driver)


def test_registry_name_loads_the_driver_and_stream_is_tindeq_like() -> None:
    assert registry.load("sim-dyn") is SimDynDriver
    driver = SimDynDriver("SIM-DYN-0001")
    (spec,) = driver.available_streams()
    assert (spec.name, spec.units, spec.dtype) == ("force", ("N",), "float32")
    assert spec.timing is DeviceTiming.PER_SAMPLE
    assert spec.nominal_rate_hz == 80.0


@pytest.mark.parametrize("rate_hz", [39.9, 1000.1, 0.0, float("nan")])
def test_rate_outside_40_to_1000_hz_is_refused(rate_hz: float) -> None:
    with pytest.raises(ConfigurationError, match="rate_hz"):
        SimDynDriver("SIM-DYN-0001", rate_hz=rate_hz)


def test_only_force_scenarios_can_be_performed() -> None:
    driver = SimDynDriver("SIM-DYN-0001")

    @dataclass(frozen=True)
    class Walk:
        duration_s: float = 5.0

    with pytest.raises(ConfigurationError, match="force scenarios"):
        driver.perform(Walk(), 0.0)


@pytest.mark.parametrize("rate_hz", [40.0, 80.0, 1000.0])
def test_sampled_peaks_and_onsets_match_the_scenario(rate_hz: float) -> None:
    scenario = AshtGrip(peaks_n=(250.0, 320.0, 280.0), rest_s=5.0)
    rec = record(scenario, rate_hz=rate_hz, noise_n=0.2, zero_drift_n_per_min=0.0)
    t_local = rec.device_time_s - rec.scenario_start_s
    period = 1.0 / rate_hz
    for event in scenario.effort_events():
        inside = (t_local >= event.onset_s) & (t_local <= event.offset_s)
        peak = rec.force_n[inside].max()
        # tremor (0.2 %) and noise (0.2 N) ride on the true peak
        assert peak == pytest.approx(event.peak_n, rel=0.004, abs=1.0)
        first_above = t_local[(t_local > event.onset_s - 1.0) & (rec.force_n > 3.0)][0]
        assert event.onset_s <= first_above + period <= event.onset_s + 0.1 + period
    rest = (t_local > -0.8) & (t_local < 0.0)
    assert abs(rec.force_n[rest].mean()) < 0.1


def test_rate_is_the_nominal_rate_on_the_device_clock() -> None:
    rec = record(EffortSequence((Effort(0.5, 100.0, hold_s=0.5),)), rate_hz=500.0)
    assert np.allclose(np.diff(rec.device_time_s), 1 / 500.0)


def test_offset_and_drift_exist_until_tare_zeroes_them() -> None:
    scenario = EffortSequence((Effort(1.0, 200.0, hold_s=1.0),), lead_out_s=1.0)
    untared = record(scenario, tare_first=False, rate_hz=200.0, zero_offset_n=7.5,
                     zero_drift_n_per_min=6.0, noise_n=0.05)
    t_local = untared.device_time_s - untared.scenario_start_s
    rest = t_local < 0.9
    expected = 7.5 + 6.0 * (untared.device_time_s[rest] - untared.device_time_s[0]) / 60.0
    assert np.allclose(untared.force_n[rest], expected, atol=0.3)

    tared = record(scenario, tare_first=True, rate_hz=200.0, zero_offset_n=7.5,
                   zero_drift_n_per_min=6.0, noise_n=0.05)
    t_local = tared.device_time_s - tared.scenario_start_s
    tare_at = -1.0  # the helper tares 1 s before the scenario starts
    outside = (t_local > tare_at) & ((t_local < 0.9) | (t_local > scenario.duration_s - 0.8))
    # after the tare only the drift since the tare remains (6 N/min)
    since_tare = 6.0 * (t_local[outside] - tare_at) / 60.0
    assert np.allclose(tared.force_n[outside], since_tare, atol=0.25)
    assert np.mean(tared.force_n[outside] - since_tare) == pytest.approx(0.0, abs=0.02)
    inside = (t_local > 1.0) & (t_local < 3.0)
    assert tared.force_n[inside].max() == pytest.approx(200.0, rel=0.004)


def test_tare_needs_a_connection() -> None:
    driver = SimDynDriver("SIM-DYN-0001")
    with pytest.raises(CaptureError):
        asyncio.run(driver.tare())


def test_microsecond_counter_wraps_at_2_to_the_32() -> None:
    wrap_s = MICROSECOND_COUNTER_MODULUS / 1e6
    rec = record(EffortSequence((Effort(0.2, 100.0, hold_s=0.2),), lead_out_s=0.2),
                 tare_first=False, rest_before_s=0.0, rate_hz=80.0,
                 device_clock_start_s=wrap_s - 0.5)
    raw = np.array(rec.raw_timestamps, dtype=np.int64)
    assert raw.max() < MICROSECOND_COUNTER_MODULUS
    assert np.count_nonzero(np.diff(raw) < 0) == 1  # exactly one wrap
    unwrapped = raw + MICROSECOND_COUNTER_MODULUS * np.cumsum(np.r_[0, np.diff(raw) < 0])
    # every packet's raw stamp is its first sample's device time in whole µs
    assert rec.device_time_s.max() > wrap_s
    per_packet = np.diff(unwrapped) / 1e6
    assert np.all(np.abs(per_packet - 2 / 80.0) < 2e-6)


def test_same_seed_same_samples_other_seed_other_noise() -> None:
    scenario = EffortSequence((Effort(0.5, 150.0, hold_s=0.5),), artefacts=(Bump(2.0, 20.0),))
    first = record(scenario, seed=4, rate_hz=100.0)
    again = record(scenario, seed=4, rate_hz=100.0)
    other = record(scenario, seed=5, rate_hz=100.0)
    assert np.array_equal(first.force_n, again.force_n)
    assert not np.array_equal(first.force_n, other.force_n)


def test_battery_reports_a_level() -> None:
    async def main() -> float:
        driver = SimDynDriver("SIM-DYN-0002", clock=VirtualClock(), battery_pct=80.0)
        await driver.connect()
        return (await driver.battery()).level_pct

    assert asyncio.run(main()) == pytest.approx(80.0, abs=0.1)


def test_strength_analysis_recovers_the_scenario_from_the_stream() -> None:
    scenario = AshtGrip(peaks_n=(240.0, 300.0, 270.0), rest_s=6.0,
                        artefacts=(Bump(7.0, 40.0),))
    rec = record(scenario, rate_hz=1000.0, tare_first=False, zero_offset_n=3.0,
                 zero_drift_n_per_min=1.0)
    result = StrengthAnalyzer(ASHT_GRIP).analyze(rec.device_time_s - rec.scenario_start_s,
                                                 rec.force_n, side="right")
    truth = scenario.effort_events()
    assert len(result.efforts) == 3
    assert len(result.rejected) == 1
    for found, event in zip(result.efforts, truth, strict=True):
        assert found.peak_force_n == pytest.approx(event.peak_n, rel=0.005)
        assert found.onset_s == pytest.approx(event.onset_s, abs=0.010)
