"""Small building blocks shared by the screens."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from physiocap.gui.style import set_role


def label(text: str, role: str = "", parent: QWidget | None = None) -> QLabel:
    """A label with a style role (title, hint, result, flag, ok, simulated, instructions)."""
    widget = QLabel(text, parent)
    if role:
        set_role(widget, role)
    if role in ("hint", "instructions"):
        widget.setWordWrap(True)
    return widget


def title_row(titles: tuple[QWidget, ...], *controls: QWidget) -> QHBoxLayout:
    """A screen's top row: its title lines stacked on the left, taking the spare width,
    and its controls (progress bar, choosers, buttons) on the right, in order."""
    row = QHBoxLayout()
    stack = QVBoxLayout()
    for widget in titles:
        stack.addWidget(widget)
    row.addLayout(stack, 1)
    for widget in controls:
        row.addWidget(widget)
    return row


def side_by_side(screen: QWidget, left: QWidget, right: QWidget,
                 stretch: tuple[int, int] = (0, 1),
                 sizes: tuple[int, int] | None = None) -> QSplitter:
    """Fill ``screen`` with ``left`` and ``right`` in a splitter neither side can be
    collapsed to nothing (a hidden pane looks like a missing feature); ``stretch`` shares
    extra width, ``sizes`` sets the first widths in pixels."""
    splitter = QSplitter(Qt.Orientation.Horizontal)
    splitter.addWidget(left)
    splitter.addWidget(right)
    for index, factor in enumerate(stretch):
        splitter.setStretchFactor(index, factor)
    if sizes is not None:
        splitter.setSizes(list(sizes))
    splitter.setChildrenCollapsible(False)
    QVBoxLayout(screen).addWidget(splitter)
    return splitter
