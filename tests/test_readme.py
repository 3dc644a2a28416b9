"""The README's Quick start is what CI runs: the test command in .ci/run is the README's."""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def _quick_start_commands() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", section, flags=re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def test_quick_start_is_exactly_two_commands_install_run_and_install_test() -> None:
    commands = _quick_start_commands()
    assert len(commands) == 2, commands
    assert "pip install" in commands[0]
    assert "physiocap demo" in commands[0]
    assert "pip install" in commands[1]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci_lines = [line.strip() for line in
                (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert _quick_start_commands()[1] in ci_lines
