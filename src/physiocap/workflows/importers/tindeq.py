"""Import a Tindeq Progressor app CSV export as a session file (``physiocap import tindeq-csv``).

What the export does not say is not invented (issue 15):

* the session date comes from the export's file or folder name when it carries one
  (``2023-05-14``, ``2023_05_14``, ``20230514``), else from ``--date``; never from the
  file's modification time (a copied 2023 set became a visit of today). Without either the
  import stops and asks for ``--date``;
* protocol variables the user did not give (grip protocol, handle position, posture ...)
  are stored as ``unknown``, not as the battery's defaults;
* a time column that restarts keeps its longest segment (:mod:`.tindeq_csv`); what was
  dropped is stored with the trial (``dropped_segments``) and returned for the user;
* the Progressor is tared before a set, so the trial records ``device_tared``: the strength
  analysis then measures from the device's zero when the recording shows no rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from physiocap.core.device_info import DeviceInfo, DeviceKind, Placement
from physiocap.core.errors import ConfigurationError
from physiocap.core.records import Participant, SessionInfo, Side, TestKind, TrialInfo
from physiocap.core.streams import DeviceTiming, StreamSpec
from physiocap.core.units import UNIT_FORCE
from physiocap.workflows.importers.session_import import (
    ImportedRecording,
    ImportedStream,
    provenance,
    write_imported_session,
)
from physiocap.workflows.importers.tindeq_csv import DroppedSegment, read_tindeq_csv
from physiocap.workflows.protocols import BATTERY, ISOMETRIC, TestProtocol

#: The app samples at about 80-90 Hz (issue 4; hardware built to the Progressor API: 80 Hz
#: [D14, D16]).
TINDEQ_NOMINAL_RATE_HZ = 80.0
#: Stored for a protocol variable nobody entered.
UNKNOWN = "unknown"
#: How many folders above the export are searched for a date.
_DATE_FOLDERS = 3
_DATE_PATTERN = re.compile(
    r"(?<!\d)((?:19|20)\d\d)([-_.]?)(0[1-9]|1[0-2])\2(0[1-9]|[12]\d|3[01])(?!\d)")


@dataclass(frozen=True)
class TindeqImport:
    """Where the session went, its date and where that came from, what was left out."""

    out: Path
    session_date: date
    date_source: str
    dropped_segments: tuple[DroppedSegment, ...]


def date_from_name(source: Path) -> tuple[date, str] | None:
    """The first valid date in the file name, else in the nearest folder names above it,
    with where it was found; ``None`` when no name carries one."""
    names = [source.stem, *(parent.name for parent in list(source.parents)[:_DATE_FOLDERS])]
    for level, name in enumerate(names):
        for match in _DATE_PATTERN.finditer(name):
            try:
                found = date(int(match[1]), int(match[3]), int(match[4]))
            except ValueError:
                continue
            return found, ("file name" if level == 0 else f"folder name {name!r}")
    return None


def session_date(source: Path, given: date | None) -> tuple[date, str]:
    """``given`` (``--date``) when set, else the date in the export's name; else an error
    that asks for ``--date`` (never the file's modification time)."""
    if given is not None:
        return given, "--date"
    found = date_from_name(source)
    if found is None:
        raise ConfigurationError(
            f"{source}: no session date in the file or folder name (such as 2023-05-14); "
            "give it with --date YYYY-MM-DD (the file's modification time is when it was "
            "copied, not when the set was recorded)")
    return found


def protocol_for_import(test: TestKind) -> TestProtocol:
    """The protocol definition of a test a Tindeq export can hold."""
    return ISOMETRIC if test is TestKind.ISOMETRIC else BATTERY[test]


def given_protocol(test: TestKind, values: dict[str, Any]) -> dict[str, Any]:
    """Every protocol variable of ``test``: the given ones validated, the rest ``unknown``."""
    definition = protocol_for_import(test)
    known = {variable.name: variable for variable in definition.variables}
    extra = sorted(set(values) - set(known))
    if extra:
        raise ConfigurationError(f"{definition.title}: unknown protocol variable(s) {extra}")
    return {name: variable.validate(values[name]) if name in values else UNKNOWN
            for name, variable in known.items()}


def import_tindeq_csv(source: Path, out: Path, participant: Participant, *,
                      test: TestKind = TestKind.GRIP, side: Side = Side.NONE,
                      protocol: dict[str, object] | None = None, overwrite: bool = False,
                      recorded_on: date | None = None) -> TindeqImport:
    """Convert one Tindeq export into a session file with one trial of ``test``."""
    when, date_source = session_date(source, recorded_on)
    export = read_tindeq_csv(source)
    values = dict(protocol or {})
    if side is not Side.NONE:
        values["side"] = side.value
    resolved = given_protocol(test, values)
    resolved |= provenance(
        source, app_rep_peaks_n=list(export.rep_peaks_n),
        app_overall_peak_n=export.overall_peak_n, device_tared=True,
        session_date_source=date_source,
        dropped_segments=[segment.describe() for segment in export.dropped_segments])
    started = datetime(when.year, when.month, when.day, tzinfo=UTC)
    session_id = f"{when:%Y-%m-%d}_tindeq-import"
    device = DeviceInfo(device_id="TINDEQ-IMPORT", driver="tindeq-csv", kind=DeviceKind.DYNAMOMETER,
                        model="Tindeq Progressor (app CSV export)", serial="unknown",
                        manufacturer="Tindeq", placement=Placement.UNSPECIFIED, side=side.value)
    spec = StreamSpec("force", ("force",), (UNIT_FORCE,), TINDEQ_NOMINAL_RATE_HZ,
                      timing=DeviceTiming.PER_SAMPLE,
                      description="force from the app's kgf column, converted to N")
    name = str(values.get("muscle_group", test)) if test is TestKind.ISOMETRIC else str(test)
    recording = ImportedRecording(
        device, (ImportedStream(spec, export.time_s,
                                export.force_n.astype(np.float32).reshape(-1, 1)),),
        TrialInfo(f"{name}-01", test, resolved, side=side))
    session = SessionInfo(session_id, "import", started)
    written = write_imported_session(out, participant, session, recording, overwrite=overwrite)
    return TindeqImport(written, when, date_source, export.dropped_segments)
