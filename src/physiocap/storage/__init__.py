"""physiocap.storage: HDF5 session files (schema v1, see ``docs/file-format.md``).

One file per visit, ``study/<participant>/<session>.h5``. :class:`SessionWriter` streams a
recording into it, crash-safe up to its last flush; :class:`SessionReader` reads it back
(and refuses foreign, damaged, newer or busy files with the reason);
:func:`store_analysis_runs` adds analysis results atomically, once, without touching raw
data or state.
"""

from physiocap.storage.analysis_runs import RunToStore, append_analysis_run, store_analysis_runs
from physiocap.storage.compaction import seal_interrupted_file
from physiocap.storage.paths import session_path
from physiocap.storage.reader import READERS, SessionReader
from physiocap.storage.records import AnalysisRun, StreamRecord, TrialRecord
from physiocap.storage.schema import (
    GAP_DTYPE,
    MARKER_DTYPE,
    PACKET_DTYPE,
    SCHEMA_NAME,
    SCHEMA_VERSION,
)
from physiocap.storage.timeline import sample_times_s
from physiocap.storage.writer import SessionWriter

__all__ = [
    "GAP_DTYPE",
    "MARKER_DTYPE",
    "PACKET_DTYPE",
    "READERS",
    "SCHEMA_NAME",
    "SCHEMA_VERSION",
    "AnalysisRun",
    "RunToStore",
    "SessionReader",
    "SessionWriter",
    "StreamRecord",
    "TrialRecord",
    "append_analysis_run",
    "sample_times_s",
    "seal_interrupted_file",
    "session_path",
    "store_analysis_runs",
]
