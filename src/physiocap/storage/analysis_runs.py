"""Appending analysis runs to a closed session file.

Each call adds ``/trials/<trial>/analysis/<algorithm>/<run>`` (runs numbered 0001, 0002, …)
and never replaces an earlier run or touches raw data. The record (a JSON-able dict, as
the algorithms' ``to_record()`` return) is stored twice:

* ``record_json``: the whole record as JSON text, the authoritative copy readers parse;
* natively under the ``record`` subgroup, for HDF5 tools and MATLAB: scalars as attributes
  named by their keys (which carry units, e.g. ``total_time_s``), nested dicts as
  subgroups, lists of numbers or strings as 1-D datasets, lists of flat dicts (events,
  phases) as compound tables, and lists of nested dicts as numbered subgroups. ``None``
  (JSON null, e.g. a NaN result) and anything without a natural HDF5 form live in
  ``record_json`` only.

A file whose writer died is sealed first (:func:`~physiocap.storage.compaction.seal_interrupted`).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from physiocap.core.errors import DiskFullError, PhysiocapError, StorageError
from physiocap.core.records import validate_identifier
from physiocap.storage.attributes import (
    fixed_text,
    fixed_text_dtype,
    json_text,
    utc_text,
    write_attributes,
)
from physiocap.storage.compaction import REWRITE_MARGIN_BYTES, seal_if_interrupted
from physiocap.storage.failures import is_disk_full, open_error
from physiocap.storage.locking import WriterLock
from physiocap.storage.opening import open_for_reading
from physiocap.storage.reader import schema_version_of
from physiocap.storage.schema import SCHEMA_VERSION, trial_path

_SCALARS = (bool, int, float, str)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, _SCALARS)


def _column(values: list[Any]) -> np.ndarray | None:
    """A table column as an array, or ``None`` when its values have no common HDF5 type."""
    present = [value for value in values if value is not None]
    if not present:
        return None
    if all(isinstance(value, bool) for value in present):
        return np.asarray(values, dtype=np.uint8) if len(present) == len(values) else None
    if all(isinstance(value, int | float) and not isinstance(value, bool) for value in present):
        return np.asarray([np.nan if value is None else value for value in values],
                          dtype=np.float64)
    if all(isinstance(value, str) for value in present):
        encoded = [b"" if value is None else value.encode("utf-8") for value in values]
        return np.asarray(encoded, dtype=fixed_text_dtype(max(len(item) for item in encoded)))
    return None


def _table(rows: list[Mapping[str, Any]]) -> np.ndarray | None:
    names = list(dict.fromkeys(name for row in rows for name in row))
    columns = {name: _column([row.get(name) for row in rows]) for name in names}
    fields = [(name, column.dtype) for name, column in columns.items() if column is not None]
    if not fields:
        return None
    table = np.empty(len(rows), dtype=np.dtype(fields))
    for name, _ in fields:
        table[name] = columns[name]
    return table


def _write_native(group: h5py.Group, record: Mapping[str, Any]) -> None:
    for key, value in record.items():
        name = str(key)
        if not name or "/" in name or name == ".":
            continue
        if _is_scalar(value):
            write_attributes(group, {name: value})
        elif isinstance(value, Mapping):
            _write_native(group.create_group(name), value)
        elif isinstance(value, list) and value:
            _write_list(group, name, value)


def _write_list(group: h5py.Group, name: str, values: list[Any]) -> None:
    if all(isinstance(item, Mapping) for item in values):
        if all(_is_scalar(item) or item is None for row in values for item in row.values()):
            table = _table(values)
            if table is not None:
                group.create_dataset(name, data=table)
            return
        holder = group.create_group(name)
        for index, item in enumerate(values):
            _write_native(holder.create_group(f"{index:03d}"), item)
        return
    column = _column(values) if all(_is_scalar(item) or item is None for item in values) else None
    if column is not None:
        group.create_dataset(name, data=column)


def _next_run_number(algorithm_group: h5py.Group) -> int:
    numbers = [int(name) for name in algorithm_group if name.isdigit()]
    return max(numbers, default=0) + 1


def append_analysis_run(path: Path | str, trial_id: str, algorithm: str, version: str,
                        params: Mapping[str, Any], record: Mapping[str, Any],
                        created_utc: datetime) -> int:
    """Store one analysis run of ``algorithm`` on ``trial_id``; return its run number."""
    path = Path(path)
    if not path.is_file():
        raise StorageError("does not exist", path=path)
    validate_identifier(trial_id, "trial ID")
    validate_identifier(algorithm, "algorithm name")
    record_text = json_text(record, f"record of {algorithm}")
    attributes = {"algorithm": algorithm, "algorithm_version": version,
                  "params_json": json_text(params, f"parameters of {algorithm}"),
                  "created_utc": utc_text(created_utc, "analysis time")}
    lock = WriterLock(path)
    try:
        opened = open_for_reading(path, check_writer_lock=False)
        try:
            version_found = schema_version_of(opened.file, path)
        finally:
            opened.close()
        if version_found != SCHEMA_VERSION:
            raise StorageError(f"uses schema version {version_found}; analysis runs can only "
                               f"be added to version {SCHEMA_VERSION} files", path=path)
        seal_if_interrupted(path)
        if shutil.disk_usage(path.parent).free < REWRITE_MARGIN_BYTES:  # HDF5 must not meet
            raise DiskFullError("the disk is full; no analysis run can be stored", path=path)
        try:
            file = h5py.File(path, "r+")
        except (OSError, RuntimeError) as error:
            raise open_error(error, path) from None
        try:
            with file:
                if trial_path(trial_id) not in file:
                    raise StorageError(f"has no trial {trial_id!r}", path=path)
                runs = file.require_group(f"{trial_path(trial_id)}/analysis/{algorithm}")
                number = _next_run_number(runs)
                group = runs.create_group(f"{number:04d}")
                write_attributes(group, attributes | {"run": number})
                group.create_dataset("record_json", data=fixed_text(record_text))
                _write_native(group.create_group("record"), record)
        except PhysiocapError:
            raise
        except Exception as error:
            if is_disk_full(error):
                raise DiskFullError(f"the disk is full; analysis run {algorithm} on {trial_id} "
                                    "was not stored completely", path=path) from None
            raise StorageError(f"could not store analysis run {algorithm} on {trial_id} "
                               f"({error})", path=path) from None
        return number
    finally:
        lock.release()
