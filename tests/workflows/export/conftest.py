"""A small study made by the demo: two participants, three visits, analysed as recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from physiocap.cli.main import main

VISITS = (("P01", "baseline", "2026-01-12", "0"), ("P01", "month-3", "2026-04-13", "1"),
          ("P02", "baseline", "2026-02-02", "2"))


@pytest.fixture(scope="package")
def demo_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("study")
    for participant, label, date, seed in VISITS:
        assert main(["demo", "--out", str(root), "--speed", "max", "--participant", participant,
                     "--visit-label", label, "--date", date, "--seed", seed]) == 0
    return root
