"""Writing a visit report to disk: never over an existing file unless asked, and never a
half-written PDF (the report goes to a temporary file beside the target, then
``os.replace`` puts it in place in one step)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from physiocap.core.errors import StorageError
from physiocap.workflows.report.content import ProgressCallback, build_visit_report
from physiocap.workflows.report.pdf import render_pdf


def write_visit_report(session_path: Path | str, out_path: Path | str, *, force: bool = False,
                       on_progress: ProgressCallback | None = None) -> Path:
    """Write the PDF report of the visit in ``session_path`` to ``out_path``; returns it.

    An existing ``out_path`` is refused unless ``force``; a folder that does not exist is
    an error naming it. ``on_progress(done, total)`` follows the participant's visits being
    analysed for the progress page.
    """
    out = Path(out_path)
    if out.is_dir():
        raise StorageError("is a folder; give the report's file name (e.g. report.pdf)",
                           path=out)
    if out.exists() and not force:
        raise StorageError("exists already; use --force to replace it", path=out)
    if not out.parent.is_dir():
        raise StorageError("folder for the report does not exist", path=out.parent)
    report = build_visit_report(session_path, on_progress=on_progress)
    # opened with "x" (not mkstemp, which makes the file private): the report gets the
    # permissions any new file in that folder gets
    temporary = out.parent / f".{out.name}.{secrets.token_hex(4)}.tmp"
    try:
        with temporary.open("xb") as handle:
            render_pdf(report, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, out)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return out
