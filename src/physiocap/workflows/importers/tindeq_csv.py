"""Reader for the Tindeq Progressor app's CSV export (issue 4).

The export may start with a summary block, one column per repetition::

    ,Avg,Rep 1,Rep 2,Rep 3
    Avg,20.1,19.8,20.5,20.0
    Peak,31.2,30.4,31.2,30.9

closed by a separator line (empty, or a lone comma), followed by the samples::

    time,weight
    0.000,0.02
    0.012,0.03

Times are seconds, weights kilograms-force, at about 80-90 Hz with occasional doubled
steps; some exports hold only the ``time,weight`` block. The summary's first column is over
all repetitions; its ``Peak`` per repetition is the maximum sample of that repetition.

Some real exports hold a short leftover of the previous set at the top, after which the
time column restarts near zero. Each run of increasing times is a segment; the longest is
the set, and the others are listed in ``dropped_segments`` (lines, samples, times) so that
the import can say what it left out. Refusing the file left the user unable to import the
set at all (issue 15).

Everything is converted to SI at this boundary (force in N = kgf × 9.80665). A file that
does not follow the format raises :class:`TindeqCsvError` naming the file, the line and
what is wrong; nothing is guessed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from physiocap.core.errors import CorruptFileError
from physiocap.core.units import kgf_to_n
from physiocap.workflows.importers.plausibility import negated_force

#: Plausible sampling intervals of the export (it streams at about 80-90 Hz).
_MIN_INTERVAL_S = 1e-4
_MAX_INTERVAL_S = 1.0
#: The Progressor stamps samples with a uint32 µs clock, which wraps after 2^32 µs (about
#: 71.6 min) [D14]: a longer jump between two samples cannot come from one recording.
_DEVICE_CLOCK_WRAP_S = 2**32 / 1e6
#: The Progressor measures tension only [D14]; a tared gauge drifts by hundredths of a kgf
#: (the export's resolution is 0.01 kgf), so a pull of more than this in the negative
#: direction is not drift.
_NEGATIVE_PULL_KGF = 1.0
#: The app's summary Peak is the largest sample of its repetitions, rounded to 0.01 kgf:
#: a summary peak further than this (relative, plus the rounding) from the largest sample
#: says the summary and the samples do not belong together, or are in different units.
_SUMMARY_MARGIN = 0.05


class TindeqCsvError(CorruptFileError):
    """The file is not a readable Tindeq export; says where and why."""

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        where = f"line {line}: " if line is not None else ""
        super().__init__(f"not a Tindeq Progressor CSV export: {where}{reason}", path=path)
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class DroppedSegment:
    """A run of samples left out because the time column restarted (module docstring)."""

    first_line: int
    last_line: int
    samples: int
    start_s: float
    end_s: float

    def describe(self) -> str:
        return (f"lines {self.first_line}-{self.last_line}: {self.samples} samples, "
                f"{self.start_s:g}-{self.end_s:g} s")


@dataclass(frozen=True, eq=False)
class TindeqExport:
    """Samples (SI) and the app's summary of one export.

    ``rep_peaks_n`` and ``rep_means_n`` are the summary's per-repetition Peak and Avg (empty
    when the export has no summary); ``overall_peak_n`` and ``overall_mean_n`` its first
    column.
    """

    source: str
    time_s: np.ndarray
    force_n: np.ndarray
    rep_peaks_n: tuple[float, ...] = ()
    rep_means_n: tuple[float, ...] = ()
    overall_peak_n: float | None = None
    overall_mean_n: float | None = None
    dropped_segments: tuple[DroppedSegment, ...] = ()

    @property
    def has_summary(self) -> bool:
        return bool(self.rep_peaks_n)

    @property
    def rate_hz(self) -> float:
        """Median sampling rate of the samples."""
        return 1.0 / float(np.median(np.diff(self.time_s)))


def read_tindeq_csv(path: str | Path) -> TindeqExport:
    """Read an export from disk (UTF-8, with or without a byte-order mark)."""
    file_path = Path(path)
    try:
        text = file_path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise TindeqCsvError(str(file_path), None, "the file does not exist") from None
    except UnicodeDecodeError as error:
        raise TindeqCsvError(str(file_path), None, f"not UTF-8 text ({error.reason})") \
            from None
    return parse_tindeq_csv(text, source=str(file_path))


def parse_tindeq_csv(text: str, source: str = "<text>") -> TindeqExport:
    """Parse the text of an export; ``source`` names it in errors."""
    lines = [(number, line.strip()) for number, line in
             enumerate(text.lstrip("\ufeff").splitlines(), start=1)]
    content = [(number, line) for number, line in lines if not _is_separator(line)]
    if not content:
        raise TindeqCsvError(source, None, "the file is empty")
    summary: dict[str, tuple[float, ...]] = {}
    header_index = next((i for i, (_, line) in enumerate(lines) if _is_sample_header(line)),
                        None)
    if header_index is None:
        raise TindeqCsvError(source, content[0][0],
                             "no 'time,weight' header line starting the samples")
    before = [(n, line) for n, line in lines[:header_index] if not _is_separator(line)]
    if before:
        summary = _parse_summary(before, source)
        if not _is_separator(lines[header_index - 1][1]):
            raise TindeqCsvError(source, lines[header_index][0],
                                 "the summary block must end with an empty or lone-comma "
                                 "line before 'time,weight'")
    time_s, weight_kgf, dropped = _parse_samples(lines[header_index + 1:], source)
    peaks = summary.get("peak", ())
    means = summary.get("avg", ())
    _check_plausible(time_s, weight_kgf, peaks if not dropped else (), source)
    return TindeqExport(
        source=source, time_s=time_s, force_n=np.asarray(kgf_to_n(weight_kgf)),
        rep_peaks_n=tuple(float(kgf_to_n(v)) for v in peaks[1:]),
        rep_means_n=tuple(float(kgf_to_n(v)) for v in means[1:]),
        overall_peak_n=float(kgf_to_n(peaks[0])) if peaks else None,
        overall_mean_n=float(kgf_to_n(means[0])) if means else None,
        dropped_segments=dropped)


def _check_plausible(time_s: np.ndarray, weight_kgf: np.ndarray, peaks: tuple[float, ...],
                     source: str) -> None:
    """Refuse what no recording of a Progressor produces: a time jump beyond its clock's
    range, a negated force (a tension-only gauge), a summary peak that is not the largest
    sample (above every sample, or newtons in the kgf column)."""
    steps = np.diff(time_s)
    if len(steps) and float(steps.max()) > _DEVICE_CLOCK_WRAP_S:
        at = int(np.argmax(steps))
        raise TindeqCsvError(source, None,
                             f"time jumps by {float(steps[at]):.0f} s after {time_s[at]:g} s; "
                             f"the Progressor's clock cannot span more than "
                             f"{_DEVICE_CLOCK_WRAP_S / 60:.1f} min, so this is not one "
                             "recording (split the file)")
    negated = negated_force(weight_kgf, "kgf", _NEGATIVE_PULL_KGF, "the Progressor")
    if negated:
        raise TindeqCsvError(source, None, negated[1])
    highest = float(weight_kgf.max())
    if peaks and peaks[0] > highest * (1 + _SUMMARY_MARGIN) + 0.01:
        raise TindeqCsvError(source, None,
                             f"the app's summary Peak {peaks[0]:g} kgf is above every sample "
                             f"(the largest is {highest:g} kgf): the summary and the samples "
                             "do not belong to the same recording")
    if peaks and highest > peaks[0] * (1 + _SUMMARY_MARGIN) + 0.01:
        raise TindeqCsvError(source, None,
                             f"the samples reach {highest:g} kgf but the app's summary Peak is "
                             f"{peaks[0]:g} kgf: the weight column is not in kgf (newtons?) "
                             "or the summary belongs to another recording")


def _is_separator(line: str) -> bool:
    return line.replace(",", "").strip() == ""


def _is_sample_header(line: str) -> bool:
    return [cell.strip().lower() for cell in line.split(",")] == ["time", "weight"]


def _cells(line: str) -> list[str]:
    cells = [cell.strip() for cell in line.split(",")]
    while len(cells) > 1 and cells[-1] == "":
        cells.pop()
    return cells


def _parse_summary(rows: list[tuple[int, str]], source: str) -> dict[str, tuple[float, ...]]:
    """The summary block: a header ``,Avg,Rep 1,...`` and the rows Avg and Peak."""
    first_line, header = rows[0][0], _cells(rows[0][1])
    if len(header) < 3 or header[0] != "" or header[1].lower() != "avg":
        raise TindeqCsvError(source, first_line,
                             "expected the summary header ',Avg,Rep 1,...' or 'time,weight'")
    for position, name in enumerate(header[2:], start=1):
        if name.lower() != f"rep {position}":
            raise TindeqCsvError(source, first_line,
                                 f"summary column {position + 1} is {name!r}, expected "
                                 f"'Rep {position}'")
    values: dict[str, tuple[float, ...]] = {}
    for number, line in rows[1:]:
        cells = _cells(line)
        label = cells[0].lower()
        if label not in ("avg", "peak"):
            raise TindeqCsvError(source, number,
                                 f"summary row {cells[0]!r} is neither 'Avg' nor 'Peak'")
        if label in values:
            raise TindeqCsvError(source, number, f"summary row {cells[0]!r} appears twice")
        if len(cells) != len(header):
            raise TindeqCsvError(source, number,
                                 f"summary row {cells[0]!r} has {len(cells) - 1} values for "
                                 f"{len(header) - 1} columns")
        values[label] = tuple(_number(cell, source, number, f"{cells[0]} value")
                              for cell in cells[1:])
    if "peak" not in values:
        raise TindeqCsvError(source, first_line, "the summary block has no 'Peak' row")
    return values


def _parse_samples(rows: list[tuple[int, str]], source: str
                   ) -> tuple[np.ndarray, np.ndarray, tuple[DroppedSegment, ...]]:
    """The samples of the longest segment of increasing times, and the other segments."""
    segments: list[list[tuple[int, float, float]]] = [[]]
    ended_at: int | None = None
    for number, line in rows:
        if _is_separator(line):
            ended_at = ended_at or number
            continue
        if ended_at is not None:
            raise TindeqCsvError(source, number,
                                 f"samples continue after the empty line {ended_at}")
        cells = _cells(line)
        if len(cells) != 2:
            raise TindeqCsvError(source, number,
                                 f"expected 2 values 'time,weight', found {len(cells)}")
        time = _number(cells[0], source, number, "time")
        weight = _number(cells[1], source, number, "weight")
        current = segments[-1]
        if current and time == current[-1][1]:
            raise TindeqCsvError(source, number,
                                 f"time {time} s does not increase (previous {time} s)")
        if current and time < current[-1][1]:
            segments.append([])
        segments[-1].append((number, time, weight))
    kept = max(segments, key=len)
    if len(kept) < 2:
        raise TindeqCsvError(source, rows[-1][0] if rows else None,
                             f"needs at least 2 samples, found {len(kept)}")
    dropped = tuple(DroppedSegment(segment[0][0], segment[-1][0], len(segment),
                                   segment[0][1], segment[-1][1])
                    for segment in segments if segment is not kept)
    time_s = np.array([sample[1] for sample in kept])
    interval = float(np.median(np.diff(time_s)))
    if not _MIN_INTERVAL_S <= interval <= _MAX_INTERVAL_S:
        raise TindeqCsvError(source, kept[0][0],
                             f"median time step {interval:g} is not plausible for seconds "
                             f"(expected {_MIN_INTERVAL_S:g}-{_MAX_INTERVAL_S:g} s)")
    return time_s, np.array([sample[2] for sample in kept]), dropped


def _number(cell: str, source: str, line: int, what: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise TindeqCsvError(source, line, f"{what} {cell!r} is not a number") from None
    if not math.isfinite(value):
        raise TindeqCsvError(source, line, f"{what} {cell!r} is not finite")
    return value
