"""Changing a closed session file atomically: a new version beside it, then one rename.

The session file's raw data and state are written only by the recorder. Every later
change (analysis runs, sealing a file whose writer died) goes through :func:`updating`:

1. the file must be a plain file the user may write, with one name: a symbolic link, a
   hard link or a write-protected file is refused and left as it is;
2. the update takes the file's :class:`~physiocap.storage.locking.WriterLock` (purpose
   ``update``; a second update waits for the first, readers go on reading);
3. the new version is built in a hidden sibling file (``.<name>.update-tmp``), created
   exclusively and without following links, as a byte copy of the current one (the raw
   datasets are the same bytes, not re-encoded) that the caller then changes with h5py;
4. it gets the original's permission bits, is flushed to disk (``fsync``), and replaces
   the original with ``os.replace`` (``rename(2)``: the name refers to the old or the new
   file throughout [R1]; atomic on Windows too); the folder is synced so the rename itself
   survives a power cut.

A crash at any moment leaves either the old version or the new one under the file's
name, never a mix, and never a file HDF5 sees as left open; a leftover temporary file is
removed by the next update.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from physiocap.core.errors import DiskFullError, FileLockedError, StorageError
from physiocap.storage.failures import is_disk_full
from physiocap.storage.locking import PURPOSE_UPDATE, WriterLock, open_no_follow

#: Free space kept beyond a copy of the file being updated.
UPDATE_MARGIN_BYTES = 16 << 20
#: How long an update waits for another process's update of the same file.
UPDATE_WAIT_S = 60.0
_COPY_BLOCK_BYTES = 8 << 20


def update_temporary_path(path: Path) -> Path:
    """Where the new version of ``path`` is built (hidden, not ending in ``.h5``)."""
    return path.with_name(f".{path.name}.update-tmp")


def check_updatable(path: Path) -> os.stat_result:
    """The file's status if physiocap may replace it; else :class:`StorageError` saying
    why (missing, a link, not a plain file, write-protected)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise StorageError("does not exist", path=path) from None
    except OSError as error:
        raise StorageError(f"cannot be examined ({error.strerror or error})",
                           path=path) from None
    if stat.S_ISLNK(info.st_mode):
        raise StorageError("is a symbolic link; physiocap never writes through links "
                           "(analyse the file it points to, or a copy)", path=path)
    if not stat.S_ISREG(info.st_mode):
        raise StorageError("is not a file", path=path)
    if info.st_nlink > 1:
        raise StorageError(f"has {info.st_nlink} names (hard links); physiocap never "
                           "writes through links (analyse a copy)", path=path)
    if not info.st_mode & stat.S_IWUSR or not os.access(path, os.W_OK):
        raise StorageError("is write-protected (read-only); physiocap leaves it unchanged "
                           "(analyse with --dry-run, or a writable copy)", path=path)
    if not os.access(path.parent, os.W_OK):
        raise StorageError(f"cannot be updated: its folder {path.parent} is not writable "
                           "(analyse with --dry-run, or a copy elsewhere)", path=path)
    return info


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (no-op where folders cannot be opened)."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def new_sibling(path: Path, temporary: Path, mode: int) -> int:
    """Create ``temporary`` exclusively (removing a leftover of an earlier crash first);
    return its open descriptor."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temporary)  # unlink never follows a link: a planted one just goes
    try:
        return open_no_follow(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL,
                              stat.S_IMODE(mode) | stat.S_IWUSR | stat.S_IRUSR)
    except StorageError as error:
        raise StorageError(f"cannot be updated: {error}", path=path) from None


def _copy_bytes(source: Path, target_fd: int) -> None:
    with open(source, "rb") as handle:
        source_fd = handle.fileno()
        size = os.fstat(source_fd).st_size
        offset = 0
        if hasattr(os, "copy_file_range"):
            with contextlib.suppress(OSError):  # not across file systems on older kernels
                while offset < size:
                    copied = os.copy_file_range(source_fd, target_fd,
                                                min(_COPY_BLOCK_BYTES, size - offset))
                    if copied == 0:
                        break
                    offset += copied
        handle.seek(offset)
        os.lseek(target_fd, offset, os.SEEK_SET)
        while block := handle.read(_COPY_BLOCK_BYTES):
            view = memoryview(block)
            while view:
                view = view[os.write(target_fd, view):]


def commit_sibling(temporary: Path, path: Path, mode: int) -> None:
    """Give ``temporary`` the original's permission bits, sync it and atomically put it
    in place of ``path``."""
    os.chmod(temporary, stat.S_IMODE(mode))
    fd = os.open(temporary, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.replace(temporary, path)
    except PermissionError:  # Windows: another program has the file open
        raise FileLockedError("is open in another program; close it there and try again",
                              path=path) from None
    fsync_folder(path.parent)


def ensure_room(path: Path, needed_bytes: int, what: str) -> None:
    """Refuse before HDF5 meets a full disk: the new version needs ``needed_bytes`` plus a
    margin for HDF5's own allocations."""
    needed = needed_bytes + UPDATE_MARGIN_BYTES
    free = shutil.disk_usage(path.parent).free
    if free < needed:
        raise DiskFullError(f"the disk is full: {what} needs {needed / 1e6:.1f} MB of free "
                            f"space in {path.parent}, {free / 1e6:.1f} MB are free; the file "
                            "is unchanged", path=path)


@contextmanager
def updating(path: Path, *, what: str, command: str = "analyze",
             lock: WriterLock | None = None) -> Iterator[Path]:
    """Yield a private copy of ``path`` to change; on normal exit it replaces ``path``
    atomically, on an exception it is deleted and ``path`` is unchanged. ``lock`` is the
    file's update lock if the caller already holds it (else one is taken here)."""
    path = Path(path)
    info = check_updatable(path)
    held = lock or WriterLock(path, purpose=PURPOSE_UPDATE, command=command,
                              wait_s=UPDATE_WAIT_S)
    temporary = update_temporary_path(path)
    try:
        info = check_updatable(path)  # it may have been replaced while we waited
        ensure_room(path, info.st_size, what)
        fd = new_sibling(path, temporary, info.st_mode)
        try:
            try:
                _copy_bytes(path, fd)
            finally:
                os.close(fd)
            yield temporary
            commit_sibling(temporary, path, info.st_mode)
        except BaseException as error:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            if isinstance(error, OSError) and is_disk_full(error):
                raise DiskFullError(f"the disk is full: {what} could not be written; the "
                                    "file is unchanged", path=path) from None
            raise
    finally:
        if lock is None:
            held.release()
