"""One writer per session file, across processes.

HDF5's own file lock is released once a file switches to SWMR writing, so a second writer
(or a reader that would see half a recording) has to be kept out another way. The writer
holds an exclusive OS lock on a small ``<session>.h5.lock`` file beside the session file for
as long as it writes; the lock file names the holder (process and host) so the refusal can
say who. The OS drops the lock when the holder dies, so a crash never leaves a session
locked; the stale lock file is harmless and reused.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path

from physiocap.core.errors import FileLockedError

if os.name == "nt":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def lock_path(session_file: Path) -> Path:
    return session_file.with_name(session_file.name + ".lock")


def _holder_description(lock_file: Path) -> str:
    try:
        holder = json.loads(lock_file.read_text(encoding="utf-8"))
        return (f"process {holder['pid']} on {holder['host']} "
                f"(since {holder['since_utc']})")
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


def _locked_error(session_file: Path) -> FileLockedError:
    return FileLockedError(
        f"is open for writing by {_holder_description(lock_path(session_file))}; "
        "wait until that recording is closed, or open a copy of the file",
        path=session_file)


class WriterLock:
    """The exclusive right to write one session file; release it with :meth:`release`."""

    def __init__(self, session_file: Path) -> None:
        self.session_file = Path(session_file)
        self._path = lock_path(self.session_file)
        self._fd: int | None = None
        self._acquire()

    def _acquire(self) -> None:
        self.session_file.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
            if not _try_lock(fd):
                os.close(fd)
                raise _locked_error(self.session_file)
            # A releasing holder unlinks the file while still locking it: if the path now
            # names another file (or none), our lock is on a dead inode, so try again.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self._path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        holder = {"pid": os.getpid(), "host": socket.gethostname(),
                  "since_utc": datetime.now(UTC).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(holder).encode("utf-8"))
        self._fd = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Give up the lock and remove the lock file; safe to call twice."""
        if self._fd is None:
            return
        # Windows refuses to delete an open file; the next writer then reuses it.
        with contextlib.suppress(OSError):
            self._path.unlink()
        _unlock(self._fd)
        os.close(self._fd)
        self._fd = None


def ensure_not_being_written(session_file: Path) -> None:
    """Raise :class:`FileLockedError` if a writer (in any process) holds the file."""
    path = lock_path(Path(session_file))
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # no lock file, or one we may not open: nobody we can see is writing
        return
    try:
        if not _try_lock(fd):
            raise _locked_error(Path(session_file))
        _unlock(fd)
    finally:
        os.close(fd)
