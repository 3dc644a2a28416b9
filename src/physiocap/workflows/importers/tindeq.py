"""Import a Tindeq Progressor app CSV export as a session file (``physiocap import tindeq-csv``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from physiocap.core.device_info import DeviceInfo, DeviceKind, Placement
from physiocap.core.records import Participant, SessionInfo, Side, TestKind, TrialInfo
from physiocap.core.streams import DeviceTiming, StreamSpec
from physiocap.core.units import UNIT_FORCE
from physiocap.workflows.importers.session_import import (
    ImportedRecording,
    ImportedStream,
    provenance,
    write_imported_session,
)
from physiocap.workflows.importers.tindeq_csv import read_tindeq_csv
from physiocap.workflows.protocols import BATTERY

#: The app samples at about 80-90 Hz (issue 4; device-protocols §3.1: 80 Hz weight stream).
TINDEQ_NOMINAL_RATE_HZ = 80.0


def import_tindeq_csv(source: Path, out: Path, participant: Participant, *,
                      test: TestKind = TestKind.GRIP, side: Side = Side.NONE,
                      protocol: dict[str, object] | None = None,
                      overwrite: bool = False) -> Path:
    """Convert one Tindeq export into a session file with one trial of ``test``."""
    export = read_tindeq_csv(source)
    values = dict(protocol or {})
    if side is not Side.NONE and "side" in BATTERY[test].defaults():
        values["side"] = side.value
    resolved = BATTERY[test].resolve(values)
    resolved |= provenance(source, app_rep_peaks_n=list(export.rep_peaks_n),
                           app_overall_peak_n=export.overall_peak_n)
    modified = datetime.fromtimestamp(source.stat().st_mtime, tz=UTC)
    session_id = f"{modified:%Y-%m-%d}_tindeq-import"
    device = DeviceInfo(device_id="TINDEQ-IMPORT", driver="tindeq-csv", kind=DeviceKind.DYNAMOMETER,
                        model="Tindeq Progressor (app CSV export)", serial="unknown",
                        manufacturer="Tindeq", placement=Placement.UNSPECIFIED, side=side.value)
    spec = StreamSpec("force", ("force",), (UNIT_FORCE,), TINDEQ_NOMINAL_RATE_HZ,
                      timing=DeviceTiming.PER_SAMPLE,
                      description="force from the app's kgf column, converted to N")
    recording = ImportedRecording(
        device, (ImportedStream(spec, export.time_s,
                                export.force_n.astype(np.float32).reshape(-1, 1)),),
        TrialInfo(f"{test}-01", test, resolved, side=side))
    session = SessionInfo(session_id, "import", modified)
    return write_imported_session(out, participant, session, recording, overwrite=overwrite)
