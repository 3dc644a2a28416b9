"""A reader that stops reading (``physiocap info FILE | head -1``) is no error to report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SAMPLE = (Path(__file__).resolve().parents[2] / "sample_recordings" / "study" / "DEMO-0001"
          / "2026-03-02_baseline.h5")


def test_closed_pipe_ends_quietly() -> None:
    command = [sys.executable, "-c", "import sys; from physiocap.cli.main import main; "
               "sys.exit(main())", "info", str(SAMPLE)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        process.stdout.close()  # the reader has gone before the first line
        stderr = process.stderr.read().decode()
        code = process.wait(timeout=60)
    assert stderr == ""
    assert code == 141
