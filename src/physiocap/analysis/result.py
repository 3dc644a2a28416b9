"""What every analysis result shares: provenance (algorithm, version, parameters), quality
flags, and a JSON-able record for storage, so that a result can always be recomputed and
compared only with results of the same algorithm version (APDM's v1 and v2 sway measures
cannot be compared [A4])."""

from __future__ import annotations

import dataclasses
import enum
import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class AlgorithmInfo:
    """Name, version and the parameter snapshot of the algorithm that produced a result."""

    name: str
    version: str
    parameters: dict[str, Any]


def parameter_snapshot(algorithm: object) -> dict[str, Any]:
    """The public attributes set in an algorithm's ``__init__`` (its parameters)."""
    return {name: to_jsonable(value) for name, value in vars(algorithm).items()
            if not name.startswith("_")}


def to_jsonable(value: Any) -> Any:
    """Convert dataclasses, enums, numpy values and tuples to plain JSON types; non-finite
    floats become ``None`` (JSON has no NaN)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: to_jsonable(getattr(value, field.name))
                for field in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(item) for item in value.tolist()]
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value
