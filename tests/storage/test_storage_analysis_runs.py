"""Analysis runs are appended beside the raw data, never replacing runs or samples."""

from __future__ import annotations

from datetime import UTC, datetime

import h5py
import numpy as np
import pytest
from tests.storage.known_session import KnownSession

from physiocap.core.errors import ConfigurationError, StorageError
from physiocap.storage import SessionReader, append_analysis_run

WHEN = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
RECORD = {
    "algorithm": {"name": "tug-imu", "version": "1.2.0"},
    "placement": "lower_back",
    "total_time_s": 9.84,
    "steps": None,
    "valid": True,
    "phases": [{"name": "sit_to_stand", "start_s": 5.6, "end_s": 6.9},
               {"name": "walk_out", "start_s": 6.9, "end_s": 9.1}],
    "trials": [{"total_time_s": 9.84, "events": {"turn1_start_s": 9.1},
                "phases": [{"name": "turn1", "start_s": 9.1, "end_s": 10.2}]}],
    "flags": ["gap_near_event"],
    "peak_turn_rate_deg_per_s": [182.5, 171.0],
}


def _snapshot(reader: SessionReader) -> dict[str, np.ndarray]:
    return {f"{trial.trial_id}/{stream.device_id}/{stream.spec.name}/{what}": array
            for trial in reader.trials for stream in trial.streams
            for what, array in (
                ("samples", reader.samples(trial.trial_id, stream.device_id, stream.spec.name)),
                ("packets", reader.packets(trial.trial_id, stream.device_id, stream.spec.name)))}


def test_runs_accumulate_and_raw_data_is_untouched(known_session: KnownSession) -> None:
    with SessionReader(known_session.path) as reader:
        before = _snapshot(reader)
    first = append_analysis_run(known_session.path, "T01", "tug", "1.2.0",
                                {"lowpass_cutoff_hz": 3.0}, RECORD, WHEN)
    second = append_analysis_run(known_session.path, "T01", "tug", "1.3.0",
                                 {"lowpass_cutoff_hz": 2.5}, {"total_time_s": 9.91}, WHEN)
    other = append_analysis_run(known_session.path, "T01", "gait", "0.1", {}, {}, WHEN)
    assert (first, second, other) == (1, 2, 1)
    with SessionReader(known_session.path) as reader:
        assert reader.completed
        runs = reader.analysis_runs("T01", "tug")
        assert [(run.run, run.algorithm_version) for run in runs] == [(1, "1.2.0"), (2, "1.3.0")]
        assert runs[0].record == RECORD
        assert runs[0].params == {"lowpass_cutoff_hz": 3.0}
        assert runs[0].created_utc == WHEN
        assert runs[1].record == {"total_time_s": 9.91}
        assert [run.algorithm for run in reader.analysis_runs("T01")] == ["gait", "tug", "tug"]
        assert reader.analysis_runs("T02") == []
        after = _snapshot(reader)
    assert before.keys() == after.keys()
    for key, array in before.items():
        np.testing.assert_array_equal(after[key], array)


def test_record_is_readable_without_physiocap(known_session: KnownSession) -> None:
    append_analysis_run(known_session.path, "T01", "tug", "1.2.0", {}, RECORD, WHEN)
    with h5py.File(known_session.path, "r") as file:
        run = file["trials/T01/analysis/tug/0001"]
        assert run.attrs["algorithm_version"] == b"1.2.0"  # fixed-length UTF-8
        assert run.attrs["created_utc"] == b"2026-03-02T12:00:00.000000+00:00"
        record = run["record"]
        assert record.attrs["total_time_s"] == pytest.approx(9.84)
        assert record.attrs["valid"] == 1
        assert "steps" not in record.attrs  # null lives in record_json only
        assert record["algorithm"].attrs["version"] == b"1.2.0"
        phases = record["phases"][()]
        assert phases.dtype.names == ("name", "start_s", "end_s")
        np.testing.assert_allclose(phases["end_s"], [6.9, 9.1])
        assert record["trials/000/events"].attrs["turn1_start_s"] == pytest.approx(9.1)
        np.testing.assert_allclose(record["peak_turn_rate_deg_per_s"][()], [182.5, 171.0])
        assert [flag.decode() for flag in record["flags"][()]] == ["gap_near_event"]


def test_bad_requests_are_refused(known_session: KnownSession) -> None:
    with pytest.raises(StorageError, match="no trial 'T9'"):
        append_analysis_run(known_session.path, "T9", "tug", "1", {}, {}, WHEN)
    with pytest.raises(ConfigurationError, match="algorithm name"):
        append_analysis_run(known_session.path, "T01", "tug/../x", "1", {}, {}, WHEN)
    with pytest.raises(ConfigurationError, match="JSON"):
        append_analysis_run(known_session.path, "T01", "tug", "1", {}, {"x": {1, 2}}, WHEN)
    with SessionReader(known_session.path) as reader:
        assert reader.analysis_runs("T01") == []
