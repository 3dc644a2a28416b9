"""Files that are not readable physiocap sessions are refused with the path and the reason."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import h5py
import numpy as np
import pytest
from tests.storage.known_session import PARTICIPANT, SESSION, KnownSession

from physiocap.core.errors import CorruptFileError, StorageError
from physiocap.storage import SessionReader, SessionWriter, append_analysis_run
from physiocap.storage.superblock import lookup3_checksum, read_superblock


def _refusal(path: Path, error: type[StorageError] = CorruptFileError) -> str:
    with pytest.raises(error) as caught:
        SessionReader(path)
    message = str(caught.value)
    assert str(path) in message
    return message


def test_random_bytes_are_not_hdf5(tmp_path: Path) -> None:
    path = tmp_path / "noise.h5"
    path.write_bytes(np.random.default_rng(1).bytes(4096))
    assert "not an HDF5 file" in _refusal(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.h5"
    path.write_bytes(b"")
    assert "empty" in _refusal(path)


def test_missing_file(tmp_path: Path) -> None:
    assert "does not exist" in _refusal(tmp_path / "absent.h5", StorageError)


@pytest.mark.parametrize("keep_fraction", [0.5, 0.9])
def test_truncated_copy(known_session: KnownSession, tmp_path: Path, keep_fraction: float) -> None:
    data = known_session.path.read_bytes()
    path = tmp_path / "truncated.h5"
    path.write_bytes(data[:int(len(data) * keep_fraction)])
    assert "truncated" in _refusal(path)


def test_truncated_inside_the_superblock(known_session: KnownSession, tmp_path: Path) -> None:
    path = tmp_path / "stub.h5"
    path.write_bytes(known_session.path.read_bytes()[:10])
    assert "truncated" in _refusal(path)


def test_foreign_hdf5_file(tmp_path: Path) -> None:
    path = tmp_path / "foreign.h5"
    with h5py.File(path, "w") as file:
        file["signal"] = np.arange(10.0)
        file.attrs["schema"] = "someone-else"
    assert "not a physiocap session file" in _refusal(path)


def test_newer_schema_version_asks_for_an_update(known_session: KnownSession,
                                                 tmp_path: Path) -> None:
    path = tmp_path / "future.h5"
    shutil.copy(known_session.path, path)
    with h5py.File(path, "r+") as file:
        file.attrs["schema_version"] = np.int64(2)
    message = _refusal(path)
    assert "schema version 2" in message
    assert "update physiocap" in message
    with pytest.raises(StorageError, match="version 2"):
        append_analysis_run(path, "T01", "tug", "1", {}, {}, datetime(2026, 3, 2, tzinfo=UTC))


def test_damaged_superblock(tmp_path: Path) -> None:
    """A byte flipped in an HDF5 1.10 superblock: its checksum no longer matches."""
    path = tmp_path / "flipped.h5"
    with SessionWriter.create(path, PARTICIPANT, SESSION, compact_on_close=False):
        pass
    data = bytearray(path.read_bytes())
    data[20] ^= 0xFF
    path.write_bytes(bytes(data))
    assert "checksum" in _refusal(path)


def test_session_file_missing_its_groups(tmp_path: Path) -> None:
    path = tmp_path / "hollow.h5"
    with h5py.File(path, "w") as file:
        file.attrs["schema"] = "physiocap-session"
        file.attrs["schema_version"] = 1
        file.attrs["state"] = "completed"
    assert "is damaged: could not read its session metadata" in _refusal(path)


def test_lookup3_matches_the_published_test_vectors() -> None:
    """Bob Jenkins' lookup3.c driver5(): the reference values of hashlittle()."""
    assert lookup3_checksum(b"") == 0xDEADBEEF
    assert lookup3_checksum(b"", 0xDEADBEEF) == 0xBD5B7DDE
    assert lookup3_checksum(b"Four score and seven years ago") == 0x17770551
    assert lookup3_checksum(b"Four score and seven years ago", 1) == 0xCD628161


def test_lookup3_matches_checksums_written_by_hdf5(tmp_path: Path) -> None:
    path = tmp_path / "v110.h5"
    with h5py.File(path, "w", libver=("v110", "v110")) as file:
        file.attrs["x"] = 1
    raw = path.read_bytes()[:48]
    assert lookup3_checksum(raw[:44]) == int.from_bytes(raw[44:48], "little")
    assert read_superblock(path).version == 3
