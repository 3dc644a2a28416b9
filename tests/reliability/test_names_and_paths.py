"""Issue 16 items 5 and 10: names and paths. IDs with whitespace are refused, one bad
participant folder does not hide the others, and ``import`` refuses an output that is its
own source (``--force`` used to destroy it), a folder as source, an output folder that is
a file or not writable: one line naming the path, the source untouched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.workflows.test_tindeq_csv import app_recording, export_text

from physiocap.cli.main import main
from physiocap.core.errors import ConfigurationError
from physiocap.core.records import Participant, validate_identifier
from physiocap.workflows.study import StudyFolder


@pytest.mark.parametrize("name", ["P003\n", "P003 ", " P003", "P 003", "P003\t", "P003\r\n"])
def test_identifiers_with_whitespace_are_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        validate_identifier(name, "participant ID")
    with pytest.raises(ConfigurationError):
        StudyFolder(tmp_path).save_participant(Participant(name))
    assert list(tmp_path.iterdir()) == []


def test_one_bad_participant_folder_does_not_hide_the_others(tmp_path: Path) -> None:
    study = StudyFolder(tmp_path)
    for participant_id in ("P001", "P002"):
        study.save_participant(Participant(participant_id, group="arm-A"))
    bad_name = tmp_path / "P003\n"  # made by a version that accepted the newline
    bad_name.mkdir()
    (bad_name / "participant.json").write_text('{"participant_id": "P003\\n"}')
    (tmp_path / "P004").mkdir()
    (tmp_path / "P004" / "participant.json").write_text("{broken")
    (tmp_path / "P005").mkdir()
    (tmp_path / "P005" / "participant.json").write_text('{"participant_id": "P005", '
                                                         '"sex": "neither"}')
    listed = [participant.participant_id for participant in study.participants()]
    assert listed == ["P001", "P002"]
    assert set(study.unreadable) == {bad_name, tmp_path / "P004", tmp_path / "P005"}


def _export(tmp_path: Path) -> Path:
    time, kgf, reps = app_recording(seed=3)
    source = tmp_path / "2023-05-14" / "grip.csv"
    source.parent.mkdir(parents=True)
    source.write_text(export_text(time, kgf, reps), encoding="utf-8")
    return source


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str], *expected: str) -> None:
    assert main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error
    for text in expected:
        assert text in error


def test_import_force_into_its_own_source_is_refused(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    source = _export(tmp_path)
    before = source.read_bytes()
    _refused(["import", "tindeq-csv", str(source), "-o", str(source), "--force"], capsys,
             str(source), "source file itself")
    link = tmp_path / "link.csv"
    link.symlink_to(source)
    _refused(["import", "tindeq-csv", str(source), "-o", str(link), "--force"], capsys,
             "symbolic link")
    assert source.read_bytes() == before


def test_import_path_errors_are_one_line(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    source = _export(tmp_path)
    _refused(["import", "tindeq-csv", str(source.parent), "-o", str(tmp_path / "a.h5")],
             capsys, "is a folder")
    _refused(["import", "tindeq-csv", str(tmp_path / "missing.csv"), "-o",
              str(tmp_path / "a.h5")], capsys, "does not exist")
    _refused(["import", "tindeq-csv", str(source), "-o", str(source / "out.h5")], capsys,
             "is a file, not a folder")
    _refused(["import", "tindeq-csv", str(source), "-o", str(source / "deeper" / "out.h5")],
             capsys, "is a file, not a folder")


def test_import_into_a_read_only_folder_is_one_line(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    if os.geteuid() == 0:
        pytest.skip("root may write into any folder")
    source = _export(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    try:
        _refused(["import", "tindeq-csv", str(source), "-o", str(locked / "out.h5")], capsys,
                 "not writable")
    finally:
        locked.chmod(0o755)


def test_existing_output_mentions_force(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    source = _export(tmp_path)
    out = tmp_path / "out.h5"
    assert main(["import", "tindeq-csv", str(source), "-o", str(out)]) == 0
    capsys.readouterr()
    _refused(["import", "tindeq-csv", str(source), "-o", str(out)], capsys, str(out), "--force")
