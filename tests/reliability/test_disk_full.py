"""Issue 16 item 8: a full disk during recording or analysis stops cleanly with a message
saying the disk is full, what was kept and where; everything written stays intact.

On a real small file system (a tmpfs, mounted when the tests run as root) and, everywhere,
with the free space the update sees reduced (fault injection)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.storage.known_session import KnownSession

from physiocap.core.errors import DiskFullError
from physiocap.storage import SessionReader, append_analysis_run
from physiocap.storage import updating as updating_module

MOMENT = datetime(2026, 1, 1, tzinfo=UTC)


@contextlib.contextmanager
def small_file_system(folder: Path, size: str) -> Iterator[Path]:
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                              str(folder)], capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode().strip()})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


@pytest.mark.slow
def test_disk_full_during_recording_says_so_and_keeps_the_data(tmp_path: Path) -> None:
    with small_file_system(tmp_path / "small", "800k") as study:
        done = subprocess.run([sys.executable, "-m", "physiocap.cli.main", "demo", "--out",
                               str(study), "--speed", "max"], capture_output=True, text=True,
                              timeout=300, check=False)
        assert done.returncode == 2
        last = done.stderr.strip().splitlines()[-1]
        assert "Traceback" not in done.stderr
        assert "no trial is recording" not in done.stderr
        (session_file,) = study.glob("*/*.h5")
        assert last.startswith(f"physiocap demo: {session_file}: the disk is full")
        assert "keeps everything written up to its last flush" in last
        with SessionReader(session_file) as reader:
            assert reader.interrupted
            first = reader.trials[0]
            assert first.trial_id in last
            for stream in first.streams:  # a whole 15 s TUG, every stream at its rate
                assert stream.n_samples >= 14 * stream.spec.nominal_rate_hz


def test_disk_full_before_storing_runs_leaves_the_file_unchanged(
        known_session: KnownSession, monkeypatch: pytest.MonkeyPatch) -> None:
    before = known_session.path.read_bytes()
    usage = shutil.disk_usage(known_session.path.parent)
    monkeypatch.setattr(updating_module.shutil, "disk_usage",
                        lambda _: usage._replace(free=1_000_000))
    with pytest.raises(DiskFullError, match=r"the disk is full: .* 1\.0 MB are free; the file "
                                            r"is unchanged"):
        append_analysis_run(known_session.path, "T01", "tug", "1", {}, {"x": 1}, MOMENT)
    assert known_session.path.read_bytes() == before
    assert not updating_module.update_temporary_path(known_session.path).exists()


@pytest.mark.slow
def test_disk_full_while_writing_runs_on_a_real_file_system(known_session: KnownSession,
                                                             tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    """Past the free-space check (margin set to 0), the copy itself meets ENOSPC."""
    size = known_session.path.stat().st_size
    with small_file_system(tmp_path / "small", f"{size * 3 // 2 // 1024}k") as folder:
        path = Path(shutil.copy(known_session.path, folder / "S01.h5"))
        before = path.read_bytes()
        monkeypatch.setattr(updating_module, "UPDATE_MARGIN_BYTES", 0)
        with pytest.raises(DiskFullError, match="the file is unchanged"):
            append_analysis_run(path, "T01", "tug", "1", {}, {"x": 1}, MOMENT)
        assert path.read_bytes() == before
        assert sorted(item.name for item in folder.iterdir()) == ["S01.h5"]
        with SessionReader(path) as reader:
            assert reader.completed
