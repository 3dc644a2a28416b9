"""The session files of a study folder, through the study index.

Exports and batch re-analysis walk every visit of a study in participant and visit-date
order. The study index (:class:`physiocap.storage.study_index.StudyIndex`) lists them and
leaves out, with the reason, files it cannot read or that a writer still holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from physiocap.core.errors import ConfigurationError
from physiocap.storage.study_index import StudyIndex
from physiocap.workflows.study import SESSION_SUFFIX


@dataclass(frozen=True, slots=True)
class StudyFiles:
    paths: tuple[Path, ...]
    skipped: tuple[str, ...]  # "file: reason"


def study_session_files(root: Path) -> StudyFiles:
    """Every readable session file below ``root`` (one folder per participant), in
    participant then visit-date order, and the files left out with why."""
    root = Path(root)
    if not root.is_dir():
        raise ConfigurationError(f"{root}: no such study folder")
    with StudyIndex(root) as index:
        visits = index.visits()
        skipped = tuple(f"{item.path}: {item.reason}" for item in index.skipped)
    if not visits and not skipped:
        raise ConfigurationError(f"{root}: holds no session file (expected "
                                 f"<participant>/<session>{SESSION_SUFFIX})")
    return StudyFiles(tuple(visit.path for visit in visits), skipped)
