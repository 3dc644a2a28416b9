"""Issue 16 item 5: ``physiocap validate`` on a dataset folder with one malformed file (empty,
cut in half, random bytes, JSON of the wrong shape) ends with a report or a one-line error
naming the file, never a traceback or an internal error; the dataset files are unchanged.

Each case is a small copy of a real dataset (``../shared/data``) with one file damaged.
"""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from physiocap.cli.main import main

SUBSETS: dict[str, tuple[str, ...]] = {
    "tug-watch": ("ll_01_*.json",),
    "uji-tug": ("executions_info.csv", "subjects_info.csv", "s01/s01_01_sp.csv"),
    "ipol-gait": ("1-1.json", "1-1_*.txt"),
    "mobgap-lab": ("HA/001/*",),
    "gaitmap-foot": ("imu_sample.csv", "stride_events_sample.csv"),
}
DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda data: b"",
    "half": lambda data: data[:len(data) // 2],
    "random": lambda data: bytes((index * 7919) % 251 for index in range(max(len(data), 64))),
    "json_list": lambda data: b"[1, 2, 3]",
}


def _subset(shared_data: Path, dataset: str, folder: Path) -> list[Path]:
    copied = []
    for pattern in SUBSETS[dataset]:
        for source in sorted((shared_data / dataset).glob(pattern)):
            target = folder / source.relative_to(shared_data / dataset)
            target.parent.mkdir(parents=True, exist_ok=True)
            copied.append(Path(shutil.copy(source, target)))
    return copied


#: Files each subset holds (the patterns match several in ipol-gait and mobgap-lab).
FILES = {"tug-watch": 1, "uji-tug": 3, "ipol-gait": 4, "mobgap-lab": 3, "gaitmap-foot": 2}


def _cases() -> list[tuple[str, str, int]]:
    return [(dataset, damage, index) for dataset, count in FILES.items()
            for damage in DAMAGE for index in range(count)]


@pytest.mark.dataset
@pytest.mark.slow
@pytest.mark.parametrize(("dataset", "damage", "index"), _cases())
def test_validate_with_one_malformed_file(shared_data: Path, tmp_path: Path, dataset: str,
                                          damage: str, index: int) -> None:
    files = _subset(shared_data, dataset, tmp_path)
    assert len(files) == FILES[dataset]
    victim = files[index]
    victim.write_bytes(DAMAGE[damage](victim.read_bytes()))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", dataset, str(tmp_path)])
    error = err.getvalue().strip()
    assert code in (0, 2), error
    assert "internal error" not in error
    assert "Traceback" not in error
    if code == 2:
        assert "\n" not in error
        assert victim.name in error or str(tmp_path) in error, error
    else:
        assert victim.name in out.getvalue() or "skipped" in out.getvalue() \
            or "failure" in out.getvalue()
