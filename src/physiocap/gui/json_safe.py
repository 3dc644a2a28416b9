"""Analysis records made safe for JSON storage."""

from __future__ import annotations

import math
from typing import Any


def json_safe(value: Any) -> Any:
    """JSON has no NaN: non-finite floats become None, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value
