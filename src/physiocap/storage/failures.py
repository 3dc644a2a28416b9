"""Turning HDF5's errors into physiocap's.

h5py reports a failed ``write(2)`` as an ``OSError`` or a ``RuntimeError`` whose message
carries the C ``errno`` ("errno = 28"), so the number is taken from either place.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path

from physiocap.core.errors import CorruptFileError, FileLockedError, StorageError

#: No space left, file larger than the process's size limit, disk quota exceeded.
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})
_ERRNO_IN_MESSAGE = re.compile(r"errno = (\d+)")
_TRUNCATED = re.compile(r"truncated file: eof = (\d+), sblock->base_addr = \d+, "
                        r"stored_eof = (\d+)")


def error_numbers(error: BaseException) -> set[int]:
    numbers = {int(found) for found in _ERRNO_IN_MESSAGE.findall(str(error))}
    if isinstance(error, OSError) and error.errno is not None:
        numbers.add(error.errno)
    return numbers


def is_disk_full(error: BaseException) -> bool:
    return bool(error_numbers(error) & DISK_FULL_ERRNOS)


def is_lock_conflict(error: BaseException) -> bool:
    return "unable to lock file" in str(error)


def open_error(error: BaseException, path: Path) -> StorageError:
    """The physiocap error for a failure of ``h5py.File(path, ...)``."""
    message = str(error)
    if is_lock_conflict(error):
        return FileLockedError("is open in another program that holds HDF5's file lock; "
                               "close it there and try again", path=path)
    truncated = _TRUNCATED.search(message)
    if truncated:
        return CorruptFileError(
            f"is truncated: it has {truncated.group(1)} bytes but its HDF5 superblock says "
            f"{truncated.group(2)} (an incomplete copy or download?)", path=path)
    if isinstance(error, FileNotFoundError):
        return StorageError("does not exist", path=path)
    if isinstance(error, PermissionError):
        return StorageError("cannot be opened: permission denied", path=path)
    return CorruptFileError(f"cannot be read as an HDF5 file ({message})", path=path)
