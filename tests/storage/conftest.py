"""Fixtures of the storage tests (the known session is built in ``known_session.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.storage.known_session import KnownSession, write_known_session


@pytest.fixture
def known_session(tmp_path: Path) -> KnownSession:
    return write_known_session(tmp_path / "study")[0]
