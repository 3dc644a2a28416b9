"""Per-sample session times from the packet table.

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

import numpy as np

#: A per-packet step further than this fraction from the typical step is not trusted.
STEP_TOLERANCE = 0.5


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


def committed_extent(packets: np.ndarray, stored_rows: int) -> tuple[int, int]:
    """How many packets, and samples, were committed: the longest prefix of the table whose
    rows chain without holes (``sample_index`` of each = end of the previous) and whose
    samples are all stored. Rows beyond it are leftovers of a flush cut short by a crash or
    a full disk (see the file format's commit protocol)."""
    if len(packets) == 0:
        return 0, 0
    counts = packets["n_samples"].astype(np.int64)
    ends = np.cumsum(counts)
    starts = ends - counts
    valid = (packets["sample_index"].astype(np.int64) == starts) & (counts > 0) & (
        ends <= stored_rows)
    n_packets = int(np.argmin(valid)) if not valid.all() else len(packets)
    return n_packets, int(ends[n_packets - 1]) if n_packets else 0
