"""``physiocap validate`` pointed at a folder that holds none of the dataset's files must say
so, with the layout it expected, instead of printing an empty report that looks like a
result."""

from __future__ import annotations

from pathlib import Path

import pytest

from physiocap.core.errors import ConfigurationError
from physiocap.workflows.validation.datasets import DATASET_NAMES
from physiocap.workflows.validation.runner import run_validation


@pytest.mark.parametrize("dataset", DATASET_NAMES)
def test_a_folder_without_the_datasets_files_is_refused_with_the_expected_layout(
        dataset: str, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a recording")
    with pytest.raises(ConfigurationError, match=f"no {dataset} recordings in .*expected"):
        run_validation(dataset, tmp_path)
