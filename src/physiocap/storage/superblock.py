"""The HDF5 superblock: what it says about how a file was left, and a read-only way around it.

HDF5 1.10 files (superblock version 3) carry "file consistency flags": set while a writer
has the file open, cleared when it closes. A writer killed mid-recording leaves them set and
HDF5 then refuses to open the file, except for SWMR reading when the SWMR flag is set too.
A writer killed in the short moments between SWMR phases (creating a trial's groups) leaves
only the write flag; :class:`FlagsClearedView` presents such a file to HDF5 with the flags
cleared, without writing a byte to it.

Layout of superblock versions 2 and 3 (HDF5 File Format Specification, section II.A):
signature (8 bytes), version, size of offsets, size of lengths, consistency flags (1 byte
each), base address, superblock extension address, end-of-file address, root object header
address (size-of-offsets bytes each, little-endian), then a Jenkins lookup3 checksum of all
preceding bytes.
"""

from __future__ import annotations

import io
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from physiocap.core.errors import CorruptFileError, StorageError

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
#: Consistency flag bits (HDF5 H5Fpkg.h: H5F_SUPER_WRITE_ACCESS, H5F_SUPER_SWMR_WRITE_ACCESS).
FLAG_WRITE_ACCESS = 0x01
FLAG_SWMR_WRITE_ACCESS = 0x04
_FLAGS_OFFSET = 11
_MASK32 = 0xFFFFFFFF


def _rotate(value: int, bits: int) -> int:
    return ((value << bits) | (value >> (32 - bits))) & _MASK32


def _mix(state: list[int]) -> None:
    """lookup3 ``mix()``: each step is x -= y; x ^= rot(y, r); y += z, cycling (a,c,b)."""
    for step, bits in enumerate((4, 6, 8, 16, 19, 4)):
        x, y, z = step % 3, (step + 2) % 3, (step + 1) % 3
        state[x] = ((state[x] - state[y]) & _MASK32) ^ _rotate(state[y], bits)
        state[y] = (state[y] + state[z]) & _MASK32


def _final(state: list[int]) -> None:
    """lookup3 ``final()``: x ^= y; x -= rot(y, r) for x = c, a, b, c, a, b, c."""
    for step, bits in enumerate((14, 11, 25, 16, 4, 14, 24)):
        x = (step + 2) % 3
        y = (x + 2) % 3
        state[x] = ((state[x] ^ state[y]) - _rotate(state[y], bits)) & _MASK32


def _add_words(state: list[int], block: bytes) -> None:
    for index in range(3):
        word = int.from_bytes(block[4 * index:4 * index + 4], "little")
        state[index] = (state[index] + word) & _MASK32


def lookup3_checksum(data: bytes, initial: int = 0) -> int:
    """Bob Jenkins' lookup3 ``hashlittle`` (2006), which HDF5 uses for metadata checksums."""
    length = len(data)
    state = [(0xDEADBEEF + length + initial) & _MASK32] * 3
    offset = 0
    while length - offset > 12:
        _add_words(state, data[offset:offset + 12])
        _mix(state)
        offset += 12
    if length == offset:
        return state[2]
    _add_words(state, data[offset:] + bytes(12 - (length - offset)))
    _final(state)
    return state[2]


@dataclass(frozen=True, slots=True)
class Superblock:
    version: int
    flags: int
    end_of_file_address: int | None
    raw: bytes  # the checksummed bytes plus the checksum (versions 2 and 3), else b""

    @property
    def left_open_for_writing(self) -> bool:
        return self.version >= 3 and bool(self.flags & FLAG_WRITE_ACCESS)

    @property
    def left_open_for_swmr_writing(self) -> bool:
        return self.left_open_for_writing and bool(self.flags & FLAG_SWMR_WRITE_ACCESS)


def read_superblock(path: Path) -> Superblock:
    """The superblock at the start of ``path``; :class:`CorruptFileError` if there is none,
    :class:`StorageError` if the file cannot be read at all."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(64)
    except OSError as error:
        raise StorageError(f"cannot be read ({error.strerror or error})", path=path) from None
    if len(head) < len(HDF5_SIGNATURE) or head[:8] != HDF5_SIGNATURE:
        reason = "is empty" if not head else "is not an HDF5 file (no HDF5 signature at its start)"
        raise CorruptFileError(reason, path=path)
    if len(head) < 12:
        raise CorruptFileError("is truncated inside its HDF5 superblock", path=path)
    version = head[8]
    if version < 2:
        return Superblock(version, 0, None, b"")
    offset_size = head[9]
    if offset_size not in (2, 4, 8):
        raise CorruptFileError(f"has a damaged HDF5 superblock (offset size {offset_size})",
                               path=path)
    checked = 12 + 4 * offset_size
    if len(head) < checked + 4:
        raise CorruptFileError("is truncated inside its HDF5 superblock", path=path)
    stored = struct.unpack_from("<I", head, checked)[0]
    if lookup3_checksum(head[:checked]) != stored:
        raise CorruptFileError("has a damaged HDF5 superblock (checksum mismatch)", path=path)
    eof_at = 12 + 2 * offset_size
    end_of_file = int.from_bytes(head[eof_at:eof_at + offset_size], "little")
    return Superblock(version, head[_FLAGS_OFFSET], end_of_file, head[:checked + 4])


class FlagsClearedView(io.RawIOBase):
    """A read-only view of an HDF5 file left open by a killed writer, as ``h5clear -s
    --increment=0`` would repair it: consistency flags cleared, and the end-of-file address
    raised to the real file size when the writer had already placed objects beyond the
    address it last recorded. Bytes between the real end and a larger recorded address read
    as zeros (HDF5 reserves space before writing it).
    """

    def __init__(self, path: Path, superblock: Superblock) -> None:
        super().__init__()
        if not superblock.raw:
            raise ValueError("only superblock versions 2 and 3 carry consistency flags")
        self._handle = open(path, "rb")  # noqa: SIM115 - closed in close()
        self._real_size = os.fstat(self._handle.fileno()).st_size
        self._size = max(self._real_size, superblock.end_of_file_address or 0)
        header = bytearray(superblock.raw)
        header[_FLAGS_OFFSET] = 0
        offset_size = header[9]
        eof_at = 12 + 2 * offset_size
        header[eof_at:eof_at + offset_size] = self._size.to_bytes(offset_size, "little")
        checked = len(header) - 4
        header[checked:] = struct.pack("<I", lookup3_checksum(bytes(header[:checked])))
        self._header = bytes(header)
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        count = max(0, min(len(view), self._size - self._position))
        start = self._position
        self._handle.seek(start)
        got = self._handle.readinto(view[:count]) if start < self._real_size else 0
        view[got:count] = bytes(count - got)
        if start < len(self._header):
            end = min(len(self._header), start + count)
            view[:end - start] = self._header[start:end]
        self._position += count
        return count

    def close(self) -> None:
        if not self.closed:
            self._handle.close()
        super().close()
