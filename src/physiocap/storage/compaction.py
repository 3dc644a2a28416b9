"""Rewriting a session file once, compactly, when its recording ends.

During recording every flush rewrites the last chunk of each growing dataset and SWMR
never reuses the old copy's space, so a recording file holds dead space (measured ≈ 1.55×
the data for 1 s chunks). On close the file is copied into a fresh one with large chunks
(better compression), in which nothing grows any more (fixed-size datasets, empty tables
without chunk index), then atomically replaces the original. Sample values are copied
unchanged; a failure leaves the original in place.

The same copy seals a file whose writer died: growing datasets are cut to their committed
rows and the state attributes are set (``row_limits`` and ``attribute_overrides``). Either
way the copy gets an index manifest of what it holds
(:mod:`physiocap.storage.index_manifest`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Set
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from physiocap.core.errors import CorruptFileError, DiskFullError, StorageError
from physiocap.core.records import TrialStatus
from physiocap.storage.attributes import read_text, write_attributes
from physiocap.storage.index_manifest import write_manifest
from physiocap.storage.locking import PURPOSE_UPDATE, WriterLock
from physiocap.storage.opening import open_for_reading
from physiocap.storage.reader import READERS, schema_version_of
from physiocap.storage.schema import (
    COMPRESSION,
    FILE_LIBVER,
    STATE_INTERRUPTED,
    STATE_RECORDING,
    final_chunk_rows,
    trial_path,
)
from physiocap.storage.updating import (
    UPDATE_WAIT_S,
    check_updatable,
    commit_sibling,
    new_sibling,
)

#: Free space kept beyond the size of the file being rewritten.
REWRITE_MARGIN_BYTES = 16 << 20
#: Bytes copied at a time by the rewrite, so its memory does not grow with the recording.
COPY_BLOCK_BYTES = 8 << 20


def temporary_path(path: Path) -> Path:
    """Where the rewritten copy is built (hidden, and not ending in ``.h5``)."""
    return path.with_name(f".{path.name}.rewrite-tmp")


def _copy_attributes(source: h5py.HLObject, target: h5py.HLObject) -> None:
    for name in source.attrs:
        target.attrs.create(name, source.attrs[name], dtype=source.attrs.get_id(name).dtype)


def _copy_group(source: h5py.Group, target: h5py.Group, row_limits: Mapping[str, int],
                attribute_overrides: Mapping[str, Mapping[str, Any]],
                skip: Set[str]) -> None:
    _copy_attributes(source, target)
    write_attributes(target, attribute_overrides.get(source.name, {}))
    for name in source:
        if f"{source.name.rstrip('/')}/{name}" in skip:
            continue
        item = source[name]
        if isinstance(item, h5py.Group):
            _copy_group(item, target.create_group(name), row_limits, attribute_overrides, skip)
        elif item.maxshape and item.maxshape[0] is None:
            rows = min(row_limits.get(item.name, item.shape[0]), item.shape[0])
            if rows == 0:  # nothing to compress; no chunk index either
                copy = target.create_dataset(name, shape=(0, *item.shape[1:]), dtype=item.dtype)
            else:
                row_bytes = item.dtype.itemsize * int(np.prod(item.shape[1:], dtype=np.int64))
                chunks = (min(final_chunk_rows(row_bytes, rows), rows), *item.shape[1:])
                copy = target.create_dataset(name, shape=(rows, *item.shape[1:]),
                                             dtype=item.dtype, chunks=chunks,
                                             **COMPRESSION)  # type: ignore[arg-type]
                _copy_rows(item, copy, rows, chunks[0], row_bytes)
            _copy_attributes(item, copy)
        else:
            source.copy(item, target, name=name)


def _copy_rows(source: h5py.Dataset, target: h5py.Dataset, rows: int, chunk_rows: int,
               row_bytes: int) -> None:
    """Copy the first ``rows`` rows in whole target chunks of at most
    :data:`COPY_BLOCK_BYTES`, so a long recording is never held in memory at once."""
    step = max(1, COPY_BLOCK_BYTES // max(row_bytes * chunk_rows, 1)) * chunk_rows
    for start in range(0, rows, step):
        stop = min(rows, start + step)
        target[start:stop] = source[start:stop]


def rewrite(path: Path, *, row_limits: Mapping[str, int] | None = None,
            attribute_overrides: Mapping[str, Mapping[str, Any]] | None = None,
            skip: Set[str] = frozenset()) -> None:
    """Copy ``path`` into a fresh compact file and atomically replace it, leaving out the
    objects at the paths in ``skip``. The caller must hold the file's
    :class:`~physiocap.storage.locking.WriterLock`."""
    temporary = temporary_path(path)
    # The copy is never larger than the original; HDF5 must not meet a full disk (see
    # physiocap.storage.writer), so check for room first.
    needed = path.stat().st_size + REWRITE_MARGIN_BYTES
    if shutil.disk_usage(path.parent).free < needed:
        raise DiskFullError(f"cannot be rewritten: it needs {needed} bytes of free disk space",
                            path=path)
    mode = os.stat(path).st_mode
    os.close(new_sibling(path, temporary, mode))
    try:
        opened = open_for_reading(path, check_writer_lock=False)
        try:
            with h5py.File(temporary, "w", libver=FILE_LIBVER) as target:
                _copy_group(opened.file, target, row_limits or {}, attribute_overrides or {},
                            skip)
                write_manifest(target)  # of the copy: sealing changes statuses and trials
        finally:
            opened.close()
        commit_sibling(temporary, path, mode)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def seal_interrupted(path: Path) -> None:
    """Make a file whose writer died an ordinary closed file marked ``interrupted``: cut to
    its committed rows, trials left recording marked interrupted, and a trial whose groups
    were being created when the writer died (unreadable) left out."""
    opened = open_for_reading(path, check_writer_lock=False)
    try:
        reader = READERS[schema_version_of(opened.file, path)](opened.file)
        trials, unreadable = reader.trials(writer_died=True)
        limits = reader.committed_rows(trial.trial_id for trial in trials)
        overrides: dict[str, Mapping[str, Any]] = {"/": {"state": STATE_INTERRUPTED}}
        for trial in trials:
            if trial.status is TrialStatus.INTERRUPTED:
                overrides[trial_path(trial.trial_id)] = {"status": STATE_INTERRUPTED}
    except (KeyError, ValueError, OSError, RuntimeError) as error:
        raise StorageError(f"could not be sealed after an interrupted recording ({error})",
                           path=path) from None
    finally:
        opened.close()
    rewrite(path, row_limits=limits, attribute_overrides=overrides,
            skip={trial_path(trial_id) for trial_id in unreadable})


def seal_if_interrupted(path: Path) -> bool:
    """Seal ``path`` if its writer died (see :func:`seal_interrupted`); return whether it
    did. The caller must hold the file's writer lock."""
    opened = open_for_reading(path, check_writer_lock=False)
    try:
        schema_version_of(opened.file, path)
        try:
            needs_sealing = opened.left_open or read_text(opened.file, "state") == \
                STATE_RECORDING
        except ValueError as error:
            raise CorruptFileError(f"is damaged: {error}", path=path) from None
    finally:
        opened.close()
    if needs_sealing:
        check_updatable(path)
        seal_interrupted(path)
    return needs_sealing


def seal_interrupted_file(path: Path | str) -> bool:
    """Turn a session file whose writer died into an ordinary closed file, readable by any
    HDF5 1.10 tool (MATLAB, HDFView), still reporting itself interrupted. Returns whether
    the file needed it. Refuses a file another process is writing (FileLockedError)."""
    path = Path(path)
    check_updatable(path)
    lock = WriterLock(path, purpose=PURPOSE_UPDATE, command="seal", wait_s=UPDATE_WAIT_S)
    try:
        return seal_if_interrupted(path)
    finally:
        lock.release()
