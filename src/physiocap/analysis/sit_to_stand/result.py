"""Frozen results of the five-times sit-to-stand analysis."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from physiocap.analysis.result import AlgorithmInfo, to_jsonable


@dataclass(frozen=True)
class SitToStandRepetition:
    """One rise (and the sit that follows it, when there is one). Times in the input's time
    base (s): the rise runs from leaving rest (seated) to standing still or upright; the sit
    from leaving standing to seated."""

    index: int  # 1-based
    rise_start_s: float
    rise_end_s: float
    sit_start_s: float | None = None
    sit_end_s: float | None = None

    @property
    def rise_duration_s(self) -> float:
        return self.rise_end_s - self.rise_start_s

    @property
    def sit_duration_s(self) -> float | None:
        if self.sit_start_s is None or self.sit_end_s is None:
            return None
        return self.sit_end_s - self.sit_start_s


@dataclass(frozen=True)
class SitToStandResult:
    """``total_time_s``: start of the first rise to the end of rise number
    ``repetitions_required`` (standing), the SPPB timing [C16]; ``None`` when
    fewer rises were found. ``time_to_seated_s``: start of the first rise to seated after
    that rise's sit (protocols that time to seated), when the recording shows it."""

    algorithm: AlgorithmInfo
    placement: str
    repetitions_required: int
    repetitions: tuple[SitToStandRepetition, ...]
    total_time_s: float | None
    time_to_seated_s: float | None
    flags: tuple[str, ...] = field(default=())

    @property
    def start_s(self) -> float | None:
        return self.repetitions[0].rise_start_s if self.repetitions else None

    def to_record(self) -> dict[str, Any]:
        record = to_jsonable(self)
        for rep_record, rep in zip(record["repetitions"], self.repetitions, strict=True):
            rep_record["rise_duration_s"] = rep.rise_duration_s
            rep_record["sit_duration_s"] = rep.sit_duration_s
        record["start_s"] = self.start_s
        return record
