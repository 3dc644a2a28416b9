"""Adding analysis runs to a closed session file, atomically and once.

Each new run becomes ``/trials/<trial>/analysis/<algorithm>/<run>`` (runs numbered 0001,
0002, …); an earlier run is never replaced and raw data never touched. A run identical
to a stored one (same algorithm, version, parameters and record: the same result of the
same data) is not stored again; its number is returned. The runs of one call are written
together through :func:`~physiocap.storage.updating.updating`: into a copy of the file
that then atomically replaces it, so a crash leaves the file as it was before or with all
of them, and a completed file stays completed. Symbolic and hard links and write-protected
files are refused unchanged. The record (a JSON-able dict, as
the algorithms' ``to_record()`` return) is stored twice:

* ``record_json``: the whole record as JSON text, the authoritative copy readers parse;
* natively under the ``record`` subgroup, for HDF5 tools and MATLAB: scalars as attributes
  named by their keys (which carry units, e.g. ``total_time_s``), nested dicts as
  subgroups, lists of numbers or strings as 1-D datasets, lists of flat dicts (events,
  phases) as compound tables, and lists of nested dicts as numbered subgroups. ``None``
  (JSON null, e.g. a NaN result) and anything without a natural HDF5 form live in
  ``record_json`` only.

Each run group may also hold ``outcomes_json`` (the headline outcomes) and ``flags_json``,
and every update rewrites the file's index manifest
(:mod:`physiocap.storage.index_manifest`). A file whose writer died is sealed first
(:func:`~physiocap.storage.compaction.seal_interrupted`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
    read_text,
    utc_text,
    write_attributes,
)
from physiocap.storage.compaction import seal_if_interrupted
from physiocap.storage.failures import is_disk_full, open_error
from physiocap.storage.index_manifest import write_manifest
from physiocap.storage.locking import PURPOSE_UPDATE, WriterLock
from physiocap.storage.opening import open_for_reading
from physiocap.storage.reader import schema_version_of
from physiocap.storage.schema import trial_path
from physiocap.storage.updating import UPDATE_WAIT_S, check_updatable, updating

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


def _outcome_value(value: Any) -> float | int | str | bool | None:
    """A headline outcome as JSON can hold it: a number (a count stays an integer), text,
    a boolean, or null (also for NaN)."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass(frozen=True, slots=True)
class RunToStore:
    """One analysis run to add: what ran (algorithm, version, parameters) on which trial,
    its JSON-able record, and optionally its headline outcomes (name with unit → number,
    text or ``None``) and flags, which the study index lists without parsing the record."""

    trial_id: str
    algorithm: str
    version: str
    params: Mapping[str, Any]
    record: Mapping[str, Any]
    outcomes: Mapping[str, Any] = field(default_factory=dict)
    flags: Sequence[str] = ()

    def summary_attributes(self) -> dict[str, str]:
        """``outcomes_json`` and ``flags_json`` when there are any."""
        attributes = {}
        if self.outcomes:
            attributes["outcomes_json"] = json_text(
                {str(name): _outcome_value(value) for name, value in self.outcomes.items()},
                f"outcomes of {self.algorithm}")
        if self.flags:
            attributes["flags_json"] = json.dumps([str(flag) for flag in self.flags])
        return attributes

    def texts(self) -> tuple[str, str]:
        """The canonical JSON of the parameters and of the record."""
        validate_identifier(self.trial_id, "trial ID")
        validate_identifier(self.algorithm, "algorithm name")
        return (json_text(self.params, f"parameters of {self.algorithm}"),
                json_text(self.record, f"record of {self.algorithm}"))


def _stored_identical(file: h5py.File, run: RunToStore, params_text: str,
                      record_text: str) -> int | None:
    """The number of a stored run identical to ``run``, if any."""
    group = file.get(f"{trial_path(run.trial_id)}/analysis/{run.algorithm}")
    if not isinstance(group, h5py.Group):
        return None
    wanted_params, wanted_record = json.loads(params_text), json.loads(record_text)
    for name, stored in group.items():
        if not name.isdigit() or not isinstance(stored, h5py.Group):
            continue
        try:
            same = (read_text(stored, "algorithm_version") == run.version
                    and json.loads(read_text(stored, "params_json", "{}")) == wanted_params
                    and json.loads(stored["record_json"].asstr()[()]) == wanted_record)
        except (KeyError, ValueError, TypeError, OSError):
            continue  # a damaged run is never "identical"
        if same:
            return int(name)
    return None


