"""Per-sample session times from the packet table, and the checks made on it at opening.

Storing a float64 time for every sample would double an int16 IMU file, so the file keeps
one clock-mapped time per packet (``t_s`` of the packet's first sample) and readers
rebuild the rest (our design, docs/file-format.md; like the Polar SDK's per-frame step
[D7], measured steps between packets beat the nominal period, because real output data
rates differ from nominal):

* Devices that stamp every sample: ``t = packet t_s + (device_t_s - device_t_s of the
  packet's first sample)``; over one packet the clock drift (< 1e-3 relative) is negligible.
* Otherwise, within packet k the spacing is ``(t_s[k+1] - t_s[k]) / n_samples[k]``. Where that
  step is not within half a period of the stream's typical step (lost packets between k and
  k+1, detected as a gap), and for the last packet, the typical step is used: the median of
  the per-packet steps, or ``1 / nominal_rate_hz`` with fewer than two packets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

#: A per-packet step further than this fraction from the typical step is not trusted.
STEP_TOLERANCE = 0.5
#: Rows of a packet table checked at a time when a file is opened (3.4 MB of 52-byte rows):
#: opening an hours-long recording then costs one block, not the whole table.
PACKET_BLOCK_ROWS = 65_536


class RowSliceable(Protocol):
    """A table read by row ranges: an h5py dataset or a numpy array."""

    def __len__(self) -> int: ...

    def __getitem__(self, rows: slice) -> np.ndarray: ...


def typical_sample_period_s(packets: np.ndarray, nominal_rate_hz: float) -> float:
    """Median step between samples measured across consecutive packets."""
    if len(packets) < 2:
        return 1.0 / nominal_rate_hz
    steps = np.diff(packets["t_s"]) / packets["n_samples"][:-1].astype(np.float64)
    steps = steps[np.isfinite(steps) & (steps > 0)]
    return float(np.median(steps)) if len(steps) else 1.0 / nominal_rate_hz


def sample_times_s(packets: np.ndarray, nominal_rate_hz: float,
                   device_time_s: np.ndarray | None = None) -> np.ndarray:
    """Session time (s) of every sample covered by ``packets`` (a ``PACKET_DTYPE`` table)."""
    counts = packets["n_samples"].astype(np.int64)
    n_total = int(counts.sum())
    if n_total == 0:
        return np.empty(0, dtype=np.float64)
    packet_of_sample = np.repeat(np.arange(len(packets)), counts)
    first_index = packets["sample_index"].astype(np.int64)
    start_s = packets["t_s"].astype(np.float64)
    if device_time_s is not None:
        device = np.asarray(device_time_s, dtype=np.float64)[:n_total]
        return start_s[packet_of_sample] + device - device[first_index][packet_of_sample]
    period_s = typical_sample_period_s(packets, nominal_rate_hz)
    steps = np.full(len(packets), period_s)
    if len(packets) > 1:
        measured = np.diff(start_s) / counts[:-1]
        trusted = np.abs(measured - period_s) <= STEP_TOLERANCE * period_s
        steps[:-1] = np.where(trusted, measured, period_s)
    # in place, one array of the stream's length at a time (an 8 h stream is 23 MB each)
    position = np.arange(n_total)
    position -= first_index[packet_of_sample]
    times = position.astype(np.float64)
    del position
    times *= steps[packet_of_sample]
    times += start_s[packet_of_sample]
    return times


def committed_extent(packets: np.ndarray, stored_rows: int, *,
                     first_sample: int = 0) -> tuple[int, int]:
    """How many packets, and samples, were committed: the longest prefix of the table whose
    rows chain without holes (``sample_index`` of each = end of the previous, the first at
    ``first_sample``) and whose samples are all stored. Rows beyond it are leftovers of a
    flush cut short by a crash or a full disk (see the file format's commit protocol). The
    sample count is the end of the last committed packet (``first_sample`` when none)."""
    if len(packets) == 0:
        return 0, first_sample
    counts = packets["n_samples"].astype(np.int64)
    ends = first_sample + np.cumsum(counts)
    starts = ends - counts
    valid = (packets["sample_index"].astype(np.int64) == starts) & (counts > 0) & (
        ends <= stored_rows)
    n_packets = int(np.argmin(valid)) if not valid.all() else len(packets)
    return n_packets, int(ends[n_packets - 1]) if n_packets else first_sample


@dataclass(frozen=True)
class PacketTableCheck:
    """What opening a stream needs from its packet table: the committed extent
    (:func:`committed_extent`), how often a committed packet's time goes back from the
    previous one's, and whether every committed time is a finite number."""

    n_packets: int
    n_samples: int
    times_backwards: int
    times_finite: bool


def check_packet_table(table: RowSliceable, stored_rows: int, *,
                       block_rows: int = PACKET_BLOCK_ROWS) -> PacketTableCheck:
    """:class:`PacketTableCheck` of ``table``, read ``block_rows`` rows at a time so that
    memory stays flat however long the recording."""
    n_packets = n_samples = backwards = 0
    finite = True
    previous_s: float | None = None
    for start in range(0, len(table), block_rows):
        block = np.asarray(table[start:start + block_rows])
        count, n_samples = committed_extent(block, stored_rows, first_sample=n_samples)
        times = block["t_s"][:count].astype(np.float64)
        if previous_s is not None and count:
            times = np.concatenate(([previous_s], times))
        backwards += int(np.count_nonzero(np.diff(times) < 0))
        finite = finite and bool(np.isfinite(times).all())
        n_packets += count
        if count:
            previous_s = float(times[-1])
        if count < len(block):
            break
    return PacketTableCheck(n_packets, n_samples, backwards, finite)
