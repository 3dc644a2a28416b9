"""Issue 16 items 1 and 3: physiocap never writes through a link and never into a file the
user made read-only; the file (and the link's target) keep every byte and their mode."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.storage.known_session import PARTICIPANT, SESSION, KnownSession

from physiocap.cli.main import main
from physiocap.core.errors import StorageError
from physiocap.storage import SessionReader, SessionWriter, append_analysis_run
from physiocap.storage.locking import WriterLock, ensure_not_being_written, lock_path

MOMENT = datetime(2026, 1, 1, tzinfo=UTC)


def _store(path: Path) -> int:
    return append_analysis_run(path, "T01", "tug", "1", {}, {"total_time_s": 9.5}, MOMENT)


def test_symlinked_lock_file_is_refused_and_its_target_kept(
        sample_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's reproduction: ``ln -s victim a.h5.lock; physiocap analyze a.h5``."""
    victim = tmp_path / "victim"
    victim.write_text("keep\n")
    lock_path(sample_copy).symlink_to(victim)
    before = sample_copy.read_bytes()
    assert main(["analyze", str(sample_copy)]) == 2
    error = capsys.readouterr().err
    assert "symbolic link" in error
    assert str(lock_path(sample_copy)) in error
    assert victim.read_text() == "keep\n"
    assert sample_copy.read_bytes() == before
    with pytest.raises(StorageError, match="symbolic link"):
        WriterLock(sample_copy)
    assert victim.read_text() == "keep\n"


def test_symlinked_lock_file_of_a_new_recording_is_refused(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep\n")
    path = tmp_path / "S01.h5"
    lock_path(path).symlink_to(victim)
    with pytest.raises(StorageError, match="symbolic link"):
        SessionWriter.create(path, PARTICIPANT, SESSION)
    assert victim.read_text() == "keep\n"
    assert not path.exists()


def test_hard_linked_lock_file_is_refused(known_session: KnownSession, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep\n")
    os.link(victim, lock_path(known_session.path))
    with pytest.raises(StorageError, match="hard link"):
        _store(known_session.path)
    assert victim.read_text() == "keep\n"


def test_a_fifo_at_the_lock_path_neither_blocks_nor_is_used(known_session: KnownSession) -> None:
    os.mkfifo(lock_path(known_session.path))
    with pytest.raises(StorageError, match="not a plain file"):
        _store(known_session.path)
    ensure_not_being_written(known_session.path)  # a reader is not held up either


def test_session_file_reached_through_a_link_is_not_written(
        known_session: KnownSession, tmp_path: Path) -> None:
    link = tmp_path / "link.h5"
    link.symlink_to(known_session.path)
    before = known_session.path.read_bytes()
    with pytest.raises(StorageError, match="symbolic link"):
        _store(link)
    second_name = tmp_path / "second.h5"
    os.link(known_session.path, second_name)
    with pytest.raises(StorageError, match="hard links"):
        _store(second_name)
    assert known_session.path.read_bytes() == before
    assert link.is_symlink()


def test_new_recording_never_creates_a_file_through_a_dangling_link(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.h5"
    path = tmp_path / "S01.h5"
    path.symlink_to(target)
    with pytest.raises(StorageError, match="already exists"):
        SessionWriter.create(path, PARTICIPANT, SESSION)
    assert not target.exists()


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else False,
                    reason="root may write any file; the mode check still runs (next test)")
def test_read_only_file_is_refused_unchanged_with_its_mode(
        sample_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _check_read_only_refused(sample_copy, capsys)


def test_read_only_mode_is_respected_even_by_root(
        sample_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Root may write anything, but a file whose owner removed its write permission is a
    file the user protected: refused all the same."""
    _check_read_only_refused(sample_copy, capsys)


def _check_read_only_refused(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.chmod(path, 0o444)
    before = path.read_bytes()
    assert main(["analyze", str(path)]) == 2
    error = capsys.readouterr().err
    assert str(path) in error
    assert "write-protected" in error
    assert path.read_bytes() == before
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert main(["analyze", "--dry-run", str(path)]) == 0  # analysing without storing works


def test_update_keeps_the_file_mode(known_session: KnownSession) -> None:
    os.chmod(known_session.path, 0o640)
    assert _store(known_session.path) == 1
    assert stat.S_IMODE(known_session.path.stat().st_mode) == 0o640
    with SessionReader(known_session.path) as reader:
        assert reader.completed


def test_update_refused_in_a_folder_without_write_permission(known_session: KnownSession,
                                                               tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root may write into any folder")
    folder = known_session.path.parent
    os.chmod(folder, 0o555)
    try:
        with pytest.raises(StorageError, match="not writable"):
            _store(known_session.path)
    finally:
        os.chmod(folder, 0o755)
