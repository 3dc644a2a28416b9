"""One writer per session file, across processes.

HDF5's own file lock is released once a file switches to SWMR writing, so a second writer
(or a reader that would see half a recording) has to be kept out another way. The writer
holds an exclusive OS lock on a small ``<session>.h5.lock`` file beside the session file for
as long as it writes; the lock file names the holder (program, purpose, process and host)
so a refusal can say who. The OS drops the lock when the holder dies, so a crash never
leaves a session locked; the stale lock file is harmless and reused.

Two kinds of holder exist. The **recorder** (purpose ``recording``) writes the file in
place, so nobody else may open it. An **update** (analysis runs, sealing; purpose
``update``) never touches the file in place: it builds a new version beside it and
replaces the file atomically (:mod:`physiocap.storage.updating`), so readers may go on
reading the current version, and a second update simply waits its turn.

The lock file is opened without following links (``O_NOFOLLOW`` [R2]) and must be a plain
file with a single name: a symbolic or hard link planted at ``<session>.h5.lock`` would
otherwise make the holder truncate and overwrite whatever file it points to.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import stat
import time
from datetime import UTC, datetime
from pathlib import Path

from physiocap.core.errors import FileLockedError, StorageError

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

#: What the holder of a lock is doing with the session file.
PURPOSE_RECORDING = "recording"
PURPOSE_UPDATE = "update"
#: Open flags that never follow a link at the last path component and never block on a
#: FIFO (Windows has neither flag; there a link is refused by the check before opening).
_SAFE_OPEN_FLAGS = (getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
                    | getattr(os, "O_NONBLOCK", 0))
#: How often a waiting update looks at the lock again.
_POLL_S = 0.05


def lock_path(session_file: Path) -> Path:
    return session_file.with_name(session_file.name + ".lock")


def open_no_follow(path: Path, flags: int, mode: int = 0o600) -> int:
    """``os.open`` that refuses a link at ``path`` and anything but a plain file with one
    name (a hard link to another file, a device, a FIFO): raises :class:`StorageError`."""
    if os.name == "nt" and os.path.islink(path):
        raise StorageError("is a symbolic link; physiocap never writes through links "
                           "(remove the link)", path=path)
    try:
        fd = os.open(path, flags | _SAFE_OPEN_FLAGS, mode)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.EMLINK) or os.path.islink(path):
            raise StorageError("is a symbolic link; physiocap never writes through links "
                               "(remove the link)", path=path) from None
        raise StorageError(f"cannot be opened ({error.strerror or error})",
                           path=path) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        kind = "a hard link to another file" if stat.S_ISREG(info.st_mode) else \
            "not a plain file"
        raise StorageError(f"is {kind}; physiocap never writes through links "
                           "(remove it)", path=path)
    return fd


def _holder(lock_file: Path) -> dict[str, object] | None:
    try:
        fd = os.open(lock_file, os.O_RDONLY | _SAFE_OPEN_FLAGS)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        holder = json.loads(os.read(fd, 4096).decode("utf-8"))
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)
    return holder if isinstance(holder, dict) else None


def _holder_description(holder: dict[str, object] | None) -> str:
    if holder is None:
        return "another process"
    try:
        who = (f"process {holder['pid']} on {holder['host']} "
               f"(since {holder['since_utc']})")
    except KeyError:
        return "another process"
    if holder.get("program") == "physiocap":
        doing = holder.get("command") or holder.get("purpose")
        who = f"physiocap ({doing}), {who}"
    return who


def _locked_error(session_file: Path, holder: dict[str, object] | None) -> FileLockedError:
    if holder is not None and holder.get("purpose") == PURPOSE_UPDATE:
        return FileLockedError(
            f"is being updated by {_holder_description(holder)}; try again when it "
            "has finished", path=session_file)
    return FileLockedError(
        f"is open for writing by {_holder_description(holder)}; "
        "wait until that recording is closed, or open a copy of the file",
        path=session_file)


class WriterLock:
    """The exclusive right to write one session file; release it with :meth:`release`.

    ``purpose`` says what the holder does (:data:`PURPOSE_RECORDING` or
    :data:`PURPOSE_UPDATE`); ``wait_s`` is how long to wait for an *update* by another
    process to finish (a recording holding the file is refused at once).
    """

    def __init__(self, session_file: Path, *, purpose: str = PURPOSE_RECORDING,
                 command: str = "", wait_s: float = 0.0) -> None:
        self.session_file = Path(session_file)
        self._path = lock_path(self.session_file)
        self._purpose = purpose
        self._command = command
        self._fd: int | None = None
        self._acquire(wait_s)

    def _acquire(self, wait_s: float) -> None:
        self.session_file.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + wait_s
        while True:
            fd = open_no_follow(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            if not _try_lock(fd):
                os.close(fd)
                holder = _holder(self._path)
                updating = holder is not None and holder.get("purpose") == PURPOSE_UPDATE
                if updating and time.monotonic() < deadline:
                    time.sleep(_POLL_S)
                    continue
                raise _locked_error(self.session_file, holder)
            # A releasing holder unlinks the file while still locking it: if the path now
            # names another file (or none), our lock is on a dead inode, so try again.
            try:
                same = os.path.samestat(os.fstat(fd), os.lstat(self._path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        holder = {"program": "physiocap", "purpose": self._purpose, "command": self._command,
                  "pid": os.getpid(), "host": socket.gethostname(),
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
    """Raise :class:`FileLockedError` if a recorder (in any process) holds the file.

    An update in progress is no obstacle: it replaces the file atomically, so the version
    on disk is always whole. A holder that has not yet said what it does (its lock file is
    still empty) is given a moment to say so, then counts as a recorder."""
    path = lock_path(Path(session_file))
    try:
        fd = os.open(path, os.O_RDONLY | _SAFE_OPEN_FLAGS)
    except OSError:  # no lock file, or one we may not open: nobody we can see is writing
        return
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return
        if _try_lock(fd):
            _unlock(fd)
            return
        holder = _holder(path)
        for _ in range(10):
            if holder is not None:
                break
            time.sleep(0.01)
            holder = _holder(path)
        if holder is not None and holder.get("purpose") == PURPOSE_UPDATE:
            return
        raise _locked_error(Path(session_file), holder)
    finally:
        os.close(fd)
