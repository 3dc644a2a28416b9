"""Shared fixtures: where the reference datasets live, and Qt offscreen for GUI tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("PHYSIOCAP_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real reference recordings (``../shared/data``); skips when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference datasets not found at {SHARED_DATA} "
                    "(set PHYSIOCAP_SHARED_DATA or place shared/ beside the checkout)")
    return SHARED_DATA
