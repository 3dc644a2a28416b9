"""Session file schema v1: names, table dtypes, compression and chunking.

Everything a reader or writer needs to agree on lives here, so ``docs/file-format.md`` can
be checked against one module. See that document for the meaning of every field.
"""

from __future__ import annotations

import numpy as np

SCHEMA_NAME = "physiocap-session"
SCHEMA_VERSION = 1

#: HDF5 file format of session files: 1.10, readable by HDF5 1.10 and later. SWMR
#: (single-writer/multiple-reader) writing needs it while recording, and in the closed file
#: its compact chunk indexes save ~4 KiB per trial over the 1.8 format (measured).
FILE_LIBVER = ("v110", "v110")

#: Root ``state`` attribute values.
STATE_RECORDING = "recording"  # a writer has the file open (or died with it open)
STATE_COMPLETED = "completed"  # the writer closed the file normally
STATE_INTERRUPTED = "interrupted"  # the writer died; the file was sealed afterwards

#: One row per received packet. ``sample_index`` is the index of the packet's first sample
#: in the stored stream; ``device_time_raw`` is -1 and ``device_time_s`` NaN for devices
#: without a clock; ``host_time_s`` and ``t_s`` are on the session timeline.
PACKET_DTYPE = np.dtype([
    ("sample_index", "<u8"), ("n_samples", "<u4"), ("sequence", "<i8"),
    ("device_time_raw", "<i8"), ("device_time_s", "<f8"), ("host_time_s", "<f8"),
    ("t_s", "<f8")])

#: One row per detected gap (lost samples) in a stream.
GAP_DTYPE = np.dtype([("device_id", "S64"), ("stream", "S32"), ("start_s", "<f8"),
                      ("duration_s", "<f8"), ("lost_samples", "<i8")])

#: Operator and protocol events on the session timeline.
MARKER_DTYPE = np.dtype([("t_s", "<f8"), ("kind", "S32"), ("label", "S128")])

#: gzip level 4 after byte shuffling. Measured on quantised real foot-IMU data (int16, 6
#: channels, 200 Hz): 9.3 B/sample against 12 B raw; LZF reached only 10.4 B/sample, which
#: with the packet table breaks the "no larger than the device payload" goal.
COMPRESSION: dict[str, object] = {"compression": "gzip", "compression_opts": 4, "shuffle": True}

#: While recording, a chunk holds about one flush interval of samples: each flush rewrites
#: the last, partly filled chunk, and SWMR never reuses the space of the old copy, so large
#: chunks would multiply the file size (measured 10x for 20 s chunks at 200 Hz).
RECORDING_CHUNK_SECONDS = 1.0
RECORDING_TABLE_CHUNK_ROWS = 64
#: When the file is closed it is rewritten once with large chunks, which compress better.
FINAL_CHUNK_BYTES = 64 * 1024

MIN_CHUNK_ROWS = 16
MAX_CHUNK_ROWS = 65536


def _floor_power_of_two(value: float) -> int:
    return 1 << max(0, int(np.floor(np.log2(max(value, 1.0)))))


def recording_chunk_rows(nominal_rate_hz: float) -> int:
    """Rows per chunk while recording: about one second of samples, a power of two."""
    rows = 1 << int(np.ceil(np.log2(max(nominal_rate_hz * RECORDING_CHUNK_SECONDS, 1.0))))
    return int(min(max(rows, MIN_CHUNK_ROWS), MAX_CHUNK_ROWS))


def final_chunk_rows(row_bytes: int, n_rows: int) -> int:
    """Rows per chunk in a closed file: about ``FINAL_CHUNK_BYTES``, never far beyond the data."""
    rows = _floor_power_of_two(FINAL_CHUNK_BYTES / max(row_bytes, 1))
    needed = 1 << int(np.ceil(np.log2(max(n_rows, 1))))
    return int(min(max(min(rows, needed), MIN_CHUNK_ROWS), MAX_CHUNK_ROWS))


def trial_path(trial_id: str) -> str:
    return f"/trials/{trial_id}"


def stream_path(trial_id: str, device_id: str, stream: str) -> str:
    return f"/trials/{trial_id}/streams/{device_id}/{stream}"


def device_path(device_id: str) -> str:
    return f"/devices/{device_id}"
