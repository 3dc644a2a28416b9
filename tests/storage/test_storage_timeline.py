"""Per-sample times rebuilt from one time per packet, against a known sampling clock."""

from __future__ import annotations

import numpy as np
import pytest

from physiocap.storage import PACKET_DTYPE, sample_times_s
from physiocap.storage.timeline import check_packet_table, committed_extent


def _packets(first_times_s: np.ndarray, counts: list[int]) -> np.ndarray:
    table = np.zeros(len(counts), PACKET_DTYPE)
    table["n_samples"] = counts
    table["sample_index"] = np.concatenate(([0], np.cumsum(counts)[:-1]))
    table["t_s"] = first_times_s
    return table


@pytest.mark.parametrize("drift_ppm", [-150.0, 0.0, 100.0])
def test_variable_packet_sizes_and_drift(drift_ppm: float) -> None:
    """A 52 Hz nominal device whose real rate is off by ``drift_ppm`` (Movesense-like)."""
    rng = np.random.default_rng(3)
    counts = list(rng.integers(1, 9, 200))
    period_s = 1.0 / 52.0 * (1 + drift_ppm * 1e-6)
    truth = 12.5 + np.arange(sum(counts)) * period_s
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    times = sample_times_s(_packets(truth[starts], counts), 52.0)
    np.testing.assert_allclose(times, truth, rtol=0, atol=1e-9)


def test_gap_of_lost_packets_does_not_stretch_the_packet_before_it() -> None:
    period_s = 1 / 100.0
    kept = [k for k in range(50) if k not in (20, 21, 22, 23)]
    truth = np.concatenate([k * 5 * period_s + np.arange(5) * period_s for k in kept])
    times = sample_times_s(_packets(truth[::5], [5] * len(kept)), 100.0)
    np.testing.assert_allclose(times, truth, rtol=0, atol=1e-9)


def test_single_packet_uses_the_nominal_rate() -> None:
    times = sample_times_s(_packets(np.array([3.0]), [4]), 200.0)
    np.testing.assert_allclose(times, [3.0, 3.005, 3.01, 3.015])


def test_per_sample_device_times_set_the_spacing() -> None:
    device = np.array([10.000, 10.013, 10.024, 10.038, 10.049, 10.062])
    times = sample_times_s(_packets(np.array([1.0, 1.038]), [3, 3]), 80.0, device)
    np.testing.assert_allclose(times, 1.0 + device - device[0], atol=1e-12)


def test_committed_extent_stops_at_rows_never_committed() -> None:
    table = _packets(np.arange(5.0), [4, 4, 4, 4, 4])
    table[3] = np.zeros(1, PACKET_DTYPE)  # a zero-filled row left by a cut-short flush
    assert committed_extent(table, stored_rows=20) == (3, 12)
    assert committed_extent(_packets(np.arange(3.0), [4, 4, 4]), stored_rows=10) == (2, 8)
    assert committed_extent(np.zeros(0, PACKET_DTYPE), stored_rows=5) == (0, 0)


@pytest.mark.parametrize("block_rows", [1, 2, 3, 7, 1000])
def test_checking_block_by_block_sees_what_the_whole_table_shows(block_rows: int) -> None:
    """Read in blocks of any size, a table gives the extent of reading it whole, and a time
    step back or a non-finite time counts wherever it falls, block edges included; rows
    after the committed prefix count for nothing."""
    times = np.array([0.0, 1.0, 2.0, 1.5, 3.0, np.nan, 4.0, 5.0, 0.0, 9.0])
    table = _packets(times, [2] * 10)
    table[8] = np.zeros(1, PACKET_DTYPE)  # cut short: row 8 and 9 were never committed
    table[9]["t_s"] = -1.0
    check = check_packet_table(table, stored_rows=20, block_rows=block_rows)
    assert (check.n_packets, check.n_samples) == committed_extent(table, stored_rows=20) \
        == (8, 16)
    assert check.times_backwards == 1  # 2.0 -> 1.5; NaN compares false; rows 8-9 ignored
    assert not check.times_finite
    whole = check_packet_table(_packets(np.arange(5.0), [3] * 5), stored_rows=14,
                               block_rows=block_rows)
    assert (whole.n_packets, whole.n_samples, whole.times_backwards, whole.times_finite) == \
        (4, 12, 0, True)
