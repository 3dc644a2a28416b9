"""Where a session file lives in a study folder."""

from __future__ import annotations

from pathlib import Path

from physiocap.core.records import validate_identifier

SESSION_SUFFIX = ".h5"


def session_path(study_dir: Path | str, participant_id: str, session_id: str) -> Path:
    """``<study_dir>/<participant_id>/<session_id>.h5`` (one file per visit)."""
    validate_identifier(participant_id, "participant ID")
    validate_identifier(session_id, "session ID")
    return Path(study_dir) / participant_id / f"{session_id}{SESSION_SUFFIX}"
