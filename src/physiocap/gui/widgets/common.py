"""Small building blocks shared by the screens."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from physiocap.gui.style import set_role


def label(text: str, role: str = "", parent: QWidget | None = None) -> QLabel:
    """A label with a style role (title, hint, result, flag, ok, simulated, instructions)."""
    widget = QLabel(text, parent)
    if role:
        set_role(widget, role)
    if role in ("hint", "instructions"):
        widget.setWordWrap(True)
    return widget