def _check_schema(path: Path) -> None:
    """Refuse a foreign file or one of a schema this physiocap cannot read (and so must not
    write): the only readable version is the current one."""
    opened = open_for_reading(path, check_writer_lock=False)
    try:
        schema_version_of(opened.file, path)
    finally:
        opened.close()


def _find_stored(path: Path, runs: Sequence[RunToStore],
                 texts: Sequence[tuple[str, str]]) -> list[int | None]:
    opened = open_for_reading(path, check_writer_lock=False)
    try:
        found = []
        for run, (params_text, record_text) in zip(runs, texts, strict=True):
            if trial_path(run.trial_id) not in opened.file:
                raise StorageError(f"has no trial {run.trial_id!r}", path=path)
            found.append(_stored_identical(opened.file, run, params_text, record_text))
        return found
    except PhysiocapError:
        raise
    except Exception as error:
        raise StorageError(f"could not read its stored analysis runs ({error})",
                           path=path) from None
    finally:
        opened.close()


def _write_run(file: h5py.File, run: RunToStore, params_text: str, record_text: str,
               created: str) -> int:
    runs = file.require_group(f"{trial_path(run.trial_id)}/analysis/{run.algorithm}")
    number = _stored_identical(file, run, params_text, record_text)
    if number is not None:  # the same run twice in one call
        return number
    number = _next_run_number(runs)
    group = runs.create_group(f"{number:04d}")
    write_attributes(group, {"algorithm": run.algorithm, "algorithm_version": run.version,
                             "params_json": params_text, "created_utc": created,
                             "run": number, **run.summary_attributes()})
    group.create_dataset("record_json", data=fixed_text(record_text))
    _write_native(group.create_group("record"), run.record)
    return number


def store_analysis_runs(path: Path | str, runs: Sequence[RunToStore],
                        created_utc: datetime) -> list[int]:
    """Store ``runs`` in the closed session file ``path`` in one atomic update; return
    each run's number (an identical stored run's number when it was stored before)."""
    path = Path(path)
    texts = [run.texts() for run in runs]
    created = utc_text(created_utc, "analysis time")
    check_updatable(path)
    lock = WriterLock(path, purpose=PURPOSE_UPDATE, command="analyze", wait_s=UPDATE_WAIT_S)
    try:
        _check_schema(path)
        seal_if_interrupted(path)
        numbers = _find_stored(path, runs, texts)
        if all(number is not None for number in numbers):
            return [int(number) for number in numbers if number is not None]
        what = f"storing {len(runs)} analysis run(s)"
        with updating(path, what=what, lock=lock) as new_version:
            try:
                file = h5py.File(new_version, "r+")
            except (OSError, RuntimeError) as error:
                raise open_error(error, path) from None
            try:
                with file:
                    numbers = [_write_run(file, run, params_text, record_text, created)
                               for run, (params_text, record_text) in zip(runs, texts,
                                                                          strict=True)]
                    write_manifest(file)
            except PhysiocapError:
                raise
            except Exception as error:
                if is_disk_full(error):
                    raise DiskFullError(f"the disk is full; {what} failed and the file is "
                                        "unchanged", path=path) from None
                raise StorageError(f"could not store analysis runs ({error}); the file is "
                                   "unchanged", path=path) from None
        return [int(number) for number in numbers if number is not None]
    finally:
        lock.release()


def append_analysis_run(path: Path | str, trial_id: str, algorithm: str, version: str,
                        params: Mapping[str, Any], record: Mapping[str, Any],
                        created_utc: datetime) -> int:
    """Store one analysis run of ``algorithm`` on ``trial_id`` (see
    :func:`store_analysis_runs`); return its run number."""
    return store_analysis_runs(path, [RunToStore(trial_id, algorithm, version, params,
                                                 record)], created_utc)[0]
