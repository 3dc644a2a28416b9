"""How Python values become HDF5 attributes and back.

Strings are fixed-length UTF-8 (h5py returns them as ``bytes``; a variable-length string
would cost a 4 KiB HDF5 global-heap collection), times are ISO 8601 UTC strings,
dictionaries are JSON strings, booleans are ``uint8`` 0/1 (readable everywhere, unlike HDF5
enums) and an absent optional value is an absent attribute. These rules are part of the
file format.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import h5py
import numpy as np

from physiocap.core.errors import ConfigurationError


def utc_text(moment: datetime, what: str) -> str:
    """ISO 8601 text of a timezone-aware moment, converted to UTC."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ConfigurationError(f"{what} must be a timezone-aware datetime, got {moment!r}")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_utc(text: str) -> datetime | None:
    """The moment written by :func:`utc_text`; ``None`` for an empty string."""
    return datetime.fromisoformat(text) if text else None


def json_text(value: Mapping[str, Any], what: str) -> str:
    try:
        return json.dumps(value, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ConfigurationError(f"{what} must be JSON-serialisable ({error})") from None


def write_attributes(node: h5py.HLObject, values: Mapping[str, Any]) -> None:
    """Write ``values`` as attributes of ``node``, skipping ``None``."""
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, str):
            node.attrs.create(name, fixed_text(value))
        elif isinstance(value, bool | np.bool_):
            node.attrs.create(name, np.uint8(value))
        elif isinstance(value, int | np.integer):
            node.attrs.create(name, np.int64(value))
        elif isinstance(value, float | np.floating):
            node.attrs.create(name, np.float64(value))
        else:
            write_array_attribute(node, name, value)


def fixed_text_dtype(length: int) -> np.dtype:
    """Fixed-length UTF-8 string type (at least one byte: HDF5 has no empty string type)."""
    return h5py.string_dtype("utf-8", max(length, 1))


def fixed_text(text: str) -> np.ndarray:
    """``text`` as a fixed-length UTF-8 string scalar."""
    raw = text.encode("utf-8")
    return np.array(raw, dtype=fixed_text_dtype(len(raw)))


def write_array_attribute(node: h5py.HLObject, name: str, values: Iterable[Any]) -> None:
    items = list(values)
    if items and all(isinstance(item, str) for item in items):
        encoded = [item.encode("utf-8") for item in items]
        width = max(len(item) for item in encoded)
        node.attrs.create(name, np.array(encoded, dtype=fixed_text_dtype(width)))
    else:
        node.attrs.create(name, np.asarray(items, dtype=np.float64))


def read_text(node: h5py.HLObject, name: str, default: str = "") -> str:
    """A text attribute; ``ValueError`` when it holds an array (a damaged file)."""
    value = node.attrs.get(name, default)
    if isinstance(value, np.ndarray) and value.ndim > 0:
        raise ValueError(f"attribute {name!r} of {node.name} holds {value.size} values, "
                         "not text")
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def read_texts(node: h5py.HLObject, name: str) -> tuple[str, ...]:
    return tuple(item.decode("utf-8") if isinstance(item, bytes) else str(item)
                 for item in np.atleast_1d(node.attrs[name]))


def read_float(node: h5py.HLObject, name: str) -> float | None:
    return float(node.attrs[name]) if name in node.attrs else None


def read_int(node: h5py.HLObject, name: str) -> int | None:
    return int(node.attrs[name]) if name in node.attrs else None


def read_json(node: h5py.HLObject, name: str) -> dict[str, Any]:
    text = read_text(node, name, "{}")
    return dict(json.loads(text)) if text else {}
