"""A form for one test's protocol variables, built from its :class:`TestProtocol`.

Every variable is stored with each trial (a change of protocol moves results by about
one MCID [C15a, C15b, C13c]), so the form shows all of them, with units and ranges,
and is pre-filled with what was used at the participant's previous visit.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QWidget

from physiocap.gui.widgets.optional_number import OptionalNumber
from physiocap.workflows.protocols import ProtocolVariable, TestProtocol


def _editor_for(variable: ProtocolVariable) -> QWidget:
    if variable.choices:
        combo = QComboBox()
        for choice in variable.choices:
            combo.addItem(choice.replace("_", " "), choice)
        return combo
    if isinstance(variable.default, bool):
        return QCheckBox()
    if variable.default is None:  # an optional measurement, e.g. a measured sensor height
        return OptionalNumber(variable.minimum if variable.minimum is not None else 0.0,
                              variable.maximum if variable.maximum is not None else 1e6,
                              decimals=2, suffix=variable.unit, step=0.01)
    spin = QDoubleSpinBox()
    whole = float(variable.default).is_integer() and not variable.unit
    spin.setDecimals(0 if whole else 2)
    spin.setRange(variable.minimum if variable.minimum is not None else -1e6,
                  variable.maximum if variable.maximum is not None else 1e6)
    spin.setSingleStep(1.0 if whole else 0.05 if variable.unit == "m" else 0.5)
    if variable.unit:
        spin.setSuffix(f" {variable.unit}")
    return spin


class ProtocolForm(QWidget):
    """Editors for every variable of ``protocol``; :meth:`values` returns validated values."""

    changed = Signal()

    def __init__(self, protocol: TestProtocol, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.protocol = protocol
        self.editors: dict[str, QWidget] = {}
        layout = QFormLayout(self)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # each editor below its label: long labels (the gait test's measured sensor height)
        # would otherwise push the editors out of the narrow panel at 1366×768
        layout.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        for variable in protocol.variables:
            editor = _editor_for(variable)
            self.editors[variable.name] = editor
            layout.addRow(variable.label, editor)
            if isinstance(editor, QComboBox):
                editor.currentIndexChanged.connect(self.changed)
            elif isinstance(editor, QCheckBox):
                editor.toggled.connect(self.changed)
            else:
                editor.valueChanged.connect(self.changed)  # type: ignore[attr-defined]
        self.set_values(protocol.defaults())

    def set_values(self, values: dict[str, Any]) -> None:
        """Show ``values`` (unknown names are ignored; missing ones keep their default)."""
        resolved = self.protocol.defaults()
        resolved.update({key: value for key, value in values.items() if key in self.editors})
        for name, value in resolved.items():
            editor = self.editors[name]
            if isinstance(editor, QComboBox):
                index = editor.findData(value)
                editor.setCurrentIndex(max(index, 0))
            elif isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            elif isinstance(editor, OptionalNumber):
                editor.set_optional(None if value is None else float(value))
            else:
                editor.setValue(float(value))  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        """The entered values, validated against the protocol's ranges and choices."""
        raw: dict[str, Any] = {}
        for name, editor in self.editors.items():
            if isinstance(editor, QComboBox):
                raw[name] = editor.currentData()
            elif isinstance(editor, QCheckBox):
                raw[name] = editor.isChecked()
            elif isinstance(editor, OptionalNumber):
                raw[name] = editor.optional()
            else:
                raw[name] = editor.value()  # type: ignore[attr-defined]
        return self.protocol.resolve(raw)
