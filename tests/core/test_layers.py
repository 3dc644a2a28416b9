"""The architecture's layer rules, checked by import-linter, and Qt-free headless imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_import_linter_contracts_hold() -> None:
    runner = ("import sys\n"
              "from importlinter.cli import lint_imports\n"
              "sys.exit(lint_imports(no_cache=True, no_logo=True))\n")
    result = subprocess.run([sys.executable, "-c", runner], cwd=REPO_ROOT, capture_output=True,
                            text=True, check=False)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "Contracts: 6 kept, 0 broken" in report, report


def test_headless_packages_import_without_qt_or_bleak() -> None:
    probe = (
        "import sys, importlib, pkgutil\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6', 'bleak'):\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import physiocap\n"
        "for pkg in ('core', 'devices', 'capture', 'storage', 'analysis', 'workflows', 'cli'):\n"
        "    root = importlib.import_module('physiocap.' + pkg)\n"
        "    for info in pkgutil.walk_packages(root.__path__, root.__name__ + '.'):\n"
        "        if '.ble' in info.name:\n"
        "            continue\n"
        "        importlib.import_module(info.name)\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=False)
    assert result.stdout.strip() == "ok", result.stderr
