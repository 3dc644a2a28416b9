"""One validation report per dataset for the whole session, shared by the goal and the
side tests (each run reads and analyses every recording of the dataset)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from physiocap.workflows.validation.runner import run_validation


@pytest.fixture(scope="session")
def validation_report(shared_data: Path) -> Callable[[str], dict[str, Any]]:
    """``validation_report(dataset)``: the ``physiocap validate`` report of that dataset in
    ../shared/data, computed once."""
    reports: dict[str, dict[str, Any]] = {}

    def report(dataset: str) -> dict[str, Any]:
        if dataset not in reports:
            reports[dataset] = run_validation(dataset, shared_data / dataset)
        return reports[dataset]

    return report
