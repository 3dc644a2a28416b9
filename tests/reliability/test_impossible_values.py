"""Issue 16 item 6: a Tindeq export holding what no Progressor recording produces is refused
with the file and the reason, the source unchanged; the genuine export still imports.

Each case starts from a simulated grip set with known truth (``app_recording``: three ASHT
efforts of 240-265 N) written as the app writes it, then plants one impossibility."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from tests.workflows.test_tindeq_csv import KGF_N, app_recording, export_text

from physiocap.cli.main import main

TIME_S, KGF, REPS = app_recording(seed=21)


def _samples_times(factor: float) -> Callable[[str], str]:
    """Multiply the weight column (after 'time,weight') by ``factor``."""
    def change(text: str) -> str:
        head, samples = text.split("time,weight\r\n")
        rows = [row.split(",") for row in samples.strip().split("\r\n")]
        return head + "time,weight\r\n" + "".join(
            f"{time},{float(weight) * factor:.2f}\r\n" for time, weight in rows)
    return change


def _summary_peak_times(factor: float) -> Callable[[str], str]:
    def change(text: str) -> str:
        lines = text.split("\r\n")
        (at,) = [index for index, line in enumerate(lines) if line.startswith("Peak,")]
        cells = lines[at].split(",")
        lines[at] = ",".join([cells[0], *(f"{float(cell) * factor:.2f}" for cell in cells[1:])])
        return "\r\n".join(lines)
    return change


CASES = {
    "negated force": (lambda: export_text(TIME_S, -KGF, REPS, summary=False), "negated"),
    "newtons in the kgf column": (lambda: _samples_times(KGF_N)(export_text(TIME_S, KGF, REPS)),
                                  "not in kgf"),
    "summary peak three times every sample": (
        lambda: _summary_peak_times(3.0)(export_text(TIME_S, KGF, REPS)), "above every sample"),
    "10-hour time gap": (lambda: export_text(
        np.where(np.arange(len(TIME_S)) < len(TIME_S) // 2, TIME_S, TIME_S + 36_000.0), KGF,
        REPS, summary=False), "not one recording"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_impossible_export_is_refused(case: str, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    make, reason = CASES[case]
    source = tmp_path / "2023-05-14" / "grip.csv"
    source.parent.mkdir()
    source.write_text(make(), encoding="utf-8")
    before = source.read_bytes()
    out = tmp_path / "out.h5"
    assert main(["import", "tindeq-csv", str(source), "-o", str(out)]) == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error
    assert str(source) in error
    assert reason in error
    assert not out.exists()
    assert source.read_bytes() == before


def test_the_genuine_export_still_imports(tmp_path: Path) -> None:
    source = tmp_path / "2023-05-14" / "grip.csv"
    source.parent.mkdir()
    source.write_text(export_text(TIME_S, KGF, REPS), encoding="utf-8")
    assert main(["import", "tindeq-csv", str(source), "-o", str(tmp_path / "out.h5")]) == 0
