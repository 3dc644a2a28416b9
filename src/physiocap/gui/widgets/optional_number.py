"""A number field that may be left empty ("not recorded") instead of forcing a fake zero."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QWidget

NOT_RECORDED = "not recorded"


class OptionalNumber(QDoubleSpinBox):
    """A spin box whose lowest position means "not recorded" (``None``).

    ``display_factor`` converts the stored SI value to the unit shown (100 shows metres as
    centimetres), so the clinician types what the tape measure says.
    """

    def __init__(self, minimum: float, maximum: float, *, decimals: int = 1, suffix: str = "",
                 display_factor: float = 1.0, step: float = 1.0,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._factor = display_factor
        self._floor = minimum - step
        self.setDecimals(decimals)
        self.setRange(self._floor, maximum)
        self.setSingleStep(step)
        self.setSuffix(f" {suffix}" if suffix else "")
        self.setSpecialValueText(NOT_RECORDED)
        self.setValue(self._floor)

    def set_optional(self, value_si: float | None) -> None:
        self.setValue(self._floor if value_si is None else value_si * self._factor)

    def optional(self) -> float | None:
        """The value in SI units, or ``None`` when not recorded."""
        if self.value() <= self._floor:
            return None
        return round(self.value() / self._factor, 6)
