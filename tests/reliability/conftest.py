"""Fixtures of the reliability suite: a closed session file with known contents, and the
shipped sample recordings copied to a temporary folder (never used in place)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.storage.known_session import KnownSession, write_known_session

SAMPLES = Path(__file__).resolve().parents[2] / "sample_recordings"
TUG_WATCH_SAMPLE = SAMPLES / "real" / "tug-watch_ll_01.h5"


@pytest.fixture
def known_session(tmp_path: Path) -> KnownSession:
    return write_known_session(tmp_path / "study")[0]


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A private copy of a shipped real recording (one TUG)."""
    folder = tmp_path / "copy"
    folder.mkdir()
    return Path(shutil.copy2(TUG_WATCH_SAMPLE, folder / TUG_WATCH_SAMPLE.name))
