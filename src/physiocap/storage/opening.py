"""Opening a session file for reading, however its writer left it.

* Closed normally: an ordinary read-only open.
* Writer killed while recording (SWMR mode): HDF5's SWMR-read mode opens it as it is.
* Writer killed while creating a trial's groups: the consistency flags are presented as
  cleared (:class:`~physiocap.storage.superblock.FlagsClearedView`), the file is untouched.
* Writer still running (its lock is held): :class:`FileLockedError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import h5py

from physiocap.core.errors import StorageError
from physiocap.storage.failures import open_error
from physiocap.storage.locking import ensure_not_being_written
from physiocap.storage.superblock import FlagsClearedView, read_superblock


@dataclass(slots=True)
class OpenedFile:
    file: h5py.File
    left_open: bool  # the writer never closed the file (killed, or stopped by a full disk)
    view: FlagsClearedView | None = None

    def close(self) -> None:
        try:
            self.file.close()
        finally:
            if self.view is not None:
                self.view.close()


def open_for_reading(path: Path, *, check_writer_lock: bool = True) -> OpenedFile:
    """Open ``path`` read-only; raise a :class:`StorageError` subclass saying why not."""
    path = Path(path)
    if not path.exists():
        raise StorageError("does not exist", path=path)
    if not path.is_file():
        raise StorageError("is not a file", path=path)
    if check_writer_lock:
        ensure_not_being_written(path)
    superblock = read_superblock(path)
    view = None
    try:
        if superblock.left_open_for_swmr_writing:
            file = h5py.File(path, "r", swmr=True)
        elif superblock.left_open_for_writing:
            view = FlagsClearedView(path, superblock)
            file = h5py.File(view, "r")
        else:
            file = h5py.File(path, "r")
    except (OSError, RuntimeError, ValueError) as error:
        if view is not None:
            view.close()
        raise open_error(error, path) from None
    return OpenedFile(file, superblock.left_open_for_writing, view)
