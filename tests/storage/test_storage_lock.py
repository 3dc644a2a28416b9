"""A file held by another process is refused with a sentence saying who holds it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.storage.known_session import PARTICIPANT, SESSION, KnownSession

from physiocap.core.errors import FileLockedError
from physiocap.storage import SessionReader, SessionWriter, append_analysis_run

HOLD_WRITER = """
import sys
from datetime import UTC, datetime
from physiocap.core.records import Participant, SessionInfo
from physiocap.storage import SessionWriter
writer = SessionWriter.create(sys.argv[1], Participant("P001"),
                              SessionInfo("S01", "lock", datetime.now(UTC)))
print("ready", flush=True)
sys.stdin.readline()
writer.close()
"""

HOLD_READ_ONLY = """
import sys, h5py
file = h5py.File(sys.argv[1], "r")
print("ready", flush=True)
sys.stdin.readline()
"""


def _holding(script: str, path: Path) -> Iterator[subprocess.Popen[str]]:
    child = subprocess.Popen([sys.executable, "-c", script, str(path)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        yield child
    finally:
        if child.stdin is not None:
            child.stdin.write("done\n")
            child.stdin.close()
        child.wait(timeout=30)


@pytest.fixture
def held_by_writer(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    path = tmp_path / "S01.h5"
    for child in _holding(HOLD_WRITER, path):
        yield path, child


def test_second_writer_reader_and_analysis_are_refused(
        held_by_writer: tuple[Path, subprocess.Popen[str]]) -> None:
    path, child = held_by_writer
    attempts = [lambda: SessionWriter.create(path, PARTICIPANT, SESSION),
                lambda: SessionReader(path),
                lambda: append_analysis_run(path, "T01", "tug", "1", {}, {},
                                            datetime(2026, 1, 1, tzinfo=UTC))]
    for attempt in attempts:
        with pytest.raises(FileLockedError) as caught:
            attempt()
        message = str(caught.value)
        assert str(path) in message
        assert f"is open for writing by physiocap (recording), process {child.pid}" in message


def test_lock_is_released_when_the_writer_closes(tmp_path: Path) -> None:
    path = tmp_path / "S01.h5"
    for _ in _holding(HOLD_WRITER, path):
        pass
    with SessionReader(path) as reader:
        assert reader.completed
    assert not path.with_name("S01.h5.lock").exists()


def test_run_is_stored_while_another_program_reads_the_file(
        known_session: KnownSession) -> None:
    """A plain HDF5 reader elsewhere (HDFView, MATLAB, h5py) no longer blocks adding
    analysis runs: the new version replaces the file atomically while the other program
    goes on reading the version it opened."""
    for _ in _holding(HOLD_READ_ONLY, known_session.path):
        assert append_analysis_run(known_session.path, "T01", "tug", "1", {}, {"a": 1},
                                   datetime(2026, 1, 1, tzinfo=UTC)) == 1
    with SessionReader(known_session.path) as reader:
        assert [run.record for run in reader.analysis_runs("T01")] == [{"a": 1}]
        assert reader.completed
