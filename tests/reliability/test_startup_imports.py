"""Start-up (issue 16): a command imports only its own module, and the module imports its
heavy dependencies (workflows, scipy) only when the command runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "sample_recordings" / "real" / "tug-watch_ll_01.h5"

PROBE = """
import sys
from contextlib import redirect_stdout
from io import StringIO
from physiocap.cli.main import main
with redirect_stdout(StringIO()):
    code = main(sys.argv[1:])
heavy = sorted(name for name in ("scipy", "physiocap.workflows", "physiocap.analysis")
               if name in sys.modules)
commands = sorted(name for name in sys.modules if name.endswith("_command"))
print(code, ",".join(heavy), ",".join(commands))
"""


def _probe(*argv: str) -> tuple[str, str, str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True,
                          check=True)
    code, heavy, commands = ([*done.stdout.strip().split(" "), "", ""])[:3]
    return code, heavy, commands


def test_info_imports_neither_scipy_nor_other_commands() -> None:
    code, heavy, commands = _probe("info", str(SAMPLE))
    assert code == "0"
    assert heavy == ""
    assert commands == "physiocap.cli.info_command"


def test_analyze_parses_without_the_other_commands() -> None:
    code, _, commands = _probe("analyze", "--dry-run", str(SAMPLE))
    assert code == "0"
    assert commands == "physiocap.cli.analyze_command"
