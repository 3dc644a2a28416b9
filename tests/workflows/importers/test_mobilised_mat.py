"""``physiocap import mobilised-mat`` on the Mobilise-D example data of mobgap
(``../shared/data/mobgap-lab``): every participant, time measure, test and trial arrives,
the lower-back IMU in SI (the file's g and deg/s times their definitions), the session date
from ``StartDateTime``, the reference walking bouts as markers, and the imported walks
analyse. The truth is the ``data.mat`` itself, read here with scipy."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from scipy.io import loadmat

from physiocap.cli.main import main
from physiocap.core.errors import ConfigurationError
from physiocap.storage import SessionReader
from physiocap.workflows.analyze import analyze_session
from physiocap.workflows.importers.mobilised_mat import MobilisedMatError, import_mobilised

G = 9.80665


def _trials(data_path: Path) -> dict[str, dict]:
    data = loadmat(data_path, simplify_cells=True)["data"]
    return {f"{test}-{trial}".lower(): value for measure in data.values()
            for test, trials in measure.items() for trial, value in trials.items()}


def _bout_count(trial: dict) -> int:
    count = 0
    for system in trial["Standards"].values():
        bouts = system.get("MicroWB", [])
        count += 1 if isinstance(bouts, dict) else len(bouts)
    return count


@pytest.mark.dataset
@pytest.mark.slow
def test_every_trial_of_every_participant_imported_and_analysed(shared_data: Path,
                                                                tmp_path: Path) -> None:
    folder = shared_data / "mobgap-lab"
    study = tmp_path / "study"
    assert main(["import", "mobilised-mat", str(folder), "-o", str(study)]) == 0
    data_files = sorted(folder.rglob("data.mat"))
    sessions = sorted(study.glob("*/*.h5"))
    assert len(sessions) == len(data_files) == 3
    for data_path in data_files:
        expected = _trials(data_path)
        participant = f"{data_path.parent.parent.name}-{data_path.parent.name}"
        (path,) = (study / participant).glob("*.h5")
        with SessionReader(path) as reader:
            assert reader.participant.group == data_path.parent.parent.name
            assert {t.trial_id for t in reader.trials} == set(expected)
            first = min(datetime.fromisoformat(v["StartDateTime"].replace("Z", "+00:00"))
                        for v in expected.values())
            assert reader.session.started_utc == first
            for trial in reader.trials:
                source = expected[trial.trial_id]["SU"]["LowerBack"]
                acc = reader.samples_si(trial.trial_id, "MOBILISED-SU", "acc")
                np.testing.assert_allclose(acc, source["Acc"] * G, atol=1e-5, rtol=1e-6)
                gyro = reader.samples_si(trial.trial_id, "MOBILISED-SU", "gyro")
                np.testing.assert_allclose(gyro, np.radians(source["Gyr"]), atol=1e-6,
                                           rtol=1e-6)
                device_t = reader.device_times_s(trial.trial_id, "MOBILISED-SU", "acc")
                np.testing.assert_array_equal(device_t, source["Timestamp"])
                markers = reader.markers(trial.trial_id)
                assert len(markers) == 2 * _bout_count(expected[trial.trial_id])
                starts = markers[markers["kind"] == b"reference_wb_start"]
                bouts = expected[trial.trial_id]["Standards"]["INDIP"]["MicroWB"]
                bouts = [bouts] if isinstance(bouts, dict) else list(bouts)
                t0 = reader.sample_times_s(trial.trial_id, "MOBILISED-SU", "acc")[0]
                indip = [m for m in starts if m["label"].startswith(b"INDIP WB ")]
                assert len(indip) == len(bouts)
                for marker, bout in zip(indip, bouts, strict=True):
                    assert marker["t_s"] - t0 == pytest.approx(bout["Start"], abs=1e-6)
        with SessionReader(path) as reader:
            statuses = {t.trial_id: str(t.status) for t in reader.trials}
        several = {key for key, trial in expected.items() if max(
            (1 if isinstance(s.get("MicroWB"), dict) else len(s.get("MicroWB", []))
             for s in trial["Standards"].values()), default=0) > 1}
        assert several == {"test11-trial1"}  # simulated daily-life activities
        assert {k for k, status in statuses.items() if status == "rejected"} == several
        outcomes = analyze_session(path)
        assert {o.trial_id for o in outcomes} == set(expected) - several
        walks = [o for o in outcomes if o.trial_id.startswith("test5")]
        assert walks
        assert all(o.error == "" and o.headline["gait_speed_m_per_s"] > 0
                             for o in walks)


@pytest.mark.dataset
def test_one_visit_to_one_file_and_many_refused_for_a_file(shared_data: Path,
                                                          tmp_path: Path) -> None:
    data_path = shared_data / "mobgap-lab" / "HA" / "002" / "data.mat"
    (visit,) = import_mobilised(data_path, tmp_path / "one.h5", participant_id="P-07")
    assert visit.path == tmp_path / "one.h5"
    assert visit.participant_id == "P-07"
    with pytest.raises(ConfigurationError, match="holds 3 visits; give a folder"):
        import_mobilised(shared_data / "mobgap-lab", tmp_path / "all.h5")


def test_malformed_struct_names_the_field(tmp_path: Path) -> None:
    from scipy.io import savemat

    folder = tmp_path / "HA" / "009"
    folder.mkdir(parents=True)
    trial = {"StartDateTime": "2021-02-03T10:00:00+01:00", "TimeZone": "Europe/Rome",
             "SU": {"LowerBack": {"Timestamp": np.arange(5.0) / 100 + 1.6e9,
                                  "Acc": np.zeros((4, 3)), "Gyr": np.zeros((5, 3)),
                                  "Fs": {"Acc": 100}}},
             "Standards": {}}
    savemat(folder / "data.mat", {"data": {"TimeMeasure1": {"Test5": {"Trial1": trial}}}})
    with pytest.raises(MobilisedMatError,
                       match=r"data.TimeMeasure1.Test5.Trial1.SU.LowerBack.Acc: expected 5 × 3"):
        import_mobilised(folder / "data.mat", tmp_path / "o.h5")
    trial["SU"]["LowerBack"]["Acc"] = np.zeros((5, 3))
    trial["StartDateTime"] = "yesterday"
    savemat(folder / "data.mat", {"data": {"TimeMeasure1": {"Test5": {"Trial1": trial}}}})
    with pytest.raises(MobilisedMatError, match=r"StartDateTime: 'yesterday' is not an ISO"):
        import_mobilised(folder / "data.mat", tmp_path / "o.h5")
    (tmp_path / "junk.mat").write_bytes(b"\x00" * 200)
    with pytest.raises(MobilisedMatError, match="not a MATLAB"):
        import_mobilised(tmp_path / "junk.mat", tmp_path / "o.h5")
