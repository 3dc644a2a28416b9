"""A check done wrongly is refused, never scored: the reason and what to do instead."""

from __future__ import annotations

from physiocap.core.errors import AnalysisError


class ProcedureRefusedError(AnalysisError):
    """The recording does not show the procedure the check needs.

    ``reason`` says what was wrong (device moved during a pose, load not held still, too
    few orientations); ``remedy`` says what the operator should do. Both are sentences.
    """

    def __init__(self, reason: str, remedy: str, step: str = "") -> None:
        self.reason = reason
        self.remedy = remedy
        self.step = step
        where = f"step {step}: " if step else ""
        super().__init__(f"check refused: {where}{reason}; {remedy}")
