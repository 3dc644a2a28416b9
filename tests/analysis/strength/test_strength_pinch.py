"""Real pinch curves (fda-pinch: 20 brief pinches, 2 ms sampling, ≈2 N baseline): one
effort per repetition, its peak the maximum sample, its onset at the foot of the rise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from physiocap.analysis.strength import BRIEF_EFFORTS, StrengthAnalyzer


@pytest.fixture(scope="module")
def pinches(shared_data: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    path = shared_data / "fda-pinch" / "pinchraw.csv"
    if not path.is_file():
        pytest.skip(f"fda-pinch not found at {path}")
    table = np.genfromtxt(path, delimiter=",", names=True)
    names = [name for name in table.dtype.names if name != "time_s"]
    assert len(names) == 20
    return table["time_s"], {name: table[name] for name in names}


@pytest.mark.dataset
def test_every_pinch_found_with_its_maximum_sample_and_onset(pinches) -> None:
    time, curves = pinches
    analyzer = StrengthAnalyzer(BRIEF_EFFORTS)
    for name, force in curves.items():
        result = analyzer.analyze(time, force)
        assert len(result.efforts) == 1, name
        (pinch,) = result.efforts
        assert pinch.max_sample_n == force.max(), name
        assert time[int(np.argmax(force))] == pytest.approx(
            pinch.peak_time_s, abs=0.02), name
        # the onset lies at the foot of the rise: before the force stays clearly above the
        # level of the first 20 ms (5 samples in a row above 5 SD), at most 40 ms earlier
        rest = force[time < 0.02]
        up = force > rest.mean() + 5 * max(float(rest.std()), 0.1)
        first_up = next(i for i in range(len(force) - 5) if up[i:i + 5].all())
        clearly_up = time[first_up]
        assert clearly_up - 0.04 <= pinch.onset_s <= clearly_up, name
        assert pinch.peak_force_n == pytest.approx(force.max() - rest.mean(), abs=0.5), name
