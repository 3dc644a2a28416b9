"""physiocap.gui: the desktop app (PySide6 + pyqtgraph), the only package that imports Qt.

Screens live in :mod:`physiocap.gui.screens`, reusable widgets in
:mod:`physiocap.gui.widgets`; :mod:`physiocap.gui.app` starts the application.
"""
