"""The session files of a study folder (``<participant>/<session>.h5``), in a stable order.

Exports and batch re-analysis walk every session file of a study; a file another process
is still writing (its ``.lock`` beside it) is left to the caller to refuse when it opens it.
"""

from __future__ import annotations

from pathlib import Path

from physiocap.core.errors import ConfigurationError
from physiocap.workflows.study import SESSION_SUFFIX


def study_session_files(root: Path) -> list[Path]:
    """Every session file below ``root`` (one folder per participant), sorted by path."""
    root = Path(root)
    if not root.is_dir():
        raise ConfigurationError(f"{root}: no such study folder")
    files = sorted(root.glob(f"*/*{SESSION_SUFFIX}"))
    if not files:
        raise ConfigurationError(f"{root}: holds no session file (expected "
                                 f"<participant>/<session>{SESSION_SUFFIX})")
    return files
