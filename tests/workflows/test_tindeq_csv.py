"""Tindeq Progressor app exports: parsed to SI, the app's Peak per rep is the maximum
sample of each effort the strength analysis finds, malformed files say where and why."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from physiocap.analysis.strength import ASHT_GRIP, StrengthAnalyzer
from physiocap.core.errors import CorruptFileError
from physiocap.core.records import Side
from physiocap.devices.sim.force import AshtGrip
from physiocap.workflows.importers.tindeq_csv import (
    TindeqCsvError,
    parse_tindeq_csv,
    read_tindeq_csv,
)

KGF_N = 9.80665


def app_recording(seed: int = 3) -> tuple[np.ndarray, np.ndarray, list[tuple[float, float]]]:
    """~80 Hz samples in kgf, 2 decimals, with occasional doubled steps, and rep windows."""
    rng = np.random.default_rng(seed)
    scenario = AshtGrip(peaks_n=(240.0, 265.0, 250.0), rest_s=8.0)
    steps = np.where(rng.random(4000) < 0.05, 2.0, 1.0) / 80.0
    time = np.round(np.cumsum(steps), 3)
    time = time[time < scenario.duration_s]
    kgf = np.round((scenario.force_n(time) + rng.normal(0.0, 0.3, len(time))) / KGF_N, 2)
    reps = [(e.onset_s - 1.0, e.offset_s + 1.0) for e in scenario.events()]
    return time, kgf, reps


def export_text(time: np.ndarray, kgf: np.ndarray, reps: list[tuple[float, float]], *,
                summary: bool = True, separator: str = ",") -> str:
    lines = []
    if summary:
        peaks = [kgf[(time >= a) & (time <= b)].max() for a, b in reps]
        means = [kgf[(time >= a) & (time <= b)].mean() for a, b in reps]
        lines.append("," + ",".join(["Avg"] + [f"Rep {k}" for k in range(1, len(reps) + 1)]))
        lines.append(",".join(["Avg", f"{np.mean(means):.2f}"] + [f"{m:.2f}" for m in means]))
        lines.append(",".join(["Peak", f"{max(peaks):.2f}"] + [f"{p:.2f}" for p in peaks]))
        lines.append(separator)
    lines.append("time,weight")
    lines += [f"{t:.3f},{w:.2f}" for t, w in zip(time, kgf, strict=True)]
    return "\r\n".join(lines) + "\r\n"


def test_export_round_trips_through_import_and_analysis(tmp_path: Path) -> None:
    time, kgf, reps = app_recording()
    path = tmp_path / "grip.csv"
    path.write_text("\ufeff" + export_text(time, kgf, reps), encoding="utf-8")
    export = read_tindeq_csv(path)
    assert np.array_equal(export.time_s, time)
    assert np.allclose(export.force_n, kgf * KGF_N)
    assert 75.0 < export.rate_hz < 85.0
    assert len(export.rep_peaks_n) == 3
    result = StrengthAnalyzer(ASHT_GRIP).analyze(export.time_s, export.force_n,
                                                 side=Side.RIGHT)
    assert len(result.efforts) == 3
    for effort, app_peak_n in zip(result.efforts, export.rep_peaks_n, strict=True):
        assert effort.max_sample_n == pytest.approx(app_peak_n, abs=1e-9)
    assert export.overall_peak_n == pytest.approx(max(export.rep_peaks_n))


@pytest.mark.parametrize("separator", ["", ","])
def test_summary_closed_by_empty_or_lone_comma_line(separator: str) -> None:
    time, kgf, reps = app_recording()
    export = parse_tindeq_csv(export_text(time, kgf, reps, separator=separator))
    assert export.has_summary
    assert len(export.rep_means_n) == 3


def test_export_without_summary_holds_only_samples() -> None:
    time, kgf, reps = app_recording()
    export = parse_tindeq_csv(export_text(time, kgf, reps, summary=False))
    assert not export.has_summary
    assert export.overall_peak_n is None
    assert len(export.time_s) == len(time)


@pytest.mark.parametrize(("text", "line", "reason"), [
    ("", None, "empty"),
    ("a,b\n1,2\n", 1, "'time,weight' header"),
    ("time,weight\n0.0,1\n0.0125,x\n", 3, "weight 'x' is not a number"),
    ("time,weight\n0.0,1\n0.0125,2\n0.0125,2\n", 4, "does not increase"),
    ("time,weight\n0.0,1\n0.0125,2,3\n", 3, "expected 2 values"),
    ("time,weight\n0.0,1\n\n0.0125,2\n", 4, "after the empty line 3"),
    ("time,weight\n0,1\n1000,2\n2000,3\n", 2, "not plausible for seconds"),
    (",Avg,Rep 1\nAvg,1,1\nPeak,2\n,\ntime,weight\n0,1\n0.0125,2\n", 3, "1 values for 2"),
    (",Avg,Rep 1\nAvg,1,1\n,\ntime,weight\n0,1\n0.0125,2\n", 1, "no 'Peak' row"),
    (",Avg,Rep 2\nPeak,2,2\n,\ntime,weight\n0,1\n0.0125,2\n", 1, "expected 'Rep 1'"),
    (",Avg,Rep 1\nPeak,2,2\ntime,weight\n0,1\n0.0125,2\n", 3, "must end with an empty"),
    ("time,weight\n0.0,1\n", 2, "at least 2 samples"),
])
def test_malformed_exports_name_the_line_and_the_reason(text: str, line: int | None,
                                                        reason: str) -> None:
    with pytest.raises(TindeqCsvError) as caught:
        parse_tindeq_csv(text, source="export.csv")
    assert caught.value.line == line
    assert reason in str(caught.value)
    assert str(caught.value).startswith("export.csv: ")
    assert isinstance(caught.value, CorruptFileError)


def test_missing_file_names_its_path(tmp_path: Path) -> None:
    with pytest.raises(TindeqCsvError, match="does not exist") as caught:
        read_tindeq_csv(tmp_path / "absent.csv")
    assert str(tmp_path / "absent.csv") in str(caught.value)


def test_time_column_restart_keeps_the_longest_segment_and_lists_the_rest() -> None:
    time, kgf, reps = app_recording()
    # a leftover of the previous set (1.5 s of its release) at the top, then the set
    leftover_t = np.round(np.arange(40.0, 41.5, 1 / 80), 3)
    leftover_kgf = np.round(np.linspace(12.0, 0.1, len(leftover_t)), 2)
    text = export_text(time, kgf, reps)
    header, samples = text.split("time,weight\r\n")
    top = "".join(f"{t:.3f},{w:.2f}\r\n" for t, w in zip(leftover_t, leftover_kgf, strict=True))
    export = parse_tindeq_csv(header + "time,weight\r\n" + top + samples)
    assert np.array_equal(export.time_s, time)
    assert np.allclose(export.force_n, kgf * KGF_N)
    (dropped,) = export.dropped_segments
    assert dropped.samples == len(leftover_t)
    assert dropped.start_s == pytest.approx(40.0)
    assert dropped.end_s == pytest.approx(leftover_t[-1])
    assert dropped.first_line == header.count("\r\n") + 2
    assert str(len(leftover_t)) in dropped.describe()
