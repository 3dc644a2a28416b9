"""Shared fixtures: where the reference datasets live, Qt offscreen for GUI tests, and a hard
stop for a test stuck where pytest-timeout cannot reach it."""

from __future__ import annotations

import faulthandler
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from _pytest.faulthandler import fault_handler_stderr_fd_key
from pytest_timeout import get_env_settings

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


#: How long after pytest-timeout's own limit a test that ignored it is stopped for good.
HARD_STOP_MARGIN_S = 60.0


@pytest.fixture(autouse=True)
def _hard_stop(request: pytest.FixtureRequest) -> Iterator[None]:
    """End the whole run, printing every thread's stack, when one test outlives
    pytest-timeout's limit (command line, environment, ini or the test's own marker) by
    :data:`HARD_STOP_MARGIN_S`.

    pytest-timeout raises from a SIGALRM handler, which Python runs only between bytecodes:
    a test stuck inside C code that holds the GIL (a library call that never returns) is
    out of its reach, and the run would hang until CI kills it with no trace. faulthandler's
    watchdog is a C thread that needs no GIL, so the stuck call's stack reaches the log and
    the run fails at once instead."""
    limit_s = get_env_settings(request.config).timeout or 0.0
    marker = request.node.get_closest_marker("timeout")
    if marker is not None and marker.args:
        limit_s = float(marker.args[0])
    if limit_s <= 0:
        yield
        return
    faulthandler.dump_traceback_later(limit_s + HARD_STOP_MARGIN_S, exit=True,
                                      file=request.config.stash[fault_handler_stderr_fd_key])
    yield
    faulthandler.cancel_dump_traceback_later()
